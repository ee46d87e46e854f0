//! Guests cannot stall the host (issue 9, item 4): a CPU-bound guest yields to tokio at
//! every epoch tick, its CPU budget counts only the time it runs, and rate-limit and
//! `Retry-After` waits extend a call's wall limit instead of failing it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use mooring::clock::{Clock, ManualClock};
use mooring::runtime::capabilities::budget::BudgetOverride;
use mooring::runtime::capabilities::http::HttpCapability;
use mooring::runtime::capabilities::{Capabilities, MemoryState};
use mooring::runtime::{CallError, Runtime, RuntimeLimits};

use crate::support::*;

/// Limits for a guest that should spin for a while before its CPU budget stops it.
fn spinning(cpu_millis: u64) -> RuntimeLimits {
    RuntimeLimits {
        cpu_millis,
        wall_millis: 30_000,
        ..test_limits()
    }
}

/// A `/healthz`-like route on loopback; returns its URL.
async fn healthz() -> String {
    let app = Router::new().route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/healthz")
}

/// The CPU-bound tests of this module take turns: each measures scheduling on its own.
static CPU_BOUND: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Spawn `n` calls of the endless-loop plugin on `rt`.
async fn spin(
    rt: &Arc<Runtime>,
    n: usize,
) -> Vec<tokio::task::JoinHandle<Result<mooring::runtime::types::Batch, CallError>>> {
    let plugin = load(rt, "test-endless-loop").await;
    (0..n)
        .map(|i| {
            let (rt, plugin) = (rt.clone(), plugin.clone());
            tokio::spawn(async move {
                rt.sync(&plugin, ctx(&format!("spin-{i}")), "spin", &tenant(), None)
                    .await
            })
        })
        .collect()
}

