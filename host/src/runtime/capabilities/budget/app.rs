//! App-wide budgets: one per (plugin, integration), since an integration is one OAuth
//! app at its provider and a provider may limit an app across all its tenants (say,
//! so many calls a minute). The host knows no such number: the budget is fed only by
//! the app-level remaining-count header the manifest names
//! (`rate-budget.app-minute-remaining-header`), so it also sees calls made by other
//! hosts of the same app.
//!
//! **Counting.** The newest report says `remaining` calls are left at time `at`; until
//! that report is a minute old, at most `remaining` calls start after it (the calls we
//! start are counted against it). A report of 0 holds every tenant of the integration
//! until the report ages out (a minute covers both a fixed and a rolling provider
//! window). A 429 while the header says 0 holds them until its `Retry-After` instead:
//! the provider said when its window frees up, so the reports seen until then age out
//! at that moment rather than a minute later. Then one call goes first and its answer
//! brings a fresh report (a rolling window frees only its oldest calls at that moment,
//! so letting every tenant go would earn a burst of 429s); without an answer the probe
//! ends a minute after the pause. Without a fresh report nothing is held.
//!
//! **Fairness.** When calls must wait, tenants take turns: a tenant that is refused
//! joins a queue (once); when `n` calls fit, only the first `n` tenants of the queue
//! may start one, and a tenant that starts leaves the queue (it joins at the back if it
//! needs another). Each waiting tenant therefore gets its turn in the order it asked,
//! and a busy tenant cannot take the whole allowance while others wait. A queued tenant
//! that stops asking (its call ended another way) is dropped after [`STALE`] of real
//! time (waiters ask every 250 ms of real time whatever the clock does, so a clock that
//! jumps ahead, as in tests, does not cost anyone its place).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MINUTE_MS: u64 = 60_000;
/// A queued tenant that has not asked again for this long (real time) loses its turn;
/// waiters ask at least every 250 ms.
pub const STALE: Duration = Duration::from_secs(5);
/// Reports this close together (clock ms) are taken as one: the lower count wins.
const SAME_REPORT_MS: u64 = 1_000;
/// How soon a tenant waiting for its turn (not for the window) asks again (clock ms).
const TURN_RECHECK_MS: u64 = 20;

#[derive(Debug, Default)]
struct AppWindow {
    /// The newest report: when (clock ms) and how many calls were left.
    report: Option<(u64, u32)>,
    /// Calls started since that report.
    since_report: u32,
    /// The report ages out then rather than a minute after it (the end of a 429's
    /// pause that was in force when it came or that followed it; clock ms).
    report_ends: Option<u64>,
    /// After a 429's pause: one call at a time until a fresh report, at most until
    /// then (clock ms).
    probe_until: Option<u64>,
    /// Every call waits until then (a 429 on the app-wide limit; clock ms).
    paused_until: Option<u64>,
    /// Tenants waiting for their turn, with when each last asked.
    queue: VecDeque<(String, Instant)>,
}

/// The app-wide budget of one (plugin, integration).
#[derive(Debug)]
pub struct AppBudget {
    header: String,
    stale: Duration,
    window: Mutex<AppWindow>,
}

impl AppBudget {
    /// A budget fed by the response header `header` (the app's calls left this minute).
    pub fn new(header: &str) -> Self {
        Self::with_stale(header, STALE)
    }

