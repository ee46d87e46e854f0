//! `GET /v3/company/{realmId}/reports/{TrialBalance|ProfitAndLoss|BalanceSheet|GeneralLedger}`
//! computed from the company's generated ledger, so the reports agree with its
//! transactions (and with each other: the balance sheet balances, the P&L's Net Income
//! is the balance sheet's, the trial balance's debits equal its credits).
//!
//! Parameters: `start_date`, `end_date` (`YYYY-MM-DD`; default `end_date` today and
//! `start_date` the start of `end_date`'s fiscal year, which starts in January), `summarize_column_by` (`Month` gives one column
//! per month for ProfitAndLoss and BalanceSheet; anything else one `Total` column),
//! GeneralLedger's `columns` and `account`. `accounting_method` (only Accrual is
//! modelled), `date_macro`, `minorversion` and the rest are accepted and ignored. A
//! malformed date or `start_date` after `end_date` → 400 `ValidationFault` (code 2010,
//! unverified wording); an unknown report → 400 `ValidationFault` 2010. Admission as
//! every data call ([`crate::qbo::api::admit`]).

pub mod balance_sheet;
pub mod general_ledger;
pub mod pnl;
pub mod shape;
pub mod trial_balance;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api_auth::accepts_json;
use crate::client_auth::Params;
use crate::clock::Millis;
use crate::control::SimControl;
use crate::qbo::data::QboCompanyData;
use crate::qbo::ledger::generate::local_day;
use crate::qbo::ledger::totals::fy_start;
use crate::qbo::query::time::parse_datetime;
use crate::qbo::{api, errors};

/// The reports the simulator computes.
pub const REPORTS: [&str; 4] = [
    "TrialBalance",
    "ProfitAndLoss",
    "BalanceSheet",
    "GeneralLedger",
];

fn day(v: &str) -> Option<i64> {
    (v.len() == 10)
        .then(|| parse_datetime(v))
        .flatten()
        .map(local_day)
}

/// Builds report `name` from URL parameters `raw` as of `now`; `Err` is the fault detail.
pub fn build(
    d: &QboCompanyData,
    name: &str,
    raw: Option<&str>,
    now: Millis,
) -> Result<Value, String> {
    let p = Params::parse(raw.unwrap_or_default().as_bytes());
    let (_, default_end) = shape::default_period(local_day(now));
    let parse = |key: &str, default: i64| match p.get(key) {
        None | Some("") => Ok(default),
        Some(v) => day(v).ok_or_else(|| format!("Invalid date format for {key}: {v}")),
    };
    let end = parse("end_date", default_end)?;
    let start = parse("start_date", fy_start(end))?;
    if start > end {
        return Err("start_date is after end_date".into());
    }
    let by_month = p
        .get("summarize_column_by")
        .is_some_and(|v| v.eq_ignore_ascii_case("Month"));
    Ok(match name {
        "TrialBalance" => trial_balance::report(d, start, end, now),
        "ProfitAndLoss" => pnl::report(d, start, end, by_month, now),
        "BalanceSheet" => balance_sheet::report(d, start, end, by_month, now),
        "GeneralLedger" => {
            general_ledger::report(d, start, end, p.get("columns"), p.get("account"), now)
        }
        other => return Err(format!("Unsupported report: {other}")),
    })
}

/// The handler (prod and sandbox hosts).
pub(crate) async fn report(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path((realm, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let _admitted = match api::admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let now = s.now_ms();
    let body = {
        let mut st = s.lock();
        match st.qbo_company_data(&realm, now) {
            Some(d) => build(d, &name, raw.as_deref(), now),
            None => return errors::authorization_failed().into_response(),
        }
    };
    match body {
        Ok(v) => api::render(&v, accepts_json(&headers)),
        Err(detail) => errors::data_fault(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            "2010",
            "Request has invalid or unsupported property",
            &detail,
            now,
        )
        .into_response(),
    }
}
