//! Report streams and the common model: the trial balance, P&L and balance sheet by
//! month, the general ledger month by month, `common.accounts` and `common.actuals`.
//!
//! The monthly window starts at [`history_start`] (the fiscal year two years back,
//! from `CompanyInfo.FiscalYearStartMonth`) the first time it is needed, is kept in
//! state (`window.first`) so it never slides, and ends with the current month.
//! One P&L call (`summarize_column_by=Month` over the window) and one balance-sheet
//! call (the same, from the month before) cover every month.

use mooring_plugin_sdk::actuals::{self, ChartEntry, Figures, Window};
use mooring_plugin_sdk::common::{Month, history_start, month_number};
use mooring_plugin_sdk::cursor::{PageSummary, Paged};
use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::{Map, Value, json};

use crate::api::{self, Environment};
use crate::classify;
use crate::query::{self, MAX_RESULTS};
use crate::reports;

const WINDOW_KEY: &str = "window.first";

/// General-ledger columns asked: the defaults plus the account and both sides
/// (single-currency names; PROVIDERS.md B5.9).
pub const LEDGER_COLUMNS: &str = "tx_date,txn_type,doc_num,name,memo,split_acc,account_name,\
                                  debt_amt,credit_amt,subt_nat_amount,rbal_nat_amount";

fn now_ms() -> i64 {
    i64::try_from(clock::now_millis()).unwrap_or(i64::MAX)
}

fn invalid(e: String) -> ConnectorError {
    ConnectorError::InvalidData(e)
}

/// The months of the window, oldest first.
pub fn window(env: Environment, realm: &str) -> Result<Vec<Month>, ConnectorError> {
    let current = Month::of_millis(now_ms());
    let stored: Option<String> = state::get_json(WINDOW_KEY).ok().flatten();
    let first = match stored.as_deref().and_then(Month::parse) {
        Some(first) => first,
        None => {
            let info = api::company_info(env, realm)?;
            let fy = info
                .pointer("/CompanyInfo/FiscalYearStartMonth")
                .and_then(Value::as_str)
                .and_then(month_number)
                .unwrap_or(1);
            let first = history_start(current, fy);
            state::set_json(WINDOW_KEY, &first.to_string())?;
            first
        }
    };
    Ok(first.through(current))
}

fn monthly_report(
    env: Environment,
    realm: &str,
    name: &str,
    first: Month,
    last: Month,
) -> Result<Value, ConnectorError> {
    let (start, end) = (first.first_day(), last.last_day());
    api::report(
        env,
        realm,
        name,
        &[
            ("start_date", start.as_str()),
            ("end_date", end.as_str()),
            ("summarize_column_by", "Month"),
        ],
    )
}

fn figure_records(
    figures: Vec<reports::MonthFigure>,
    field: &str,
    currency: Option<&str>,
) -> Result<Vec<SyncRecord>, ConnectorError> {
    figures
        .into_iter()
        .map(|f| {
            let id = format!("{}:{}", f.account, f.month);
            let mut data = Map::new();
            data.insert("id".into(), json!(id));
            data.insert("AccountId".into(), json!(f.account));
            data.insert("AccountName".into(), json!(f.name));
            data.insert("Period".into(), json!(f.month.to_string()));
            data.insert(field.into(), json!(f.amount.to_string()));
            data.insert("Group".into(), json!(f.group));
            data.insert("Currency".into(), json!(currency));
            SyncRecord::json(id, &Value::Object(data))
        })
        .collect()
}

/// `profit_and_loss`: every account's P&L figure for every month of the window.
pub fn profit_and_loss(env: Environment, realm: &str) -> Result<Batch, ConnectorError> {
    let months = window(env, realm)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let report = monthly_report(env, realm, "ProfitAndLoss", first, last)?;
    let currency = reports::currency(&report);
    let figures = reports::monthly_figures(&report, &months)?;
    Ok(Batch::new(
        figure_records(figures, "Amount", currency.as_deref())?,
        None,
        false,
    ))
}

/// `balance_sheet`: every account's balance at every month end of the window (and
/// the month before it).
pub fn balance_sheet(env: Environment, realm: &str) -> Result<Batch, ConnectorError> {
    let months = window(env, realm)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let months = first.prev().through(last);
    let report = monthly_report(env, realm, "BalanceSheet", first.prev(), last)?;
    let currency = reports::currency(&report);
    let figures = reports::monthly_figures(&report, &months)?;
    Ok(Batch::new(
        figure_records(figures, "Balance", currency.as_deref())?,
        None,
        false,
    ))
}

/// `trial_balance`: the trial balance as of today (UTC), one record per account.
pub fn trial_balance(env: Environment, realm: &str) -> Result<Batch, ConnectorError> {
    let today = time::rfc3339_from_millis(now_ms());
    let today = today.get(0..10).unwrap_or("").to_string();
    let month_start = format!("{}-01", today.get(0..7).unwrap_or(""));
    let report = api::report(
        env,
        realm,
        "TrialBalance",
        &[
            ("start_date", month_start.as_str()),
            ("end_date", today.as_str()),
        ],
    )?;
    let currency = reports::currency(&report);
    let mut records = Vec::new();
    for (id, name, debit, credit) in reports::trial_balance(&report)? {
        let data = json!({"id": id, "AccountId": id, "AccountName": name,
            "Debit": debit.to_string(), "Credit": credit.to_string(),
            "Date": today, "Currency": currency});
        records.push(SyncRecord::json(id, &data)?);
    }
    Ok(Batch::new(records, None, false))
}

