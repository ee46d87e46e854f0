//! Transient failures against the Xero simulator: 5xx answers are retried within the
//! run with a bounded, jittered backoff (waited on the injectable clock, which a helper
//! task moves so the test does not wait); runs that keep failing degrade the connection
//! with a reason and the next attempt time; the scheduler retries it after the backoff
//! and a successful run makes it active again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
use serde_json::{Value, json};

use crate::harness::Host;

/// Moves the host's (and the simulator's) clock 2 s every 20 ms until dropped, so that
/// backoff waits pass quickly.
struct Ticker {
    running: Arc<AtomicBool>,
}

impl Ticker {
    fn start(host: &Host) -> Ticker {
        let running = Arc::new(AtomicBool::new(true));
        let clock = host.sim.clock().clone();
        let flag = running.clone();
        tokio::spawn(async move {
            while flag.load(Ordering::SeqCst) {
                clock.advance(Duration::from_secs(2));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Ticker { running }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
    }
}

async fn connected() -> (Host, String) {
    let host = Host::start().await;
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::small(), 9))
        .expect("generate");
    let id = host.connect("xero", &[&host.uk], None).await;
    (host, id)
}

/// Sync only `accounts` and return its run.
async fn sync_accounts(host: &Host, id: &str) -> Value {
    let runs = host
        .api_ok(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"wait": true, "streams": ["accounts"]})),
        )
        .await;
    runs["runs"][0].clone()
}

#[tokio::test]
async fn a_5xx_page_is_retried_within_the_run_up_to_a_bound() {
    let (host, id) = connected().await;
    let _ticker = Ticker::start(&host);
    host.sim.fail_next_xero_api_calls(2, 503);
    let run = sync_accounts(&host, &id).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["retries"], 2, "{run}");
    assert!(run["error"].is_null(), "{run}");
    assert!(
        host.app()
            .store
            .record_count(&id, "accounts")
            .expect("count")
            > 0
    );

    // Four failures in a row outlast the three retries: the run fails, saying so, and
    // one failed run does not degrade the connection.
    host.sim.fail_next_xero_api_calls(4, 500);
    let run = sync_accounts(&host, &id).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["retries"], 3, "{run}");
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("after 3 retries"), "{error}");
    assert_eq!(host.connection(&id).await["state"], "active");
}

#[tokio::test]
async fn runs_that_keep_failing_degrade_the_connection_until_a_retry_succeeds() {
    let (host, id) = connected().await;
    let ticker = Ticker::start(&host);
    host.sim.fail_next_xero_api_calls(1_000, 502);
    for attempt in 1..=3 {
        let run = sync_accounts(&host, &id).await;
        assert_eq!(run["status"], "failed", "run {attempt}: {run}");
        let state = host.connection(&id).await["state"].clone();
        let expected = if attempt < 3 { "active" } else { "degraded" };
        assert_eq!(state, expected, "after run {attempt}");
    }
    drop(ticker);
    let c = host.connection(&id).await;
    let reason = c["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("3 syncs of accounts failed in a row"),
        "{reason}"
    );
    assert!(reason.contains("the next attempt is at 20"), "{reason}");
    let resume_at = host.app().sync.resume_at(&id).expect("a next attempt time");
    let now = host.sim.clock().now_ms().max(0) as u64;
    assert!(
        resume_at > now && resume_at <= now + 60_000,
        "the first retry waits about a minute: {}",
        resume_at.saturating_sub(now)
    );
    // Before the retry time nothing is attempted.
    let (status, _) = host
        .api(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"wait": true})),
        )
        .await;
    assert_eq!(status, 409);

    // The provider recovers; once the backoff has passed the scheduler retries on its
    // own and the connection is active again.
    host.sim.fail_next_xero_api_calls(0, 502);
    let scheduler = host.app().sync.spawn_scheduler(true);
    host.advance(Duration::from_secs(61));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = host.connection(&id).await;
        if c["state"] == "active" {
            assert!(c["reason"].is_null(), "{c}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the connection did not recover: {c}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scheduler.abort();
    assert!(host.app().sync.resume_at(&id).is_none());
    let runs = host
        .api_ok("GET", &format!("/api/connections/{id}/runs"), None)
        .await;
    let last_accounts = runs
        .as_array()
        .and_then(|r| r.iter().find(|r| r["stream"] == "accounts"))
        .expect("an accounts run");
    assert_eq!(last_accounts["status"], "succeeded", "{last_accounts}");
}