    /// [`new`](Self::new) with queued tenants dropped after `stale` without asking.
    pub fn with_stale(header: &str, stale: Duration) -> Self {
        Self {
            header: header.to_owned(),
            stale,
            window: Mutex::new(AppWindow::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AppWindow> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many more calls fit at `now`: `None` when nothing limits them.
    fn allowance(w: &mut AppWindow, now: u64) -> Option<u32> {
        if w.paused_until.is_some_and(|until| until <= now) {
            w.paused_until = None;
        }
        if w.paused_until.is_some() {
            return Some(0);
        }
        if let Some(end) = w.report_ends.filter(|&end| end <= now) {
            w.report = None;
            w.report_ends = None;
            w.since_report = 0;
            w.probe_until = Some(end.saturating_add(MINUTE_MS));
        }
        if let Some(until) = w.probe_until {
            if now < until {
                return Some(1u32.saturating_sub(w.since_report));
            }
            w.probe_until = None;
            w.since_report = 0;
        }
        match w.report {
            Some((at, remaining)) if now.saturating_sub(at) < MINUTE_MS => {
                Some(remaining.saturating_sub(w.since_report))
            }
            Some(_) => {
                w.report = None;
                w.report_ends = None;
                w.since_report = 0;
                None
            }
            None => None,
        }
    }

    /// When the window frees up again (the pause's end, or the report's minute).
    fn window_end(w: &AppWindow, now: u64) -> u64 {
        let report_end = w
            .report
            .map(|(at, _)| {
                let minute = at.saturating_add(MINUTE_MS);
                w.report_ends.map_or(minute, |end| end.min(minute))
            })
            .unwrap_or(now);
        w.paused_until
            .unwrap_or(0)
            .max(report_end)
            .max(now.saturating_add(5))
    }

    /// Whether `tenant` may start a call at `now`, counting it when `take`; otherwise
    /// when to ask again. A refused tenant keeps its place in the queue of turns.
    fn check(&self, tenant: &str, now: u64, take: bool) -> Option<u64> {
        let mut w = self.lock();
        let asked_now = Instant::now();
        let stale = self.stale;
        w.queue
            .retain(|(_, asked)| asked_now.saturating_duration_since(*asked) < stale);
        let allowance = Self::allowance(&mut w, now);
        let place = w.queue.iter().position(|(t, _)| t == tenant);
        let fits = match allowance {
            Some(0) => false,
            // Enough for everyone waiting and this tenant too: no turns needed.
            None => true,
            Some(n) => {
                let n = n as usize;
                match place {
                    Some(i) => i < n,
                    None => w.queue.len() < n,
                }
            }
        };
        if fits {
            if take {
                if let Some(i) = place {
                    w.queue.remove(i);
                }
                w.since_report = w.since_report.saturating_add(1);
            }
            return None;
        }
        match place {
            Some(i) => {
                if let Some(entry) = w.queue.get_mut(i) {
                    entry.1 = asked_now;
                }
            }
            None => w.queue.push_back((tenant.to_owned(), asked_now)),
        }
        Some(match allowance {
            Some(0) => Self::window_end(&w, now),
            _ => now.saturating_add(TURN_RECHECK_MS),
        })
    }

    /// Count a call of `tenant` if one may start at `now`; otherwise say when to ask
    /// again (the tenant keeps its turn meanwhile).
    pub fn try_take(&self, tenant: &str, now: u64) -> Option<u64> {
        self.check(tenant, now, true)
    }

    /// When `tenant`'s next call could start, counting nothing: `None` now. Asking
    /// takes a place in the queue of turns when calls must wait.
    pub fn ready_at(&self, tenant: &str, now: u64) -> Option<u64> {
        self.check(tenant, now, false)
    }

    /// The app's calls left according to `headers`, if they carry the header.
    pub fn reported(&self, headers: &[(String, String)]) -> Option<u32> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&self.header))
            .and_then(|(_, v)| v.trim().parse().ok())
    }

    /// Learn from a response's headers at `now`: a report replaces the last one, except
    /// that within [`SAME_REPORT_MS`] of it the lower count wins (responses of calls in
    /// flight together arrive in any order, and an older one says more is left).
    pub fn observe(&self, headers: &[(String, String)], now: u64) {
        if let Some(remaining) = self.reported(headers) {
            let mut w = self.lock();
            if let Some((at, before)) = w.report
                && now.saturating_sub(at) < SAME_REPORT_MS
                && remaining >= before.saturating_sub(w.since_report)
            {
                return;
            }
            w.report = Some((now, remaining));
            w.since_report = 0;
            w.report_ends = w.paused_until.filter(|&until| until > now);
            w.probe_until = None;
        }
    }

    /// The provider refused a call on the app-wide limit and asked to wait until
    /// `until` (clock ms): every tenant of the integration waits.
    pub fn pause_until(&self, until: u64) {
        let mut w = self.lock();
        if w.paused_until.is_none_or(|current| current < until) {
            w.paused_until = Some(until);
        }
        if w.report.is_some() {
            w.report_ends = w.paused_until;
        }
    }

