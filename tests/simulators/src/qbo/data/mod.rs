//! A simulated QuickBooks Online company's data: its chart of accounts, generated
//! deterministically ([`generate`]), changed over time (touch, deactivate) and rendered
//! exactly as the Accounting API returns it ([`render`]).
//!
//! Times are whole seconds (QuickBooks' `MetaData` stamps carry no fraction), so what a
//! query compares is exactly what a client read.

pub mod chart;
pub mod generate;
pub mod render;

use std::collections::HashMap;

use serde::Serialize;

use crate::clock::{Millis, SECOND};
use crate::error::SimError;
pub use chart::AccountType;
pub use generate::{DEFAULT_ACCOUNTS, generate_accounts};

/// One `Account` (a name-list entity: never deleted, only made inactive).
#[derive(Clone, Debug, PartialEq)]
pub struct QboAccount {
    /// `Id` (rendered as a decimal string).
    pub id: u64,
    /// `Name`.
    pub name: String,
    /// `ParentRef.value` of a sub-account.
    pub parent: Option<u64>,
    /// `AccountType` (and through it `Classification`).
    pub kind: AccountType,
    /// `AccountSubType`.
    pub sub_type: &'static str,
    /// `Description`.
    pub description: Option<String>,
    /// `CurrentBalance` in cents.
    pub balance_cents: i64,
    /// `Active`.
    pub active: bool,
    /// `SyncToken` (incremented by every change).
    pub sync_token: u64,
    /// `MetaData.CreateTime`.
    pub created: Millis,
    /// `MetaData.LastUpdatedTime`.
    pub updated: Millis,
}

/// One company's data (accounts in `Id` order).
#[derive(Clone, Debug, Default)]
pub struct QboCompanyData {
    /// The chart of accounts, by increasing `Id`.
    pub accounts: Vec<QboAccount>,
    /// `count` the chart was generated with.
    pub requested: usize,
    /// Seed it was generated with.
    pub seed: u64,
    /// Name lists, transactions and preferences (empty for a chart-only company).
    pub ledger: crate::qbo::ledger::Ledger,
}

/// Counts of a company's accounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QboSummary {
    /// Every account.
    pub accounts: usize,
    /// `Active: true`.
    pub active: usize,
    /// `Active: false`.
    pub inactive: usize,
    /// `SubAccount: true`.
    pub sub_accounts: usize,
    /// Highest `Id`.
    pub last_id: u64,
}

/// Whole seconds (QuickBooks stamps have no fraction).
pub fn whole_second(ms: Millis) -> Millis {
    ms.div_euclid(SECOND) * SECOND
}

impl QboCompanyData {
    /// Record counts.
    pub fn summary(&self) -> QboSummary {
        let active = self.accounts.iter().filter(|a| a.active).count();
        QboSummary {
            accounts: self.accounts.len(),
            active,
            inactive: self.accounts.len() - active,
            sub_accounts: self.accounts.iter().filter(|a| a.parent.is_some()).count(),
            last_id: self.accounts.iter().map(|a| a.id).max().unwrap_or(0),
        }
    }

    /// The account with this `Id` (accounts are kept in `Id` order).
    pub fn account(&self, id: u64) -> Option<&QboAccount> {
        self.accounts
            .binary_search_by_key(&id, |a| a.id)
            .ok()
            .and_then(|i| self.accounts.get(i))
    }

    fn account_mut(&mut self, id: &str) -> Result<&mut QboAccount, SimError> {
        let missing = || SimError::InvalidArgument(format!("no QuickBooks account with Id {id:?}"));
        let n: u64 = id.trim().parse().map_err(|_| missing())?;
        self.accounts
            .iter_mut()
            .find(|a| a.id == n)
            .ok_or_else(missing)
    }

    /// `FullyQualifiedName`: the parents' names and the account's, `:`-separated.
    pub fn fully_qualified_name(&self, acc: &QboAccount) -> String {
        let mut parts = vec![acc.name.as_str()];
        let mut parent = acc.parent;
        // A chart is at most 5 levels deep; the bound also stops a corrupt cycle.
        for _ in 0..8 {
            let Some(p) = parent.and_then(|id| self.account(id)) else {
                break;
            };
            parts.push(p.name.as_str());
            parent = p.parent;
        }
        parts.reverse();
        parts.join(":")
    }

    /// `CurrentBalanceWithSubAccounts` in cents of every account, by `Id`: its own
    /// balance plus every descendant's.
    pub fn balances_with_sub_accounts(&self) -> HashMap<u64, i64> {
        let mut totals: HashMap<u64, i64> = HashMap::with_capacity(self.accounts.len());
        for a in &self.accounts {
            *totals.entry(a.id).or_default() += a.balance_cents;
            let mut parent = a.parent;
            for _ in 0..8 {
                let Some(p) = parent.and_then(|id| self.account(id)) else {
                    break;
                };
                *totals.entry(p.id).or_default() += a.balance_cents;
                parent = p.parent;
            }
        }
        totals
    }

    /// Bumps `LastUpdatedTime` to `now` (whole second, never backwards) and `SyncToken`.
    /// Returns the new `LastUpdatedTime`.
    pub fn touch(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let acc = self.account_mut(id)?;
        acc.updated = acc.updated.max(whole_second(now));
        acc.sync_token += 1;
        Ok(acc.updated)
    }

    /// Makes an account inactive (`Active: false`) and bumps it like [`Self::touch`].
    /// An already inactive account is refused.
    pub fn deactivate(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let acc = self.account_mut(id)?;
        if !acc.active {
            return Err(SimError::InvalidArgument(format!(
                "QuickBooks account {id} is already inactive"
            )));
        }
        acc.active = false;
        self.touch(id, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_and_deactivate_bump_sync_token_and_time() {
        let now = 1_800_000_000_000;
        let mut d = generate_accounts(40, 7, now);
        let id = d.accounts.iter().find(|a| a.active).unwrap().id.to_string();
        let before = d.account(id.parse().unwrap()).unwrap().clone();
        let at = d.touch(&id, now + 1_500).unwrap();
        assert_eq!(at, now + 1_000);
        let after = d.account(id.parse().unwrap()).unwrap();
        assert_eq!(after.sync_token, before.sync_token + 1);
        d.deactivate(&id, now + 5_000).unwrap();
        let after = d.account(id.parse().unwrap()).unwrap();
        assert!(!after.active);
        assert_eq!(after.sync_token, before.sync_token + 2);
        assert!(d.deactivate(&id, now).is_err());
        assert!(d.touch("nope", now).is_err());
        assert!(d.touch("999999", now).is_err());
    }
}
