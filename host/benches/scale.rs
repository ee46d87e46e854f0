//! Scale benchmark (`cargo bench -p mooring --bench scale [-- --connections N]`), issue
//! 11 item 4: many active connections on one host against the Xero simulator on
//! loopback, with scripted consent, then a simulated day on the injectable clock with
//! the host's whole background (scheduler, keep-alive, webhooks, retention) running.
//!
//! 1. **Connect** `N` connections (default 10,000) over one sync interval of simulated
//!    time, eight consents at a time through the admin API and the OAuth callback, each
//!    organisation consented by a user of its own; each connect syncs its streams right
//!    away. Prints host CPU per connection.
//! 2. **A simulated day** (`--hours`, default 24): the clock jumps to the scheduler's
//!    next due time and the bench waits until nothing is due or syncing, again and
//!    again. Streams sync every `--interval` seconds (default 6 h, set for every
//!    stream with `MOORING_SYNC_INTERVALS`, so a day is a few runs per stream rather
//!    than hundreds). Prints token requests per grant against what the token policy
//!    requires (one refresh per sync episode: the access token lives 30 minutes, an
//!    episode comes every interval, keep-alive only after 30 idle days, so
//!    `hours × 3600 ÷ interval`), host CPU per scheduled sync and the 429s.
//! 3. **Idle**: with nothing due, host CPU over `--idle` seconds (default 20) of wall
//!    time as a share of one core, and the process's RSS (the simulator's memory,
//!    holding `N` organisations, is included). The heap is trimmed every 10 s, as
//!    `mooring serve` does.
//! 4. **Connection list**: `GET /api/connections?limit=100`, following `X-Next-Cursor`
//!    through every page; prints the median and worst page latency.
//! 5. **Restarts**: the host restarts at once, then again after being down for one
//!    interval (every stream overdue); prints the provider calls in each of the first ten
//!    simulated minutes against the steady rate and the app-wide limit, the token
//!    requests and the 429s.
//! 6. **The host's memory**: RSS after a heap trim with the host, then once it stopped
//!    (the simulator alone); the difference is the host's share.
//!
//! Host CPU is the process's CPU minus the simulator runtime's threads (named `sim`),
//! as in `benches/sync.rs`. Needs the plugins: `cargo xtask build-plugins`.

#[path = "../tests/it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "common/measure.rs"]
#[allow(dead_code)]
mod measure;
#[path = "../tests/it/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mooring::sync::SchedulerStatus;
use mooring_simulators::{Provider, RateLimits};

/// The four streams of a connection with `harness::XERO_SETTINGS_SCOPES`.
const STREAMS: &[&str] = &[
    "organisation",
    "accounts",
    "tracking_categories",
    "common.accounts",
];
/// Consents in flight at once.
const CONNECT_CONCURRENCY: usize = 8;

struct Args {
    connections: usize,
    hours: u64,
    interval: u64,
    idle: u64,
}

fn args() -> Args {
    let mut a = Args {
        connections: 10_000,
        hours: 24,
        interval: 6 * 3600,
        idle: 20,
    };
    let argv: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        argv.iter()
            .position(|x| x == name)
            .and_then(|i| argv.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    if let Some(n) = value("--connections") {
        a.connections = usize::try_from(n).unwrap_or(usize::MAX).max(1);
    }
    a.hours = value("--hours").unwrap_or(a.hours).max(1);
    a.interval = value("--interval").unwrap_or(a.interval).max(60);
    a.idle = value("--idle").unwrap_or(a.idle).max(1);
    a
}

/// The two runtimes: the simulator's and the host's.
struct Runtimes {
    sim: tokio::runtime::Runtime,
    host: tokio::runtime::Runtime,
}

fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .thread_keep_alive(Duration::from_secs(24 * 3600))
        .enable_all()
        .build()
        .expect("runtime")
}

/// Host CPU seconds so far: the process minus the simulator's threads.
fn host_cpu() -> f64 {
    measure::cpu_split().0
}

fn refreshes(host: &harness::Host) -> u64 {
    host.sim
        .counters()
        .token_requests
        .iter()
        .filter(|(k, _)| k.provider == Provider::Xero && k.grant_type == "refresh_token")
        .map(|(_, n)| n)
        .sum()
}

fn now_ms(host: &harness::Host) -> u64 {
    host.sim.clock().now_ms().max(0) as u64
}

