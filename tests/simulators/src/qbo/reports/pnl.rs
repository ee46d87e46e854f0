//! `ProfitAndLoss` over `start..=end`, one column (`Total`) or one per month plus a
//! `Total` (`summarize_column_by=Month`), shaped like Intuit's sample
//! (reference/quickbooks/intuitdocs_ProfitAndLoss_report.json): sections Income, Cost
//! of Goods Sold, Expenses, Other Income, Other Expenses (`group` Income, COGS,
//! Expenses, OtherIncome, OtherExpenses) with sub-accounts nested, and the computed
//! GrossProfit, NetOperatingIncome, NetOtherIncome, NetIncome lines. Amounts are signed
//! the account's natural way (income credit-positive, expenses debit-positive).

use std::collections::HashMap;

use serde_json::Value;

use super::shape::{self, Col};
use crate::clock::Millis;
use crate::qbo::data::{AccountType, QboCompanyData};
use crate::qbo::ledger::totals::postings;

/// Per-account natural-sign amounts of P&L accounts per column (plus a total column
/// when there are several).
pub fn amounts(d: &QboCompanyData, cols: &[Col]) -> HashMap<u64, Vec<i64>> {
    let n = if cols.len() > 1 { cols.len() + 1 } else { 1 };
    let (start, end) = (
        cols.first().map_or(0, |c| c.start),
        cols.last().map_or(-1, |c| c.end),
    );
    let mut out: HashMap<u64, Vec<i64>> = HashMap::new();
    for (day, account, amount) in postings(d) {
        if day < start || day > end {
            continue;
        }
        let Some(a) = d.account(account) else {
            continue;
        };
        let natural = match a.kind.classification() {
            "Revenue" => -amount,
            "Expense" => amount,
            _ => continue,
        };
        let v = out.entry(account).or_insert_with(|| vec![0; n]);
        if let Some(i) = cols.iter().position(|c| day >= c.start && day <= c.end) {
            v[i] += natural;
        }
        if n > 1 {
            v[n - 1] += natural;
        }
    }
    out
}

fn members(d: &QboCompanyData, kind: AccountType) -> Vec<u64> {
    let mut m: Vec<&crate::qbo::data::QboAccount> =
        d.accounts.iter().filter(|a| a.kind == kind).collect();
    m.sort_by_key(|a| a.name.to_lowercase());
    m.into_iter().map(|a| a.id).collect()
}

fn combine(a: &[i64], b: &[i64], sign: i64) -> Vec<i64> {
    a.iter().zip(b).map(|(x, y)| x + sign * y).collect()
}

/// The report body.
pub fn report(d: &QboCompanyData, start: i64, end: i64, by_month: bool, now: Millis) -> Value {
    let cols = shape::columns(start, end, by_month);
    let amounts = amounts(d, &cols);
    let n = if cols.len() > 1 { cols.len() + 1 } else { 1 };
    let group = |kind| shape::account_rows(d, &members(d, kind), &amounts, n);
    let (inc_rows, inc) = group(AccountType::Income);
    let (cogs_rows, cogs) = group(AccountType::CostOfGoodsSold);
    let (exp_rows, exp) = group(AccountType::Expense);
    let (oi_rows, oi) = group(AccountType::OtherIncome);
    let (oe_rows, oe) = group(AccountType::OtherExpense);
    let any = !(inc_rows.is_empty()
        && cogs_rows.is_empty()
        && exp_rows.is_empty()
        && oi_rows.is_empty()
        && oe_rows.is_empty());
    let gross = combine(&inc, &cogs, -1);
    let noi = combine(&gross, &exp, -1);
    let noth = combine(&oi, &oe, -1);
    let net = combine(&noi, &noth, 1);
    let mut rows = Vec::new();
    if any {
        rows.push(shape::section(
            "Income",
            Some("Income"),
            inc_rows,
            &inc,
            None,
        ));
        if !cogs_rows.is_empty() {
            rows.push(shape::section(
                "Cost of Goods Sold",
                Some("COGS"),
                cogs_rows,
                &cogs,
                None,
            ));
        }
        rows.push(shape::computed("Gross Profit", "GrossProfit", &gross));
        rows.push(shape::section(
            "Expenses",
            Some("Expenses"),
            exp_rows,
            &exp,
            None,
        ));
        rows.push(shape::computed(
            "Net Operating Income",
            "NetOperatingIncome",
            &noi,
        ));
        if !oi_rows.is_empty() || !oe_rows.is_empty() {
            if !oi_rows.is_empty() {
                rows.push(shape::section(
                    "Other Income",
                    Some("OtherIncome"),
                    oi_rows,
                    &oi,
                    None,
                ));
            }
            if !oe_rows.is_empty() {
                rows.push(shape::section(
                    "Other Expenses",
                    Some("OtherExpenses"),
                    oe_rows,
                    &oe,
                    None,
                ));
            }
            rows.push(shape::computed("Net Other Income", "NetOtherIncome", &noth));
        }
        rows.push(shape::computed("Net Income", "NetIncome", &net));
    }
    let by = if by_month { "Month" } else { "Total" };
    shape::report(
        shape::header("ProfitAndLoss", start, end, Some(by), false, now),
        shape::money_columns(&cols, by_month, true),
        rows,
    )
}
