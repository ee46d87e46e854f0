//! The Rust control API of QuickBooks companies' ledgers: generation, the ground truth
//! tests compare a sync against (every entity with its id and deleted flag, per-month
//! per-account totals, trial balances), reports without HTTP, and mutations stamped
//! from the simulator clock.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::clock::Millis;
use crate::control::SimControl;
use crate::error::SimError;
use crate::qbo::ledger::generate::local_day;
use crate::qbo::ledger::mutate::kind;
use crate::qbo::ledger::totals::{self, BalanceRow, MonthTotal};
use crate::qbo::ledger::{LedgerSummary, QboSize, generate_company};
use crate::qbo::query::time::parse_datetime;
use crate::qbo::reports;

/// One entity in the truth listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityTruth {
    /// `Id`.
    pub id: String,
    /// Deleted (transactions; CDC reports it as a stub).
    pub deleted: bool,
    /// `Active` (false only for inactive accounts and name-list records).
    pub active: bool,
    /// `SyncToken`.
    pub sync_token: String,
    /// `MetaData.LastUpdatedTime` (for a deleted record, the deletion) in epoch ms.
    pub last_updated_ms: Millis,
}

/// Every entity of a company by entity name (`Account`, `Customer`, …, `JournalEntry`),
/// each list in `Id` order, deleted ones included.
pub type EntitiesTruth = BTreeMap<String, Vec<EntityTruth>>;

/// What generation made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QboCompanySummary {
    /// Accounts (inactive included).
    pub accounts: usize,
    /// Records per entity and ledger lines.
    pub ledger: LedgerSummary,
}

fn day_of(date: &str) -> Result<i64, SimError> {
    (date.len() == 10)
        .then(|| parse_datetime(date))
        .flatten()
        .map(local_day)
        .ok_or_else(|| SimError::InvalidArgument(format!("bad date {date:?} (want YYYY-MM-DD)")))
}

impl SimControl {
    /// Generates (or regenerates) a whole company as of the clock's now: the full chart
    /// of accounts, customers, vendors, items and transactions over 24 months posting
    /// about `lines` ledger lines (10 to 250,000); deterministic for the same arguments
    /// and clock reading. A ~100k-line company takes a few seconds in a debug build.
    pub fn generate_qbo_company(
        &self,
        realm: &str,
        lines: usize,
        seed: u64,
    ) -> Result<QboCompanySummary, SimError> {
        self.qbo_summary(realm)?;
        let data = generate_company(lines, seed, self.now_ms());
        let summary = QboCompanySummary {
            accounts: data.accounts.len(),
            ledger: data.ledger.summary(),
        };
        self.lock().qbo_data.insert(realm.to_owned(), data);
        Ok(summary)
    }

    /// [`Self::generate_qbo_company`] with a size preset.
    pub fn generate_qbo_company_sized(
        &self,
        realm: &str,
        size: QboSize,
        seed: u64,
    ) -> Result<QboCompanySummary, SimError> {
        self.generate_qbo_company(realm, size.lines(), seed)
    }

    /// Record counts per entity and live ledger lines.
    pub fn qbo_ledger_summary(&self, realm: &str) -> Result<LedgerSummary, SimError> {
        self.with_qbo_data(realm, |d| d.ledger.summary())
    }

    /// Every entity (accounts included) with its id, deleted and active flags.
    pub fn qbo_entities_truth(&self, realm: &str) -> Result<EntitiesTruth, SimError> {
        self.with_qbo_data(realm, |d| {
            let mut out = EntitiesTruth::new();
            out.insert(
                "Account".into(),
                d.accounts
                    .iter()
                    .map(|a| EntityTruth {
                        id: a.id.to_string(),
                        deleted: false,
                        active: a.active,
                        sync_token: a.sync_token.to_string(),
                        last_updated_ms: a.updated,
                    })
                    .collect(),
            );
            for (k, list) in &d.ledger.entities {
                out.insert(
                    k.name().into(),
                    list.iter()
                        .map(|r| EntityTruth {
                            id: r.id.to_string(),
                            deleted: r.deleted.is_some(),
                            active: r.active,
                            sync_token: r.sync_token.to_string(),
                            last_updated_ms: r.updated,
                        })
                        .collect(),
                );
            }
            out
        })
    }

