//! The monthly report streams (`profit_and_loss`, `balance_sheet`) and the common
//! model (`common.accounts`, `common.actuals`).
//!
//! The monthly window starts at [`history_start`] (the fiscal year two years back,
//! from `Organisation.FinancialYearEndMonth`) the first time it is needed, is kept in
//! state (`window.first`) so it never slides, and ends with the current month. Each
//! report call asks for a month with `periods` and `timeframe=MONTH`, so one call
//! covers up to 12 months; the next call starts where the columns the answer
//! actually had end.

use mooring_plugin_sdk::actuals::{self, ChartEntry, Figures, Window};
use mooring_plugin_sdk::common::{Month, history_start};
use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::{Value, json};

use crate::api;
use crate::classify;
use crate::cursor::Modified;
use crate::periods::{self, Figure};
use crate::records;
use crate::streams::{self, StreamDef};

const WINDOW_KEY: &str = "window.first";

fn invalid(e: String) -> ConnectorError {
    ConnectorError::InvalidData(e)
}

fn def(name: &str) -> Result<&'static StreamDef, ConnectorError> {
    streams::find(name).ok_or_else(|| invalid(format!("no stream `{name}`")))
}

const ORGANISATION_KEY: &str = "organisation.facts";

/// The organisation's fiscal year start month (1–12) and base currency: kept in state
/// by the `organisation` stream ([`remember_organisation`]), else asked.
fn organisation(tenant: &Tenant) -> Result<(u32, Option<String>), ConnectorError> {
    if let Ok(Some(facts)) = state::get_json::<Value>(ORGANISATION_KEY)
        && let Some(fy) = facts.get("fy_start").and_then(Value::as_u64)
    {
        let currency = facts
            .get("currency")
            .and_then(Value::as_str)
            .map(str::to_string);
        return Ok((u32::try_from(fy).unwrap_or(1), currency));
    }
    let body = api::get(tenant, def("organisation")?, &[], None)?.unwrap_or_default();
    Ok(remember_organisation(&body))
}

/// Reads the fiscal year start and base currency of an `/Organisation` answer and
/// keeps them in state, so that the report streams need not ask again.
pub fn remember_organisation(body: &Value) -> (u32, Option<String>) {
    let facts = organisation_facts(body);
    if let Err(e) = state::set_json(
        ORGANISATION_KEY,
        &json!({"fy_start": facts.0, "currency": facts.1}),
    ) {
        log::warn!("could not keep the organisation's facts: {}", e.reason());
    }
    facts
}

/// The fiscal year start month (the month after `FinancialYearEndMonth`, December
/// when absent) and `BaseCurrency` of an `/Organisation` answer. Pure.
pub fn organisation_facts(body: &Value) -> (u32, Option<String>) {
    let org = body
        .pointer("/Organisations/0")
        .cloned()
        .unwrap_or_default();
    let end = org
        .get("FinancialYearEndMonth")
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (1..=12).contains(n))
        .unwrap_or(12);
    let currency = org
        .get("BaseCurrency")
        .and_then(Value::as_str)
        .map(str::to_string);
    (end % 12 + 1, currency)
}

/// The window's months, oldest first, and the base currency.
fn window(tenant: &Tenant) -> Result<(Vec<Month>, Option<String>), ConnectorError> {
    let now = i64::try_from(clock::now_millis()).unwrap_or(i64::MAX);
    let current = Month::of_millis(now);
    let (fy_start, currency) = organisation(tenant)?;
    let stored: Option<String> = state::get_json(WINDOW_KEY).ok().flatten();
    let first = match stored.as_deref().and_then(Month::parse) {
        Some(first) => first,
        None => {
            let first = history_start(current, fy_start);
            state::set_json(WINDOW_KEY, &first.to_string())?;
            first
        }
    };
    Ok((first.through(current), currency))
}

/// Every figure of report `name` (`profit_and_loss` or `balance_sheet`) for the
/// months `oldest..=latest`.
fn monthly(
    tenant: &Tenant,
    name: &str,
    oldest: Month,
    latest: Month,
) -> Result<Vec<Figure>, ConnectorError> {
    let d = def(name)?;
    let balance_sheet = name == "balance_sheet";
    let mut out = Vec::new();
    let mut end = latest;
    while end >= oldest {
        let mut query: Vec<(&str, String)> = if balance_sheet {
            vec![("date", end.last_day())]
        } else {
            vec![("fromDate", end.first_day()), ("toDate", end.last_day())]
        };
        if let Some(n) = periods::periods_param(oldest, end) {
            query.push(("periods", n.to_string()));
        }
        let body = api::get(tenant, d, &query, None)?.unwrap_or_default();
        let report = periods::parse(&body)?;
        out.extend(periods::figures(&report, end, oldest)?);
        end = end.plus(-periods::months_covered(report.columns));
    }
    Ok(out)
}

