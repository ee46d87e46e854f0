//! Time accounting of one plugin call, shared between its Store (the epoch callback and
//! the capabilities) and the wall-clock watchdog around it.
//!
//! Two budgets use it:
//!
//! - **CPU** ([`RuntimeLimits::cpu_millis`](super::RuntimeLimits::cpu_millis)): time the
//!   guest spends *running*. The epoch callback yields to tokio at every tick (so a busy
//!   guest never holds a worker for more than one [`EPOCH_TICK`](super::engine::EPOCH_TICK)),
//!   and the time from that yield until tokio polls the call again is recorded here and
//!   excluded, as is time in host calls (`HostState::host_time`).
//! - **Wall** ([`RuntimeLimits::wall_millis`](super::RuntimeLimits::wall_millis)): the
//!   whole call, host calls included, *except* the time it waited on the tenant's rate
//!   budget or on a provider's `Retry-After`. Those waits move the deadline
//!   ([`within_wall_limit`]) instead of failing the call: the host chose to wait, the
//!   plugin did not stall.
//!
//! ## Why wall time on the worker, not the thread's CPU clock
//!
//! The guest's CPU time is measured as wall time minus the intervals in which it cannot
//! run (host calls and yields), rather than with `CLOCK_THREAD_CPUTIME_ID`:
//!
//! - the guest's fiber moves between tokio workers at every suspension (a yield or a
//!   host call), so a per-thread CPU clock would have to be re-read at every resume point
//!   of every import, or it would mix in other tasks' work on that thread;
//! - a thread CPU clock is a system call on Linux, while `Instant::now` is a vDSO read:
//!   the accounting here adds nothing to a call that does not reach a tick;
//! - the intervals excluded are exactly the ones tokio can cause (waiting to be polled
//!   after a yield or a host call). What remains counted is time on a worker thread,
//!   including the rare OS preemption of that thread, which errs on the strict side.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Nanoseconds as a `u64`, saturating (584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The shared time ledger of one call.
#[derive(Debug)]
pub(crate) struct CallTiming {
    /// The call's start; `waiting_since` is relative to it.
    origin: Instant,
    /// Total time suspended at epoch yields, waiting for tokio to poll the call again.
    yielded_nanos: AtomicU64,
    /// Total time of finished rate-limit and `Retry-After` waits.
    excused_nanos: AtomicU64,
    /// Start of the rate wait in progress, as nanoseconds since `origin` plus one;
    /// zero when the call is not waiting.
    waiting_since: AtomicU64,
}

impl Default for CallTiming {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            yielded_nanos: AtomicU64::new(0),
            excused_nanos: AtomicU64::new(0),
            waiting_since: AtomicU64::new(0),
        }
    }
}

impl CallTiming {
    /// Time the call spent suspended at epoch yields so far.
    pub(crate) fn yielded(&self) -> Duration {
        Duration::from_nanos(self.yielded_nanos.load(Ordering::Relaxed))
    }

    /// The future the epoch callback returns: yield to tokio once (to the back of the
    /// worker's queue, letting it poll its I/O driver), recording how long the call
    /// waited to be polled again.
    pub(crate) fn yield_to_tokio(self: &Arc<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let timing = self.clone();
        Box::pin(async move {
            let parked = Instant::now();
            tokio::task::yield_now().await;
            timing
                .yielded_nanos
                .fetch_add(nanos(parked.elapsed()), Ordering::Relaxed);
        })
    }

    /// A rate-limit or `Retry-After` wait begins: the wall deadline stops running.
    pub(crate) fn begin_wait(&self) {
        let since = nanos(self.origin.elapsed()).saturating_add(1);
        self.waiting_since.store(since, Ordering::Relaxed);
    }

    /// The wait that [`begin_wait`](Self::begin_wait) started is over: its length is
    /// excused from the wall limit for good.
    pub(crate) fn end_wait(&self) {
        let since = self.waiting_since.swap(0, Ordering::Relaxed);
        if since > 0 {
            let waited = nanos(self.origin.elapsed()).saturating_sub(since - 1);
            self.excused_nanos.fetch_add(waited, Ordering::Relaxed);
        }
    }

    /// Time excused from the wall limit so far, the wait in progress included.
    pub(crate) fn excused(&self) -> Duration {
        let done = self.excused_nanos.load(Ordering::Relaxed);
        let since = self.waiting_since.load(Ordering::Relaxed);
        let running = match since {
            0 => 0,
            since => nanos(self.origin.elapsed()).saturating_sub(since - 1),
        };
        Duration::from_nanos(done.saturating_add(running))
    }
}

/// Run `call` until it finishes or its wall deadline passes, whichever comes first.
///
/// The deadline is `start + limit + excused`, re-read whenever the timer fires, so
/// rate waits move it while they happen; `None` means the deadline passed. Cost on a
/// call that finishes in time: one timer registration, as `tokio::time::timeout`.
pub(crate) async fn within_wall_limit<F: Future>(
    limit: Duration,
    timing: &CallTiming,
    call: F,
) -> Option<F::Output> {
    let start = tokio::time::Instant::now();
    let deadline = |excused: Duration| {
        start
            .checked_add(limit.saturating_add(excused))
            .unwrap_or_else(|| start + Duration::from_secs(86_400 * 365))
    };
    let sleep = tokio::time::sleep_until(deadline(Duration::ZERO));
    tokio::pin!(call, sleep);
    loop {
        tokio::select! {
            biased;
            output = &mut call => return Some(output),
            () = &mut sleep => {
                let moved = deadline(timing.excused());
                if tokio::time::Instant::now() >= moved {
                    return None;
                }
                sleep.as_mut().reset(moved);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rate_wait_moves_the_deadline_and_plain_slowness_does_not() {
        let timing = Arc::new(CallTiming::default());
        let limit = Duration::from_millis(100);
        // 250 ms, of which 200 ms are a rate wait: 50 ms counted, within the limit.
        let waits = timing.clone();
        let patient = within_wall_limit(limit, &timing, async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            waits.begin_wait();
            tokio::time::sleep(Duration::from_millis(200)).await;
            waits.end_wait();
            tokio::time::sleep(Duration::from_millis(30)).await;
            "done"
        })
        .await;
        assert_eq!(patient, Some("done"));
        assert!(timing.excused() >= Duration::from_millis(200));
        // The same 250 ms without a rate wait exceeds the limit.
        let plain = CallTiming::default();
        let slow = within_wall_limit(limit, &plain, async {
            tokio::time::sleep(Duration::from_millis(250)).await;
        })
        .await;
        assert_eq!(slow, None);
    }

    #[tokio::test]
    async fn yields_are_recorded() {
        let timing = Arc::new(CallTiming::default());
        timing.yield_to_tokio().await;
        timing.yield_to_tokio().await;
        assert!(timing.yielded() < Duration::from_secs(1));
        assert_eq!(timing.excused(), Duration::ZERO);
        timing.end_wait();
        assert_eq!(timing.excused(), Duration::ZERO, "no wait was in progress");
    }
}
