//! `GET /Reports/ProfitAndLoss?fromDate=&toDate=&periods=&timeframe=` and
//! `GET /Reports/BalanceSheet?date=&periods=&timeframe=`, computed from the journals, in
//! the spec's `ReportWithRows` shape (reference/xero/xero_accounting.yaml, the
//! BalanceSheet example): a `Header` row (`""`, then one cell per period, most recent
//! first, as `30 Apr 2019`), `Section`s with `Row`s whose cells carry
//! `Attributes:[{"Value":<AccountID>,"Id":"account"}]`, `SummaryRow`s, all values
//! strings with two decimals.
//!
//! Periods: the given period (P&L `fromDate..=toDate`, default this month; balance sheet
//! as at `date`, default today) and `periods` (0–12, default 0) earlier ones, each
//! `timeframe` (MONTH default, QUARTER, YEAR) before the previous; a period ending on a
//! month end shifts to month ends. So `periods=11&timeframe=MONTH` gives 12 monthly
//! columns in one call.
//!
//! ProfitAndLoss sections: Income (REVENUE, SALES), Less Cost of Sales (DIRECTCOSTS),
//! Gross Profit, Plus Other Income (OTHERINCOME), Less Operating Expenses (EXPENSE,
//! OVERHEADS, DEPRECIATN and other expense types), Net Profit; income credit-positive,
//! expenses debit-positive.
//!
//! BalanceSheet: Assets (Bank; Current Assets; Fixed Assets; Non-current Assets; Total
//! Assets), Liabilities (Current Liabilities: CURRLIAB, PAYG; Non-current Liabilities:
//! TERMLIAB, LIABILITY, …; Total Liabilities), Net Assets, Equity (Current Year Earnings
//! with `fromDate`/`toDate` attributes, the equity accounts, Retained Earnings with
//! every earlier financial year's profit added; Total Equity). Assets debit-positive,
//! liabilities and equity credit-positive; Net Assets equals Total Equity.
//! `paymentsOnly`, tracking and `standardLayout` are accepted and ignored.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::envelope::{envelope, json as json_response};
use super::gate::Endpoint;
use super::query::Query;
use super::serve;
use super::trial_balance::fy_start;
use crate::clock::{DAY, Millis};
use crate::control::SimControl;
use crate::timefmt::{civil, date_ms, days_from_civil};
use crate::xero::data::OrgData;
use crate::xero::dates::{midnight, ms_date_plain, parse_ymd, report_date, us_date};
use crate::xero::errors;
use crate::xero::json::fixed;

const MON: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `30 Apr 2019`.
fn short_date(ms: Millis) -> String {
    let c = civil(ms);
    format!("{} {} {}", c.day, MON[(c.month as usize + 11) % 12], c.year)
}

fn month_len(year: i64, month: u32) -> u32 {
    let next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    u32::try_from(next - days_from_civil(year, month, 1)).unwrap_or(28)
}

fn is_month_end(ms: Millis) -> bool {
    let c = civil(ms);
    c.day == month_len(c.year, c.month)
}

/// `date` moved `months` back; a month end stays a month end, other days are clamped.
pub fn months_before(date: Millis, months: i64) -> Millis {
    let c = civil(date);
    let idx = c.year * 12 + i64::from(c.month) - 1 - months;
    let (y, m) = (
        idx.div_euclid(12),
        u32::try_from(idx.rem_euclid(12) + 1).unwrap_or(1),
    );
    let len = month_len(y, m);
    let day = if is_month_end(date) {
        len
    } else {
        c.day.min(len)
    };
    date_ms(y, m, day)
}

/// Parsed `periods` and `timeframe`: (extra periods, months per period).
fn periods(q: &Query) -> Result<(i64, i64), String> {
    let n = match q.get("periods") {
        None => 0,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=12).contains(n))
            .ok_or_else(|| format!("'{v}' is not a valid number of periods (1 to 12)"))?,
    };
    let step = match q.get("timeframe").map(str::to_ascii_uppercase).as_deref() {
        None | Some("MONTH") => 1,
        Some("QUARTER") => 3,
        Some("YEAR") => 12,
        Some(other) => return Err(format!("'{other}' is not a valid timeframe")),
    };
    Ok((n, step))
}

