//! `sync`: one page of one stream. Each stream kind (see [`Kind`]) reads its cursor,
//! makes one request through [`api`], and leaves the maths to the pure modules.

use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::Value;

use crate::api;
use crate::cursor::{Modified, Offset, PageSummary, Paged, Snapshot};
use crate::dates;
use crate::records::{self, Extracted};
use crate::report;
use crate::reportsync;
use crate::streams::{self, JOURNALS_PER_CALL, Kind, PAGE_SIZE, StreamDef};

/// Fetches one page of `stream` for `tenant`, resuming after `cursor`.
pub fn sync(stream: &str, tenant: &Tenant, cursor: Option<&str>) -> Result<Batch, ConnectorError> {
    let def = streams::find(stream)
        .ok_or_else(|| ConnectorError::InvalidData(format!("unknown stream `{stream}`")))?;
    match def.kind {
        Kind::Single => single(def, tenant),
        Kind::Snapshot => snapshot(def, tenant, cursor),
        Kind::Modified => modified(def, tenant, cursor),
        Kind::Paged => paged(def, tenant, cursor),
        Kind::Journals => journals(def, tenant, cursor),
        Kind::TrialBalance => trial_balance(def, tenant, cursor),
        Kind::ProfitAndLoss => reportsync::profit_and_loss(tenant),
        Kind::BalanceSheet => reportsync::balance_sheet(tenant),
        Kind::CommonAccounts => reportsync::common_accounts(tenant, cursor),
        Kind::CommonActuals => reportsync::common_actuals(tenant),
    }
}

/// A cursor this version cannot read (corrupted, or written by an incompatible
/// version) restarts the stream from scratch: re-delivering records is harmless,
/// stalling the stream forever is not.
fn decoded<T: Default>(def: &StreamDef, cursor: Result<T, String>) -> T {
    cursor.unwrap_or_else(|e| {
        log::warn!(
            "stream `{}`: unreadable cursor ({e}); starting over",
            def.name
        );
        T::default()
    })
}

/// The entities of an answer (`None`: 304 Not Modified → no entities).
fn entities(def: &StreamDef, answer: Option<Response>) -> Result<Vec<Extracted>, ConnectorError> {
    match answer {
        Some(response) => records::extract_page(def, &response),
        None => Ok(Vec::new()),
    }
}

fn into_records(extracted: Vec<Extracted>) -> Vec<SyncRecord> {
    extracted.into_iter().map(|e| e.record).collect()
}

/// `organisation`: one GET, every record, no cursor.
fn single(def: &StreamDef, tenant: &Tenant) -> Result<Batch, ConnectorError> {
    let answer = api::fetch(tenant, def, &[], None)?;
    if let Some(response) = &answer {
        reportsync::remember_organisation(&response.json::<Value>()?);
    }
    let found = entities(def, answer)?;
    Ok(Batch::new(into_records(found), None, false))
}

/// `tracking_categories`: one GET of everything (archived included); ids that
/// vanished since the last refresh become tombstones.
fn snapshot(
    def: &StreamDef,
    tenant: &Tenant,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let previous = decoded(def, Snapshot::decode(cursor));
    let Some(answer) = api::fetch(tenant, def, &[], None)? else {
        return Ok(Batch::empty());
    };
    let mut records = into_records(entities(def, Some(answer))?);
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    records.extend(previous.vanished(&ids).into_iter().map(records::vanished));
    Ok(Batch::new(records, Some(Snapshot { ids }.encode()), false))
}

/// `accounts`: one GET with `If-Modified-Since` (no paging on /Accounts).
fn modified(
    def: &StreamDef,
    tenant: &Tenant,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let current = decoded(def, Modified::decode(cursor));
    let found = entities(def, api::fetch(tenant, def, &[], current.since)?)?;
    let next = current.advance(found.iter().filter_map(|e| e.updated).max());
    Ok(Batch::new(into_records(found), Some(next.encode()), false))
}

/// `contacts`, `invoices`, `bank_transactions`, `manual_journals`: `page`/`pageSize`
/// ordered by `UpdatedDateUTC ASC` under `If-Modified-Since` (see [`crate::cursor`]).
fn paged(def: &StreamDef, tenant: &Tenant, cursor: Option<&str>) -> Result<Batch, ConnectorError> {
    let current = decoded(def, Paged::decode(cursor));
    let query = [
        ("order", "UpdatedDateUTC ASC".to_string()),
        ("page", current.page().to_string()),
        ("pageSize", PAGE_SIZE.to_string()),
    ];
    let found = entities(def, api::fetch(tenant, def, &query, current.since)?)?;
    let dates: Vec<Option<i64>> = found.iter().map(|e| e.updated).collect();
    let step = current.advance(&PageSummary::of(&dates), PAGE_SIZE);
    Ok(Batch::new(
        into_records(found),
        Some(step.next.encode()),
        step.has_more,
    ))
}

/// `journals`: `offset` = the highest `JournalNumber` seen; journals are immutable, so
/// the offset alone resumes. More follow while a call returns a full 100.
fn journals(
    def: &StreamDef,
    tenant: &Tenant,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let current = decoded(def, Offset::decode(cursor));
    let query = [("offset", current.offset.to_string())];
    let found = entities(def, api::fetch(tenant, def, &query, None)?)?;
    let max = found.iter().filter_map(|e| e.number).max();
    let (next, more) = current.advance(found.len(), max, JOURNALS_PER_CALL);
    Ok(Batch::new(into_records(found), Some(next.encode()), more))
}

/// `trial_balance`: the report as of today (UTC, by the host's clock), one record per
/// account row, refreshed in full; accounts that left the report become tombstones
/// (their last balances kept).
fn trial_balance(
    def: &StreamDef,
    tenant: &Tenant,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let previous = decoded(def, Snapshot::decode(cursor));
    let now = i64::try_from(clock::now_millis()).unwrap_or(i64::MAX);
    let date = dates::ymd(now);
    let Some(body) = api::get(tenant, def, &[("date", date.clone())], None)? else {
        return Ok(Batch::empty());
    };
    let rows = report::trial_balance_rows(&body, &date)?;
    let mut records = rows
        .iter()
        .map(|r| SyncRecord::json(r.account_id.clone(), &r.data))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = rows.into_iter().map(|r| r.account_id).collect();
    records.extend(previous.vanished(&ids).into_iter().map(records::vanished));
    Ok(Batch::new(records, Some(Snapshot { ids }.encode()), false))
}