/// Wait (real time) until the scheduler has nothing queued, due or running; says what
/// it is waiting for every 20 s. Runs waiting on a rate budget get the clock moved to
/// the end of their wait once nothing else is going on (the clock stands still while
/// the bench waits, so thousands of syncs can spend a provider's minute at one instant,
/// and only time refills it).
async fn settle(host: &harness::Host) {
    let mut said = Instant::now();
    let mut stalled_since: Option<(Instant, SchedulerStatus)> = None;
    loop {
        let s = host.app().sync.scheduler_status();
        if s.queued == 0 && s.due == 0 && s.syncing == 0 {
            return;
        }
        if let Some(until) = s.budget_wait_until.filter(|_| s.waiting_on_budget > 0) {
            match &stalled_since {
                Some((since, before)) if *before == s => {
                    let now = now_ms(host);
                    if since.elapsed() > Duration::from_millis(300) && until > now {
                        host.advance(Duration::from_millis(until - now));
                        host.app().sync.wake_scheduler();
                        stalled_since = None;
                    }
                }
                _ => stalled_since = Some((Instant::now(), s.clone())),
            }
        } else {
            stalled_since = None;
        }
        if said.elapsed() > Duration::from_secs(20) {
            eprintln!("  still settling at clock {} ms: {s:?}", now_ms(host));
            said = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The user who owns organisation `index` (one each, as in a real customer base: a
/// Xero user's connection list holds their own organisations, not all 10,000).
fn owner(index: usize) -> String {
    format!("owner{index:05}@example.com")
}

async fn connect_all(host: &harness::Host, orgs: &[String], interval: u64) -> Vec<String> {
    let step_ms = interval.saturating_mul(1000) / orgs.len().max(1) as u64;
    let mut ids = Vec::with_capacity(orgs.len());
    for chunk in orgs.chunks(CONNECT_CONCURRENCY) {
        let first = ids.len();
        let done: Vec<String> = futures_util::stream::iter(chunk.iter().enumerate())
            .map(|(i, org)| async move {
                host.connect_as(
                    &owner(first + i),
                    "xero",
                    &[org.as_str()],
                    Some(harness::XERO_SETTINGS_SCOPES.to_vec()),
                )
                .await
            })
            .buffer_unordered(CONNECT_CONCURRENCY)
            .collect()
            .await;
        ids.extend(done);
        host.advance(Duration::from_millis(step_ms * chunk.len() as u64));
        host.app().sync.wake_scheduler();
        if ids.len() % 1000 == 0 {
            eprintln!("  {} connected", ids.len());
        }
    }
    settle(host).await;
    ids
}

async fn list_latency(host: &harness::Host, limit: usize) -> (usize, usize, Vec<Duration>) {
    let http = reqwest::Client::new();
    let (mut cursor, mut seen, mut times) = (None::<String>, 0usize, Vec::new());
    loop {
        let mut url = format!("{}/api/connections?limit={limit}", host.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let started = Instant::now();
        let response = http
            .get(&url)
            .bearer_auth(harness::ADMIN)
            .send()
            .await
            .expect("list");
        let next = response
            .headers()
            .get("x-next-cursor")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.expect("body");
        let page: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        times.push(started.elapsed());
        seen += page.as_array().map_or(0, Vec::len);
        match next {
            Some(n) if !n.is_empty() => cursor = Some(n),
            _ => break,
        }
    }
    (times.len(), seen, times)
}

fn main() {
    let a = args();
    let rt = Runtimes {
        sim: runtime("sim"),
        host: runtime("host"),
    };
    let intervals: Vec<String> = STREAMS
        .iter()
        .map(|s| format!("{s}={}", a.interval))
        .collect();
    let intervals = intervals.join(",");
    let mut host = rt.sim.block_on(harness::Host::start_with(&[
        ("MOORING_SYNC_INTERVALS", intervals.as_str()),
        ("MOORING_LOG", "warn"),
    ]));
    host.sim.clock().freeze();
    // Xero's real limits: 60 a minute and 5,000 a day per tenant, 10,000 a minute per app.
    host.sim.set_xero_rate_limits(RateLimits::default());
    // The host on its own runtime, so its CPU can be told from the simulator's.
    rt.host.block_on(host.restart());
    let orgs: Vec<String> = (0..a.connections)
        .map(|i| {
            let org = host
                .sim
                .add_org(Provider::Xero, &format!("Scale {i:05} Ltd"));
            host.sim.add_user(Provider::Xero, &owner(i)).expect("user");
            host.sim.grant_user_access(&owner(i), &org).expect("access");
            org
        })
        .collect();
    println!(
        "scale: {} connections, {} h simulated, streams every {} s; RSS with the simulator's organisations and an empty host {:.0} MB",
        a.connections,
        a.hours,
        a.interval,
        measure::rss_mb()
    );
    rt.host.block_on(async {
        let _background = host.app().spawn_background();

        let (cpu0, wall0) = (host_cpu(), Instant::now());
        let ids = connect_all(&host, &orgs, a.interval).await;
        let connect_cpu = host_cpu() - cpu0;
        println!(
            "  connect + first sync: {} connections in {:.1} s wall, host CPU {:.1} ms per connection",
            ids.len(),
            wall0.elapsed().as_secs_f64(),
            connect_cpu * 1000.0 / ids.len() as f64
        );

        // The simulated day.
        let (refresh0, cpu0, wall0) = (refreshes(&host), host_cpu(), Instant::now());
        let calls0 = host.sim.counters().api_calls.get(&Provider::Xero).copied().unwrap_or(0);
        let (start, end) = (now_ms(&host), now_ms(&host) + a.hours * 3_600_000);
        let mut steps = 0u64;
        while let Some(next) = host.app().sync.scheduler_status().next_due {
            if next > end {
                break;
            }
            let now = now_ms(&host);
            if next > now {
                host.advance(Duration::from_millis(next - now));
            }
            host.app().sync.wake_scheduler();
            tokio::time::sleep(Duration::from_millis(1)).await;
            settle(&host).await;
            steps += 1;
        }
        let day_cpu = host_cpu() - cpu0;
        let counters = host.sim.counters();
        let calls = counters.api_calls.get(&Provider::Xero).copied().unwrap_or(0) - calls0;
        let mut runs = 0u64;
        for id in &ids {
            runs += host
                .app()
                .store
                .list_sync_runs(id, 10_000)
                .expect("runs")
                .iter()
                .filter(|r| r.started_at >= start && r.started_at < end)
                .count() as u64;
        }
        let grants = ids.len() as f64;
        let per_grant = (refreshes(&host) - refresh0) as f64 / grants;
        let expected = (a.hours * 3600) as f64 / a.interval as f64;
        println!(
            "  simulated {} h in {:.1} s wall ({steps} clock jumps): {runs} scheduled syncs, {calls} provider calls, {} 429s",
            a.hours,
            wall0.elapsed().as_secs_f64(),
            counters.rate_limited(None)
        );
        println!(
            "  token requests per grant over the day: {per_grant:.2} (expected {expected:.2}: one per sync episode, none at start-up)"
        );
        println!(
            "  host CPU per scheduled sync: {:.2} ms",
            day_cpu * 1000.0 / runs.max(1) as f64
        );

        // Idle: nothing due for the whole window (the clock does not move). The heap
        // is trimmed every 10 s, as `mooring serve` does.
        let _trim = mooring::heap_trim::spawn();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (cpu0, wall0) = (host_cpu(), Instant::now());
        tokio::time::sleep(Duration::from_secs(a.idle)).await;
        let idle = (host_cpu() - cpu0) / wall0.elapsed().as_secs_f64();
        println!(
            "  idle: host CPU {:.3} % of a core over {} s; process RSS {:.0} MB (simulator included)",
            idle * 100.0,
            a.idle,
            measure::rss_mb()
        );

        for limit in [100, 500] {
            let (pages, seen, mut times) = list_latency(&host, limit).await;
            times.sort();
            let total: Duration = times.iter().sum();
            println!(
                "  GET /api/connections?limit={limit}: {seen} connections in {pages} pages, page median {:.1} ms, worst {:.1} ms, whole walk {:.0} ms",
                times[times.len() / 2].as_secs_f64() * 1000.0,
                times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
                total.as_secs_f64() * 1000.0
            );
        }
    });

    // Restarts: once straight away, once after the host was down for a whole interval
    // (every stream overdue). Due times come back from the store and missed ones are
    // spread, so neither may storm the provider.
    // Each life of the host gets a runtime of its own: dropping it ends the previous
    // life's background tasks and their handles on the store, as a process exit would.
    let Runtimes {
        sim: _sim,
        host: first,
    } = rt;
    drop(first);
    for (label, down) in [
        ("straight away", 0),
        ("after one interval down", a.interval),
    ] {
        let life = runtime("host");
        host.advance(Duration::from_secs(down));
        life.block_on(host.restart());
        life.block_on(async {
            let _background = host.app().spawn_background();
            let (refresh0, wall0) = (refreshes(&host), Instant::now());
            let calls = |host: &harness::Host| {
                host.sim.counters().api_calls.get(&Provider::Xero).copied().unwrap_or(0)
            };
            let (calls0, limited0) = (calls(&host), host.sim.counters().rate_limited(None));
            let mut per_minute = Vec::new();
            let mut minute_start = calls0;
            // Ten simulated minutes in 10-second steps.
            for step in 1..=60u32 {
                host.advance(Duration::from_secs(10));
                host.app().sync.wake_scheduler();
                tokio::time::sleep(Duration::from_millis(1)).await;
                settle(&host).await;
                if step % 6 == 0 {
                    let now = calls(&host);
                    per_minute.push(now - minute_start);
                    minute_start = now;
                }
            }
            let natural = a.connections as f64 * STREAMS.len() as f64 * 60.0 / a.interval as f64;
            println!(
                "  restart {label}: provider calls per simulated minute over the first 10 {:?} (steady rate {natural:.0}/min; app-wide limit 10,000/min), {} token requests, {} 429s, {:.1} s wall",
                per_minute,
                refreshes(&host) - refresh0,
                host.sim.counters().rate_limited(None) - limited0,
                wall0.elapsed().as_secs_f64()
            );
        });
        drop(life);
    }

    // The host's share of the process's memory: RSS with the host idle, then without
    // it (its runtime and app dropped), both after a heap trim.
    mooring::heap_trim::trim_now();
    let with_host = measure::rss_mb();
    host.stop();
    std::thread::sleep(Duration::from_secs(1));
    mooring::heap_trim::trim_now();
    let without = measure::rss_mb();
    println!(
        "  RSS after a heap trim: {with_host:.0} MB with the host, {without:.0} MB once it stopped (the simulator's {} organisations and grants) = host {:.0} MB",
        a.connections,
        with_host - without
    );
}
