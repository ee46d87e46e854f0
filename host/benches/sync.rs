//! End-to-end sync benchmark (`cargo bench -p mooring --bench sync`), against the Xero
//! simulator on loopback, through the real plugin, runtime, rate budgets and store:
//!
//! 1. **Throughput, limits off**: a full sync of a generated organisation with about
//!    100,000 journal lines; prints records/s.
//! 2. **Pacing, limits on (scaled down)**: the simulator and the host both allow
//!    `PER_MINUTE` calls a minute; prints the wall time against the theoretical
//!    minimum, calls ÷ budget (target ≤ 1.05×), and the 429s the provider had to send.
//!
//! After the full sync of (1), and again after a second, incremental sync (1% of the
//! open invoices touched and 0.5% voided in between), it prints the redb file's
//! allocated size (`st_blocks × 512`) per stored record (tombstones included), indexes
//! and every other table counted.
//!
//! **Host CPU.** The simulator runs on its own tokio runtime (threads named `sim`); the
//! host is reopened on a second runtime (threads named `host`) before the timed sync, so
//! the simulator's CPU can be told apart from the host's: host CPU = the process's CPU
//! (`/proc/self/stat`) minus the `sim` threads' (`/proc/self/task/*/schedstat`). Both
//! runtimes keep idle threads alive for the whole run, so no thread's time is lost.
//! It prints µs of host CPU per synced record.
//!
//! Needs the plugins: `cargo xtask build-plugins`.

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

/// Allocated size of the host's redb file (`st_blocks × 512`) and the number of records
/// (tombstones included) it holds for connection `id`.
fn disk_usage(host: &harness::Host, id: &str) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    let store = &host.app().store;
    let blocks = std::fs::metadata(store.path())
        .expect("database file metadata")
        .blocks();
    let records = store
        .streams(id)
        .expect("stream stats")
        .iter()
        .map(|(_, s)| s.live + s.tombstones)
        .sum();
    (blocks.saturating_mul(512), records)
}

/// Average size of the stored records' JSON, per record, over every stream of `id`.
fn average_record_bytes(host: &harness::Host, id: &str) -> f64 {
    let store = &host.app().store;
    let (mut bytes, mut records) = (0usize, 0usize);
    for (stream, _) in store.streams(id).expect("streams") {
        let mut after = 0;
        loop {
            let (page, next) = store
                .records_after(id, &stream, after, 1000)
                .expect("records");
            for (_, _, record) in &page {
                bytes += record.data.len();
                records += 1;
            }
            match next {
                Some(seq) => after = seq,
                None => break,
            }
        }
    }
    bytes as f64 / records.max(1) as f64
}

fn print_disk_usage(host: &harness::Host, id: &str, when: &str) {
    let (bytes, records) = disk_usage(host, id);
    println!(
        "  disk after {when}: {:.1} MB allocated for {records} records = {:.0} bytes/record (their JSON: {:.0} bytes/record)",
        bytes as f64 / 1e6,
        bytes as f64 / records.max(1) as f64,
        average_record_bytes(host, id)
    );
    if let Ok(space) = host.app().store.space() {
        println!(
            "    pages: {} allocated ({} leaf, {} branch) of {} B; stored {:.1} MB, metadata {:.1} MB, fragmented {:.1} MB",
            space.allocated_pages,
            space.leaf_pages,
            space.branch_pages,
            space.page_size,
            space.stored_bytes as f64 / 1e6,
            space.metadata_bytes as f64 / 1e6,
            space.fragmented_bytes as f64 / 1e6
        );
    }
}

/// Between the two syncs: 1% of the open invoices touched and 0.5% voided (each void
/// posts a reversing journal), so the incremental sync rewrites some records.
fn change_some_invoices(host: &harness::Host) {
    let truth = host.sim.xero_truth(&host.uk).expect("truth");
    let open: Vec<String> = truth
        .invoices
        .iter()
        .filter(|i| i["Status"] == "AUTHORISED")
        .filter_map(|i| i["InvoiceID"].as_str().map(str::to_owned))
        .collect();
    let touched = truth.invoices.len() / 100;
    let voided = truth.invoices.len() / 200;
    host.advance(Duration::from_secs(5));
    for invoice in open.iter().take(touched) {
        host.sim.touch_invoice(&host.uk, invoice).expect("touch");
    }
    // Only unpaid invoices can be voided: try the next open ones until enough were.
    let voidable = open.iter().skip(touched);
    let voided_now = voidable
        .filter(|invoice| host.sim.void_invoice(&host.uk, invoice).is_ok())
        .take(voided)
        .count();
    println!("  between the syncs: {touched} invoices touched, {voided_now} voided");
    host.advance(Duration::from_secs(5));
}

