//! `GET /Reports/TrialBalance?date=YYYY-MM-DD` (default: today), computed from the
//! journals with `JournalDate <= date`, in the spec's `ReportWithRows` shape.
//!
//! Columns: `Debit`/`Credit` = net movement in the month of `date` (1st to `date`);
//! `YTD Debit`/`YTD Credit` = balance-sheet accounts since inception, P&L accounts since
//! the financial year's start, and Retained Earnings carrying every earlier year's P&L
//! (its cells say so with `fromDate`/`toDate` attributes, as in the spec's example). A
//! net debit goes in the debit column, a net credit in the credit column, both as
//! strings with two decimals; a zero shows as "0.00" on the side of the other column.
//! Sections Revenue, Expenses, Assets, Liabilities, Equity (non-empty ones), rows by
//! account name, then a `SummaryRow` whose debit and credit totals are equal.
//! `paymentsOnly` (cash basis) is not modelled and ignored.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::envelope::{array, envelope, json};
use super::gate::Endpoint;
use super::query::Query;
use super::serve;
use crate::clock::{DAY, Millis};
use crate::control::SimControl;
use crate::timefmt::{civil, date_ms};
use crate::xero::data::OrgData;
use crate::xero::dates::{midnight, ms_date_plain, parse_ymd, report_date, us_date};
use crate::xero::errors;
use crate::xero::json::{Obj, fixed};

const SECTIONS: [(&str, &str); 5] = [
    ("Revenue", "REVENUE"),
    ("Expenses", "EXPENSE"),
    ("Assets", "ASSET"),
    ("Liabilities", "LIABILITY"),
    ("Equity", "EQUITY"),
];

/// The first day of the financial year containing `date`.
pub(crate) fn fy_start(d: &OrgData, date: Millis) -> Millis {
    let year = civil(date).year;
    let start = date_ms(year, d.locale.fy_end_month, d.locale.fy_end_day) + DAY;
    if start > date {
        date_ms(year - 1, d.locale.fy_end_month, d.locale.fy_end_day) + DAY
    } else {
        start
    }
}

/// One account's row values in cents: (month net, YTD net).
struct Row<'a> {
    name: String,
    id: String,
    month: i64,
    ytd: i64,
    retained_to: Option<&'a str>,
}

/// (debit, credit) cells of a net amount; `hint` picks the side of a zero.
fn sides(net: i64, hint: i64) -> (String, String) {
    match net {
        n if n > 0 => (fixed(n, 2), String::new()),
        n if n < 0 => (String::new(), fixed(-n, 2)),
        _ if hint < 0 => (String::new(), "0.00".into()),
        _ => ("0.00".into(), String::new()),
    }
}

fn cell(out: &mut String, value: &str, attrs: &[(&str, &str)]) {
    let mut o = Obj::new(out);
    o.str("Value", value);
    if !attrs.is_empty() {
        o.arr("Attributes", attrs, |out, (id, v)| {
            let mut a = Obj::new(out);
            a.str("Value", v).str("Id", id);
            a.end();
        });
    }
    o.end();
}

fn row_json(out: &mut String, kind: &str, cells: &[String], attrs: &[(&str, &str)]) {
    let mut o = Obj::new(out);
    o.str("RowType", kind)
        .arr("Cells", cells, |out, v| cell(out, v, attrs));
    o.end();
}

