//! QuickBooks sync benchmark (`cargo bench -p mooring --bench quickbooks`): a full sync
//! of a generated ~100,000-ledger-line company against the simulator on loopback,
//! through the real plugin, runtime, rate budgets and store.
//!
//! 1. **Limits off** at the simulator and in the host: the work itself.
//! 2. **Limits on**: QuickBooks' real 500 calls/minute and 10 concurrent per realm at
//!    the simulator, the manifest's budget in the host. Prints the wall time against
//!    calls ÷ budget (target ≤ 1.05×) and the throttles the provider had to send.
//!
//! `MOORING_BENCH_LINES` sets the company size (default 100,000). Needs the plugins:
//! `cargo xtask build-plugins`.

#[path = "../tests/it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/it/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use mooring_simulators::Provider;
use mooring_simulators::QboRateLimits;

fn data_calls(host: &harness::Host) -> u64 {
    host.sim
        .counters()
        .api_calls
        .get(&Provider::Quickbooks)
        .copied()
        .unwrap_or(0)
}

fn lines() -> usize {
    std::env::var("MOORING_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

async fn full_sync(host: &harness::Host, id: &str) -> (u64, u64, Duration) {
    let before = data_calls(host);
    let started = Instant::now();
    let runs = host
        .app()
        .sync
        .sync_connection(id, None)
        .await
        .expect("sync");
    let elapsed = started.elapsed();
    for run in &runs {
        assert!(
            run.error.is_none(),
            "{} failed: {:?}",
            run.stream,
            run.error
        );
    }
    let mut slowest: Vec<_> = runs
        .iter()
        .map(|r| {
            let ms = r
                .finished_at
                .unwrap_or(r.started_at)
                .saturating_sub(r.started_at);
            (
                ms,
                r.stream.as_str(),
                r.pages,
                r.added + r.updated + r.deleted,
            )
        })
        .collect();
    slowest.sort_by(|a, b| b.cmp(a));
    for (ms, stream, pages, records) in slowest.iter().take(8) {
        println!("    {stream:<20} {pages:>4} pages {records:>6} records {ms:>7} ms");
    }
    let records = runs.iter().map(|r| r.added + r.updated + r.deleted).sum();
    (records, data_calls(host) - before, elapsed)
}

async fn company(settings: &[(&str, &str)], limits: QboRateLimits) -> (harness::Host, String) {
    let host = harness::Host::start_with(settings).await;
    host.sim.set_qbo_rate_limits(limits);
    let summary = host
        .sim
        .generate_qbo_company(&host.qbo_company, lines(), 7)
        .expect("generate");
    println!("  company: {summary:?}");
    let id = host.connect("qbo", &[&host.qbo_company], None).await;
    (host, id)
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("limits off:");
    let (host, id) = company(
        &[(
            "MOORING_RATE_BUDGETS",
            "quickbooks.per_minute=100000000,quickbooks.concurrency=100",
        )],
        QboRateLimits::unlimited(),
    )
    .await;
    let (records, calls, off) = full_sync(&host, &id).await;
    println!(
        "  {records} records, {calls} calls in {:.2} s = {:.0} records/s",
        off.as_secs_f64(),
        records as f64 / off.as_secs_f64()
    );
    drop(host);
    if std::env::args().any(|a| a == "--no-limits-on") {
        return;
    }

    println!("limits on (500 calls/min, 10 concurrent per realm):");
    let (host, id) = company(&[], QboRateLimits::default()).await;
    let throttled = host.sim.counters().qbo_throttled(None);
    let (records, calls, on) = full_sync(&host, &id).await;
    let budget = Duration::from_secs_f64(calls as f64 * 60.0 / 500.0);
    println!(
        "  {records} records, {calls} calls in {:.2} s; calls ÷ budget = {:.2} s; ratio {:.3}; limits-off time {:.2} s; throttles sent: {}",
        on.as_secs_f64(),
        budget.as_secs_f64(),
        on.as_secs_f64() / budget.as_secs_f64(),
        off.as_secs_f64(),
        host.sim.counters().qbo_throttled(None) - throttled
    );
}
