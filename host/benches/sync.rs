//! End-to-end sync benchmark (`cargo bench -p mooring --bench sync`), against the Xero
//! simulator on loopback, through the real plugin, runtime, rate budgets and store:
//!
//! 1. **Throughput, limits off**: a full sync of a generated organisation with about
//!    100,000 journal lines; prints records/s.
//! 2. **Pacing, limits on (scaled down)**: the simulator and the host both allow
//!    `PER_MINUTE` calls a minute; prints the wall time against the theoretical
//!    minimum, calls ÷ budget (target ≤ 1.05×), and the 429s the provider had to send.
//!
//! Needs the plugins: `cargo xtask build-plugins`.

#[path = "../tests/it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/it/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use mooring_simulators::Provider;
use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};

/// Calls a minute allowed in the paced run.
const PER_MINUTE: u32 = 20;

fn data_calls(host: &harness::Host) -> u64 {
    host.sim
        .counters()
        .api_calls
        .get(&Provider::Xero)
        .copied()
        .unwrap_or(0)
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
    for run in &runs {
        let millis = run
            .finished_at
            .unwrap_or(run.started_at)
            .saturating_sub(run.started_at);
        println!(
            "    {:<20} {:>4} pages {:>6} records {:>7} ms",
            run.stream,
            run.pages,
            run.added + run.updated + run.deleted,
            millis
        );
    }
    let records = runs.iter().map(|r| r.added + r.updated + r.deleted).sum();
    (records, data_calls(host) - before, elapsed)
}

async fn throughput() {
    let host = harness::Host::start_with(&[(
        "MOORING_RATE_BUDGETS",
        "xero.per_minute=100000000,xero.per_day=100000000,xero.concurrency=100",
    )])
    .await;
    let mut limits = host.sim.xero_rate_limits();
    limits.per_minute = 100_000_000;
    limits.per_day = 100_000_000;
    limits.app_per_minute = 100_000_000;
    host.sim.set_xero_rate_limits(limits);
    let size = match std::env::var("MOORING_BENCH_SIZE").as_deref() {
        Ok("medium") => OrgSize::medium(),
        Ok("small") => OrgSize::small(),
        _ => OrgSize::large(),
    };
    let summary = host
        .sim
        .generate_xero_org(&host.uk, GenerateOptions::new(size, 1))
        .expect("generate");
    let id = host.connect("xero", &[&host.uk], None).await;
    let (records, calls, elapsed) = full_sync(&host, &id).await;
    println!("throughput (limits off): {summary:?}");
    println!(
        "  {records} records in {:.2} s over {calls} calls = {:.0} records/s",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64()
    );
}

async fn pacing() {
    let per_minute = PER_MINUTE.to_string();
    let budget = format!("xero.per_minute={per_minute}");
    let host = harness::Host::start_with(&[("MOORING_RATE_BUDGETS", budget.as_str())]).await;
    let mut limits = host.sim.xero_rate_limits();
    limits.per_minute = PER_MINUTE;
    host.sim.set_xero_rate_limits(limits);
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::medium(), 2))
        .expect("generate");
    let id = host.connect("xero", &[&host.uk], None).await;
    let limited_before = host.sim.counters().rate_limited(None);
    let (records, calls, elapsed) = full_sync(&host, &id).await;
    let theoretical = Duration::from_secs_f64(calls as f64 * 60.0 / f64::from(PER_MINUTE));
    // The exact lower bound for a 60-second window: the first PER_MINUTE calls go at
    // once, then each further full budget needs another minute.
    let window_minimum = Duration::from_secs(calls.saturating_sub(1) / u64::from(PER_MINUTE) * 60);
    println!(
        "  exact sliding-window minimum {:.1} s; ratio {:.3}",
        window_minimum.as_secs_f64(),
        elapsed.as_secs_f64() / window_minimum.as_secs_f64().max(1.0)
    );
    println!("pacing (limits on: {PER_MINUTE} calls/min at the provider and in the host):");
    println!(
        "  {records} records, {calls} calls in {:.1} s; theoretical minimum calls ÷ budget = {:.1} s; ratio {:.3}; 429s sent by the provider: {}",
        elapsed.as_secs_f64(),
        theoretical.as_secs_f64(),
        elapsed.as_secs_f64() / theoretical.as_secs_f64(),
        host.sim.counters().rate_limited(None) - limited_before
    );
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    throughput().await;
    if std::env::args().any(|a| a == "--no-pacing") {
        return;
    }
    pacing().await;
}