fn date_param(q: &Query, name: &str, default: Millis) -> Result<Millis, String> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => parse_ymd(v).ok_or_else(|| format!("'{v}' is not a valid date")),
    }
}

/// Picks accounts by (`Type`, `Class`).
type Pick<'a> = &'a dyn Fn(&str, &str) -> bool;

fn account_attr(id: &str) -> Value {
    json!([{"Value": id, "Id": "account"}])
}

fn row(label: &str, id: Option<&str>, amounts: &[i64]) -> Value {
    let mut first = json!({"Value": label});
    let mut cells = Vec::with_capacity(amounts.len() + 1);
    if let Some(id) = id {
        first["Attributes"] = account_attr(id);
    }
    cells.push(first);
    for a in amounts {
        let mut c = json!({"Value": fixed(*a, 2)});
        if let Some(id) = id {
            c["Attributes"] = account_attr(id);
        }
        cells.push(c);
    }
    json!({"RowType": "Row", "Cells": cells})
}

fn summary_row(label: &str, amounts: &[i64]) -> Value {
    let mut cells = vec![json!({"Value": label})];
    cells.extend(amounts.iter().map(|a| json!({"Value": fixed(*a, 2)})));
    json!({"RowType": "SummaryRow", "Cells": cells})
}

fn section(title: &str, rows: Vec<Value>) -> Value {
    json!({"RowType": "Section", "Title": title, "Rows": rows})
}

/// Rows of the accounts `pick` selects (non-zero in some period, by name) and their
/// per-period totals; `amounts[a]` are natural-sign per-period values.
fn account_rows(
    d: &OrgData,
    amounts: &[Vec<i64>],
    n: usize,
    pick: impl Fn(&str, &str) -> bool,
) -> (Vec<Value>, Vec<i64>) {
    let mut idx: Vec<usize> = (0..d.accounts.len())
        .filter(|&i| {
            pick(d.accounts[i].kind, d.accounts[i].class) && amounts[i].iter().any(|v| *v != 0)
        })
        .collect();
    idx.sort_by_key(|&i| d.accounts[i].name.to_lowercase());
    let mut totals = vec![0; n];
    let rows = idx
        .into_iter()
        .map(|i| {
            totals
                .iter_mut()
                .zip(&amounts[i])
                .for_each(|(t, v)| *t += v);
            row(
                &d.accounts[i].name,
                Some(&d.accounts[i].id.to_string()),
                &amounts[i],
            )
        })
        .collect();
    (rows, totals)
}

fn report_json(
    name: &str,
    kind: &str,
    titles: [String; 3],
    date: Millis,
    now: Millis,
    header: Vec<String>,
    mut rows: Vec<Value>,
) -> Value {
    let mut cells = vec![json!({"Value": ""})];
    cells.extend(header.iter().map(|h| json!({"Value": h})));
    rows.insert(0, json!({"RowType": "Header", "Cells": cells}));
    json!({
        "ReportName": name,
        "ReportType": kind,
        "ReportTitles": titles,
        "ReportDate": report_date(date),
        "UpdatedDateUTC": ms_date_plain(now),
        "Fields": [],
        "Rows": rows,
    })
}

