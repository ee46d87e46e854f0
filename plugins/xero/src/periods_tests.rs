//! Multi-period report tests on the shape of Xero's OpenAPI balance-sheet example
//! (three period columns, "Current Year Earnings" with the zero account id).

use super::*;
use mooring_plugin_sdk::serde_json::json;

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn row(id: &str, name: &str, values: &[&str]) -> Value {
    let attr = json!([{"Value": id, "Id": "account"}]);
    let mut cells = vec![json!({"Value": name, "Attributes": attr})];
    cells.extend(
        values
            .iter()
            .map(|v| json!({"Value": v, "Attributes": attr})),
    );
    json!({"RowType": "Row", "Cells": cells})
}

fn balance_sheet() -> Value {
    json!({"Reports": [{"ReportName": "Balance Sheet", "ReportType": "BalanceSheet",
    "Rows": [
        {"RowType": "Header", "Cells": [{"Value": ""}, {"Value": "30 Apr 2019"},
            {"Value": "31 Mar 2019"}, {"Value": "28 Feb 2019"}]},
        {"RowType": "Section", "Title": "Current Liabilities", "Rows": [
            row("a2a4795b", "Accounts Payable", &["-3469.00", "-3,469.00", "-184.00"]),
            {"RowType": "SummaryRow", "Cells": [{"Value": "Total Current Liabilities"},
                {"Value": "-5915.21"}, {"Value": "-5930.89"}, {"Value": "-107.50"}]}]},
        {"RowType": "Section", "Title": "", "Rows": [
            {"RowType": "Row", "Cells": [{"Value": "Net Assets"}, {"Value": "185448.30"},
                {"Value": "185333.67"}, {"Value": "464.00"}]}]},
        {"RowType": "Section", "Title": "Equity", "Rows": [
            row("00000000-0000-0000-0000-000000000000", "Current Year Earnings", &["114.62", "156621.67", "500.00"]),
            row("136ebd08", "Owner A Drawings (880)", &["28752.00", "28752.00", ""])]}
    ]}]})
}

#[test]
fn reads_periods_most_recent_first() {
    let r = parse(&balance_sheet()).unwrap();
    assert_eq!(r.columns, 3);
    assert_eq!(r.rows.len(), 3, "rows without an account are skipped");
    assert_eq!(r.rows[2].name, "Owner A Drawings");
    assert_eq!(r.rows[2].section, "Equity");
    let f = figures(&r, m("2019-04"), m("2019-01")).unwrap();
    assert_eq!(f.len(), 9);
    let ap_march = f
        .iter()
        .find(|x| x.account_id == "a2a4795b" && x.month == m("2019-03"))
        .unwrap();
    assert_eq!(ap_march.amount.to_string(), "-3469.00");
    let drawings_feb = f
        .iter()
        .find(|x| x.account_id == "136ebd08" && x.month == m("2019-02"))
        .unwrap();
    assert!(drawings_feb.amount.is_zero());
    // Months before the window are dropped.
    assert_eq!(figures(&r, m("2019-04"), m("2019-03")).unwrap().len(), 6);
}

#[test]
fn call_planning() {
    assert_eq!(periods_param(m("2024-01"), m("2024-12")), Some(11));
    assert_eq!(
        periods_param(m("2023-01"), m("2024-12")),
        Some(11),
        "twelve months a call"
    );
    assert_eq!(periods_param(m("2024-12"), m("2024-12")), None);
    assert_eq!(periods_param(m("2024-11"), m("2024-12")), Some(1));
    assert_eq!(months_covered(0), 1);
    assert_eq!(months_covered(12), 12);
}

#[test]
fn broken_reports() {
    assert!(parse(&json!({"Reports": []})).is_err());
    let mut bad = balance_sheet();
    bad["Reports"][0]["Rows"][1]["Rows"][0]["Cells"][1]["Value"] = json!("n/a");
    let r = parse(&bad).unwrap();
    assert!(figures(&r, m("2019-04"), m("2019-01")).is_err());
}
