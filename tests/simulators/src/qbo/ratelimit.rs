//! QuickBooks Online's API throttle: 500 requests per minute per realm (Intuit's "API
//! call limits and throttles" page, PROVIDERS.md B4), counted over every app's
//! authenticated calls to the company (CompanyInfo and query alike).
//!
//! Over the limit: **429 with the XML fault 3001 `ThrottleExceeded` even when JSON was
//! asked for**, and no `Retry-After` (PROVIDERS.md B4 / B5 quirk 3; QuickBooks-V3-PHP-SDK
//! #54, python-quickbooks#43; body in reference/observed/quickbooks_error_bodies.json).
//! The window is a rolling 60 s on the simulator clock (Intuit does not say whether it
//! is rolling or fixed; rolling never lets a burst of 2×limit through). A refused call
//! does not count; nor do calls refused for authentication.
//!
//! Concurrency: at most 10 calls in progress per realm (Intuit's older limits page: "10
//! concurrent requests per realm and app" → 429); over it, the same 429 XML 3001.
//! Calls are instant unless [`QboRateLimits::latency_ms`] makes each admitted call last
//! that long, so that concurrent calls overlap. [`QboRateLimits::unlimited`] turns both
//! limits off for fast tests; `per_minute` can be scaled down to make throttling cheap
//! to reach.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::clock::{MINUTE, Millis};

/// The throttle; settable at start ([`crate::SimConfig::qbo_rate_limits`]) and at runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QboRateLimits {
    /// Requests per rolling minute per realm (QuickBooks: 500).
    pub per_minute: u32,
    /// Requests in progress per realm (QuickBooks: 10).
    pub concurrent: u32,
    /// How long every admitted data call takes, in milliseconds of real time (0: instant).
    pub latency_ms: u64,
}

impl Default for QboRateLimits {
    fn default() -> Self {
        Self {
            per_minute: 500,
            concurrent: 10,
            latency_ms: 0,
        }
    }
}

impl QboRateLimits {
    /// No minute or concurrency limit, no latency.
    pub fn unlimited() -> Self {
        Self {
            per_minute: u32::MAX,
            concurrent: u32::MAX,
            latency_ms: 0,
        }
    }
}

/// Which limit refused a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
    /// 500 per rolling minute.
    Minute,
    /// 10 in progress.
    Concurrent,
}

/// Calls of one realm in its current window.
#[derive(Clone, Debug, Serialize)]
pub struct RealmUsage {
    /// The realm id.
    pub realm_id: String,
    /// Calls in the rolling minute.
    pub minute: usize,
    /// Calls in progress.
    pub in_flight: u32,
}

/// The windows of every realm.
#[derive(Debug, Default)]
pub(crate) struct QboRateState {
    pub(crate) limits: QboRateLimits,
    windows: HashMap<String, VecDeque<Millis>>,
    in_flight: HashMap<String, u32>,
}

impl QboRateState {
    pub(crate) fn new(limits: QboRateLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
            in_flight: HashMap::new(),
        }
    }

    /// Counts a call on `realm` at `now` if the limits allow it (minute first, then
    /// concurrency); an admitted call is in progress until [`Self::release`].
    pub(crate) fn admit(&mut self, realm: &str, now: Millis) -> Result<(), Exceeded> {
        let w = self.windows.entry(realm.to_owned()).or_default();
        while w.front().is_some_and(|t| *t <= now - MINUTE) {
            w.pop_front();
        }
        if w.len() >= self.limits.per_minute as usize {
            return Err(Exceeded::Minute);
        }
        let busy = self.in_flight.entry(realm.to_owned()).or_default();
        if *busy >= self.limits.concurrent {
            return Err(Exceeded::Concurrent);
        }
        *busy += 1;
        w.push_back(now);
        Ok(())
    }

    /// Ends a call admitted on `realm`.
    pub(crate) fn release(&mut self, realm: &str) {
        if let Some(n) = self.in_flight.get_mut(realm) {
            *n = n.saturating_sub(1);
        }
    }

    /// Empties every window.
    pub(crate) fn reset(&mut self) {
        self.windows.clear();
    }

    /// Calls per realm in the current rolling minute.
    pub(crate) fn usage(&self, now: Millis) -> Vec<RealmUsage> {
        let mut out: Vec<RealmUsage> = self
            .windows
            .iter()
            .map(|(realm, w)| RealmUsage {
                realm_id: realm.clone(),
                minute: w.iter().filter(|t| **t > now - MINUTE).count(),
                in_flight: self.in_flight.get(realm).copied().unwrap_or(0),
            })
            .collect();
        out.sort_by(|a, b| a.realm_id.cmp(&b.realm_id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_minute_per_realm() {
        let mut r = QboRateState::new(QboRateLimits {
            per_minute: 3,
            ..QboRateLimits::unlimited()
        });
        let t = 1_000_000;
        assert!(r.admit("a", t).is_ok() && r.admit("a", t + 10).is_ok());
        assert!(r.admit("a", t + 20).is_ok());
        assert_eq!(r.admit("a", t + 30), Err(Exceeded::Minute));
        assert!(r.admit("b", t + 30).is_ok(), "realms are separate");
        assert!(r.admit("a", t + MINUTE - 1).is_err());
        assert!(
            r.admit("a", t + MINUTE).is_ok(),
            "the oldest call left the window"
        );
        assert_eq!(r.usage(t + MINUTE)[0].minute, 3);
        r.reset();
        assert!(r.usage(t).is_empty());
    }

    #[test]
    fn concurrent_calls_per_realm() {
        let mut r = QboRateState::new(QboRateLimits {
            concurrent: 2,
            ..QboRateLimits::default()
        });
        assert!(r.admit("a", 0).is_ok() && r.admit("a", 1).is_ok());
        assert_eq!(r.admit("a", 2), Err(Exceeded::Concurrent));
        assert!(r.admit("b", 2).is_ok());
        r.release("a");
        assert!(r.admit("a", 3).is_ok());
        assert_eq!(r.usage(3)[0].in_flight, 2);
        assert_eq!(r.usage(3)[0].minute, 3, "a refused call does not count");
    }
}