fn figure_records(
    figures: Vec<Figure>,
    field: &str,
    currency: Option<&str>,
) -> Result<Vec<SyncRecord>, ConnectorError> {
    figures
        .into_iter()
        .map(|f| {
            let id = format!("{}:{}", f.account_id, f.month);
            let data = json!({"id": id, "AccountID": f.account_id, "AccountName": f.name,
                "Section": f.section, "Period": f.month.to_string(),
                field: f.amount.to_string(), "Currency": currency});
            SyncRecord::json(id, &data)
        })
        .collect()
}

/// `profit_and_loss`: every account's figure for every month of the window.
pub fn profit_and_loss(tenant: &Tenant) -> Result<Batch, ConnectorError> {
    let (months, currency) = window(tenant)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let figures = monthly(tenant, "profit_and_loss", first, last)?;
    Ok(Batch::new(
        figure_records(figures, "Amount", currency.as_deref())?,
        None,
        false,
    ))
}

/// `balance_sheet`: every account's balance at every month end of the window (and
/// of the month before it).
pub fn balance_sheet(tenant: &Tenant) -> Result<Batch, ConnectorError> {
    let (months, currency) = window(tenant)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let figures = monthly(tenant, "balance_sheet", first.prev(), last)?;
    Ok(Batch::new(
        figure_records(figures, "Balance", currency.as_deref())?,
        None,
        false,
    ))
}

fn accounts(tenant: &Tenant, since: Option<i64>) -> Result<Option<Vec<Value>>, ConnectorError> {
    let d = def("accounts")?;
    match api::get(tenant, d, &[], since)? {
        Some(mut body) => Ok(Some(records::take_collection(&mut body, d)?)),
        None => Ok(None),
    }
}

/// `common.accounts`: `/Accounts` (with `If-Modified-Since`) in the common model;
/// a DELETED account is a tombstone.
pub fn common_accounts(tenant: &Tenant, cursor: Option<&str>) -> Result<Batch, ConnectorError> {
    let current = Modified::decode(cursor).unwrap_or_default();
    let Some(items) = accounts(tenant, current.since)? else {
        return Ok(Batch::empty());
    };
    let (_, currency) = organisation(tenant)?;
    let mut records = Vec::with_capacity(items.len());
    let mut max = None;
    for item in &items {
        let account = classify::common_account(item, currency.as_deref())?;
        let mut record = SyncRecord::json(account.id.clone(), &account)?;
        record.deleted = account.status == "deleted";
        records.push(record);
        let updated = item
            .get("UpdatedDateUTC")
            .and_then(crate::dates::parse_xero_date);
        max = max.max(updated);
    }
    Ok(Batch::new(
        records,
        Some(current.advance(max).encode()),
        false,
    ))
}

/// `common.actuals`: every account's monthly movement over the window, and the
/// opening balances (see [`mooring_plugin_sdk::actuals`]).
pub fn common_actuals(tenant: &Tenant) -> Result<Batch, ConnectorError> {
    let (months, currency) = window(tenant)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let chart_items = accounts(tenant, None)?.unwrap_or_default();
    let mut chart = Vec::with_capacity(chart_items.len());
    for item in &chart_items {
        let a = classify::common_account(item, currency.as_deref())?;
        if a.status != "deleted" {
            chart.push(ChartEntry {
                id: a.id,
                classification: a.classification,
            });
        }
    }
    let re = classify::retained_earnings(&chart_items);
    let mut figures = Figures::default();
    for f in monthly(tenant, "profit_and_loss", first, last)? {
        figures
            .add_pnl(&f.account_id, f.month, f.amount)
            .map_err(invalid)?;
    }
    for f in monthly(tenant, "balance_sheet", first.prev(), last)? {
        figures
            .add_balance(&f.account_id, f.month, f.amount)
            .map_err(invalid)?;
    }
    let window = Window {
        chart: &chart,
        retained_earnings: re.as_deref(),
        first,
        last,
        currency: currency.as_deref(),
    };
    let derived = actuals::derive(&window, &figures).map_err(invalid)?;
    let records = derived
        .iter()
        .map(|a| SyncRecord::json(a.record_id(), a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Batch::new(records, None, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_facts_from_the_documented_fields() {
        let body = json!({"Organisations": [{"Name": "Demo", "BaseCurrency": "NZD",
            "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3}]});
        assert_eq!(organisation_facts(&body), (4, Some("NZD".into())));
        let december = json!({"Organisations": [{"FinancialYearEndMonth": 12}]});
        assert_eq!(organisation_facts(&december), (1, None));
        assert_eq!(
            organisation_facts(&json!({})),
            (1, None),
            "December by default"
        );
    }
}