fn sub(a: &[i64], b: &[i64]) -> Vec<i64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// The ProfitAndLoss report over the periods `(from, to)` (most recent first).
pub fn profit_and_loss(d: &OrgData, spans: &[(Millis, Millis)], now: Millis) -> Value {
    let n = spans.len();
    let mut amounts = vec![vec![0i64; n]; d.accounts.len()];
    for j in &d.journals {
        for (p, (from, to)) in spans.iter().enumerate() {
            if j.date < *from || j.date > *to {
                continue;
            }
            for l in &j.lines {
                let a = usize::from(l.account);
                let Some(acc) = d.accounts.get(a) else {
                    continue;
                };
                amounts[a][p] += match acc.class {
                    "REVENUE" => -l.net,
                    "EXPENSE" => l.net,
                    _ => 0,
                };
            }
        }
    }
    let income = |k: &str, c: &str| c == "REVENUE" && k != "OTHERINCOME";
    let (inc_rows, inc) = account_rows(d, &amounts, n, income);
    let (cos_rows, cos) = account_rows(d, &amounts, n, |k, c| c == "EXPENSE" && k == "DIRECTCOSTS");
    let (oi_rows, oi) = account_rows(d, &amounts, n, |k, c| c == "REVENUE" && k == "OTHERINCOME");
    let (exp_rows, exp) = account_rows(d, &amounts, n, |k, c| c == "EXPENSE" && k != "DIRECTCOSTS");
    let gross = sub(&inc, &cos);
    let net: Vec<i64> = gross
        .iter()
        .zip(&oi)
        .zip(&exp)
        .map(|((g, o), e)| g + o - e)
        .collect();
    fn with_total(rows: &mut Vec<Value>, title: &str, total: &str, mut r: Vec<Value>, t: &[i64]) {
        if !r.is_empty() {
            r.push(summary_row(total, t));
            rows.push(section(title, r));
        }
    }
    let mut rows = Vec::new();
    with_total(&mut rows, "Income", "Total Income", inc_rows, &inc);
    with_total(
        &mut rows,
        "Less Cost of Sales",
        "Total Cost of Sales",
        cos_rows,
        &cos,
    );
    rows.push(section("", vec![row("Gross Profit", None, &gross)]));
    with_total(
        &mut rows,
        "Plus Other Income",
        "Total Other Income",
        oi_rows,
        &oi,
    );
    with_total(
        &mut rows,
        "Less Operating Expenses",
        "Total Operating Expenses",
        exp_rows,
        &exp,
    );
    rows.push(section("", vec![row("Net Profit", None, &net)]));
    let (from, to) = spans.first().copied().unwrap_or((now, now));
    let titles = [
        "Profit and Loss".to_owned(),
        d.profile.name.clone(),
        format!(
            "For the period {} to {}",
            report_date(from),
            report_date(to)
        ),
    ];
    let header = spans.iter().map(|s| short_date(s.1)).collect();
    report_json(
        "Profit and Loss",
        "ProfitAndLoss",
        titles,
        to,
        now,
        header,
        rows,
    )
}

