//! Report parsing tests on Intuit's documented payloads (`testdata/`) and on a
//! monthly report of the same shape.

use super::*;
use mooring_plugin_sdk::serde_json::{self, json};

const PNL: &str = include_str!("../testdata/intuitdocs_ProfitAndLoss_report.json");
const TB: &str = include_str!("../testdata/intuitdocs_TrialBalance_report.json");
const GL: &str = include_str!("../testdata/intuitdocs_GeneralLedger_report_TRUNCATED.json");

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

#[test]
fn documented_profit_and_loss() {
    let report: Value = serde_json::from_str(PNL).unwrap();
    assert!(!no_data(&report));
    assert_eq!(currency(&report).as_deref(), Some("USD"));
    let rows = data_rows(&report);
    let ids: Vec<_> = rows.iter().filter_map(|r| r.id.clone()).collect();
    assert_eq!(
        ids,
        ["48", "49", "54"],
        "section headers and totals are not data"
    );
    assert_eq!(
        rows[0].section_account.as_deref(),
        Some("46"),
        "a sub-account"
    );
    assert_eq!(rows[0].group.as_deref(), Some("Income"));
    let figures = monthly_figures(&report, &[m("2015-06")]).unwrap();
    let total = Decimal::sum(figures.iter().map(|f| f.amount)).unwrap();
    assert_eq!(total.to_string(), "325.00", "the report's Total Income");
}

#[test]
fn documented_trial_balance() {
    let report: Value = serde_json::from_str(TB).unwrap();
    let rows = trial_balance(&report).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].0, "35");
    assert_eq!(rows[0].2.to_string(), "4151.74");
    assert!(rows[0].3.is_zero());
    assert_eq!(rows[1].3.to_string(), "46.00");
}

#[test]
fn documented_general_ledger() {
    let report: Value = serde_json::from_str(GL).unwrap();
    let rows = data_rows(&report);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.section_account.is_some()));
    assert_eq!(rows[2].section_account.as_deref(), Some("86"));
    assert_eq!(rows[2].values[1], "-30.5");
    let cols = columns(&report);
    assert_eq!(cols[1].1, "subt_nat_amount");
}

fn monthly() -> Value {
    json!({
        "Header": {"ReportName": "ProfitAndLoss", "Currency": "USD", "SummarizeColumnsBy": "Month",
                   "Option": [{"Name": "NoReportData", "Value": "false"}]},
        "Columns": {"Column": [
            {"ColTitle": "", "ColType": "Account", "MetaData": [{"Name": "ColKey", "Value": "account"}]},
            {"ColTitle": "Jan 2024", "ColType": "Money"},
            {"ColTitle": "Feb 2024", "ColType": "Money"},
            {"ColTitle": "Total", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]}]},
        "Rows": {"Row": [
            {"type": "Section", "group": "Income",
             "Header": {"ColData": [{"value": "Income"}, {"value": ""}, {"value": ""}, {"value": ""}]},
             "Rows": {"Row": [
                {"type": "Section", "Header": {"ColData": [{"value": "Services", "id": "1"}, {"value": ""}, {"value": ""}, {"value": ""}]},
                 "Rows": {"Row": [
                    {"type": "Data", "ColData": [{"value": "Services", "id": "1"}, {"value": "10.00"}, {"value": ""}, {"value": "10.00"}]},
                    {"type": "Data", "ColData": [{"value": "Design", "id": "2"}, {"value": "1,000.50"}, {"value": "(5.25)"}, {"value": "995.25"}]}]},
                 "Summary": {"ColData": [{"value": "Total Services"}, {"value": "1010.50"}, {"value": "-5.25"}, {"value": "1005.25"}]}}]},
             "Summary": {"ColData": [{"value": "Total Income"}, {"value": "1010.50"}, {"value": "-5.25"}, {"value": "1005.25"}]}},
            {"type": "Section", "group": "NetIncome",
             "Summary": {"ColData": [{"value": "Net Income"}, {"value": "1010.50"}, {"value": "-5.25"}, {"value": "1005.25"}]}}]}
    })
}

#[test]
fn monthly_columns_and_figures() {
    let report = monthly();
    let months = [m("2024-01"), m("2024-02")];
    assert_eq!(
        month_columns(&report, &months).unwrap(),
        vec![(1, months[0]), (2, months[1])]
    );
    let f = monthly_figures(&report, &months).unwrap();
    assert_eq!(
        f.len(),
        4,
        "two accounts × two months; the parent's own row counts"
    );
    let design_feb = f
        .iter()
        .find(|x| x.account == "2" && x.month == months[1])
        .unwrap();
    assert_eq!(design_feb.amount.to_string(), "-5.25");
    assert_eq!(design_feb.group.as_deref(), Some("Income"));
    assert!(month_columns(&report, &[m("2024-01")]).is_err());
    assert!(
        month_columns(
            &report,
            &[m("2024-01"), m("2024-02"), m("2024-03"), m("2024-04")]
        )
        .is_err()
    );
}

#[test]
fn empty_and_broken_reports() {
    let empty = json!({"Header": {"Option": [{"Name": "NoReportData", "Value": "true"}]},
                       "Columns": {"Column": []}, "Rows": {}});
    assert!(no_data(&empty));
    assert!(monthly_figures(&empty, &[m("2024-01")]).unwrap().is_empty());
    assert!(trial_balance(&empty).unwrap().is_empty());
    assert!(data_rows(&json!({})).is_empty());
    let mut bad = monthly();
    bad["Rows"]["Row"][0]["Rows"]["Row"][0]["Rows"]["Row"][0]["ColData"][1]["value"] = json!("ten");
    assert!(monthly_figures(&bad, &[m("2024-01"), m("2024-02")]).is_err());
}
