//! The building blocks of Intuit's report JSON (PROVIDERS.md B3, samples in
//! reference/quickbooks/intuitdocs_*_report*.json): `Header`, `Columns.Column[]`,
//! `Rows.Row[]` of `Data` rows (`ColData[]`, account id in `ColData[0].id`) and
//! `Section`s (`Header`/`Rows`/`Summary`, optional `group`); every value a string.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::clock::Millis;
use crate::qbo::data::QboCompanyData;
use crate::qbo::ledger::generate::months_back;
use crate::qbo::ledger::render_day as day_str;
use crate::qbo::ledger::totals::fy_start;
use crate::timefmt::{civil, qbo_meta_time};

/// Cents as the summary reports write money: `"1234.50"`, `"-30.00"`.
pub fn amt(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Cents as the GeneralLedger writes money: `"225.0"`, `"-30.5"`, `"12.34"`.
pub fn amt_gl(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    if c.is_multiple_of(10) {
        format!("{sign}{}.{}", c / 100, (c % 100) / 10)
    } else {
        format!("{sign}{}.{:02}", c / 100, c % 100)
    }
}

/// A data cell: `""` for zero.
pub fn cell(cents: i64) -> Value {
    if cents == 0 {
        json!({"value": ""})
    } else {
        json!({"value": amt(cents)})
    }
}

/// `{"value": text}`.
pub fn text(v: &str) -> Value {
    json!({"value": v})
}

/// A report column: its start, end (company-local days) and title.
#[derive(Clone, Debug)]
pub struct Col {
    /// First day.
    pub start: i64,
    /// Last day.
    pub end: i64,
    /// `ColTitle` ("Jan 2025" or "Total").
    pub title: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One column per month of `start..=end` (first and last clipped), or one `Total`.
pub fn columns(start: i64, end: i64, by_month: bool) -> Vec<Col> {
    if !by_month {
        return vec![Col {
            start,
            end,
            title: "Total".into(),
        }];
    }
    let mut out = Vec::new();
    let mut m = months_back(start, 0);
    while m <= end {
        let next = months_back(m, -1);
        let c = civil(m * 86_400_000);
        out.push(Col {
            start: m.max(start),
            end: (next - 1).min(end),
            title: format!(
                "{} {}",
                MONTHS[(c.month as usize).saturating_sub(1) % 12],
                c.year
            ),
        });
        m = next;
    }
    out
}

/// `Columns.Column[]`: the account column, then money columns with `StartDate`,
/// `EndDate` and `ColKey` metadata (monthly) or `ColKey: total`.
pub fn money_columns(cols: &[Col], by_month: bool, with_total: bool) -> Value {
    let mut out = vec![json!({"ColTitle": "", "ColType": "Account",
        "MetaData": [{"Name": "ColKey", "Value": "account"}]})];
    for c in cols {
        if by_month {
            out.push(
                json!({"ColTitle": c.title, "ColType": "Money", "MetaData": [
                {"Name": "StartDate", "Value": day_str(c.start)},
                {"Name": "EndDate", "Value": day_str(c.end)},
                {"Name": "ColKey", "Value": c.title}]}),
            );
        } else {
            out.push(json!({"ColTitle": "Total", "ColType": "Money",
                "MetaData": [{"Name": "ColKey", "Value": "total"}]}));
        }
    }
    if by_month && with_total {
        out.push(json!({"ColTitle": "Total", "ColType": "Money",
            "MetaData": [{"Name": "ColKey", "Value": "total"}]}));
    }
    json!({"Column": out})
}

/// The report `Header`.
pub fn header(
    name: &str,
    start: i64,
    end: i64,
    summarize: Option<&str>,
    no_data: bool,
    now: Millis,
) -> Value {
    let mut h = json!({
        "Time": qbo_meta_time(now),
        "ReportName": name,
        "ReportBasis": "Accrual",
        "StartPeriod": day_str(start),
        "EndPeriod": day_str(end),
        "Currency": "USD",
        "Option": [{"Name": "NoReportData", "Value": no_data.to_string()}],
    });
    if let Some(by) = summarize {
        h["SummarizeColumnsBy"] = json!(by);
        h["Option"] = json!([{"Name": "AccountingStandard", "Value": "GAAP"},
            {"Name": "NoReportData", "Value": no_data.to_string()}]);
    }
    h
}

/// A whole report; `rows` empty → `Rows: {}` and `NoReportData: true`.
pub fn report(mut header: Value, columns: Value, rows: Vec<Value>) -> Value {
    let rows = if rows.is_empty() {
        header["Option"] = json!([{"Name": "NoReportData", "Value": "true"}]);
        json!({})
    } else {
        json!({"Row": rows})
    };
    json!({"Header": header, "Columns": columns, "Rows": rows})
}

/// A `Data` row: `[{"value": label, "id"?}, cells...]`.
pub fn data_row(label: &str, id: Option<u64>, cells: &[i64]) -> Value {
    let mut first = text(label);
    if let Some(id) = id {
        first["id"] = json!(id.to_string());
    }
    let mut col = vec![first];
    col.extend(cells.iter().map(|c| cell(*c)));
    json!({"ColData": col, "type": "Data"})
}

fn summary(label: &str, totals: &[i64], empty: bool) -> Value {
    let mut col = vec![text(label)];
    col.extend(
        totals
            .iter()
            .map(|t| if empty { text("") } else { text(&amt(*t)) }),
    );
    json!({"ColData": col})
}

/// A titled `Section` (with `group` if given): header, rows, `Total <title>` summary.
pub fn section(
    title: &str,
    group: Option<&str>,
    rows: Vec<Value>,
    totals: &[i64],
    total_label: Option<&str>,
) -> Value {
    let mut head = vec![text(title)];
    head.extend(totals.iter().map(|_| text("")));
    let label = total_label.map_or_else(|| format!("Total {title}"), str::to_owned);
    let mut s = json!({
        "Header": {"ColData": head},
        "Summary": summary(&label, totals, rows.is_empty()),
        "type": "Section",
    });
    if !rows.is_empty() {
        s["Rows"] = json!({"Row": rows});
    }
    if let Some(g) = group {
        s["group"] = json!(g);
    }
    s
}

/// A computed line (`Gross Profit`, `Net Income`): a `Section` with only a summary.
pub fn computed(label: &str, group: &str, totals: &[i64]) -> Value {
    json!({"group": group, "type": "Section", "Summary": summary(label, totals, false)})
}

/// Rows of the accounts `members` (`Id`s), nested under their parents as QuickBooks
/// shows sub-accounts (a parent with sub-accounts is a section with its own amount as
/// a data row and a `Total <name>` summary); accounts whose amounts are all zero are
/// left out. Returns the rows and the column totals.
pub fn account_rows(
    d: &QboCompanyData,
    members: &[u64],
    amounts: &HashMap<u64, Vec<i64>>,
    ncols: usize,
) -> (Vec<Value>, Vec<i64>) {
    let set: std::collections::HashSet<u64> = members.iter().copied().collect();
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut roots = Vec::new();
    for &id in members {
        match d
            .account(id)
            .and_then(|a| a.parent)
            .filter(|p| set.contains(p))
        {
            Some(p) => children.entry(p).or_default().push(id),
            None => roots.push(id),
        }
    }
    let mut totals = vec![0; ncols];
    let mut rows = Vec::new();
    for r in roots {
        if let Some((row, t)) = node(d, r, &children, amounts, ncols, 0) {
            rows.push(row);
            totals.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
        }
    }
    (rows, totals)
}

fn node(
    d: &QboCompanyData,
    id: u64,
    children: &HashMap<u64, Vec<u64>>,
    amounts: &HashMap<u64, Vec<i64>>,
    ncols: usize,
    depth: usize,
) -> Option<(Value, Vec<i64>)> {
    let name = d.account(id).map(|a| a.name.clone()).unwrap_or_default();
    let own = amounts.get(&id).cloned().unwrap_or_else(|| vec![0; ncols]);
    let mut kids = Vec::new();
    let mut totals = own.clone();
    if depth < 8 {
        for k in children.get(&id).map_or(&[][..], Vec::as_slice) {
            if let Some((row, t)) = node(d, *k, children, amounts, ncols, depth + 1) {
                kids.push(row);
                totals.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
            }
        }
    }
    let own_nonzero = own.iter().any(|v| *v != 0);
    if kids.is_empty() {
        return own_nonzero.then(|| (data_row(&name, Some(id), &own), own));
    }
    let mut rows = Vec::new();
    if own_nonzero {
        rows.push(data_row(&name, Some(id), &own));
    }
    rows.extend(kids);
    let mut head = vec![json!({"value": name, "id": id.to_string()})];
    head.extend((0..ncols).map(|_| text("")));
    let s = json!({
        "Header": {"ColData": head},
        "Rows": {"Row": rows},
        "Summary": summary(&format!("Total {name}"), &totals, false),
        "type": "Section",
    });
    Some((s, totals))
}

/// The default period: this fiscal year to date.
pub fn default_period(today: i64) -> (i64, i64) {
    (fy_start(today), today)
}
