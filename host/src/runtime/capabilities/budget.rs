//! Per-tenant rate budgets, kept by the host for every plugin: calls per minute (a
//! sliding window, so no 60-second span ever exceeds the budget whether the provider
//! counts in fixed or rolling windows; a call stays in it until a minute after its
//! answer, see [`minute`]), calls per day, and requests in flight. The provider's
//! remaining-count headers (named in the manifest) correct the counts.
//! Numbers and header names come from the manifest; the host knows no provider.
//!
//! Two ways to ask: [`TenantBudget::acquire`] waits and counts a call (the `http`
//! capability, inside a plugin call); [`TenantBudget::ready_at`] only says when the
//! next call could start, counting nothing. The sync runner asks `ready_at` before each
//! page and waits *outside* the plugin call, without its scheduler slot, so a tenant
//! waiting on its budget holds neither a slot nor a pooled instance that other tenants
//! need (see `crate::sync::schedule`).
//!
//! A provider may also limit an app across all its tenants: [`app::AppBudget`], one per
//! (plugin, integration), fed by the app-level remaining header the manifest names. A
//! tenant's budget consults its integration's app budget (attached by the `http`
//! capability on the first call), so both `acquire` and `ready_at` see it, and waiting
//! tenants take turns for what the app has left.

pub mod app;
pub mod minute;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::clock::SharedClock;
use crate::runtime::types::RateBudget;

pub use app::AppBudget;
use minute::MinuteWindow;

const DAY_MS: u64 = 86_400_000;
/// Longest single sleep while waiting; the budget is re-checked after it, so a clock
/// that moves (tests, or a wall-clock step) is noticed promptly.
const RECHECK: Duration = Duration::from_millis(250);

/// The day budget is spent: calls resume at `resume_at` (ms since epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayExhausted {
    /// When the day window frees up.
    pub resume_at: u64,
}

/// When a tenant's next call could start ([`TenantBudget::ready_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// A call fits now.
    Now,
    /// The minute budget (or a pause a 429 asked for) holds calls until this time
    /// (clock ms).
    At(u64),
    /// The day budget is spent.
    DayExhausted(DayExhausted),
}

#[derive(Debug)]
struct Window {
    /// The calls the provider may still count in its minute (see [`minute`]).
    minute: MinuteWindow,
    /// Day window start (wall ms) and calls in it.
    day_start: u64,
    day_calls: u32,
    /// The provider said the day is spent until this time (wall ms).
    day_blocked_until: Option<u64>,
    /// The provider asked every call to wait until then (a short 429; clock ms).
    paused_until: Option<u64>,
}

/// One tenant's budget.
#[derive(Debug)]
pub struct TenantBudget {
    budget: RateBudget,
    window: Mutex<Window>,
    in_flight: Option<Arc<Semaphore>>,
    /// The tenant's id (its key in its app's queue of turns).
    tenant: String,
    /// The app-wide budget of the tenant's integration, once a call named it.
    app: OnceLock<Arc<AppBudget>>,
}

/// Held while a request is in flight; give it back with [`TenantBudget::settle`] when
/// the answer (or the failure) comes back.
#[derive(Debug)]
pub struct Ticket {
    _permit: Option<OwnedSemaphorePermit>,
    /// When the call was counted (clock ms).
    sent: u64,
}

impl Ticket {
    /// When the call was counted (clock ms).
    pub fn sent(&self) -> u64 {
        self.sent
    }
}

/// How a call ended, for [`TenantBudget::settle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider answered and may have counted the call.
    Answered,
    /// The provider refused the call (429): it did not count.
    Refused,
}

impl TenantBudget {
    #[cfg(test)]
    fn new(budget: RateBudget, now_ms: u64) -> Self {
        Self::for_tenant("", budget, now_ms)
    }

    fn for_tenant(tenant: &str, budget: RateBudget, now_ms: u64) -> Self {
        let in_flight = budget
            .concurrency
            .map(|n| Arc::new(Semaphore::new(n.max(1) as usize)));
        Self {
            budget,
            window: Mutex::new(Window {
                minute: MinuteWindow::default(),
                day_start: now_ms,
                day_calls: 0,
                day_blocked_until: None,
                paused_until: None,
            }),
            in_flight,
            tenant: tenant.to_owned(),
            app: OnceLock::new(),
        }
    }

