//! Trial balance parsing tests on the shapes of Xero's OpenAPI example and
//! PROVIDERS.md A3.

use super::*;

fn acct(id: &str, name: &str, values: [&str; 4]) -> Value {
    let attr = json!([{"Value": id, "Id": "account"}]);
    let mut cells = vec![json!({"Value": name, "Attributes": attr})];
    cells.extend(
        values
            .iter()
            .map(|v| json!({"Value": v, "Attributes": attr})),
    );
    json!({"RowType": "Row", "Cells": cells})
}

fn report() -> Value {
    json!({"Reports": [{
        "ReportName": "Trial Balance", "ReportType": "TrialBalance", "ReportDate": "24 April 2019",
        "UpdatedDateUTC": "/Date(1556129558724)/", "Fields": [],
        "Rows": [
            {"RowType": "Header", "Cells": [{"Value": "Account"}, {"Value": "Debit"},
                {"Value": "Credit"}, {"Value": "YTD Debit"}, {"Value": "YTD Credit"}]},
            {"RowType": "Section", "Title": "Revenue", "Rows": [
                acct("02439bca", "Sales (400)", ["", "200.00", "", "1020.22"]),
                acct("3f50db14", "Sales-35325 (1302)", ["", "1,000.00", "", "1000.00"])
            ]},
            {"RowType": "Section", "Title": "Expenses", "Rows": [
                acct("d1602f69", "Foobar14043 (123)", ["0.00", "", "40.00", ""]),
                acct("e0a5d892", "Rounding", ["(5.00)", "", "oops", ""])
            ]},
            {"RowType": "Section", "Title": "", "Rows": [
                {"RowType": "SummaryRow", "Cells": [{"Value": "Total"}, {"Value": "40.00"},
                    {"Value": "40.00"}, {"Value": "40.00"}, {"Value": "40.00"}]}
            ]}
        ]
    }]})
}

#[test]
fn one_row_per_account_with_numbers() {
    let rows = trial_balance_rows(&report(), "2019-04-24").unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.account_id.as_str()).collect();
    assert_eq!(ids, ["02439bca", "3f50db14", "d1602f69", "e0a5d892"]);
    assert_eq!(
        rows[0].data,
        json!({"AccountID": "02439bca", "AccountName": "Sales", "AccountCode": "400",
            "Section": "Revenue", "Debit": 0.0, "Credit": 200.0, "YTDDebit": 0.0,
            "YTDCredit": 1020.22, "Date": "2019-04-24"})
    );
    assert_eq!(rows[1].data["Credit"], 1000.0);
    assert_eq!(rows[2].data["Section"], "Expenses");
    assert_eq!(rows[2].data["YTDDebit"], 40.0);
    assert_eq!(rows[3].data["AccountCode"], Value::Null);
    assert_eq!(rows[3].data["Debit"], -5.0);
    assert_eq!(rows[3].data["YTDDebit"], Value::Null);
}

#[test]
fn header_order_is_followed() {
    let mut r = report();
    r["Reports"][0]["Rows"][0]["Cells"] = json!([{"Value": "Account"}, {"Value": "Credit"},
        {"Value": "Debit"}, {"Value": "YTD Credit"}, {"Value": "YTD Debit"}]);
    let rows = trial_balance_rows(&r, "2019-04-24").unwrap();
    assert_eq!(rows[0].data["Debit"], 200.0);
    assert_eq!(rows[0].data["Credit"], 0.0);
    assert_eq!(rows[0].data["YTDDebit"], 1020.22);
}

#[test]
fn empty_and_broken_reports() {
    let empty = json!({"Reports": [{"ReportType": "TrialBalance", "Rows": []}]});
    assert!(trial_balance_rows(&empty, "2020-01-01").unwrap().is_empty());
    assert!(trial_balance_rows(&json!({"Reports": []}), "2020-01-01").is_err());
    assert!(trial_balance_rows(&json!({}), "2020-01-01").is_err());
}

#[test]
fn names_and_amounts() {
    assert_eq!(
        split_name_code("Sales (200)"),
        ("Sales".into(), Some("200".into()))
    );
    assert_eq!(
        split_name_code("Bank (Business) (090)"),
        ("Bank (Business)".into(), Some("090".into()))
    );
    assert_eq!(split_name_code("Rounding"), ("Rounding".into(), None));
    assert_eq!(split_name_code("Odd ()"), ("Odd ()".into(), None));
    assert_eq!(parse_amount(""), Some(0.0));
    assert_eq!(parse_amount(" -40.10 "), Some(-40.1));
    assert_eq!(parse_amount("1,234.56"), Some(1234.56));
    assert_eq!(parse_amount("(3.00)"), Some(-3.0));
    assert_eq!(parse_amount("n/a"), None);
    assert_eq!(parse_amount("NaN"), None);
}