/// `general_ledger`: one month per page (cursor `{"month":"YYYY-MM"}`), one record per
/// account and month with that month's lines; after the current month the next sync
/// starts again from the window's first month.
pub fn general_ledger(
    env: Environment,
    realm: &str,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let months = window(env, realm)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let month = cursor
        .and_then(|c| mooring_plugin_sdk::serde_json::from_str::<Value>(c).ok())
        .and_then(|v| {
            v.get("month")
                .and_then(Value::as_str)
                .and_then(Month::parse)
        })
        .filter(|m| *m >= first && *m <= last)
        .unwrap_or(first);
    let report = monthly_ledger(env, realm, month)?;
    let columns: Vec<String> = reports::columns(&report)
        .into_iter()
        .map(|(title, kind, key)| key.unwrap_or(if kind.is_empty() { title } else { kind }))
        .collect();
    let mut by_account: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    if !reports::no_data(&report) {
        for row in reports::data_rows(&report) {
            let Some(account) = row.section_account.clone().or(row.id.clone()) else {
                continue;
            };
            let line: Map<String, Value> = columns
                .iter()
                .cloned()
                .zip(row.values.iter().map(|v| json!(v)))
                .collect();
            by_account
                .entry(account)
                .or_default()
                .push(Value::Object(line));
        }
    }
    let mut records = Vec::new();
    for (account, lines) in by_account {
        let id = format!("{account}:{month}");
        let data =
            json!({"id": id, "AccountId": account, "Period": month.to_string(), "Lines": lines});
        records.push(SyncRecord::json(id, &data)?);
    }
    let more = month < last;
    let next = if more { month.plus(1) } else { first };
    Ok(Batch::new(
        records,
        Some(json!({"month": next.to_string()}).to_string()),
        more,
    ))
}

fn monthly_ledger(env: Environment, realm: &str, month: Month) -> Result<Value, ConnectorError> {
    let (start, end) = (month.first_day(), month.last_day());
    api::report(
        env,
        realm,
        "GeneralLedger",
        &[
            ("start_date", start.as_str()),
            ("end_date", end.as_str()),
            ("columns", LEDGER_COLUMNS),
        ],
    )
}

/// `common.accounts`: the accounts query, inactive ones included, mapped to the common
/// model; same cursor as `accounts`.
pub fn common_accounts(
    env: Environment,
    realm: &str,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let current = Paged::decode(cursor).unwrap_or_default();
    let statement = query::account_query(current.since, current.page());
    let items = query::entities(api::query(env, realm, &statement)?, "Account")?;
    let mut records = Vec::with_capacity(items.len());
    let mut dates = Vec::with_capacity(items.len());
    for item in &items {
        let account = classify::common_account(item)?;
        records.push(SyncRecord::json(account.id.clone(), &account)?);
        dates.push(query::record("Account", item)?.1);
    }
    let step = current.advance(&PageSummary::of(&dates), MAX_RESULTS as usize);
    Ok(Batch::new(records, Some(step.next.encode()), step.has_more))
}

/// Every account (all pages).
fn all_accounts(env: Environment, realm: &str) -> Result<Vec<Value>, ConnectorError> {
    let mut out = Vec::new();
    for page in 1u32.. {
        let statement = query::account_query(None, page);
        let items = query::entities(api::query(env, realm, &statement)?, "Account")?;
        let full = items.len() >= MAX_RESULTS as usize;
        out.extend(items);
        if !full {
            break;
        }
    }
    Ok(out)
}

/// `common.actuals`: every account's monthly movement over the window, and the
/// opening balances (see [`mooring_plugin_sdk::actuals`]).
pub fn common_actuals(env: Environment, realm: &str) -> Result<Batch, ConnectorError> {
    let months = window(env, realm)?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Batch::empty());
    };
    let accounts = all_accounts(env, realm)?;
    let mut chart = Vec::with_capacity(accounts.len());
    for a in &accounts {
        let common = classify::common_account(a)?;
        chart.push(ChartEntry {
            id: common.id,
            classification: common.classification,
        });
    }
    let re = classify::retained_earnings(&accounts);
    let pnl = monthly_report(env, realm, "ProfitAndLoss", first, last)?;
    let bs = monthly_report(env, realm, "BalanceSheet", first.prev(), last)?;
    let currency = reports::currency(&bs).or_else(|| reports::currency(&pnl));
    let mut figures = Figures::default();
    for f in reports::monthly_figures(&pnl, &months)? {
        figures
            .add_pnl(&f.account, f.month, f.amount)
            .map_err(invalid)?;
    }
    for f in reports::monthly_figures(&bs, &first.prev().through(last))? {
        figures
            .add_balance(&f.account, f.month, f.amount)
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