    /// The live records of `entity` exactly as the API returns them, in `Id` order
    /// (inactive name-list records included; for `Account` see [`Self::qbo_truth`]).
    pub fn qbo_entity_bodies(&self, realm: &str, entity: &str) -> Result<Vec<Value>, SimError> {
        if entity == "Account" {
            return self.qbo_truth(realm);
        }
        let k = kind(entity)?;
        self.with_qbo_data(realm, |d| {
            d.ledger
                .records(k)
                .iter()
                .filter(|r| r.is_live())
                .map(|r| r.body.clone())
                .collect()
        })
    }

    /// Per-month per-account debit and credit totals of the live ledger.
    pub fn qbo_monthly_totals(&self, realm: &str) -> Result<Vec<MonthTotal>, SimError> {
        self.with_qbo_data(realm, |d| totals::monthly_totals(d))
    }

    /// The raw trial balance as of `date` (`YYYY-MM-DD`, inclusive): every account's
    /// net since inception, on its debit or credit side (the running balance of
    /// [`Self::qbo_monthly_totals`]).
    pub fn qbo_trial_balance(&self, realm: &str, date: &str) -> Result<Vec<BalanceRow>, SimError> {
        let day = day_of(date)?;
        self.with_qbo_data(realm, |d| totals::trial_balance(d, day))
    }

    /// The trial balance as the TrialBalance report shows it as of `date`: P&L accounts
    /// fiscal-year-to-date, earlier years' P&L in Retained Earnings.
    pub fn qbo_report_trial_balance(
        &self,
        realm: &str,
        date: &str,
    ) -> Result<Vec<BalanceRow>, SimError> {
        let day = day_of(date)?;
        self.with_qbo_data(realm, |d| totals::report_trial_balance(d, day))
    }

    /// A report as `GET .../reports/{name}?{query}` returns it, without admission.
    pub fn qbo_report(&self, realm: &str, name: &str, query: &str) -> Result<Value, SimError> {
        let now = self.now_ms();
        self.with_qbo_data(realm, |d| reports::build(d, name, Some(query), now))?
            .map_err(SimError::InvalidArgument)
    }

    /// Edits an entity (`SyncToken` + 1, `LastUpdatedTime` = now); `Account` too.
    pub fn touch_qbo_entity(
        &self,
        realm: &str,
        entity: &str,
        id: &str,
    ) -> Result<Millis, SimError> {
        if entity == "Account" {
            return self.touch_qbo_account(realm, id);
        }
        let (k, now) = (kind(entity)?, self.now_ms());
        self.with_qbo_data(realm, |d| d.touch_entity(k, id, now))?
    }

    /// Makes an account, customer, vendor or item inactive.
    pub fn deactivate_qbo_entity(
        &self,
        realm: &str,
        entity: &str,
        id: &str,
    ) -> Result<Millis, SimError> {
        if entity == "Account" {
            return self.deactivate_qbo_account(realm, id);
        }
        let (k, now) = (kind(entity)?, self.now_ms());
        self.with_qbo_data(realm, |d| d.deactivate_entity(k, id, now))?
    }

    /// Deletes a transaction now (CDC reports it as a `Deleted` stub).
    pub fn delete_qbo_entity(
        &self,
        realm: &str,
        entity: &str,
        id: &str,
    ) -> Result<Millis, SimError> {
        let (k, now) = (kind(entity)?, self.now_ms());
        self.with_qbo_data(realm, |d| d.delete_entity(k, id, now))?
    }

    /// Creates a transaction of `entity` dated today; returns its `Id`.
    pub fn create_qbo_entity(&self, realm: &str, entity: &str) -> Result<u64, SimError> {
        let (k, now) = (kind(entity)?, self.now_ms());
        self.with_qbo_data(realm, |d| d.create_entity(k, now))?
    }
}