/// The slowest of 10 `/healthz` requests, 10 ms apart.
async fn round(client: &reqwest::Client, url: &str) -> Duration {
    let mut latencies = Vec::new();
    for _ in 0..10 {
        let asked = Instant::now();
        let body = client
            .get(url)
            .send()
            .await
            .expect("healthz")
            .text()
            .await
            .expect("body");
        latencies.push(asked.elapsed());
        assert_eq!(body, "ok");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("/healthz latencies: {latencies:?}");
    latencies.into_iter().max().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_spinning_guests_leave_healthz_answering_within_50_ms() {
    let _turn = CPU_BOUND.lock().await;
    let url = healthz().await;
    let client = reqwest::Client::new();
    // Warm the connection so the measurement is of scheduling, not of connect.
    client.get(&url).send().await.expect("warm-up");
    // The machine's own noise, without guests: on a quiet machine a few ms.
    let baseline = round(&client, &url).await;
    let rt = Arc::new(runtime(spinning(30_000), None, Arc::default()));
    let started = Instant::now();
    let guests = spin(&rt, 2).await;
    // Let both guests occupy the two workers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Rounds of 10 requests while the guests spin. A host that does not yield answers
    // none until the guests stop (30 s). The bound is 50 ms for every request of a
    // round; when the machine is overloaded (a build next to the tests: the baseline
    // round without guests already has a request over 10 ms) the OS alone delays
    // requests, so the bound grows by the baseline's worst, and the best of up to ten
    // rounds is what is asserted.
    let bound = if baseline < Duration::from_millis(10) {
        Duration::from_millis(50)
    } else {
        Duration::from_millis(50) + baseline
    };
    let mut rounds = Vec::new();
    for _ in 0..10 {
        let worst = round(&client, &url).await;
        assert!(
            guests.iter().all(|g| !g.is_finished()),
            "the host was stalled until the guests stopped: /healthz was only measured after"
        );
        rounds.push(worst);
        if worst < bound {
            break;
        }
    }
    let best = rounds.iter().min().copied().unwrap_or_default();
    eprintln!(
        "/healthz under 2 CPU-bound guests on 2 workers: worst per round {rounds:?} \
         (baseline without guests {baseline:?}, bound {bound:?})"
    );
    assert!(best < bound, "worst per round: {rounds:?}, bound {bound:?}");
    // A yielding guest can also be cancelled: its task is dropped at the next tick.
    for guest in &guests {
        guest.abort();
    }
    for guest in guests {
        let error = guest.await.expect_err("aborted");
        assert!(error.is_cancelled(), "{error}");
    }
    eprintln!("measured and cancelled after {:?}", started.elapsed());
}

#[tokio::test(flavor = "current_thread")]
async fn time_spent_waiting_for_the_worker_is_not_cpu_time() {
    // Four guests with a 300 ms CPU budget share one worker. Each is stopped only
    // after it has *run* 300 ms, so together they need at least ~1.2 s; were the time
    // they wait for the worker counted, all four would trap after ~300 ms.
    let _turn = CPU_BOUND.lock().await;
    let rt = Arc::new(runtime(spinning(300), None, Arc::default()));
    let _ = load(&rt, "test-endless-loop").await;
    let started = Instant::now();
    let guests = spin(&rt, 4).await;
    for guest in guests {
        let error = guest.await.expect("join").expect_err("spins");
        assert_eq!(error, CallError::CpuLimit { budget_millis: 300 });
    }
    let took = started.elapsed();
    eprintln!("4 × 300 ms guests on one worker took {took:?}");
    assert!(took >= Duration::from_millis(1_100), "took {took:?}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[tokio::test]
async fn a_page_delayed_by_the_budget_and_a_429_completes() {
    // One call per minute for the tenant, a 1 s wall limit, and a clock the test moves
    // 10 s every 150 ms. The first page spends the minute; the second waits 60 s
    // (clock) for the budget, gets a 429 (Retry-After: 1), and waits out the pause and
    // the minute again: 140 s on the clock, over 2 s of real time, twice the wall
    // limit, nearly all of it spent waiting on rate limits. The page completes.
    let server = TestServer::start().await;
    let limits = RuntimeLimits {
        wall_millis: 1_000,
        ..test_limits()
    };
    let clock = ManualClock::new(1_000_000);
    let caps = Capabilities::new(
        Arc::new(HttpCapability::new(server.overrides(), &limits).expect("http")),
        Arc::new(ScriptedBroker::default()),
        Arc::new(MemoryState::default()),
        Arc::new(clock.clone()),
    )
    .with_budget_overrides(HashMap::from([(
        "test-well-behaved".to_owned(),
        BudgetOverride {
            per_minute: Some(1),
            ..BudgetOverride::default()
        },
    )]));
    let rt = Runtime::new(limits, caps).expect("runtime");
    let plugin = load(&rt, "test-well-behaved").await;
    let mut call_ctx = ctx("conn-1");
    call_ctx.tenant = Some(tenant().id);
    rt.sync(&plugin, call_ctx.clone(), "echo", &tenant(), None)
        .await
        .expect("the first page spends the minute");

    server.state.throttle.store(1, Ordering::SeqCst);
    let ticker = tokio::spawn({
        let clock = clock.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(150)).await;
                clock.advance(Duration::from_secs(10));
            }
        }
    });
    let (started, clock_before) = (Instant::now(), clock.now_millis());
    let page = rt
        .sync(&plugin, call_ctx, "echo", &tenant(), None)
        .await
        .expect("delayed by rate limits, not timed out");
    ticker.abort();
    let took = started.elapsed();
    let clock_waited = Duration::from_millis(clock.now_millis().saturating_sub(clock_before));
    eprintln!("page waited {clock_waited:?} on the clock, {took:?} real, wall limit 1 s");
    assert!(page.records[0].data.contains("\"status\":200"));
    assert_eq!(
        server.state.hits.load(Ordering::SeqCst),
        3,
        "page, 429, retry"
    );
    assert!(clock_waited >= Duration::from_secs(70), "{clock_waited:?}");
    assert!(took > Duration::from_secs(1), "longer than the wall limit");

    // Slowness that is not a rate wait still hits the wall limit.
    *server.state.delay.lock().expect("lock") = Duration::from_secs(5);
    let error = rt
        .sync(&plugin, ctx("conn-2"), "echo", &tenant(), None)
        .await
        .expect_err("slow provider");
    assert_eq!(
        error,
        CallError::WallTimeout {
            limit_millis: 1_000
        }
    );
}