    /// Make this tenant's calls count against `app` too (the first app attached stays).
    pub fn attach_app(&self, app: Arc<AppBudget>) {
        let _ = self.app.set(app);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait until a call fits the minute budget, no pause is in force and a concurrency
    /// slot is free, then count it. Fails without waiting when the day budget is spent.
    pub async fn acquire(&self, clock: &SharedClock) -> Result<Ticket, DayExhausted> {
        let permit = match &self.in_flight {
            Some(semaphore) => semaphore.clone().acquire_owned().await.ok(),
            None => None,
        };
        loop {
            let now = clock.now_millis();
            match self.try_take(now)? {
                None => {
                    return Ok(Ticket {
                        _permit: permit,
                        sent: now,
                    });
                }
                Some(wait) => tokio::time::sleep(wait.min(RECHECK)).await,
            }
        }
    }

    /// The call of `ticket` ended at the clock's `now`: it stays in the minute window
    /// until a minute after its answer, or leaves it when the provider refused it (see
    /// [`minute`]); its concurrency slot is freed.
    pub fn settle(&self, ticket: Ticket, outcome: Outcome, clock: &SharedClock) {
        let now = clock.now_millis();
        if self.budget.per_minute.is_some() {
            self.lock()
                .minute
                .settle(ticket.sent, now, outcome == Outcome::Answered);
        }
        drop(ticket);
    }

    /// Count a call if it fits now; otherwise say how long to wait.
    fn try_take(&self, now_ms: u64) -> Result<Option<Duration>, DayExhausted> {
        let mut w = self.lock();
        let app = self.app.get();
        let until = match self.next_start(&mut w, now_ms)? {
            Some(until) => Some(until),
            None => app.and_then(|app| app.try_take(&self.tenant, now_ms)),
        };
        match until {
            Some(until) => Ok(Some(Duration::from_millis(until.saturating_sub(now_ms)))),
            None => {
                if self.budget.per_minute.is_some() {
                    w.minute.count(now_ms);
                }
                w.day_calls = w.day_calls.saturating_add(1);
                tracing::debug!(tenant = %self.tenant, now_ms, in_window = w.minute.len_at(now_ms),
                    "budget: call counted");
                Ok(None)
            }
        }
    }

    /// When the next call could start, counting nothing: [`Readiness::Now`] when one
    /// fits at `now_ms`.
    pub fn ready_at(&self, now_ms: u64) -> Readiness {
        let mut w = self.lock();
        match self.next_start(&mut w, now_ms) {
            Ok(None) => match self
                .app
                .get()
                .and_then(|a| a.ready_at(&self.tenant, now_ms))
            {
                None => Readiness::Now,
                Some(until) => Readiness::At(until),
            },
            Ok(Some(until)) => Readiness::At(until),
            Err(spent) => Readiness::DayExhausted(spent),
        }
    }

    /// Roll the windows forward to `now` and say when a call could start: `None` now,
    /// `Some(ms)` later, or the spent day.
    fn next_start(&self, w: &mut Window, now: u64) -> Result<Option<u64>, DayExhausted> {
        if now >= w.day_start.saturating_add(DAY_MS) {
            w.day_start = now;
            w.day_calls = 0;
        }
        if let Some(until) = w.day_blocked_until {
            if now < until {
                return Err(DayExhausted { resume_at: until });
            }
            w.day_blocked_until = None;
        }
        if let Some(per_day) = self.budget.per_day
            && w.day_calls >= per_day
        {
            return Err(DayExhausted {
                resume_at: w.day_start.saturating_add(DAY_MS),
            });
        }
        if let Some(until) = w.paused_until.filter(|until| *until > now) {
            return Ok(Some(until));
        }
        if let Some(limit) = self.budget.per_minute {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            if let Some(until) = w.minute.next_start(limit, now) {
                return Ok(Some(until));
            }
        }
        Ok(None)
    }

    /// Correct the counts from the headers of the response to the call sent at `sent`
    /// (clock ms; header names from the manifest).
    pub fn observe(&self, headers: &[(String, String)], sent: u64, clock: &SharedClock) {
        let header = |name: &Option<String>| -> Option<u32> {
            let name = name.as_deref()?;
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.trim().parse().ok())
        };
        let now = clock.now_millis();
        let mut w = self.lock();
        if let (Some(limit), Some(remaining)) = (
            self.budget.per_minute,
            header(&self.budget.minute_remaining_header),
        ) {
            let used = limit.saturating_sub(remaining);
            let foreign = w.minute.observe(used, sent, now);
            tracing::debug!(tenant = %self.tenant, now_ms = now, sent, remaining, used,
                in_window = w.minute.len_at(now), foreign, "budget: observed");
        }
        if let Some(remaining) = header(&self.budget.day_remaining_header) {
            match self.budget.per_day {
                Some(limit) => w.day_calls = w.day_calls.max(limit.saturating_sub(remaining)),
                None if remaining == 0 => {
                    w.day_blocked_until = Some(w.day_start.saturating_add(DAY_MS));
                }
                None => {}
            }
        }
    }

