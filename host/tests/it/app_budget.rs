//! The app-wide budget (issue 11 item 4): a provider's limit across every tenant of one
//! OAuth app (Xero: 10,000 calls a minute), learned from the app-level remaining
//! header the manifest names and shared across tenants in turns. Against the Xero
//! simulator with a tiny app-wide limit, on a frozen clock the test moves:
//!
//! - the host learns what the app has left from tenant discovery (`/connections`) and
//!   then starts no more calls than that in the minute, for all tenants together, so
//!   the simulator never refuses one on the app-wide limit;
//! - every tenant waits (without a scheduler slot) until the minute frees up, and none
//!   starves: each gets calls in the next minute and all finish.

use std::time::Duration;

use mooring::sync::SchedulerOptions;
use mooring_simulators::{Provider, RateLimits};

use crate::harness::{Host, USER, XERO_SETTINGS_SCOPES, until};

/// The app-wide limit per minute the simulator enforces here.
const APP_PER_MINUTE: u32 = 12;
const TENANTS: usize = 4;

/// Let calls that could still start (they must not) start: a little real time.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

fn calls(host: &Host, orgs: &[String]) -> Vec<u64> {
    let counters = host.sim.counters();
    orgs.iter().map(|org| counters.data_calls(org)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_share_the_apps_minute_in_turns_without_an_app_wide_429() {
    let host = Host::start().await;
    host.sim.clock().freeze();
    host.sim.set_xero_rate_limits(RateLimits {
        app_per_minute: APP_PER_MINUTE,
        ..RateLimits::default()
    });
    let mut orgs = Vec::new();
    let mut connections = Vec::new();
    for i in 0..TENANTS {
        let org = host
            .sim
            .add_org(Provider::Xero, &format!("App Budget {i} Ltd"));
        host.sim.grant_user_access(USER, &org).expect("access");
        connections.push(
            host.connect("xero", &[&org], Some(XERO_SETTINGS_SCOPES.to_vec()))
                .await,
        );
        orgs.push(org);
    }
    let streams = host
        .app()
        .sync
        .syncable_streams(&connections[0])
        .await
        .expect("streams")
        .len();
    let work = (streams * TENANTS) as u64;
    assert!(
        work > u64::from(APP_PER_MINUTE),
        "the work needs two minutes"
    );
    // Tenant discovery (`/connections`) spent part of the app's minute, and said so.
    let discovery = host.sim.counters().connections_calls;
    assert!(discovery < u64::from(APP_PER_MINUTE), "{discovery}");
    let left = u64::from(APP_PER_MINUTE) - discovery;
    let started = host.sim.clock().now_ms();
    let scheduler = host.app().sync.spawn_scheduler_with(SchedulerOptions {
        on_interval: true,
        slots: TENANTS,
    });

    // First minute: exactly what the app had left, then every tenant waits on the app.
    until("the app's minute to be spent", || {
        calls(&host, &orgs).iter().sum::<u64>() >= left
    })
    .await;
    settle().await;
    let first: Vec<u64> = calls(&host, &orgs);
    assert_eq!(first.iter().sum::<u64>(), left, "{first:?}");
    assert_eq!(host.sim.counters().rate_limited(None), 0);
    assert_eq!(host.sim.clock().now_ms(), started, "no time passed");

    // Each further minute: at most the app's limit, shared so nobody is left out.
    let mut before = first;
    let mut minutes = 1;
    while before.iter().sum::<u64>() < work {
        host.advance(Duration::from_secs(61));
        host.app().sync.wake_scheduler();
        minutes += 1;
        let target = (before.iter().sum::<u64>() + u64::from(APP_PER_MINUTE)).min(work);
        until("the next minute's calls", || {
            calls(&host, &orgs).iter().sum::<u64>() >= target
        })
        .await;
        settle().await;
        let now: Vec<u64> = calls(&host, &orgs);
        let spent: u64 = now.iter().zip(&before).map(|(a, b)| a - b).sum();
        assert!(
            spent <= u64::from(APP_PER_MINUTE),
            "minute {minutes}: {spent}"
        );
        if minutes == 2 {
            // Everyone that still had work was served in the second minute.
            for (i, (a, b)) in now.iter().zip(&before).enumerate() {
                assert!(*b >= streams as u64 || a > b, "tenant {i} starved: {now:?}");
            }
        }
        before = now;
        assert!(minutes < 10, "too slow: {before:?}");
    }
    assert_eq!(
        host.sim.counters().rate_limited(Some("appminute")),
        0,
        "the host kept under the app-wide limit"
    );
    until("every stream of every tenant to sync", || {
        host.app().sync.scheduler_status().syncing == 0
    })
    .await;
    assert!(
        minutes <= 4,
        "{minutes} minutes for {work} calls at {APP_PER_MINUTE}/min"
    );
    scheduler.abort();
}
