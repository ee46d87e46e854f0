//! Transient failures: which failed page calls are worth retrying, how long to wait
//! before each retry (jittered exponential backoff, bounded), and when a connection
//! whose runs keep failing is `degraded` and retried later by the scheduler.
//!
//! Waits are measured on the host's clock (injectable), re-checked at least every
//! [`RECHECK`] of real time, so tests move time instead of waiting, and they end early
//! when the host shuts down.

use std::time::Duration;

use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::runtime::CallError;
use crate::runtime::types::ConnectorError;

/// Retries of one failed page within a run (so a page is tried at most 4 times).
pub const PAGE_RETRIES: u32 = 3;
/// The first retry waits about this long (ms); each further retry doubles it.
pub const PAGE_RETRY_BASE_MS: u64 = 1_000;
/// No single page retry waits longer than this (ms).
pub const PAGE_RETRY_CAP_MS: u64 = 30_000;
/// Failed runs in a row (of one stream, after their page retries) that make the
/// connection `degraded`.
pub const DEGRADE_AFTER_FAILED_RUNS: u32 = 3;
/// A degraded connection's first scheduled retry waits about this long (ms); each run
/// that fails again doubles it.
pub const RUN_RETRY_BASE_MS: u64 = 60_000;
/// A degraded connection is retried at least this often (ms).
pub const RUN_RETRY_CAP_MS: u64 = 3_600_000;
/// Longest real sleep between two looks at the clock while waiting.
pub const RECHECK: Duration = Duration::from_millis(250);

/// Whether a failed page call may succeed if tried again: the plugin's `transient`
/// (5xx, timeouts and connection resets, as plugins classify them) or a call that ran
/// out of wall time. Rate limits, reauthorisation, missing scopes, invalid data and
/// guest faults are not retried here.
pub fn is_transient(error: &CallError) -> bool {
    matches!(
        error,
        CallError::Connector(ConnectorError::Transient(_)) | CallError::WallTimeout { .. }
    )
}

/// The wait (ms) before retry number `attempt` (1-based): `base · 2^(attempt-1)`
/// capped at `cap`, of which the upper half is random ("equal jitter"), so clients that
/// failed together do not retry together.
pub fn backoff_ms(attempt: u32, base: u64, cap: u64) -> u64 {
    let exponent = attempt.saturating_sub(1).min(32);
    let full = base.saturating_mul(1u64 << exponent).min(cap);
    let half = full / 2;
    let jitter = if half == 0 {
        0
    } else {
        rand::random::<u64>() % half.saturating_add(1)
    };
    full.saturating_sub(half).saturating_add(jitter)
}

/// Wait until `clock` reads `until_ms` or later. Returns `false` (early) when
/// `stopping` says the host is shutting down.
pub async fn wait_until(
    clock: &SharedClock,
    until_ms: u64,
    stopping: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        if *stopping.borrow() {
            return false;
        }
        let now = clock.now_millis();
        if now >= until_ms {
            return true;
        }
        let nap = Duration::from_millis(until_ms.saturating_sub(now)).min(RECHECK);
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            changed = stopping.changed() => {
                if changed.is_err() {
                    // The sender is gone: nobody can ask to stop any more; keep waiting.
                    tokio::time::sleep(nap).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn backoff_grows_jittered_and_bounded() {
        for _ in 0..200 {
            let first = backoff_ms(1, 1_000, 30_000);
            assert!((500..=1_000).contains(&first), "{first}");
            let third = backoff_ms(3, 1_000, 30_000);
            assert!((2_000..=4_000).contains(&third), "{third}");
            let late = backoff_ms(40, 1_000, 30_000);
            assert!((15_000..=30_000).contains(&late), "{late}");
            assert!(backoff_ms(u32::MAX, u64::MAX, u64::MAX) >= u64::MAX / 2);
        }
        assert_eq!(backoff_ms(1, 0, 30_000), 0);
    }

    #[test]
    fn only_passing_failures_are_retried() {
        assert!(is_transient(&CallError::Connector(
            ConnectorError::Transient("the provider failed to answer (HTTP 503)".into())
        )));
        assert!(is_transient(&CallError::WallTimeout { limit_millis: 1 }));
        assert!(!is_transient(&CallError::Connector(
            ConnectorError::RateLimited(5)
        )));
        assert!(!is_transient(&CallError::Connector(
            ConnectorError::ReauthRequired("x".into())
        )));
        assert!(!is_transient(&CallError::Connector(
            ConnectorError::InvalidData("x".into())
        )));
        assert!(!is_transient(&CallError::CpuLimit { budget_millis: 1 }));
    }

    #[tokio::test]
    async fn waits_on_the_injectable_clock_and_stops_on_shutdown() {
        let clock = ManualClock::new(1_000);
        let shared: SharedClock = Arc::new(clock.clone());
        let (stop, mut stopping) = watch::channel(false);
        let mover = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            clock.advance(Duration::from_secs(30));
        });
        let started = std::time::Instant::now();
        assert!(wait_until(&shared, 31_000, &mut stopping).await);
        assert!(started.elapsed() < Duration::from_secs(2));
        mover.await.ok();
        let waiter = tokio::spawn({
            let shared = shared.clone();
            let mut stopping = stopping.clone();
            async move { wait_until(&shared, u64::MAX, &mut stopping).await }
        });
        stop.send_replace(true);
        assert!(!waiter.await.unwrap_or(true));
    }
}
