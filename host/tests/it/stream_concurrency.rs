//! A connection's streams run concurrently within its tenant's concurrency budget and
//! start in priority (manifest) order: `SyncService::sync_connection` against the Xero
//! simulator (budget: 5 requests in flight per organisation). Deterministic: it checks
//! counts and orders, never timings.

use std::time::Duration;

use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};

use crate::harness::Host;

/// Xero's per-tenant concurrency budget, as its manifest states it.
const XERO_CONCURRENCY: usize = 5;

#[tokio::test]
async fn streams_run_within_the_budget_in_priority_order() {
    let host = Host::start().await;
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::small(), 11))
        .expect("generate");
    let id = host.connect("xero", &[&host.uk], None).await;
    // A little latency keeps several streams in flight at once.
    host.sim.set_xero_latency(Duration::from_millis(5));
    let sync = &host.app().sync;
    let streams = sync.syncable_streams(&id).await.expect("streams");
    assert!(streams.len() > XERO_CONCURRENCY, "{streams:?}");
    let limited_before = host.sim.counters().rate_limited(None);

    let runs = sync.sync_connection(&id, None).await.expect("sync");

    for run in &runs {
        assert!(run.error.is_none(), "{}: {:?}", run.stream, run.error);
    }
    // Every stream ran once, reported in the order asked for.
    let ran: Vec<&str> = runs.iter().map(|r| r.stream.as_str()).collect();
    assert_eq!(ran, streams.iter().map(String::as_str).collect::<Vec<_>>());
    // The plugin lists what matters first: the chart of accounts, then the ledger,
    // then documents and contacts.
    let at = |name: &str| ran.iter().position(|s| *s == name).expect(name);
    assert!(at("accounts") < at("journals"), "{ran:?}");
    assert!(at("journals") < at("trial_balance"), "{ran:?}");
    assert!(at("trial_balance") < at("invoices"), "{ran:?}");
    assert!(at("invoices") < at("contacts"), "{ran:?}");
    // Priority: each stream started (its run recorded) before the next one in the
    // manifest's order, so run ids rise in that order.
    assert!(
        runs.windows(2).all(|w| w[0].id < w[1].id),
        "{:?}",
        runs.iter().map(|r| (&r.stream, r.id)).collect::<Vec<_>>()
    );
    // Concurrency: never more streams at once than the tenant's budget, and the
    // provider never had to refuse a request.
    let peak = sync.peak_concurrent_streams();
    assert!((2..=XERO_CONCURRENCY).contains(&peak), "peak {peak}");
    assert_eq!(host.sim.counters().rate_limited(None) - limited_before, 0);
    host.sim.set_xero_latency(Duration::ZERO);
}
