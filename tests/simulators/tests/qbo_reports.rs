//! QuickBooks reports computed from the generated ledger: the trial balance balances
//! and matches the truth, the monthly P&L equals the month's ledger lines on income and
//! expense accounts, the monthly balance sheet balances and agrees with the trial
//! balance, and the general ledger's sections add up to the same movements.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::Value;

/// Cents of a report value ("" → 0).
fn cents(v: &Value) -> i64 {
    let t = v["value"].as_str().unwrap_or_default();
    if t.is_empty() {
        return 0;
    }
    let neg = t.starts_with('-');
    let t = t.trim_start_matches('-');
    let (whole, frac) = t.split_once('.').unwrap_or((t, "0"));
    let frac = format!("{frac:0<2}");
    let c = whole.parse::<i64>().unwrap() * 100 + frac[..2].parse::<i64>().unwrap();
    if neg { -c } else { c }
}

/// Every data row with an account id: id → cells (all columns after the first).
fn account_rows(rows: &Value, out: &mut HashMap<String, Vec<i64>>) {
    for r in rows["Row"].as_array().into_iter().flatten() {
        if let Some(cd) = r["ColData"].as_array()
            && let Some(id) = cd[0]["id"].as_str()
        {
            out.insert(id.to_owned(), cd[1..].iter().map(cents).collect());
        }
        account_rows(&r["Rows"], out);
    }
}

/// The summary cells of the section with `group`.
fn group_total(rows: &Value, group: &str) -> Option<Vec<i64>> {
    for r in rows["Row"].as_array().into_iter().flatten() {
        if r["group"] == group {
            return Some(
                r["Summary"]["ColData"].as_array().unwrap()[1..]
                    .iter()
                    .map(cents)
                    .collect(),
            );
        }
        if let Some(t) = group_total(&r["Rows"], group) {
            return Some(t);
        }
    }
    None
}

async fn setup() -> (World, String) {
    let w = world().await;
    w.sim.generate_qbo_company(&w.realm, 5_000, 11).unwrap();
    let at = w.qbo_at(&w.realm).await;
    (w, at)
}

fn classification(w: &World) -> HashMap<String, String> {
    w.sim
        .qbo_truth(&w.realm)
        .unwrap()
        .iter()
        .map(|a| (s(&a["Id"]).to_owned(), s(&a["Classification"]).to_owned()))
        .collect()
}

