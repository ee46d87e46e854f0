//! Sums over a company's postings (live transactions only): what the reports show and
//! what tests compare a sync against.
//!
//! Two views of a balance as of a day:
//! - [`ledger_balances`]: every account's net since inception (raw running balance);
//! - [`report_balances`]: QuickBooks' trial-balance view — P&L accounts from the start
//!   of the fiscal year (January) only, every earlier year's P&L added to Retained
//!   Earnings. Both sum to zero across accounts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::generate::is_pl;
use crate::qbo::data::QboCompanyData;
use crate::timefmt::{civil, days_from_civil};

/// One account's debits and credits in one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthTotal {
    /// Account `Id`.
    pub account: u64,
    /// `YYYY-MM`.
    pub month: String,
    /// Sum of debit postings, cents (≥ 0).
    pub debit_cents: i64,
    /// Sum of credit postings, cents (≥ 0).
    pub credit_cents: i64,
}

/// One account's balance as of a day, on its debit or credit side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceRow {
    /// Account `Id`.
    pub account: u64,
    /// `FullyQualifiedName`.
    pub name: String,
    /// Net debit balance in cents (0 if the balance is a credit).
    pub debit_cents: i64,
    /// Net credit balance in cents (0 if the balance is a debit).
    pub credit_cents: i64,
}

/// `YYYY-MM` of a company-local day.
pub fn month_key(day: i64) -> String {
    let c = civil(day * 86_400_000);
    format!("{:04}-{:02}", c.year, c.month)
}

/// The first day of the fiscal year (January) containing `day`.
pub fn fy_start(day: i64) -> i64 {
    days_from_civil(civil(day * 86_400_000).year, 1, 1)
}

/// Every `(day, account, signed cents)` of live transactions.
pub fn postings(d: &QboCompanyData) -> impl Iterator<Item = (i64, u64, i64)> + '_ {
    d.ledger.live_transactions().flat_map(|r| {
        let day = r.txn_date.unwrap_or(0);
        r.postings.iter().map(move |p| (day, p.account, p.amount))
    })
}

/// Per-month per-account debit and credit totals, by month then account `Id`.
pub fn monthly_totals(d: &QboCompanyData) -> Vec<MonthTotal> {
    let mut sums: BTreeMap<(String, u64), (i64, i64)> = BTreeMap::new();
    for (day, account, amount) in postings(d) {
        let e = sums.entry((month_key(day), account)).or_default();
        if amount >= 0 {
            e.0 += amount;
        } else {
            e.1 -= amount;
        }
    }
    sums.into_iter()
        .map(|((month, account), (debit, credit))| MonthTotal {
            account,
            month,
            debit_cents: debit,
            credit_cents: credit,
        })
        .collect()
}

/// Net (debit-positive) movement per account over `from..=to` (`from` None = inception).
pub fn net_between(d: &QboCompanyData, from: Option<i64>, to: i64) -> BTreeMap<u64, i64> {
    let mut out = BTreeMap::new();
    for (day, account, amount) in postings(d) {
        if day <= to && from.is_none_or(|f| day >= f) {
            *out.entry(account).or_default() += amount;
        }
    }
    out
}

/// Every account's net since inception as of `day` (inclusive).
pub fn ledger_balances(d: &QboCompanyData, day: i64) -> BTreeMap<u64, i64> {
    net_between(d, None, day)
}

/// The Retained Earnings account's `Id` (0 if the chart has none).
pub fn retained_earnings(d: &QboCompanyData) -> u64 {
    d.accounts
        .iter()
        .find(|a| a.sub_type == "RetainedEarnings")
        .map_or(0, |a| a.id)
}

/// QuickBooks' trial-balance view as of `day`: P&L accounts fiscal-year-to-date,
/// earlier years' P&L in Retained Earnings.
pub fn report_balances(d: &QboCompanyData, day: i64) -> BTreeMap<u64, i64> {
    let fy = fy_start(day);
    let re = retained_earnings(d);
    let mut out = BTreeMap::new();
    for (pday, account, amount) in postings(d) {
        if pday > day {
            continue;
        }
        let pl = d.account(account).is_some_and(|a| is_pl(a.kind));
        let target = if pl && pday < fy { re } else { account };
        *out.entry(target).or_default() += amount;
    }
    out
}

fn rows(d: &QboCompanyData, balances: BTreeMap<u64, i64>) -> Vec<BalanceRow> {
    balances
        .into_iter()
        .filter(|(_, net)| *net != 0)
        .map(|(account, net)| BalanceRow {
            account,
            name: d
                .account(account)
                .map(|a| d.fully_qualified_name(a))
                .unwrap_or_default(),
            debit_cents: net.max(0),
            credit_cents: (-net).max(0),
        })
        .collect()
}

/// The raw trial balance as of `day`: every account with a non-zero net since
/// inception, by `Id`.
pub fn trial_balance(d: &QboCompanyData, day: i64) -> Vec<BalanceRow> {
    rows(d, ledger_balances(d, day))
}

/// The trial balance as the TrialBalance report shows it ([`report_balances`]).
pub fn report_trial_balance(d: &QboCompanyData, day: i64) -> Vec<BalanceRow> {
    rows(d, report_balances(d, day))
}
