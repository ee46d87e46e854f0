//! Xero's API limits (xero-node#634, maintainer text): per app and tenant 5 concurrent
//! calls, 60 calls per minute and 5,000 per day; per app 10,000 calls per minute.
//!
//! Windows (all on the simulator clock):
//! - minute limits are *rolling* 60-second windows ("more than 60 api calls in a rolling
//!   60 sec window", Xero-NetStandard#183); `Retry-After` is the time until the oldest
//!   call in the window leaves it. A call counts from when it *arrives* (is admitted),
//!   not from when a client sent it: a client that starts a call the moment its own
//!   count of sent calls frees a place can still be refused, so a client's window must
//!   keep a call until a minute after its answer;
//! - the daily limit is a *fixed* 24-hour window that resets at a per-tenant time (the
//!   organisation's creation time of day), so `Retry-After` can be tens of thousands of
//!   seconds;
//! - the concurrency limit counts calls in progress (see `SimControl::set_xero_latency`
//!   to make calls last long enough to overlap); its 429 carries no `Retry-After`.
//!
//! A refused call does not consume quota. Checks run in the order day, minute, app
//! minute, concurrent; the first exceeded limit names the `X-Rate-Limit-Problem`.
//!
//! One tenant may have limits of its own (`SimControl::set_xero_tenant_rate_limits`):
//! organisations on different plans get different allowances (PROVIDERS.md A4: 1,000
//! calls a day on the Starter tier), and a test can throttle one tenant hard.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::clock::{DAY, MINUTE, Millis};

/// The limits; settable at start ([`crate::SimConfig::xero_rate_limits`]) and at runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Calls per rolling minute per app and tenant (Xero: 60).
    pub per_minute: u32,
    /// Calls per daily window per app and tenant (Xero: 5,000; 1,000 on Starter).
    pub per_day: u32,
    /// Calls in progress per app and tenant (Xero: 5).
    pub concurrent: u32,
    /// Calls per rolling minute per app, all tenants (Xero: 10,000).
    pub app_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_minute: 60,
            per_day: 5_000,
            concurrent: 5,
            app_per_minute: 10_000,
        }
    }
}

/// Which limit refused a call (the `X-Rate-Limit-Problem` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RateProblem {
    /// Per-tenant daily limit.
    Day,
    /// Per-tenant minute limit.
    Minute,
    /// App-wide minute limit.
    #[serde(rename = "appminute")]
    AppMinute,
    /// Per-tenant concurrency limit.
    Concurrent,
}

impl RateProblem {
    /// The header value: `day`, `minute`, `appminute`, `concurrent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Minute => "minute",
            Self::AppMinute => "appminute",
            Self::Concurrent => "concurrent",
        }
    }
}

/// What the `X-*Limit-Remaining` headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Remaining {
    /// `X-DayLimit-Remaining`.
    pub day: u32,
    /// `X-MinLimit-Remaining`.
    pub minute: u32,
    /// `X-AppMinLimit-Remaining`.
    pub app_minute: u32,
}

/// The outcome of one call against the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Counted; the call proceeds (and holds a concurrency slot until released).
    Admit(Remaining),
    /// Refused with 429.
    Reject {
        /// Which limit.
        problem: RateProblem,
        /// `Retry-After` seconds (none for `concurrent`).
        retry_after: Option<i64>,
        /// Remaining counts (this call not counted).
        remaining: Remaining,
    },
}

#[derive(Debug, Default)]
struct TenantWindow {
    minute: VecDeque<Millis>,
    day_index: i64,
    day_count: u32,
    in_flight: u32,
}

/// Usage of one (app, tenant) pair, for `/_sim/xero/rate-limits`.
#[derive(Clone, Debug, Serialize)]
pub struct TenantUsage {
    /// App.
    pub client_id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Calls in the current rolling minute.
    pub minute: usize,
    /// Calls in the current daily window.
    pub day: u32,
    /// Calls in progress.
    pub in_flight: u32,
}