    /// The provider asked to wait `wait` (a short 429): hold every call of this tenant.
    pub fn pause(&self, wait: Duration, clock: &SharedClock) {
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let until = clock.now_millis().saturating_add(wait_ms);
        let mut w = self.lock();
        if w.paused_until.is_none_or(|current| current < until) {
            w.paused_until = Some(until);
        }
    }

    /// The provider refused the day: block until `resume_at`.
    pub fn day_refused(&self, resume_at: u64) {
        self.lock().day_blocked_until = Some(resume_at);
    }

    /// The minute budget's calls counted at `now_ms`, the host's own and those the
    /// provider reported beyond them (for tests and diagnostics).
    pub fn calls_in_last_minute(&self, now_ms: u64) -> usize {
        self.lock().minute.len_at(now_ms)
    }
}

/// A deployment's correction of a provider's budget (for example an entry-tier app
/// with a smaller daily allowance); unset fields keep the manifest's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetOverride {
    /// Calls per minute per tenant.
    pub per_minute: Option<u32>,
    /// Calls per day per tenant.
    pub per_day: Option<u32>,
    /// Requests in flight per tenant.
    pub concurrency: Option<u32>,
}

impl BudgetOverride {
    /// `budget` with this override applied.
    pub fn apply(&self, budget: &RateBudget) -> RateBudget {
        RateBudget {
            per_minute: self.per_minute.or(budget.per_minute),
            per_day: self.per_day.or(budget.per_day),
            concurrency: self.concurrency.or(budget.concurrency),
            ..budget.clone()
        }
    }
}

/// Budgets for every (plugin, tenant) pair seen.
#[derive(Debug, Default)]
pub struct RateBudgets {
    tenants: Mutex<HashMap<(String, String), Arc<TenantBudget>>>,
    /// App-wide budgets by (plugin, integration).
    apps: Mutex<HashMap<(String, String), Arc<AppBudget>>>,
    overrides: HashMap<String, BudgetOverride>,
}

impl RateBudgets {
    /// Budgets with per-provider overrides.
    pub fn with_overrides(overrides: HashMap<String, BudgetOverride>) -> Self {
        Self {
            tenants: Mutex::default(),
            apps: Mutex::default(),
            overrides,
        }
    }