/// The two runtimes: the simulator's and the host's.
struct Runtimes {
    sim: tokio::runtime::Runtime,
    host: tokio::runtime::Runtime,
}

impl Runtimes {
    fn new() -> Self {
        let build = |name: &str| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(name)
                .thread_keep_alive(Duration::from_secs(24 * 3600))
                .enable_all()
                .build()
                .expect("runtime")
        };
        Self {
            sim: build("sim"),
            host: build("host"),
        }
    }
}

/// Drive `future` to completion on the host's runtime from a thread named `host-main`
/// (so that a profile by thread name sees the host alone, whatever polls the future).
fn on_host_thread<F: std::future::Future + Send>(rt: &Runtimes, future: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("host-main".into())
            .spawn_scoped(scope, || rt.host.block_on(future))
            .expect("thread")
            .join()
            .expect("host thread")
    })
}

fn throughput(rt: &Runtimes) {
    let mut host = rt.sim.block_on(harness::Host::start_with(&[(
        "MOORING_RATE_BUDGETS",
        "xero.per_minute=100000000,xero.per_day=100000000,xero.concurrency=100",
    )]));
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
    let id = rt.sim.block_on(host.connect("xero", &[&host.uk], None));
    // Reopen the host on its own runtime: from here on, everything the host does
    // (its HTTP client's connections included) runs on `host` threads.
    rt.host.block_on(host.restart());
    let (host_before, sim_before) = measure::cpu_split();
    let (records, calls, elapsed) = on_host_thread(rt, full_sync(&host, &id));
    let (host_after, sim_after) = measure::cpu_split();
    let host_cpu = host_after - host_before;
    println!("throughput (limits off): {summary:?}");
    println!(
        "  {records} records in {:.2} s over {calls} calls = {:.0} records/s",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  host CPU {host_cpu:.2} s = {:.1} µs/record; simulator CPU {:.2} s = {:.1} µs/record",
        host_cpu * 1e6 / records.max(1) as f64,
        sim_after - sim_before,
        (sim_after - sim_before) * 1e6 / records.max(1) as f64
    );
    print_disk_usage(&host, &id, "the full sync");
    change_some_invoices(&host);
    let (records, calls, elapsed) = on_host_thread(rt, full_sync(&host, &id));
    println!(
        "  incremental sync: {records} records changed in {:.2} s over {calls} calls",
        elapsed.as_secs_f64()
    );
    print_disk_usage(&host, &id, "an incremental sync");
}

fn pacing(rt: &Runtimes) {
    // `MOORING_BENCH_TRACE=<filter>` logs the host's budget decisions (e.g.
    // `mooring::runtime::capabilities::budget=debug,mooring::sync::fair=debug`).
    if let Ok(filter) = std::env::var("MOORING_BENCH_TRACE") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let per_minute = PER_MINUTE.to_string();
    let budget = format!("xero.per_minute={per_minute}");
    let mut host = rt.sim.block_on(harness::Host::start_with(&[(
        "MOORING_RATE_BUDGETS",
        budget.as_str(),
    )]));
    let mut limits = host.sim.xero_rate_limits();
    limits.per_minute = PER_MINUTE;
    host.sim.set_xero_rate_limits(limits);
    // `MOORING_BENCH_PACING_SIZE` (a preset: small, medium, large) sizes the paced
    // organisation; medium by default (about 70 calls, three minutes).
    let size = std::env::var("MOORING_BENCH_PACING_SIZE")
        .ok()
        .and_then(|name| OrgSize::preset(&name))
        .unwrap_or_else(OrgSize::medium);
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(size, 2))
        .expect("generate");
    let id = rt.sim.block_on(host.connect("xero", &[&host.uk], None));
    rt.host.block_on(host.restart());
    let limited_before = host.sim.counters().rate_limited(None);
    let (records, calls, elapsed) = on_host_thread(rt, full_sync(&host, &id));
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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = Runtimes::new();
    if std::env::args().any(|a| a == "--pacing-only") {
        pacing(&rt);
        return;
    }
    throughput(&rt);
    if std::env::args().any(|a| a == "--no-pacing") {
        return;
    }
    pacing(&rt);
}
