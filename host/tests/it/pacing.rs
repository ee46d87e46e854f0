//! Pacing at a provider's per-tenant minute limit, on the simulated clock: the host and
//! the Xero simulator both allow [`PER_MINUTE`] calls a minute, and every request and
//! every answer spends simulated time on the way (`set_xero_transit`), unevenly, so a
//! call *arrives*, and counts in the simulator's rolling window, after the host sent
//! it, and its answer comes back later still.
//!
//! A full sync is a burst of calls far beyond one minute's budget. It must be paced so
//! that the provider never refuses a call (a call the host starts the moment its own
//! window has room must find room at the provider, whose window counts arrivals), and
//! without losing a minute: its simulated length stays within the sliding-window
//! minimum (each further budget of calls needs another minute) plus the calls' own
//! transit, never a minute more.
//!
//! Nothing here waits for time to pass: the test moves the clock to the time the host
//! waits for (or a second on when it cannot see it), once the host has nothing left to
//! do at the current time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};

use crate::harness::Host;

/// Calls a minute at the simulator and in the host.
const PER_MINUTE: u32 = 4;
/// Simulated time each leg (request, answer) of a call spends on the way, in turn.
const TRANSIT_MS: &[u64] = &[400, 30, 250, 90, 10];

fn now(host: &Host) -> u64 {
    host.sim.clock().now_ms().max(0) as u64
}

/// Calls the simulator has seen, admitted or refused.
fn seen(host: &Host) -> u64 {
    let c = host.sim.counters();
    c.data_calls(&host.uk) + c.rate_limited(None)
}

/// Wait until the host has made no call for 100 ms of real time (at most 30 s).
async fn quiet(host: &Host, done: &AtomicBool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (mut last, mut still) = (seen(host), 0);
    while still < 10 && !done.load(Ordering::SeqCst) {
        assert!(
            std::time::Instant::now() < deadline,
            "the host never settles"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        let calls = seen(host);
        if calls == last {
            still += 1;
        } else {
            (last, still) = (calls, 0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_at_the_minute_limit_is_paced_without_a_429_or_an_extra_minute() {
    let budget = format!("xero.per_minute={PER_MINUTE}");
    let host = Host::start_with(&[("MOORING_RATE_BUDGETS", budget.as_str())]).await;
    host.sim.clock().freeze();
    let mut limits = host.sim.xero_rate_limits();
    limits.per_minute = PER_MINUTE;
    host.sim.set_xero_rate_limits(limits);
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::small(), 3))
        .expect("data");
    let id = host.connect("xero", &[&host.uk], None).await;
    // The burst starts on an empty minute.
    host.advance(Duration::from_secs(61));
    host.sim.set_xero_transit(TRANSIT_MS);
    let (calls_before, started) = (seen(&host), now(&host));
    let done = AtomicBool::new(false);
    let sync = async {
        let runs = host.app().sync.sync_connection(&id, None).await;
        done.store(true, Ordering::SeqCst);
        runs
    };
    let drive = async {
        let mut steps = 0u32;
        loop {
            quiet(&host, &done).await;
            if done.load(Ordering::SeqCst) {
                break;
            }
            let at = now(&host);
            let next = host
                .app()
                .sync
                .scheduler_status()
                .budget_wait_until
                .filter(|until| *until > at)
                .unwrap_or(at + 1_000);
            host.advance(Duration::from_millis(next - at));
            host.app().sync.wake_scheduler();
            steps += 1;
            assert!(steps < 2_000, "the sync does not end");
        }
    };
    let (runs, ()) = tokio::join!(sync, drive);
    let runs = runs.expect("sync");
    for run in &runs {
        assert!(run.error.is_none(), "{}: {:?}", run.stream, run.error);
    }
    let calls = seen(&host) - calls_before;
    let elapsed = now(&host) - started;
    assert!(
        calls > 3 * u64::from(PER_MINUTE),
        "a burst of several minutes' budget: {calls}"
    );
    assert_eq!(
        host.sim.counters().rate_limited(None),
        0,
        "the provider refused nothing"
    );
    // Sliding-window minimum: each further budget of calls needs another minute. On
    // top of it, the calls' own transit (every chain of calls a minute apart waits for
    // its predecessor's answer), well under a minute.
    let minimum = (calls - 1) / u64::from(PER_MINUTE) * 60_000;
    let transit: u64 = TRANSIT_MS.iter().sum::<u64>() * 2;
    println!("{calls} calls in {elapsed} ms of simulated time; minimum {minimum} ms");
    assert!(elapsed >= minimum, "{elapsed} ms for {calls} calls");
    assert!(
        elapsed <= minimum + 5 * transit + 15_000,
        "{elapsed} ms for {calls} calls at {PER_MINUTE}/min: the minimum is {minimum} ms"
    );
}
