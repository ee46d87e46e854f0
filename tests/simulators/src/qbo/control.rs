//! The Rust control API of QuickBooks companies' data: generation, ground truth,
//! mutations (stamped from the simulator clock) and the throttle.

use serde_json::Value;

use crate::clock::Millis;
use crate::control::SimControl;
use crate::error::SimError;
use crate::model::Provider;
use crate::qbo::data::render::truth;
use crate::qbo::data::{QboCompanyData, QboSummary, generate_accounts};
use crate::qbo::ratelimit::{QboRateLimits, RealmUsage};

impl SimControl {
    fn check_qbo_realm(&self, realm: &str) -> Result<(), SimError> {
        let st = self.lock();
        if st.org(realm)?.provider != Provider::Quickbooks {
            return Err(SimError::InvalidArgument(format!(
                "{realm} is not a QuickBooks company"
            )));
        }
        Ok(())
    }

    /// Generates (or regenerates) a company's chart of accounts as of the clock's now:
    /// `count` accounts (at least the 14 core ones, at most 20,000; beyond the ~80-row
    /// template, numbered expense accounts), deterministic for a given count, seed and
    /// clock reading. Also happens on first use with 45 accounts and a seed derived from
    /// the realm id.
    pub fn generate_qbo_accounts(
        &self,
        realm: &str,
        count: usize,
        seed: u64,
    ) -> Result<QboSummary, SimError> {
        self.check_qbo_realm(realm)?;
        let data = generate_accounts(count, seed, self.now_ms());
        let summary = data.summary();
        self.lock().qbo_data.insert(realm.to_owned(), data);
        Ok(summary)
    }

    /// Runs `f` on a company's data (generated on first use).
    pub fn with_qbo_data<R>(
        &self,
        realm: &str,
        f: impl FnOnce(&mut QboCompanyData) -> R,
    ) -> Result<R, SimError> {
        self.check_qbo_realm(realm)?;
        let now = self.now_ms();
        let mut st = self.lock();
        let data = st
            .qbo_company_data(realm, now)
            .ok_or_else(|| SimError::UnknownTenant(realm.to_owned()))?;
        Ok(f(data))
    }

    /// Account counts of a company.
    pub fn qbo_summary(&self, realm: &str) -> Result<QboSummary, SimError> {
        self.with_qbo_data(realm, |d| d.summary())
    }

    /// Every account (inactive ones too) exactly as the API returns it, in `Id` order.
    pub fn qbo_truth(&self, realm: &str) -> Result<Vec<Value>, SimError> {
        self.with_qbo_data(realm, |d| truth(d))
    }

    /// Bumps an account's `MetaData.LastUpdatedTime` to the clock's now (whole second)
    /// and increments its `SyncToken`; returns the new `LastUpdatedTime`.
    pub fn touch_qbo_account(&self, realm: &str, id: &str) -> Result<Millis, SimError> {
        let now = self.now_ms();
        self.with_qbo_data(realm, |d| d.touch(id, now))?
    }

    /// Makes an account inactive (`Active: false`) and bumps it like
    /// [`Self::touch_qbo_account`]; an inactive account is refused.
    pub fn deactivate_qbo_account(&self, realm: &str, id: &str) -> Result<Millis, SimError> {
        let now = self.now_ms();
        self.with_qbo_data(realm, |d| d.deactivate(id, now))?
    }

    /// The QuickBooks throttle in force.
    pub fn qbo_rate_limits(&self) -> QboRateLimits {
        self.lock().qbo_rate.limits
    }

    /// Replaces the QuickBooks throttle (windows keep their counts).
    pub fn set_qbo_rate_limits(&self, limits: QboRateLimits) {
        self.lock().qbo_rate.limits = limits;
    }

    /// Empties every realm's window.
    pub fn reset_qbo_rate_windows(&self) {
        self.lock().qbo_rate.reset();
    }

    /// Calls per realm in the current rolling minute.
    pub fn qbo_rate_usage(&self) -> Vec<RealmUsage> {
        let now = self.now_ms();
        self.lock().qbo_rate.usage(now)
    }
}