    /// Tenants waiting for their turn (for tests and diagnostics).
    pub fn queued(&self) -> usize {
        self.lock().queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(remaining: u32) -> Vec<(String, String)> {
        vec![("X-AppMinLimit-Remaining".into(), remaining.to_string())]
    }

    #[test]
    fn nothing_is_held_without_a_fresh_report() {
        let b = AppBudget::new("x-appminlimit-remaining");
        for _ in 0..100 {
            assert_eq!(b.try_take("t1", 0), None);
        }
        b.observe(&[("other".into(), "0".into())], 0);
        assert_eq!(b.try_take("t1", 0), None, "another header says nothing");
        b.observe(&report(0), 1_000);
        assert_eq!(
            b.try_take("t1", 1_000),
            Some(61_000),
            "spent until it ages out"
        );
        assert_eq!(b.try_take("t1", 61_000), None, "a minute later: no report");
    }

    #[test]
    fn a_report_bounds_the_calls_of_its_minute() {
        let b = AppBudget::new("x-appminlimit-remaining");
        b.observe(&report(3), 0);
        for _ in 0..3 {
            assert_eq!(b.try_take("t1", 10), None);
        }
        assert_eq!(b.try_take("t1", 10), Some(MINUTE_MS));
        assert_eq!(
            b.ready_at("t1", 10),
            Some(MINUTE_MS),
            "asking counts nothing"
        );
        b.observe(&report(5), 20);
        assert!(
            b.try_take("t1", 20).is_some(),
            "a late answer of an older call"
        );
        b.observe(&report(5), 20 + SAME_REPORT_MS);
        assert_eq!(
            b.try_take("t1", 20 + SAME_REPORT_MS),
            None,
            "a newer report replaces the old"
        );
    }

    #[test]
    fn waiting_tenants_take_turns_and_none_starves() {
        let b = AppBudget::new("x-appminlimit-remaining");
        b.observe(&report(0), 0);
        // Three tenants are refused, in this order; t1 keeps asking the most.
        for t in ["t1", "t2", "t3", "t1", "t1"] {
            assert!(b.try_take(t, 100).is_some());
        }
        assert_eq!(b.queued(), 3);
        // One call a time fits: the turns go t1, t2, t3, whoever asks.
        let mut order = Vec::new();
        for step in 0..3u64 {
            let now = (step + 1) * SAME_REPORT_MS;
            b.observe(&report(1), now);
            for t in ["t1", "t1", "t3", "t2", "t3"] {
                if b.try_take(t, now).is_none() {
                    order.push(t);
                }
            }
        }
        assert_eq!(order, vec!["t1", "t2", "t3"], "first come, first served");
        // With room for two, the first two queued go and a newcomer waits behind.
        let b = AppBudget::new("x-appminlimit-remaining");
        b.observe(&report(0), 0);
        assert!(b.try_take("a", 0).is_some());
        assert!(b.try_take("b", 0).is_some());
        let now = SAME_REPORT_MS;
        b.observe(&report(2), now);
        assert!(b.try_take("c", now).is_some(), "the newcomer queues");
        assert_eq!(b.try_take("b", now), None);
        assert_eq!(b.try_take("a", now), None);
        assert!(b.try_take("c", now).is_some(), "the two calls are spent");
    }

    #[test]
    fn a_tenant_that_stops_asking_loses_its_turn() {
        let b = AppBudget::with_stale("x-appminlimit-remaining", Duration::from_millis(100));
        b.observe(&report(0), 0);
        assert!(b.try_take("gone", 10).is_some());
        b.observe(&report(1), SAME_REPORT_MS);
        assert!(
            b.try_take("t2", SAME_REPORT_MS).is_some(),
            "behind the first in line"
        );
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(
            b.try_take("t2", SAME_REPORT_MS),
            None,
            "whose turn it now is"
        );
        assert_eq!(b.queued(), 0);
    }

    #[test]
    fn a_pause_holds_every_tenant() {
        let b = AppBudget::new("x-appminlimit-remaining");
        b.pause_until(30_000);
        assert_eq!(b.try_take("t1", 0), Some(30_000));
        assert_eq!(
            b.try_take("t2", 29_999),
            Some(30_004),
            "never less than 5 ms ahead"
        );
        assert_eq!(b.try_take("t1", 30_000), None);
        assert_eq!(b.try_take("t2", 30_000), None);
    }

    #[test]
    fn a_429_retry_after_shorter_than_a_minute_ends_the_hold() {
        let b = AppBudget::new("x-appminlimit-remaining");
        // The 429's own header says 0, then its Retry-After of 10 s.
        b.observe(&report(0), 1_000);
        b.pause_until(11_000);
        // Another call's answer, in flight meanwhile, also says 0.
        b.observe(&report(0), 2_500);
        assert_eq!(b.try_take("t1", 5_000), Some(11_000));
        assert_eq!(b.try_take("t1", 11_000), None, "held past its Retry-After");
        // One call probes the window; the others wait for its answer.
        assert!(b.try_take("t2", 11_001).is_some());
        // Its answer: a rolling window freed two calls.
        b.observe(&report(2), 11_400);
        assert_eq!(b.try_take("t2", 11_400), None);
        assert_eq!(b.try_take("t3", 11_401), None);
        assert!(b.try_take("t4", 11_402).is_some());
    }

    #[test]
    fn a_probe_without_an_answer_ends_a_minute_after_the_pause() {
        let b = AppBudget::new("x-appminlimit-remaining");
        b.observe(&report(0), 0);
        b.pause_until(5_000);
        assert_eq!(b.try_take("t1", 5_000), None);
        assert!(
            b.try_take("t2", 30_000).is_some(),
            "the probe has not answered"
        );
        assert_eq!(b.try_take("t2", 65_000), None);
        assert_eq!(
            b.try_take("t3", 65_000),
            None,
            "nothing known: nothing held"
        );
    }

    #[test]
    fn a_zero_report_without_a_429_holds_its_minute() {
        let b = AppBudget::new("x-appminlimit-remaining");
        b.observe(&report(0), 1_000);
        assert_eq!(b.try_take("t1", 30_000), Some(61_000));
        assert_eq!(b.try_take("t1", 61_000), None);
    }
}