    /// The budget of `tenant` under `plugin`'s manifest numbers and any override.
    pub fn tenant(
        &self,
        plugin: &str,
        tenant: &str,
        budget: &RateBudget,
        now_ms: u64,
    ) -> Arc<TenantBudget> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        tenants
            .entry((plugin.to_owned(), tenant.to_owned()))
            .or_insert_with(|| {
                let effective = match self.overrides.get(plugin) {
                    Some(o) => o.apply(budget),
                    None => budget.clone(),
                };
                Arc::new(TenantBudget::for_tenant(tenant, effective, now_ms))
            })
            .clone()
    }

    /// The app-wide budget of `integration` under `plugin`, when the manifest names an
    /// app-level remaining header (otherwise the host keeps none).
    pub fn app(
        &self,
        plugin: &str,
        integration: &str,
        budget: &RateBudget,
    ) -> Option<Arc<AppBudget>> {
        let header = budget.app_minute_remaining_header.as_deref()?;
        let mut apps = self.apps.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            apps.entry((plugin.to_owned(), integration.to_owned()))
                .or_insert_with(|| Arc::new(AppBudget::new(header)))
                .clone(),
        )
    }

    /// When `tenant`'s next call under `plugin` could start, counting nothing (see
    /// [`TenantBudget::ready_at`]).
    pub fn ready_at(
        &self,
        plugin: &str,
        tenant: &str,
        budget: &RateBudget,
        now_ms: u64,
    ) -> Readiness {
        self.tenant(plugin, tenant, budget, now_ms).ready_at(now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::minute::MINUTE_MS;
    use super::*;
    use crate::clock::ManualClock;

    fn budget(per_minute: Option<u32>, per_day: Option<u32>) -> RateBudget {
        RateBudget {
            per_minute,
            per_day,
            concurrency: Some(2),
            minute_remaining_header: Some("x-minlimit-remaining".into()),
            day_remaining_header: Some("x-daylimit-remaining".into()),
            app_minute_remaining_header: None,
            default_retry_after: 60,
        }
    }

    #[tokio::test]
    async fn day_budget_refuses_until_the_window_resets() {
        let clock = ManualClock::new(0);
        let shared: SharedClock = Arc::new(clock.clone());
        let b = TenantBudget::new(budget(None, Some(2)), 0);
        b.acquire(&shared).await.expect("1");
        b.acquire(&shared).await.expect("2");
        assert_eq!(b.acquire(&shared).await.expect_err("3").resume_at, DAY_MS);
        clock.advance(Duration::from_millis(DAY_MS));
        b.acquire(&shared).await.expect("new day");
    }

    #[tokio::test]
    async fn remaining_headers_correct_the_counts() {
        let shared: SharedClock = Arc::new(ManualClock::new(0));
        let b = TenantBudget::new(budget(Some(60), Some(5000)), 0);
        b.acquire(&shared).await.expect("call");
        b.observe(&[("X-DayLimit-Remaining".into(), "0".into())], 0, &shared);
        assert!(
            b.acquire(&shared).await.is_err(),
            "the provider says the day is spent"
        );
    }

    #[tokio::test]
    async fn minute_budget_waits_instead_of_exceeding_and_frees_as_time_passes() {
        let clock = ManualClock::new(0);
        let shared: SharedClock = Arc::new(clock.clone());
        let b = TenantBudget::new(budget(Some(3), None), 0);
        for _ in 0..3 {
            b.acquire(&shared).await.expect("within budget");
        }
        assert_eq!(b.calls_in_last_minute(0), 3);
        let waited = tokio::time::timeout(Duration::from_millis(200), b.acquire(&shared)).await;
        assert!(waited.is_err(), "the fourth call waits for the window");
        clock.advance(Duration::from_secs(60));
        let freed = tokio::time::timeout(Duration::from_secs(2), b.acquire(&shared)).await;
        assert!(freed.is_ok(), "a minute later the window has room again");
    }

    #[tokio::test]
    async fn ready_at_says_when_without_counting() {
        let clock = ManualClock::new(0);
        let shared: SharedClock = Arc::new(clock.clone());
        let b = TenantBudget::new(budget(Some(2), Some(3)), 0);
        for _ in 0..5 {
            assert_eq!(b.ready_at(0), Readiness::Now, "asking counts nothing");
        }
        b.acquire(&shared).await.expect("1");
        clock.advance(Duration::from_secs(10));
        b.acquire(&shared).await.expect("2");
        assert_eq!(
            b.ready_at(10_000),
            Readiness::At(MINUTE_MS),
            "the first call ages out"
        );
        assert_eq!(b.ready_at(MINUTE_MS), Readiness::Now);
        clock.advance(Duration::from_secs(50));
        b.acquire(&shared).await.expect("3");
        assert_eq!(
            b.ready_at(MINUTE_MS),
            Readiness::DayExhausted(DayExhausted { resume_at: DAY_MS })
        );
        // A provider's report that its window is full, and a pause, hold calls too.
        let b = TenantBudget::new(budget(Some(60), None), 0);
        b.observe(
            &[("X-MinLimit-Remaining".into(), "0".into())],
            MINUTE_MS,
            &shared,
        );
        assert_eq!(b.ready_at(MINUTE_MS + 1), Readiness::At(2 * MINUTE_MS));
        let b = TenantBudget::new(budget(Some(60), None), 0);
        b.pause(Duration::from_secs(7), &shared);
        assert_eq!(b.ready_at(MINUTE_MS), Readiness::At(MINUTE_MS + 7_000));
    }

    #[test]
    fn a_tenant_waits_for_its_apps_budget_and_counts_against_it() {
        let budgets = RateBudgets::default();
        let mut manifest = budget(Some(60), None);
        assert!(
            budgets.app("p", "i", &manifest).is_none(),
            "no header, no app budget"
        );
        manifest.app_minute_remaining_header = Some("x-app".into());
        let app = budgets.app("p", "i", &manifest).expect("app budget");
        let same = budgets.app("p", "i", &manifest).expect("app budget");
        assert!(Arc::ptr_eq(&app, &same), "one per (plugin, integration)");
        let (t1, t2) = (
            budgets.tenant("p", "t1", &manifest, 0),
            budgets.tenant("p", "t2", &manifest, 0),
        );
        t1.attach_app(app.clone());
        t2.attach_app(app.clone());
        app.observe(&[("X-App".into(), "1".into())], 0);
        assert_eq!(t1.ready_at(0), Readiness::Now);
        assert!(t1.try_take(0).expect("day").is_none(), "the one call left");
        assert_eq!(t2.ready_at(0), Readiness::At(MINUTE_MS), "the app is spent");
        assert_eq!(t1.calls_in_last_minute(0), 1);
        assert_eq!(
            t2.calls_in_last_minute(0),
            0,
            "a refused call counts nothing"
        );
        assert_eq!(t2.ready_at(MINUTE_MS), Readiness::Now);
    }
}
