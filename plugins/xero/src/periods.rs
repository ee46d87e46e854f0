//! Xero's multi-period reports (`/Reports/ProfitAndLoss` and `/Reports/BalanceSheet`
//! with `periods` and `timeframe=MONTH`), pure parts.
//!
//! The `Header` row names the columns: the label column, then one column per period,
//! the most recent first (the month asked, then the months before it). Account rows
//! (`RowType: "Row"`) carry the account id in a cell's
//! `Attributes [{"Id": "account", "Value": <AccountID>}]`; values are strings in the
//! account's natural sign (`"1,234.50"`, `"(40.00)"`, `""` for none). Summary rows,
//! rows without an account ("Gross Profit", "Net Assets") and the balance sheet's
//! "Current Year Earnings" (account `00000000-…`, not in the chart) carry no posting
//! and are left to the caller to drop.

use mooring_plugin_sdk::common::Month;
use mooring_plugin_sdk::decimal::Decimal;
use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::types::ConnectorError;

use crate::report::{cell_account, cell_text, split_name_code};

/// One account row of a multi-period report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodRow {
    /// `AccountID`.
    pub account_id: String,
    /// The account name (code removed).
    pub name: String,
    /// The enclosing section's title.
    pub section: String,
    /// The period cells, most recent first.
    pub values: Vec<String>,
}

/// A parsed multi-period report: its number of period columns and its account rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodReport {
    /// Period columns (the header's cells less the label).
    pub columns: usize,
    /// Account rows, in report order.
    pub rows: Vec<PeriodRow>,
}

fn walk(rows: &[Value], section: &str, out: &mut PeriodReport) {
    for row in rows {
        let kind = row.get("RowType").and_then(Value::as_str).unwrap_or("");
        let cells: &[Value] = row
            .get("Cells")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        match kind {
            "Header" => out.columns = cells.len().saturating_sub(1),
            "Section" => {
                let title = row.get("Title").and_then(Value::as_str).unwrap_or(section);
                if let Some(children) = row.get("Rows").and_then(Value::as_array) {
                    walk(children, title, out);
                }
            }
            "Row" => {
                let Some(id) = cells.iter().find_map(cell_account) else {
                    continue;
                };
                let (name, _) = split_name_code(cells.first().map(cell_text).unwrap_or(""));
                out.rows.push(PeriodRow {
                    account_id: id.to_string(),
                    name,
                    section: section.to_string(),
                    values: cells
                        .iter()
                        .skip(1)
                        .map(|c| cell_text(c).to_string())
                        .collect(),
                });
            }
            _ => {}
        }
    }
}

/// Reads the first report of a `{"Reports": [...]}` answer.
pub fn parse(body: &Value) -> Result<PeriodReport, ConnectorError> {
    let report = body
        .get("Reports")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .ok_or_else(|| ConnectorError::InvalidData("Xero's report answer has no report".into()))?;
    let mut out = PeriodReport::default();
    if let Some(rows) = report.get("Rows").and_then(Value::as_array) {
        walk(rows, "", &mut out);
    }
    if out.columns == 0 {
        out.columns = out.rows.iter().map(|r| r.values.len()).max().unwrap_or(0);
    }
    Ok(out)
}

/// One account's figure for one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// `AccountID`.
    pub account_id: String,
    /// Account name.
    pub name: String,
    /// Section title.
    pub section: String,
    /// The month.
    pub month: Month,
    /// The amount, natural sign.
    pub amount: Decimal,
}

/// The figures of `report` whose first period column is month `latest` (each further
/// column one month earlier), keeping months not before `oldest`.
pub fn figures(
    report: &PeriodReport,
    latest: Month,
    oldest: Month,
) -> Result<Vec<Figure>, ConnectorError> {
    let mut out = Vec::new();
    for row in &report.rows {
        for i in 0..report.columns {
            let month = latest.plus(-i32::try_from(i).unwrap_or(i32::MAX));
            if month < oldest {
                break;
            }
            let text = row.values.get(i).map(String::as_str).unwrap_or("");
            let amount = Decimal::parse(text).ok_or_else(|| {
                ConnectorError::InvalidData(format!(
                    "Xero's report has an unreadable amount `{text}` for {}",
                    row.name
                ))
            })?;
            out.push(Figure {
                account_id: row.account_id.clone(),
                name: row.name.clone(),
                section: row.section.clone(),
                month,
                amount,
            });
        }
    }
    Ok(out)
}

/// Months one call can cover.
pub const MAX_MONTHS_PER_CALL: i64 = 12;

/// The `periods` to ask with a call whose latest month is `latest` when the window
/// starts at `oldest`: enough comparison periods to reach `oldest`, at most 11 (so 12
/// months per call); `None` when one month is left (`periods` must be 1–12).
pub fn periods_param(oldest: Month, latest: Month) -> Option<u32> {
    let months = (oldest.months_until(latest) + 1).clamp(1, MAX_MONTHS_PER_CALL);
    (months > 1).then(|| u32::try_from(months - 1).unwrap_or(11))
}

/// How many months a call answered with `columns` period columns covers (at least
/// one, so that a loop over calls always moves).
pub fn months_covered(columns: usize) -> i32 {
    i32::try_from(columns.max(1)).unwrap_or(1)
}

#[cfg(test)]
#[path = "periods_tests.rs"]
mod tests;
