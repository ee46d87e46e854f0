//! The injectable clock every expiry in the simulators is measured against.
//!
//! Auth codes, access tokens, refresh-token idle limits, grace windows and rolling
//! lifetimes all read [`Clock::now_ms`], so a test can jump 31 minutes or 61 days with
//! [`Clock::advance`] instead of waiting.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: the simulators' unit of time.
pub type Millis = i64;

/// One second, in [`Millis`].
pub const SECOND: Millis = 1_000;
/// One minute, in [`Millis`].
pub const MINUTE: Millis = 60 * SECOND;
/// One hour, in [`Millis`].
pub const HOUR: Millis = 60 * MINUTE;
/// One day, in [`Millis`].
pub const DAY: Millis = 24 * HOUR;

/// The clock never reads later than 9999-12-31T23:59:59.999Z ...
pub const MAX_MS: Millis = 253_402_300_799_999;
/// ... nor earlier than 0001-01-01T00:00:00Z, so expiry arithmetic cannot overflow.
pub const MIN_MS: Millis = -62_135_596_800_000;

fn clamp(ms: Millis) -> Millis {
    ms.clamp(MIN_MS, MAX_MS)
}

#[derive(Debug)]
struct ClockInner {
    /// Added to the real time while the clock runs.
    offset_ms: i64,
    /// When set, the clock stands still at this instant.
    frozen_at: Option<Millis>,
}

/// A shareable clock: either the real time plus an offset, or frozen at an instant.
///
/// Cloning gives another handle on the same clock.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Mutex<ClockInner>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::real()
    }
}

impl Clock {
    /// A clock that follows the real time (until advanced, set or frozen).
    pub fn real() -> Self {
        Self {
            inner: Arc::new(Mutex::new(ClockInner {
                offset_ms: 0,
                frozen_at: None,
            })),
        }
    }

    /// A clock standing still at `at`; it moves only through [`advance`](Self::advance)
    /// and [`set`](Self::set).
    pub fn frozen_at(at: SystemTime) -> Self {
        let clock = Self::real();
        clock.lock().frozen_at = Some(clamp(system_to_ms(at)));
        clock
    }

    fn lock(&self) -> MutexGuard<'_, ClockInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulated time, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> Millis {
        let inner = self.lock();
        clamp(match inner.frozen_at {
            Some(t) => t,
            None => real_now_ms().saturating_add(inner.offset_ms),
        })
    }

    /// The simulated time as a [`SystemTime`].
    pub fn now(&self) -> SystemTime {
        ms_to_system(self.now_ms())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.advance_ms(i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4));
    }

    /// Moves the clock by a signed number of milliseconds (negative goes back).
    pub fn advance_ms(&self, by: Millis) {
        let mut inner = self.lock();
        match inner.frozen_at.as_mut() {
            Some(t) => *t = clamp(t.saturating_add(by)),
            None => inner.offset_ms = clamp(inner.offset_ms.saturating_add(by)),
        }
    }

    /// Sets the clock to `at` (it keeps running from there unless frozen).
    pub fn set(&self, at: SystemTime) {
        self.set_ms(system_to_ms(at));
    }

    /// Sets the clock to `at_ms` milliseconds since the epoch.
    pub fn set_ms(&self, at_ms: Millis) {
        let at_ms = clamp(at_ms);
        let mut inner = self.lock();
        match inner.frozen_at.as_mut() {
            Some(t) => *t = at_ms,
            None => inner.offset_ms = at_ms - real_now_ms(),
        }
    }

    /// Stops the clock at its current reading.
    pub fn freeze(&self) {
        let now = self.now_ms();
        self.lock().frozen_at = Some(now);
    }

    /// Lets a frozen clock run again from its current reading.
    pub fn resume(&self) {
        let mut inner = self.lock();
        if let Some(t) = inner.frozen_at.take() {
            inner.offset_ms = t - real_now_ms();
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.lock().frozen_at.is_some()
    }
}

/// The real wall-clock time in milliseconds since the epoch.
pub fn real_now_ms() -> Millis {
    system_to_ms(SystemTime::now())
}

/// Converts a [`SystemTime`] to [`Millis`] (negative before 1970).
pub fn system_to_ms(t: SystemTime) -> Millis {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Converts [`Millis`] to a [`SystemTime`].
pub fn ms_to_system(ms: Millis) -> SystemTime {
    let d = Duration::from_millis(ms.unsigned_abs());
    let t = if ms >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    };
    t.unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::frozen_at(ms_to_system(1_000_000));
        assert_eq!(c.now_ms(), 1_000_000);
        c.advance(Duration::from_secs(60));
        assert_eq!(c.now_ms(), 1_060_000);
        c.set_ms(5);
        assert_eq!(c.now_ms(), 5);
    }

    #[test]
    fn extreme_settings_are_clamped() {
        let c = Clock::real();
        c.set_ms(i64::MAX);
        assert_eq!(c.now_ms(), MAX_MS);
        c.advance_ms(i64::MIN);
        assert!(c.now_ms() >= MIN_MS);
    }

    #[test]
    fn running_clock_keeps_offset() {
        let c = Clock::real();
        c.advance_ms(DAY);
        let diff = c.now_ms() - real_now_ms();
        assert!((DAY - 1_000..=DAY + 1_000).contains(&diff));
    }
}