/// The BalanceSheet report as at each of `dates` (most recent first).
pub fn balance_sheet(d: &OrgData, dates: &[Millis], now: Millis) -> Value {
    let n = dates.len();
    let fys: Vec<Millis> = dates.iter().map(|t| fy_start(d, *t)).collect();
    let re = usize::from(d.roles.retained_earnings);
    let mut amounts = vec![vec![0i64; n]; d.accounts.len()];
    let mut earnings = vec![0i64; n];
    for j in &d.journals {
        for (p, at) in dates.iter().enumerate() {
            if j.date > *at {
                continue;
            }
            for l in &j.lines {
                let a = usize::from(l.account);
                let Some(acc) = d.accounts.get(a) else {
                    continue;
                };
                match acc.class {
                    "REVENUE" | "EXPENSE" if j.date >= fys[p] => earnings[p] -= l.net,
                    "REVENUE" | "EXPENSE" => {
                        if let Some(r) = amounts.get_mut(re) {
                            r[p] -= l.net;
                        }
                    }
                    "ASSET" => amounts[a][p] += l.net,
                    _ => amounts[a][p] -= l.net,
                }
            }
        }
    }
    let mut rows = vec![section("Assets", Vec::new())];
    let mut assets = vec![0; n];
    let groups: [(&str, Pick<'_>); 4] = [
        ("Bank", &|k, c| c == "ASSET" && k == "BANK"),
        ("Current Assets", &|k, c| {
            c == "ASSET" && !matches!(k, "BANK" | "FIXED" | "NONCURRENT")
        }),
        ("Fixed Assets", &|k, c| c == "ASSET" && k == "FIXED"),
        ("Non-current Assets", &|k, c| {
            c == "ASSET" && k == "NONCURRENT"
        }),
    ];
    for (title, pick) in groups {
        let (mut r, t) = account_rows(d, &amounts, n, pick);
        if !r.is_empty() {
            assets.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
            r.push(summary_row(&format!("Total {title}"), &t));
            rows.push(section(title, r));
        }
    }
    rows.push(section("", vec![summary_row("Total Assets", &assets)]));
    rows.push(section("Liabilities", Vec::new()));
    let mut liabilities = vec![0; n];
    let groups: [(&str, Pick<'_>); 2] = [
        ("Current Liabilities", &|k, c| {
            c == "LIABILITY" && matches!(k, "CURRLIAB" | "PAYG")
        }),
        ("Non-current Liabilities", &|k, c| {
            c == "LIABILITY" && !matches!(k, "CURRLIAB" | "PAYG")
        }),
    ];
    for (title, pick) in groups {
        let (mut r, t) = account_rows(d, &amounts, n, pick);
        if !r.is_empty() {
            liabilities.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
            r.push(summary_row(&format!("Total {title}"), &t));
            rows.push(section(title, r));
        }
    }
    rows.push(section(
        "",
        vec![summary_row("Total Liabilities", &liabilities)],
    ));
    rows.push(section(
        "",
        vec![row("Net Assets", None, &sub(&assets, &liabilities))],
    ));
    let mut cye = vec![json!({"Value": "Current Year Earnings"})];
    for (p, at) in dates.iter().enumerate() {
        cye.push(json!({"Value": fixed(earnings[p], 2), "Attributes": [
            {"Value": us_date(fys[p]), "Id": "fromDate"}, {"Value": us_date(*at), "Id": "toDate"}]}));
    }
    let mut eq_rows = vec![json!({"RowType": "Row", "Cells": cye})];
    let (eq, mut equity) = account_rows(d, &amounts, n, |_, c| c == "EQUITY");
    for mut r in eq {
        let is_re = d
            .accounts
            .get(re)
            .is_some_and(|a| r["Cells"][0]["Value"] == a.name.as_str());
        if is_re && let Some(cells) = r["Cells"].as_array_mut() {
            for (p, c) in cells.iter_mut().skip(1).enumerate() {
                if let Some(attrs) = c["Attributes"].as_array_mut() {
                    attrs.push(json!({"Value": "", "Id": "fromDate"}));
                    attrs.push(json!({"Value": us_date(fys[p] - DAY), "Id": "toDate"}));
                }
            }
        }
        eq_rows.push(r);
    }
    equity.iter_mut().zip(&earnings).for_each(|(a, b)| *a += b);
    eq_rows.push(summary_row("Total Equity", &equity));
    rows.push(section("Equity", eq_rows));
    let at = dates.first().copied().unwrap_or(now);
    let titles = [
        "Balance Sheet".to_owned(),
        d.profile.name.clone(),
        format!("As at {}", report_date(at)),
    ];
    let header = dates.iter().map(|t| short_date(*t)).collect();
    report_json(
        "Balance Sheet",
        "BalanceSheet",
        titles,
        at,
        now,
        header,
        rows,
    )
}

fn answer(report: Result<Value, String>, now: Millis) -> Response {
    match report {
        Ok(v) => {
            let items = format!("[{v}]");
            json_response(envelope(now, None, "Reports", &items))
        }
        Err(e) => errors::validation(&e).into_response(),
    }
}

/// `GET /Reports/ProfitAndLoss`.
pub(crate) async fn profit_and_loss_handler(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    serve(&s, &headers, Endpoint::ProfitAndLoss, |d, now| {
        let today = midnight(now);
        let c = civil(today);
        let built = (|| {
            let from = date_param(&q, "fromDate", date_ms(c.year, c.month, 1))?;
            let to = date_param(
                &q,
                "toDate",
                date_ms(c.year, c.month, month_len(c.year, c.month)),
            )?;
            if from > to {
                return Err("fromDate must be before toDate".to_owned());
            }
            let (extra, step) = periods(&q)?;
            let spans: Vec<(Millis, Millis)> = (0..=extra)
                .map(|k| (months_before(from, k * step), months_before(to, k * step)))
                .collect();
            Ok(profit_and_loss(d, &spans, now))
        })();
        answer(built, now)
    })
    .await
}

/// `GET /Reports/BalanceSheet`.
pub(crate) async fn balance_sheet_handler(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    serve(&s, &headers, Endpoint::BalanceSheet, |d, now| {
        let built = (|| {
            let date = date_param(&q, "date", midnight(now))?;
            let (extra, step) = periods(&q)?;
            let dates: Vec<Millis> = (0..=extra).map(|k| months_before(date, k * step)).collect();
            Ok(balance_sheet(d, &dates, now))
        })();
        answer(built, now)
    })
    .await
}
