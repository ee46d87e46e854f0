//! The common model every accounting connector can produce, so that a user imports a
//! chart of accounts and monthly actuals the same way from any provider. Pure.
//!
//! | stream | record id | record |
//! |---|---|---|
//! | [`ACCOUNTS_STREAM`] `common.accounts` | the provider's account id | [`CommonAccount`] |
//! | [`ACTUALS_STREAM`] `common.actuals` | `{account id}:{YYYY-MM}` (`{account id}:opening` for the opening balance) | [`Actual`] |
//!
//! Amounts are decimal strings ([`crate::decimal`]), never floats. The monthly
//! figures themselves are derived in [`crate::actuals`].

use core::fmt;

use serde::Serialize;

use crate::time;

/// Stream name of the common chart of accounts.
pub const ACCOUNTS_STREAM: &str = "common.accounts";
/// Stream name of the common monthly actuals.
pub const ACTUALS_STREAM: &str = "common.actuals";

/// The five classes every account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    /// Assets (debit-normal, balance sheet).
    Asset,
    /// Liabilities (credit-normal, balance sheet).
    Liability,
    /// Equity (credit-normal, balance sheet).
    Equity,
    /// Revenue and other income (credit-normal, profit and loss).
    Revenue,
    /// Expenses and costs of sales (debit-normal, profit and loss).
    Expense,
}

impl Classification {
    /// `asset`, `liability`, `equity`, `revenue` or `expense`.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Asset => "asset",
            Classification::Liability => "liability",
            Classification::Equity => "equity",
            Classification::Revenue => "revenue",
            Classification::Expense => "expense",
        }
    }

    /// Whether a debit increases the account's natural balance.
    pub fn debit_normal(self) -> bool {
        matches!(self, Classification::Asset | Classification::Expense)
    }

    /// Whether the account belongs to the balance sheet (not profit and loss).
    pub fn balance_sheet(self) -> bool {
        matches!(
            self,
            Classification::Asset | Classification::Liability | Classification::Equity
        )
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `common.accounts` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommonAccount {
    /// The provider's account id.
    pub id: String,
    /// The account code or number, when the provider has one.
    pub code: Option<String>,
    /// The account name.
    pub name: String,
    /// The common class.
    pub classification: Classification,
    /// The provider's account type, as sent.
    pub provider_type: String,
    /// The provider's account subtype, as sent, when it has one.
    pub provider_subtype: Option<String>,
    /// `active`, `archived` or `deleted`.
    pub status: String,
    /// ISO 4217 currency of the account, when known.
    pub currency: Option<String>,
    /// The parent account's id, for sub-accounts.
    pub parent: Option<String>,
}

/// Whether an [`Actual`] is a month's movement or the balance brought forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActualKind {
    /// The net movement posted to the account in the month.
    Movement,
    /// The account's balance at the end of `period`, the month before the first
    /// synced month: what history before the window adds up to.
    Opening,
}

/// One `common.actuals` record: what was posted to one account in one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actual {
    /// The provider's account id.
    pub account_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Debit side of the net movement (`0.00` when the net is a credit).
    pub debit: String,
    /// Credit side of the net movement (`0.00` when the net is a debit).
    pub credit: String,
    /// `debit − credit`: positive is a net debit.
    pub net: String,
    /// ISO 4217 currency of the amounts (the company's home currency).
    pub currency: Option<String>,
    /// Movement or opening balance.
    pub kind: ActualKind,
}

impl Actual {
    /// The record id: `{account}:{period}`, or `{account}:opening`.
    pub fn record_id(&self) -> String {
        match self.kind {
            ActualKind::Movement => format!("{}:{}", self.account_id, self.period),
            ActualKind::Opening => format!("{}:opening", self.account_id),
        }
    }
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    /// The month `year-month`; `None` unless `month` is 1–12.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The UTC month of `ms` since the epoch.
    pub fn of_millis(ms: i64) -> Month {
        let (y, m, _) = time::civil_from_days(ms.div_euclid(86_400_000));
        Month {
            year: i32::try_from(y).unwrap_or(i32::MAX),
            month: m,
        }
    }

    /// Reads `YYYY-MM` (also the month of a `YYYY-MM-DD…` date).
    pub fn parse(text: &str) -> Option<Month> {
        let year = text.get(0..4)?.parse().ok()?;
        if text.as_bytes().get(4) != Some(&b'-') {
            return None;
        }
        let month = text.get(5..7)?.parse().ok()?;
        Month::new(year, month)
    }

    /// The month `n` months later (`n` may be negative).
    pub fn plus(self, n: i32) -> Month {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(n);
        Month {
            year: i32::try_from(index.div_euclid(12)).unwrap_or(i32::MAX),
            month: u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1,
        }
    }