/// Counters of every window.
#[derive(Debug, Default)]
pub(crate) struct RateState {
    pub(crate) limits: RateLimits,
    /// Per-tenant limits replacing `limits` (except the app-wide minute).
    pub(crate) tenant_limits: HashMap<String, RateLimits>,
    tenants: HashMap<(String, String), TenantWindow>,
    apps: HashMap<String, VecDeque<Millis>>,
}

fn prune(q: &mut VecDeque<Millis>, now: Millis) {
    while q.front().is_some_and(|&t| t <= now - MINUTE) {
        q.pop_front();
    }
}

fn seconds_until(at: Millis, now: Millis) -> i64 {
    ((at - now).max(1) + 999) / 1_000
}

impl RateState {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Counts a call of `client` on `tenant` (daily window anchored at `anchor`), or
    /// refuses it.
    pub(crate) fn admit(
        &mut self,
        client: &str,
        tenant: &str,
        anchor: Millis,
        now: Millis,
    ) -> Decision {
        let l = match self.tenant_limits.get(tenant) {
            Some(own) => RateLimits {
                app_per_minute: self.limits.app_per_minute,
                ..*own
            },
            None => self.limits,
        };
        let app = self.apps.entry(client.to_owned()).or_default();
        prune(app, now);
        let w = self
            .tenants
            .entry((client.to_owned(), tenant.to_owned()))
            .or_default();
        prune(&mut w.minute, now);
        let day_index = (now - anchor).div_euclid(DAY);
        if w.day_index != day_index {
            w.day_index = day_index;
            w.day_count = 0;
        }
        let remaining = |w: &TenantWindow, app: &VecDeque<Millis>| Remaining {
            day: l.per_day.saturating_sub(w.day_count),
            minute: l
                .per_minute
                .saturating_sub(u32::try_from(w.minute.len()).unwrap_or(u32::MAX)),
            app_minute: l
                .app_per_minute
                .saturating_sub(u32::try_from(app.len()).unwrap_or(u32::MAX)),
        };
        let refused = if w.day_count >= l.per_day {
            let reset = anchor + (day_index + 1) * DAY;
            Some((RateProblem::Day, Some(seconds_until(reset, now))))
        } else if w.minute.len() >= l.per_minute as usize {
            let oldest = w.minute.front().copied().unwrap_or(now);
            Some((
                RateProblem::Minute,
                Some(seconds_until(oldest + MINUTE, now).min(60)),
            ))
        } else if app.len() >= l.app_per_minute as usize {
            let oldest = app.front().copied().unwrap_or(now);
            Some((
                RateProblem::AppMinute,
                Some(seconds_until(oldest + MINUTE, now).min(60)),
            ))
        } else if w.in_flight >= l.concurrent {
            Some((RateProblem::Concurrent, None))
        } else {
            None
        };
        if let Some((problem, retry_after)) = refused {
            return Decision::Reject {
                problem,
                retry_after,
                remaining: remaining(w, app),
            };
        }
        w.day_count += 1;
        w.minute.push_back(now);
        w.in_flight += 1;
        app.push_back(now);
        Decision::Admit(remaining(w, app))
    }

    /// Frees the concurrency slot of an admitted call.
    pub(crate) fn release(&mut self, client: &str, tenant: &str) {
        if let Some(w) = self
            .tenants
            .get_mut(&(client.to_owned(), tenant.to_owned()))
        {
            w.in_flight = w.in_flight.saturating_sub(1);
        }
    }

    /// Counts a tenantless call (`/connections`) against the app minute; returns what
    /// `X-AppMinLimit-Remaining` says.
    pub(crate) fn app_call(&mut self, client: &str, now: Millis) -> u32 {
        let app = self.apps.entry(client.to_owned()).or_default();
        prune(app, now);
        app.push_back(now);
        self.limits
            .app_per_minute
            .saturating_sub(u32::try_from(app.len()).unwrap_or(u32::MAX))
    }

    /// Like [`app_call`](Self::app_call), but refuses the call when the app minute is
    /// spent: `Err(retry_after_seconds)` (the oldest call's exit from the window), not
    /// counted; a tenantless call is limited only app-wide.
    pub(crate) fn try_app_call(&mut self, client: &str, now: Millis) -> Result<u32, i64> {
        let app = self.apps.entry(client.to_owned()).or_default();
        prune(app, now);
        if app.len() >= self.limits.app_per_minute as usize {
            let oldest = app.front().copied().unwrap_or(now);
            return Err(seconds_until(oldest + MINUTE, now).min(60));
        }
        Ok(self.app_call(client, now))
    }

