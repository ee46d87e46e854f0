//! QuickBooks reports (PROVIDERS.md B3), pure parts: walking `Rows.Row` trees,
//! finding the money columns, and reading monthly figures.
//!
//! A report is `{"Header":{…,"Option":[{"Name":"NoReportData","Value":"false"}]},
//! "Columns":{"Column":[{"ColTitle","ColType","MetaData"?}]},"Rows":{"Row":[…]}}`.
//! A row is a `Section` (`Header.ColData`, nested `Rows.Row`, `Summary.ColData`) or
//! `Data` (`ColData`; the trial balance omits `type`). An account row carries the
//! account id in `ColData[0].id`; values are strings (`""` for none).
//!
//! Sub-accounts are nested sections whose header names the parent; a parent's own
//! amount is a `Data` row of its own id inside its section. Only `Data` rows are read,
//! so nothing is counted twice. In the general ledger the data rows are transactions
//! and the account is the innermost section's header.

use mooring_plugin_sdk::common::Month;
use mooring_plugin_sdk::decimal::Decimal;
use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::types::ConnectorError;

/// One data row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRow {
    /// `ColData[0].id`, when present.
    pub id: Option<String>,
    /// `ColData[0].value`.
    pub name: String,
    /// Every cell's `value`, in column order.
    pub values: Vec<String>,
    /// The id of the innermost enclosing section header that names an account.
    pub section_account: Option<String>,
    /// The innermost enclosing section's `group` (`Income`, `Expenses`, …).
    pub group: Option<String>,
}

fn invalid(what: &str) -> ConnectorError {
    ConnectorError::InvalidData(format!("QuickBooks' report {what}"))
}

/// Whether the header says `NoReportData=true`.
pub fn no_data(report: &Value) -> bool {
    report
        .pointer("/Header/Option")
        .and_then(Value::as_array)
        .is_some_and(|options| {
            options.iter().any(|o| {
                o.get("Name").and_then(Value::as_str) == Some("NoReportData")
                    && o.get("Value").and_then(Value::as_str) == Some("true")
            })
        })
}

/// `Header.Currency`.
pub fn currency(report: &Value) -> Option<String> {
    report
        .pointer("/Header/Currency")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The columns as (`ColTitle`, `ColType`, `ColKey` metadata).
pub fn columns(report: &Value) -> Vec<(String, String, Option<String>)> {
    let text = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    report
        .pointer("/Columns/Column")
        .and_then(Value::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| {
                    let key = c
                        .get("MetaData")
                        .and_then(Value::as_array)
                        .and_then(|m| {
                            m.iter()
                                .find(|e| e.get("Name").and_then(Value::as_str) == Some("ColKey"))
                        })
                        .and_then(|e| e.get("Value"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    (text(c, "ColTitle"), text(c, "ColType"), key)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn cells(value: Option<&Value>) -> Vec<&Value> {
    value
        .and_then(|c| c.get("ColData"))
        .and_then(Value::as_array)
        .map(|v| v.iter().collect())
        .unwrap_or_default()
}

fn cell_value(cell: &Value) -> String {
    match cell.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn cell_id(cell: &Value) -> Option<String> {
    match cell.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn child_rows(row: &Value) -> &[Value] {
    row.pointer("/Rows/Row")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn walk(rows: &[Value], account: Option<&str>, group: Option<&str>, out: &mut Vec<DataRow>) {
    for row in rows {
        let kind = row.get("type").and_then(Value::as_str).unwrap_or("");
        let is_section = kind.eq_ignore_ascii_case("section") || row.get("Rows").is_some();
        if is_section {
            let header = cells(row.get("Header"));
            let header_id = header.first().and_then(|c| cell_id(c));
            let section_group = row.get("group").and_then(Value::as_str).or(group);
            walk(
                child_rows(row),
                header_id.as_deref().or(account),
                section_group,
                out,
            );
            continue;
        }
        let data = cells(Some(row));
        if data.is_empty() {
            continue;
        }
        out.push(DataRow {
            id: data.first().and_then(|c| cell_id(c)),
            name: data.first().map(|c| cell_value(c)).unwrap_or_default(),
            values: data.iter().map(|c| cell_value(c)).collect(),
            section_account: account.map(str::to_string),
            group: group.map(str::to_string),
        });
    }
}

/// Every data row of `report`, depth first, in order.
pub fn data_rows(report: &Value) -> Vec<DataRow> {
    let mut out = Vec::new();
    if let Some(rows) = report.pointer("/Rows/Row").and_then(Value::as_array) {
        walk(rows, None, None, &mut out);
    }
    out
}

/// The positions of the money columns of a report summarised by month over
/// `months`: every column after the first, less a trailing `Total`. Refused when
/// their number does not match.
pub fn month_columns(
    report: &Value,
    months: &[Month],
) -> Result<Vec<(usize, Month)>, ConnectorError> {
    let cols = columns(report);
    let mut money: Vec<usize> = (1..cols.len()).collect();
    if money.len() == months.len() + 1
        && let Some(last) = money.last().copied()
    {
        let (title, _, key) = &cols[last];
        if title.eq_ignore_ascii_case("total") || key.as_deref() == Some("total") {
            money.pop();
        }
    }
    if money.len() != months.len() {
        return Err(invalid(&format!(
            "has {} money columns for {} months",
            money.len(),
            months.len()
        )));
    }
    Ok(money.into_iter().zip(months.iter().copied()).collect())
}

/// A cell amount; a cell that is not a number is refused.
pub fn amount(text: &str) -> Result<Decimal, ConnectorError> {
    Decimal::parse(text).ok_or_else(|| invalid(&format!("has an unreadable amount `{text}`")))
}

/// One account's figure in one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthFigure {
    /// Account id.
    pub account: String,
    /// Account name as shown.
    pub name: String,
    /// The month.
    pub month: Month,
    /// The amount, in the account's natural sign.
    pub amount: Decimal,
    /// The section group (`Income`, …), if any.
    pub group: Option<String>,
}

/// The per-account, per-month figures of a report summarised by month.
pub fn monthly_figures(
    report: &Value,
    months: &[Month],
) -> Result<Vec<MonthFigure>, ConnectorError> {
    if no_data(report) {
        return Ok(Vec::new());
    }
    let cols = month_columns(report, months)?;
    let mut out = Vec::new();
    for row in data_rows(report) {
        let Some(id) = row.id else { continue };
        for (i, month) in &cols {
            let text = row.values.get(*i).map(String::as_str).unwrap_or("");
            out.push(MonthFigure {
                account: id.clone(),
                name: row.name.clone(),
                month: *month,
                amount: amount(text)?,
                group: row.group.clone(),
            });
        }
    }
    Ok(out)
}

/// One trial balance row: (id, name, debit, credit).
pub fn trial_balance(
    report: &Value,
) -> Result<Vec<(String, String, Decimal, Decimal)>, ConnectorError> {
    if no_data(report) {
        return Ok(Vec::new());
    }
    let cols = columns(report);
    let find = |name: &str, default: usize| {
        cols.iter()
            .position(|(t, _, _)| t.eq_ignore_ascii_case(name))
            .unwrap_or(default)
    };
    let (debit, credit) = (find("Debit", 1), find("Credit", 2));
    let mut out = Vec::new();
    for row in data_rows(report) {
        let Some(id) = row.id else { continue };
        let get = |i: usize| amount(row.values.get(i).map(String::as_str).unwrap_or(""));
        out.push((id, row.name.clone(), get(debit)?, get(credit)?));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "reports_tests.rs"]
mod tests;