#[tokio::test]
async fn trial_balance_balances_and_matches_the_truth() {
    let (w, at) = setup().await;
    for date in ["2025-12-31", "2026-06-30", "2026-11-22"] {
        let a = w
            .qbo_get(
                &at,
                &w.realm,
                &format!("reports/TrialBalance?end_date={date}"),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let v = a.json();
        assert_eq!(v["Header"]["ReportName"], "TrialBalance");
        assert_eq!(v["Header"]["EndPeriod"], date);
        assert_eq!(v["Columns"]["Column"][1]["ColTitle"], "Debit");
        let total = group_total(&v["Rows"], "GrandTotal").unwrap();
        assert_eq!(total[0], total[1], "debits == credits on {date}");
        let mut rows = HashMap::new();
        account_rows(&v["Rows"], &mut rows);
        let truth = w.sim.qbo_report_trial_balance(&w.realm, date).unwrap();
        assert_eq!(rows.len(), truth.len());
        for t in &truth {
            assert_eq!(
                rows[&t.account.to_string()],
                vec![t.debit_cents, t.credit_cents]
            );
        }
        let raw = w.sim.qbo_trial_balance(&w.realm, date).unwrap();
        let (d, c): (i64, i64) = raw
            .iter()
            .fold((0, 0), |a, r| (a.0 + r.debit_cents, a.1 + r.credit_cents));
        assert_eq!(d, c, "the raw truth balances too");
    }
}

#[tokio::test]
async fn monthly_pnl_equals_the_months_ledger_lines() {
    let (w, at) = setup().await;
    let class = classification(&w);
    let v = w
        .qbo_get(&at, &w.realm, "reports/ProfitAndLoss?start_date=2024-12-01&end_date=2026-11-22&summarize_column_by=Month")
        .await
        .json();
    assert_eq!(v["Header"]["SummarizeColumnsBy"], "Month");
    let cols = v["Columns"]["Column"].as_array().unwrap();
    assert_eq!(cols.len(), 1 + 24 + 1, "account, 24 months, total");
    assert_eq!(cols[1]["ColTitle"], "Dec 2024");
    assert_eq!(cols[25]["MetaData"][0]["Value"], "total");
    let months: Vec<String> = cols[1..25]
        .iter()
        .map(|c| c["MetaData"][0]["Value"].as_str().unwrap()[..7].to_owned())
        .collect();
    let mut rows = HashMap::new();
    account_rows(&v["Rows"], &mut rows);
    let mut want: HashMap<(String, String), i64> = HashMap::new();
    let mut net: HashMap<String, i64> = HashMap::new();
    for m in w.sim.qbo_monthly_totals(&w.realm).unwrap() {
        let id = m.account.to_string();
        let natural = match class[&id].as_str() {
            "Revenue" => m.credit_cents - m.debit_cents,
            "Expense" => m.debit_cents - m.credit_cents,
            _ => continue,
        };
        *net.entry(m.month.clone()).or_default() += m.credit_cents - m.debit_cents;
        want.insert((id, m.month), natural);
    }
    for (id, cells) in &rows {
        for (i, month) in months.iter().enumerate() {
            let w = want.get(&(id.clone(), month.clone())).copied().unwrap_or(0);
            assert_eq!(cells[i], w, "account {id} in {month}");
        }
        assert_eq!(
            cells[24],
            cells[..24].iter().sum::<i64>(),
            "total column of {id}"
        );
    }
    let net_income = group_total(&v["Rows"], "NetIncome").unwrap();
    for (i, month) in months.iter().enumerate() {
        assert_eq!(
            net_income[i],
            net.get(month).copied().unwrap_or(0),
            "net income {month}"
        );
    }
}

#[tokio::test]
async fn monthly_balance_sheet_balances_and_agrees_with_the_trial_balance() {
    let (w, at) = setup().await;
    let v = w
        .qbo_get(&at, &w.realm, "reports/BalanceSheet?start_date=2025-01-01&end_date=2026-11-22&summarize_column_by=Month")
        .await
        .json();
    let cols = v["Columns"]["Column"].as_array().unwrap();
    assert_eq!(cols.len(), 1 + 23, "no total column");
    let assets = group_total(&v["Rows"], "TotalAssets").unwrap();
    let le = group_total(&v["Rows"], "TotalLiabilitiesAndEquity").unwrap();
    assert_eq!(assets, le);
    assert!(assets.iter().all(|a| *a != 0));
    let class = classification(&w);
    let mut rows = HashMap::new();
    account_rows(&v["Rows"], &mut rows);
    for (i, c) in cols[1..].iter().enumerate() {
        let end = c["MetaData"][1]["Value"].as_str().unwrap();
        for t in w.sim.qbo_report_trial_balance(&w.realm, end).unwrap() {
            let id = t.account.to_string();
            let natural = match class[&id].as_str() {
                "Asset" => t.debit_cents - t.credit_cents,
                "Liability" | "Equity" => t.credit_cents - t.debit_cents,
                _ => continue,
            };
            assert_eq!(rows[&id][i], natural, "account {id} at {end}");
        }
    }
}

#[tokio::test]
async fn general_ledger_sections_add_up() {
    let (w, at) = setup().await;
    let class = classification(&w);
    let v = w
        .qbo_get(&at, &w.realm, "reports/GeneralLedger?start_date=2026-03-01&end_date=2026-03-31&columns=tx_date,txn_type,doc_num,name,split_acc,subt_nat_amount,debt_amt,credit_amt")
        .await
        .json();
    assert_eq!(v["Columns"]["Column"][5]["ColType"], "subt_nat_amount");
    let mut want: HashMap<String, (i64, i64)> = HashMap::new();
    for m in w.sim.qbo_monthly_totals(&w.realm).unwrap() {
        if m.month == "2026-03" {
            want.insert(m.account.to_string(), (m.debit_cents, m.credit_cents));
        }
    }
    let mut seen = 0;
    for section in v["Rows"]["Row"].as_array().unwrap() {
        let id = s(&section["Header"]["ColData"][0]["id"]).to_owned();
        let (mut sub, mut dr, mut cr) = (0, 0, 0);
        for r in section["Rows"]["Row"].as_array().into_iter().flatten() {
            let cd = r["ColData"].as_array().unwrap();
            if cd[0]["value"] == "Beginning Balance" {
                continue;
            }
            assert!(
                cd[1]["id"].is_string(),
                "txn_type carries the transaction id"
            );
            sub += cents(&cd[5]);
            dr += cents(&cd[6]);
            cr += cents(&cd[7]);
        }
        let (d, c) = want.get(&id).copied().unwrap_or((0, 0));
        assert_eq!((dr, cr), (d, c), "account {id}");
        let natural = if matches!(class[&id].as_str(), "Asset" | "Expense") {
            d - c
        } else {
            c - d
        };
        assert_eq!(sub, natural, "account {id}");
        if d + c > 0 {
            seen += 1;
        }
    }
    assert_eq!(seen, want.len());
}

#[tokio::test]
async fn defaults_empty_reports_and_faults() {
    let w = world().await;
    let at = w.qbo_at(&w.realm).await;
    // A chart-only company: no report data.
    let v = w
        .qbo_get(&at, &w.realm, "reports/ProfitAndLoss")
        .await
        .json();
    assert_eq!(v["Header"]["Option"][0]["Value"], "true");
    assert_eq!(v["Rows"], serde_json::json!({}));
    assert_eq!(
        v["Header"]["StartPeriod"], "2026-01-01",
        "fiscal year to date"
    );
    let bad = w
        .qbo_get(&at, &w.realm, "reports/TrialBalance?end_date=2026-13-01")
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["Fault"]["type"], "ValidationFault");
    let unknown = w.qbo_get(&at, &w.realm, "reports/CashFlow").await;
    assert_eq!(unknown.status, 400);
}
