//! Fairness across tenants: a connection syncing for the scheduler holds a `Slot`
//! (one of the scheduler's permits, granted first come, first served), and gives it
//! back whenever its tenant's rate budget makes it wait.
//!
//! Before each page, `SyncService::wait_for_budget` asks the tenant's budget when the
//! next call could start (`ready_at`, which counts nothing). If not now, the run
//! releases its slot and waits on the clock *between* plugin calls, so it holds no
//! pooled instance and no slot; when the budget frees up it queues for a slot again,
//! behind the tenants that asked meanwhile. A hard-throttled tenant therefore costs the
//! others nothing. The `http` capability still counts each call (`acquire`) and waits
//! inside a call only for what could not be foreseen before it (a provider's
//! `Retry-After`, a page of several requests).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::SyncService;

/// Longest real sleep between two looks at the clock while waiting on a rate budget.
const RECHECK: Duration = Duration::from_millis(250);

/// A scheduler slot: held while a connection syncs, given back while it waits on its
/// tenant's rate budget. Runs outside the scheduler (an API request) have none.
pub(crate) struct Slot {
    pool: Option<Arc<Semaphore>>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Slot {
    /// No slot: the run is not the scheduler's.
    pub(crate) fn none() -> Self {
        Self {
            pool: None,
            permit: None,
        }
    }

    /// A slot of `pool`, not held yet.
    pub(crate) fn of(pool: Arc<Semaphore>) -> Self {
        Self {
            pool: Some(pool),
            permit: None,
        }
    }

    /// Hold a slot, waiting for one if needed (first come, first served).
    pub(crate) async fn acquire(&mut self) {
        if self.permit.is_none()
            && let Some(pool) = &self.pool
        {
            self.permit = pool.clone().acquire_owned().await.ok();
        }
    }

    /// Give the slot back (to take it again with [`acquire`](Self::acquire)).
    pub(crate) fn release(&mut self) {
        self.permit = None;
    }
}

/// Forgets a budget wait when dropped.
struct BudgetWait<'a> {
    service: &'a SyncService,
    id: u64,
}

impl Drop for BudgetWait<'_> {
    fn drop(&mut self) {
        self.service.plan().budget_waits.remove(&self.id);
        self.service.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SyncService {
    /// Wait, before a page, until the tenant's rate budget lets a call go: without the
    /// scheduler's `slot` and outside any plugin call. A spent day is not waited for
    /// here (the call is refused at once and the connection degraded until its reset).
    pub(crate) async fn wait_for_budget(
        &self,
        plugin: &crate::runtime::Plugin,
        tenant: &str,
        slot: &mut Slot,
        stopping: &mut tokio::sync::watch::Receiver<bool>,
    ) {
        use crate::runtime::capabilities::budget::Readiness;
        let budget = self.runtime.capabilities().budgets.tenant(
            &plugin.info.id,
            tenant,
            &plugin.info.manifest.rate_budget,
            self.clock.now_millis(),
        );
        let mut wait: Option<BudgetWait<'_>> = None;
        loop {
            if *stopping.borrow() {
                break;
            }
            let now = self.clock.now_millis();
            let until = match budget.ready_at(now) {
                Readiness::Now | Readiness::DayExhausted(_) => break,
                Readiness::At(until) => until,
            };
            if wait.is_none() {
                slot.release();
                self.waiting.fetch_add(1, Ordering::SeqCst);
                let mut plan = self.plan();
                let id = plan.next_waiter;
                plan.next_waiter = id.wrapping_add(1);
                plan.budget_waits.insert(id, until);
                drop(plan);
                wait = Some(BudgetWait { service: self, id });
                tracing::debug!(
                    tenant,
                    until,
                    "waiting for the tenant's rate budget without a slot"
                );
            } else if let Some(w) = &wait {
                self.plan().budget_waits.insert(w.id, until);
            }
            let nap = Duration::from_millis(until.saturating_sub(now)).min(RECHECK);
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                _ = self.budget_moved.notified() => {}
                _ = stopping.changed() => {}
            }
        }
        drop(wait);
        slot.acquire().await;
    }
}