/// The report body for `date` (midnight UTC).
pub(crate) fn report(out: &mut String, d: &OrgData, date: Millis, now: Millis) {
    let c = civil(date);
    let month_start = date_ms(c.year, c.month, 1);
    let fy = fy_start(d, date);
    let n = d.accounts.len();
    let (mut month, mut all, mut ytd, mut before) =
        (vec![0; n], vec![0; n], vec![0; n], vec![0; n]);
    for j in d.journals.iter().filter(|j| j.date <= date) {
        for l in &j.lines {
            let a = usize::from(l.account);
            if a >= n {
                continue;
            }
            all[a] += l.net;
            if j.date >= month_start {
                month[a] += l.net;
            }
            if j.date >= fy {
                ytd[a] += l.net;
            } else {
                before[a] += l.net;
            }
        }
    }
    let re = usize::from(d.roles.retained_earnings);
    let carried: i64 = (0..n)
        .filter(|&a| matches!(d.accounts[a].class, "REVENUE" | "EXPENSE"))
        .map(|a| before[a])
        .sum();
    let prior_end = us_date(fy - DAY);
    let mut totals = [0i64; 4];
    let mut body = Vec::new();
    for (title, class) in SECTIONS {
        let mut rows: Vec<Row<'_>> = d
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.class == class)
            .map(|(i, a)| {
                let pl = matches!(class, "REVENUE" | "EXPENSE");
                let ytd_net = if pl {
                    ytd[i]
                } else {
                    all[i] + if i == re { carried } else { 0 }
                };
                Row {
                    name: format!("{} ({})", a.name, a.code),
                    id: a.id.to_string(),
                    month: month[i],
                    ytd: ytd_net,
                    retained_to: (i == re).then_some(prior_end.as_str()),
                }
            })
            .filter(|r| r.month != 0 || r.ytd != 0)
            .collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by_key(|r| r.name.to_lowercase());
        let mut section = String::new();
        let mut o = Obj::new(&mut section);
        o.str("RowType", "Section")
            .str("Title", title)
            .arr("Rows", &rows, |out, r| {
                let (md, mc) = sides(r.month, r.ytd);
                let (yd, yc) = sides(r.ytd, r.month);
                for (t, v) in totals.iter_mut().zip([r.month, -r.month, r.ytd, -r.ytd]) {
                    *t += v.max(0);
                }
                let mut attrs = vec![("account", r.id.as_str())];
                if let Some(to) = r.retained_to {
                    attrs.extend([("fromDate", ""), ("toDate", to)]);
                }
                row_json(out, "Row", &[r.name.clone(), md, mc, yd, yc], &attrs);
            });
        o.end();
        body.push(section);
    }
    let titles = [
        "Trial Balance".to_owned(),
        d.profile.name.clone(),
        format!("As at {}", report_date(date)),
    ];
    let mut o = Obj::new(out);
    o.str("ReportName", "Trial Balance")
        .str("ReportType", "TrialBalance")
        .arr("ReportTitles", &titles, |out, t| {
            crate::xero::json::escape_into(out, t)
        })
        .str("ReportDate", &report_date(date))
        .str("UpdatedDateUTC", &ms_date_plain(now))
        .raw("Fields", "[]")
        .arr("Rows", 0..body.len() + 2, |out, i| {
            if i == 0 {
                let head =
                    ["Account", "Debit", "Credit", "YTD Debit", "YTD Credit"].map(String::from);
                row_json(out, "Header", &head, &[]);
            } else if i <= body.len() {
                out.push_str(&body[i - 1]);
            } else {
                let mut s = Obj::new(out);
                s.str("RowType", "Section")
                    .str("Title", "")
                    .arr("Rows", [()], |out, _| {
                        let cells = [
                            "Total".to_owned(),
                            fixed(totals[0], 2),
                            fixed(totals[1], 2),
                            fixed(totals[2], 2),
                            fixed(totals[3], 2),
                        ];
                        row_json(out, "SummaryRow", &cells, &[]);
                    });
                s.end();
            }
        });
    o.end();
}

/// `GET /Reports/TrialBalance`.
pub(crate) async fn trial_balance(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    serve(&s, &headers, Endpoint::TrialBalance, |d, now| {
        let date = match q.get("date") {
            None => midnight(now),
            Some(v) => match parse_ymd(v) {
                Some(t) => t,
                None => {
                    return errors::validation(&format!("'{v}' is not a valid date"))
                        .into_response();
                }
            },
        };
        let items = array([()], |out, _| report(out, d, date, now));
        json(envelope(now, None, "Reports", &items))
    })
    .await
}