    /// The month before.
    pub fn prev(self) -> Month {
        self.plus(-1)
    }

    /// Months from `self` to `other` (positive when `other` is later).
    pub fn months_until(self, other: Month) -> i64 {
        (i64::from(other.year) - i64::from(self.year)) * 12 + i64::from(other.month)
            - i64::from(self.month)
    }

    /// Every month from `self` to `last`, both included (empty if `last` is earlier).
    pub fn through(self, last: Month) -> Vec<Month> {
        let n = self.months_until(last);
        (0..=n)
            .filter_map(|i| i32::try_from(i).ok())
            .map(|i| self.plus(i))
            .collect()
    }

    /// Days in the month.
    pub fn days(self) -> u32 {
        let next = self.plus(1);
        let a = time::days_from_civil(i64::from(self.year), self.month, 1);
        let b = time::days_from_civil(i64::from(next.year), next.month, 1);
        u32::try_from(b - a).unwrap_or(30)
    }

    /// `YYYY-MM-01`.
    pub fn first_day(self) -> String {
        format!("{:04}-{:02}-01", self.year, self.month)
    }

    /// `YYYY-MM-DD` of the month's last day.
    pub fn last_day(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.days())
    }

    /// The first month of the fiscal year containing `self`, for a fiscal year that
    /// starts in month `fy_start` (1–12; anything else is read as January).
    pub fn fiscal_year_start(self, fy_start: u32) -> Month {
        let start = if (1..=12).contains(&fy_start) {
            fy_start
        } else {
            1
        };
        let back = (self.month + 12 - start) % 12;
        self.plus(-i32::try_from(back).unwrap_or(0))
    }
}

impl fmt::Display for Month {
    /// `YYYY-MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Months of history the actuals go back at least.
pub const HISTORY_MONTHS: i32 = 24;

/// The first month of the actuals window for a company whose fiscal year starts in
/// month `fy_start`, seen in month `current`: the start of the fiscal year that
/// contains the month [`HISTORY_MONTHS`] back (so two full fiscal years and the
/// current one to date).
pub fn history_start(current: Month, fy_start: u32) -> Month {
    current.plus(-HISTORY_MONTHS).fiscal_year_start(fy_start)
}

/// A month name in English (`"January"`, `"Jan"`, any case) → 1–12.
pub fn month_number(name: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.trim().to_ascii_lowercase();
    let head = lower.get(0..3)?;
    NAMES
        .iter()
        .position(|n| *n == head)
        .and_then(|i| u32::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn months() {
        assert_eq!(m("2024-01").prev().to_string(), "2023-12");
        assert_eq!(m("2024-11").plus(3).to_string(), "2025-02");
        assert_eq!(m("2024-02").last_day(), "2024-02-29");
        assert_eq!(m("2023-02").last_day(), "2023-02-28");
        assert_eq!(m("2024-12").first_day(), "2024-12-01");
        assert_eq!(m("2024-12").last_day(), "2024-12-31");
        assert_eq!(m("2023-11").through(m("2024-02")).len(), 4);
        assert!(m("2024-02").through(m("2023-11")).is_empty());
        assert_eq!(Month::parse("2024-13"), None);
        assert_eq!(Month::parse("2024-05-17").unwrap().to_string(), "2024-05");
        assert_eq!(Month::of_millis(1_556_129_558_724).to_string(), "2019-04");
        assert_eq!(m("2024-02").fiscal_year_start(1).to_string(), "2024-01");
        assert_eq!(m("2024-02").fiscal_year_start(4).to_string(), "2023-04");
        assert_eq!(m("2024-04").fiscal_year_start(4).to_string(), "2024-04");
        assert_eq!(month_number("January"), Some(1));
        assert_eq!(month_number("dec"), Some(12));
        assert_eq!(month_number("x"), None);
        assert_eq!(history_start(m("2026-12"), 1).to_string(), "2024-01");
        assert_eq!(history_start(m("2026-03"), 4).to_string(), "2023-04");
    }

    #[test]
    fn classifications() {
        assert!(Classification::Asset.debit_normal());
        assert!(!Classification::Revenue.debit_normal());
        assert!(Classification::Equity.balance_sheet());
        assert!(!Classification::Expense.balance_sheet());
        assert_eq!(
            serde_json::to_string(&Classification::Liability).unwrap(),
            "\"liability\""
        );
        let a = Actual {
            account_id: "7".into(),
            period: "2024-01".into(),
            debit: "1.00".into(),
            credit: "0.00".into(),
            net: "1.00".into(),
            currency: None,
            kind: ActualKind::Movement,
        };
        assert_eq!(a.record_id(), "7:2024-01");
        let o = Actual {
            kind: ActualKind::Opening,
            ..a
        };
        assert_eq!(o.record_id(), "7:opening");
    }
}
