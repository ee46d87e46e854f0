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

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::clock::{MINUTE, Millis};

/// The throttle; settable at start ([`crate::SimConfig::qbo_rate_limits`]) and at runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QboRateLimits {
    /// Requests per rolling minute per realm (QuickBooks: 500).
    pub per_minute: u32,
}

impl Default for QboRateLimits {
    fn default() -> Self {
        Self { per_minute: 500 }
    }
}

/// Calls of one realm in its current window.
#[derive(Clone, Debug, Serialize)]
pub struct RealmUsage {
    /// The realm id.
    pub realm_id: String,
    /// Calls in the rolling minute.
    pub minute: usize,
}

/// The windows of every realm.
#[derive(Debug, Default)]
pub(crate) struct QboRateState {
    pub(crate) limits: QboRateLimits,
    windows: HashMap<String, VecDeque<Millis>>,
}

impl QboRateState {
    pub(crate) fn new(limits: QboRateLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
        }
    }

    /// Counts a call on `realm` at `now` if the limit allows it; `false` = throttled.
    pub(crate) fn admit(&mut self, realm: &str, now: Millis) -> bool {
        let w = self.windows.entry(realm.to_owned()).or_default();
        while w.front().is_some_and(|t| *t <= now - MINUTE) {
            w.pop_front();
        }
        if w.len() >= self.limits.per_minute as usize {
            return false;
        }
        w.push_back(now);
        true
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
        let mut r = QboRateState::new(QboRateLimits { per_minute: 3 });
        let t = 1_000_000;
        assert!(r.admit("a", t) && r.admit("a", t + 10) && r.admit("a", t + 20));
        assert!(!r.admit("a", t + 30));
        assert!(r.admit("b", t + 30), "realms are separate");
        assert!(!r.admit("a", t + MINUTE - 1));
        assert!(r.admit("a", t + MINUTE), "the oldest call left the window");
        assert_eq!(r.usage(t + MINUTE)[0].minute, 3);
        r.reset();
        assert!(r.usage(t).is_empty());
    }
}
