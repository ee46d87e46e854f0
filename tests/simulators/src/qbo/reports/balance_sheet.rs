//! `BalanceSheet` as of `end`, or as of each month end of `start..=end`
//! (`summarize_column_by=Month`; no total column: balances do not add up across
//! months). Groups as QuickBooks names them: TotalAssets (CurrentAssets → BankAccounts,
//! AR, OtherCurrentAssets; FixedAssets; OtherAssets) and TotalLiabilitiesAndEquity
//! (Liabilities → CurrentLiabilities → AP, CreditCards, OtherCurrentLiabilities;
//! LongTermLiabilities; Equity). Equity shows Retained Earnings with every earlier
//! fiscal year's profit added, and a `Net Income` row with this fiscal year's. Assets
//! are debit-positive, liabilities and equity credit-positive; in every column Total
//! Assets equals Total Liabilities and Equity.

use std::collections::HashMap;

use serde_json::Value;

use super::shape::{self, Col};
use crate::clock::Millis;
use crate::qbo::data::{AccountType, QboCompanyData};
use crate::qbo::ledger::generate::is_pl;
use crate::qbo::ledger::totals::{fy_start, postings, retained_earnings};

/// Per-account natural-sign balances per column, and the Net Income per column.
pub fn balances(d: &QboCompanyData, cols: &[Col]) -> (HashMap<u64, Vec<i64>>, Vec<i64>) {
    let n = cols.len();
    let re = retained_earnings(d);
    let fys: Vec<i64> = cols.iter().map(|c| fy_start(c.end)).collect();
    let mut out: HashMap<u64, Vec<i64>> = HashMap::new();
    let mut net_income = vec![0; n];
    for (day, account, amount) in postings(d) {
        let Some(a) = d.account(account) else {
            continue;
        };
        let pl = is_pl(a.kind);
        let asset = a.kind.classification() == "Asset";
        for (i, c) in cols.iter().enumerate() {
            if day > c.end {
                continue;
            }
            if pl && day >= fys[i] {
                net_income[i] -= amount;
            } else {
                let target = if pl { re } else { account };
                let natural = if asset { amount } else { -amount };
                out.entry(target).or_insert_with(|| vec![0; n])[i] += natural;
            }
        }
    }
    (out, net_income)
}

fn members(d: &QboCompanyData, kinds: &[AccountType]) -> Vec<u64> {
    let mut m: Vec<&crate::qbo::data::QboAccount> = d
        .accounts
        .iter()
        .filter(|a| kinds.contains(&a.kind))
        .collect();
    m.sort_by_key(|a| a.name.to_lowercase());
    m.into_iter().map(|a| a.id).collect()
}

fn add(a: &mut [i64], b: &[i64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

/// Sections of `parts` (title, group, rows, totals) that have rows, and their sum.
fn nest(parts: Vec<(&str, &str, Vec<Value>, Vec<i64>)>, n: usize) -> (Vec<Value>, Vec<i64>) {
    let mut rows = Vec::new();
    let mut totals = vec![0; n];
    for (title, group, r, t) in parts {
        if !r.is_empty() {
            add(&mut totals, &t);
            rows.push(shape::section(title, Some(group), r, &t, None));
        }
    }
    (rows, totals)
}

/// The report body.
pub fn report(d: &QboCompanyData, start: i64, end: i64, by_month: bool, now: Millis) -> Value {
    use AccountType as T;
    let cols = shape::columns(start, end, by_month);
    let n = cols.len();
    let (amounts, net_income) = balances(d, &cols);
    let g = |kinds: &[AccountType]| {
        let (r, t) = shape::account_rows(d, &members(d, kinds), &amounts, n);
        (r, t)
    };
    let (bank, bank_t) = g(&[T::Bank]);
    let (ar, ar_t) = g(&[T::AccountsReceivable]);
    let (oca, oca_t) = g(&[T::OtherCurrentAsset]);
    let (ca_rows, ca_t) = nest(
        vec![
            ("Bank Accounts", "BankAccounts", bank, bank_t),
            ("Accounts Receivable", "AR", ar, ar_t),
            ("Other Current Assets", "OtherCurrentAssets", oca, oca_t),
        ],
        n,
    );
    let (fa, fa_t) = g(&[T::FixedAsset]);
    let (oa, oa_t) = g(&[T::OtherAsset]);
    let (asset_rows, assets_t) = nest(
        vec![
            ("Current Assets", "CurrentAssets", ca_rows, ca_t),
            ("Fixed Assets", "FixedAssets", fa, fa_t),
            ("Other Assets", "OtherAssets", oa, oa_t),
        ],
        n,
    );
    let (ap, ap_t) = g(&[T::AccountsPayable]);
    let (cc, cc_t) = g(&[T::CreditCard]);
    let (ocl, ocl_t) = g(&[T::OtherCurrentLiability]);
    let (cl_rows, cl_t) = nest(
        vec![
            ("Accounts Payable", "AP", ap, ap_t),
            ("Credit Cards", "CreditCards", cc, cc_t),
            (
                "Other Current Liabilities",
                "OtherCurrentLiabilities",
                ocl,
                ocl_t,
            ),
        ],
        n,
    );
    let (ltl, ltl_t) = g(&[T::LongTermLiability]);
    let (liab_rows, liab_t) = nest(
        vec![
            ("Current Liabilities", "CurrentLiabilities", cl_rows, cl_t),
            ("Long-Term Liabilities", "LongTermLiabilities", ltl, ltl_t),
        ],
        n,
    );
    let (mut eq_rows, mut eq_t) = g(&[T::Equity]);
    eq_rows.push(shape::data_row("Net Income", None, &net_income));
    add(&mut eq_t, &net_income);
    let mut le_rows = Vec::new();
    let mut le_t = vec![0; n];
    if !liab_rows.is_empty() {
        add(&mut le_t, &liab_t);
        le_rows.push(shape::section(
            "Liabilities",
            Some("Liabilities"),
            liab_rows,
            &liab_t,
            None,
        ));
    }
    add(&mut le_t, &eq_t);
    le_rows.push(shape::section(
        "Equity",
        Some("Equity"),
        eq_rows,
        &eq_t,
        None,
    ));
    let rows = vec![
        shape::section(
            "ASSETS",
            Some("TotalAssets"),
            asset_rows,
            &assets_t,
            Some("TOTAL ASSETS"),
        ),
        shape::section(
            "LIABILITIES AND EQUITY",
            Some("TotalLiabilitiesAndEquity"),
            le_rows,
            &le_t,
            Some("TOTAL LIABILITIES AND EQUITY"),
        ),
    ];
    let any = d.ledger.live_transactions().next().is_some();
    let by = if by_month { "Month" } else { "Total" };
    shape::report(
        shape::header("BalanceSheet", start, end, Some(by), false, now),
        shape::money_columns(&cols, by_month, false),
        if any { rows } else { Vec::new() },
    )
}
