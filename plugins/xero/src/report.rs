//! The Trial Balance report (`ReportWithRows`) → one record per account row. Pure.
//!
//! Rows are nested in sections; an account row has `RowType: "Row"` and carries the
//! account id in a cell's `Attributes: [{"Id": "account", "Value": <AccountID>}]`.
//! Header cells name the columns (`Account`, `Debit`, `Credit`, `YTD Debit`,
//! `YTD Credit`); values are strings (`"40.00"`, `""` for none). Summary rows and
//! rows without an account id are skipped.
//!
//! Record data: `{"AccountID", "AccountName", "AccountCode" (null when the row has
//! none), "Section", "Debit", "Credit", "YTDDebit", "YTDCredit" (numbers, 0 for an
//! empty cell, null when unreadable), "Date" (the report date asked, YYYY-MM-DD)}`.

use mooring_plugin_sdk::serde_json::{Map, Number, Value, json};
use mooring_plugin_sdk::types::ConnectorError;

/// One account row of the trial balance.
#[derive(Debug, PartialEq)]
pub struct AccountRow {
    /// `AccountID`.
    pub account_id: String,
    /// The record data.
    pub data: Value,
}

/// Column positions of the amounts (defaults: Xero's documented order).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Columns {
    debit: usize,
    credit: usize,
    ytd_debit: usize,
    ytd_credit: usize,
}

impl Columns {
    fn from_header(cells: &[Value]) -> Columns {
        let mut c = Columns {
            debit: 1,
            credit: 2,
            ytd_debit: 3,
            ytd_credit: 4,
        };
        for (i, cell) in cells.iter().enumerate() {
            let title = cell_text(cell).to_ascii_lowercase();
            let ytd = title.contains("ytd");
            if title.contains("debit") {
                *(if ytd { &mut c.ytd_debit } else { &mut c.debit }) = i;
            } else if title.contains("credit") {
                *(if ytd {
                    &mut c.ytd_credit
                } else {
                    &mut c.credit
                }) = i;
            }
        }
        c
    }
}

pub(crate) fn cell_text(cell: &Value) -> &str {
    cell.get("Value").and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn cell_account(cell: &Value) -> Option<&str> {
    cell.get("Attributes")?
        .as_array()?
        .iter()
        .find(|a| a.get("Id").and_then(Value::as_str) == Some("account"))?
        .get("Value")?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// `"Sales (200)"` → (`"Sales"`, `Some("200")`); a name without a trailing
/// parenthesised code stays whole.
pub fn split_name_code(text: &str) -> (String, Option<String>) {
    let text = text.trim();
    if let Some(open) = text.rfind(" (")
        && let Some(code) = text[open + 2..].strip_suffix(')')
        && !code.is_empty()
        && !code.contains(['(', ')'])
    {
        return (text[..open].trim().to_string(), Some(code.to_string()));
    }
    (text.to_string(), None)
}

/// A report amount: `""` → 0, `"1,234.50"` → 1234.5, `"(40.00)"` → -40; `None` when
/// unreadable.
pub fn parse_amount(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return Some(0.0);
    }
    let (negative, t) = match t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, t),
    };
    let cleaned: String = t.chars().filter(|c| *c != ',').collect();
    let n: f64 = cleaned.parse().ok()?;
    n.is_finite().then_some(if negative { -n } else { n })
}

fn amount(cells: &[Value], i: usize) -> Value {
    let text = cells.get(i).map(cell_text).unwrap_or("");
    parse_amount(text)
        .and_then(Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn walk(rows: &[Value], section: &str, cols: &mut Columns, date: &str, out: &mut Vec<AccountRow>) {
    for row in rows {
        let kind = row.get("RowType").and_then(Value::as_str).unwrap_or("");
        let cells: &[Value] = row
            .get("Cells")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        match kind {
            "Header" => *cols = Columns::from_header(cells),
            "Section" => {
                let title = row.get("Title").and_then(Value::as_str).unwrap_or(section);
                if let Some(children) = row.get("Rows").and_then(Value::as_array) {
                    walk(children, title, cols, date, out);
                }
            }
            "Row" => {
                let Some(id) = cells.iter().find_map(cell_account) else {
                    continue;
                };
                let (name, code) = split_name_code(cells.first().map(cell_text).unwrap_or(""));
                let mut data = Map::new();
                data.insert("AccountID".into(), json!(id));
                data.insert("AccountName".into(), json!(name));
                data.insert("AccountCode".into(), json!(code));
                data.insert("Section".into(), json!(section));
                data.insert("Debit".into(), amount(cells, cols.debit));
                data.insert("Credit".into(), amount(cells, cols.credit));
                data.insert("YTDDebit".into(), amount(cells, cols.ytd_debit));
                data.insert("YTDCredit".into(), amount(cells, cols.ytd_credit));
                data.insert("Date".into(), json!(date));
                out.push(AccountRow {
                    account_id: id.to_string(),
                    data: Value::Object(data),
                });
            }
            _ => {}
        }
    }
}

/// The account rows of a `GET /Reports/TrialBalance` answer for report date `date`.
pub fn trial_balance_rows(body: &Value, date: &str) -> Result<Vec<AccountRow>, ConnectorError> {
    let report = body
        .get("Reports")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .ok_or_else(|| {
            ConnectorError::InvalidData("Xero's trial balance answer has no report".into())
        })?;
    let rows: &[Value] = report
        .get("Rows")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let mut cols = Columns::from_header(&[]);
    let mut out = Vec::new();
    walk(rows, "", &mut cols, date, &mut out);
    Ok(out)
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
