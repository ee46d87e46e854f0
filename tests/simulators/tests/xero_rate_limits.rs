//! Xero rate limits: remaining-count headers, minute/day/app-minute/concurrent 429s with
//! `Retry-After` and `X-Rate-Limit-Problem`, windows on the simulator clock, counters.

mod common;

use std::time::Duration;

use common::*;
use mooring_simulators::SimConfig;
use mooring_simulators::xero::ratelimit::RateLimits;

async fn ready(limits: RateLimits) -> (World, String) {
    let w = world_with(SimConfig {
        xero_rate_limits: limits,
        ..SimConfig::default()
    })
    .await;
    let t = w
        .xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.uk, &w.us])
        .await;
    (w, s(&t["access_token"]).to_owned())
}

fn limits(per_minute: u32, per_day: u32, concurrent: u32, app_per_minute: u32) -> RateLimits {
    RateLimits {
        per_minute,
        per_day,
        concurrent,
        app_per_minute,
    }
}

fn remaining(a: &Answer) -> (String, String, String) {
    let h = |n: &str| {
        a.header(n)
            .unwrap_or_else(|| panic!("missing {n}"))
            .to_owned()
    };
    (
        h("x-daylimit-remaining"),
        h("x-minlimit-remaining"),
        h("x-appminlimit-remaining"),
    )
}

fn strs(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[tokio::test]
async fn every_tenant_call_reports_what_is_left() {
    let (w, at) = ready(RateLimits::default()).await;
    let a = w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await;
    assert_eq!(remaining(&a), strs("4999", "59", "9999"));
    let a = w.xero_api(&at, Some(&w.uk), "/Contacts", &[]).await;
    assert_eq!(remaining(&a), strs("4998", "58", "9998"));
    // Per tenant, but the app minute is shared.
    let a = w.xero_api(&at, Some(&w.us), "/Contacts", &[]).await;
    assert_eq!(remaining(&a), strs("4999", "59", "9997"));
    assert_eq!(w.sim.xero_rate_limits(), RateLimits::default());
}

#[tokio::test]
async fn minute_limit_rolls_and_says_when_to_retry() {
    let (w, at) = ready(limits(3, 1_000, 5, 10_000)).await;
    for _ in 0..2 {
        assert_eq!(
            w.xero_api(&at, Some(&w.uk), "/Invoices", &[]).await.status,
            200
        );
    }
    w.advance(20);
    assert_eq!(
        w.xero_api(&at, Some(&w.uk), "/Invoices", &[]).await.status,
        200
    );
    let a = w.xero_api(&at, Some(&w.uk), "/Invoices", &[]).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.text, "");
    assert_eq!(a.header("x-rate-limit-problem"), Some("minute"));
    assert_eq!(a.header("retry-after"), Some("40"));
    assert_eq!(remaining(&a), strs("997", "0", "9997"));
    // Another tenant is unaffected.
    assert_eq!(
        w.xero_api(&at, Some(&w.us), "/Invoices", &[]).await.status,
        200
    );
    w.advance(39);
    let a = w.xero_api(&at, Some(&w.uk), "/Invoices", &[]).await;
    assert_eq!((a.status, a.header("retry-after")), (429, Some("1")));
    w.advance(1);
    // The two calls at t=0 have left the rolling window; the one at t=20 has not.
    let a = w.xero_api(&at, Some(&w.uk), "/Invoices", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-minlimit-remaining"), Some("1"));
    let c = w.sim.counters();
    assert_eq!(c.rate_limited(Some("minute")), 2);
    assert_eq!(c.data_calls(&w.uk), 4, "429s do not count");
}

#[tokio::test]
async fn daily_limit_resets_at_the_tenants_time() {
    let (w, _) = ready(limits(1_000, 3, 5, 10_000)).await;
    w.advance(3_600);
    let t = w.xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.uk]).await;
    let at = s(&t["access_token"]).to_owned();
    for _ in 0..3 {
        let a = w.xero_api(&at, Some(&w.uk), "/Organisation", &[]).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let a = w.xero_api(&at, Some(&w.uk), "/Organisation", &[]).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("x-rate-limit-problem"), Some("day"));
    // The window opened when the organisation was created (09:00), 23 hours left.
    assert_eq!(a.header("retry-after"), Some("82800"));
    assert_eq!(a.header("x-daylimit-remaining"), Some("0"));
    w.advance(82_800);
    let t = w.xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.uk]).await;
    let at = s(&t["access_token"]).to_owned();
    let a = w.xero_api(&at, Some(&w.uk), "/Organisation", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-daylimit-remaining"), Some("2"));
    assert_eq!(w.sim.counters().rate_limited(Some("day")), 1);
}

#[tokio::test]
async fn app_minute_limit_spans_tenants() {
    let (w, at) = ready(limits(60, 5_000, 5, 3)).await;
    assert_eq!(
        w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await.status,
        200
    );
    assert_eq!(
        w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await.status,
        200
    );
    assert_eq!(
        w.xero_api(&at, Some(&w.us), "/Accounts", &[]).await.status,
        200
    );
    let a = w.xero_api(&at, Some(&w.us), "/Accounts", &[]).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("x-rate-limit-problem"), Some("appminute"));
    assert_eq!(a.header("retry-after"), Some("60"));
    assert_eq!(a.header("x-appminlimit-remaining"), Some("0"));
}

#[tokio::test]
async fn concurrency_limit_needs_overlapping_calls() {
    let (w, at) = ready(limits(60, 5_000, 2, 10_000)).await;
    w.sim.set_xero_latency(Duration::from_millis(400));
    let call = || w.xero_api(&at, Some(&w.uk), "/Organisation", &[]);
    let (a, b, c) = tokio::join!(call(), call(), call());
    let mut statuses = [a.status, b.status, c.status];
    statuses.sort();
    assert_eq!(statuses, [200, 200, 429]);
    let refused = [&a, &b, &c].into_iter().find(|x| x.status == 429).unwrap();
    assert_eq!(refused.header("x-rate-limit-problem"), Some("concurrent"));
    assert_eq!(refused.header("retry-after"), None);
    // Slots are released once answered.
    w.sim.set_xero_latency(Duration::ZERO);
    assert_eq!(call().await.status, 200);
    assert!(w.sim.xero_rate_usage().iter().all(|u| u.in_flight == 0));
    assert_eq!(w.sim.counters().rate_limited(None), 1);
}

#[tokio::test]
async fn limits_change_at_runtime() {
    let (w, at) = ready(RateLimits::default()).await;
    assert_eq!(
        w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await.status,
        200
    );
    w.sim.set_xero_rate_limits(limits(1, 5_000, 5, 10_000));
    let a = w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await;
    assert_eq!(
        (a.status, a.header("x-rate-limit-problem")),
        (429, Some("minute"))
    );
    w.sim.reset_xero_rate_windows();
    assert_eq!(
        w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await.status,
        200
    );
    // `/connections` counts against the app minute but has no tenant limits.
    let c = w.connections(&at, "").await;
    assert_eq!(c.header("x-appminlimit-remaining"), Some("9998"));
    assert!(c.header("x-minlimit-remaining").is_none());
}