    /// Forgets every window (not the in-progress counts).
    pub(crate) fn reset_windows(&mut self) {
        self.apps.clear();
        for w in self.tenants.values_mut() {
            w.minute.clear();
            w.day_count = 0;
        }
    }

    /// Current usage per (app, tenant), sorted.
    pub(crate) fn usage(&mut self, now: Millis) -> Vec<TenantUsage> {
        let mut out: Vec<TenantUsage> = self
            .tenants
            .iter_mut()
            .map(|((client, tenant), w)| {
                prune(&mut w.minute, now);
                TenantUsage {
                    client_id: client.clone(),
                    tenant_id: tenant.clone(),
                    minute: w.minute.len(),
                    day: w.day_count,
                    in_flight: w.in_flight,
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.client_id, &a.tenant_id).cmp(&(&b.client_id, &b.tenant_id)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let mut r = RateState::new(RateLimits {
            per_minute: 2,
            per_day: 3,
            concurrent: 1,
            app_per_minute: 100,
        });
        let t0 = 10 * DAY + 5_000;
        assert!(matches!(
            r.admit("a", "t", 0, t0),
            Decision::Admit(Remaining {
                day: 2,
                minute: 1,
                ..
            })
        ));
        // Concurrency: the first call is still in progress.
        assert!(matches!(
            r.admit("a", "t", 0, t0),
            Decision::Reject {
                problem: RateProblem::Concurrent,
                retry_after: None,
                ..
            }
        ));
        r.release("a", "t");
        assert!(matches!(
            r.admit("a", "t", 0, t0 + 10_000),
            Decision::Admit(_)
        ));
        r.release("a", "t");
        match r.admit("a", "t", 0, t0 + 20_000) {
            Decision::Reject {
                problem: RateProblem::Minute,
                retry_after: Some(40),
                remaining,
            } => {
                assert_eq!(remaining.minute, 0)
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            r.admit("a", "t", 0, t0 + 60_001),
            Decision::Admit(_)
        ));
        r.release("a", "t");
        match r.admit("a", "t", 0, t0 + 200_000) {
            Decision::Reject {
                problem: RateProblem::Day,
                retry_after: Some(s),
                ..
            } => {
                assert_eq!(s, (DAY - 205_000) / 1_000)
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(r.admit("a", "t", 0, 11 * DAY), Decision::Admit(_)));
        assert_eq!(r.app_call("a", 11 * DAY), 98);
        // Tenantless calls are refused once the app minute is spent, and not counted.
        r.limits.app_per_minute = 3;
        assert_eq!(r.try_app_call("a", 11 * DAY + 1), Ok(0));
        assert_eq!(r.try_app_call("a", 11 * DAY + 1_000), Err(59));
        assert_eq!(r.try_app_call("a", 12 * DAY), Ok(2));
    }

    #[test]
    fn one_tenant_may_have_limits_of_its_own() {
        let mut r = RateState::new(RateLimits::default());
        r.tenant_limits.insert(
            "slow".into(),
            RateLimits {
                per_minute: 1,
                app_per_minute: 1,
                ..RateLimits::default()
            },
        );
        let t0 = 10 * DAY;
        assert!(matches!(
            r.admit("a", "slow", 0, t0),
            Decision::Admit(Remaining { minute: 0, .. })
        ));
        r.release("a", "slow");
        assert!(matches!(
            r.admit("a", "slow", 0, t0 + 1_000),
            Decision::Reject {
                problem: RateProblem::Minute,
                retry_after: Some(59),
                ..
            }
        ));
        // Other tenants keep the common limits, and the app-wide minute stays shared.
        for _ in 0..5 {
            assert!(matches!(
                r.admit("a", "fast", 0, t0 + 1_000),
                Decision::Admit(_)
            ));
            r.release("a", "fast");
        }
    }
}
