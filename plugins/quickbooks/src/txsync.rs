//! Syncing query-API entities: name lists (accounts, customers, vendors, items) and
//! ledger transactions (invoices … journal entries), with deletions for the latter.
//!
//! Every page is `SELECT * FROM {Entity} [WHERE …] ORDERBY MetaData.LastUpdatedTime
//! STARTPOSITION n MAXRESULTS 1000` under the SDK's keyset cursor ([`Paged`]): an
//! inclusive `>=` bound at whole seconds, so boundary records are re-delivered (the
//! host's upsert absorbs them) and none is skipped.
//!
//! Transactions also keep the ids they delivered in state ([`idset`], key
//! `ids.{Entity}`) and, when a query pass ends, ask CDC for deletions since the last
//! time ([`crate::cdc`]): deleted stubs of known ids become tombstones. A window CDC
//! cannot serve (older than 30 days, or still saturated after shrinking) starts a
//! re-list: every record again in `Id` order (ids kept under `relist.{Entity}`), then
//! the known ids it did not return are asked for by id and only those QuickBooks no
//! longer has are tombstoned. A resync never deletes on absence alone.

use std::collections::BTreeSet;

use mooring_plugin_sdk::cursor::PageSummary;
use mooring_plugin_sdk::idset;
use mooring_plugin_sdk::prelude::*;

use crate::api::{self, Environment};
use crate::cdc::{self, Plan};
use crate::query::{self, IDS_PER_QUERY, MAX_RESULTS};
use crate::streams::StreamDef;
use crate::txcursor::{self, TxCursor};

fn now_ms() -> i64 {
    i64::try_from(clock::now_millis()).unwrap_or(i64::MAX)
}

fn known_key(entity: &str) -> String {
    format!("ids.{entity}")
}

fn relist_key(entity: &str) -> String {
    format!("relist.{entity}")
}

/// A tombstone keeping the last data the host saw (`null` data).
pub fn tombstone(id: String) -> SyncRecord {
    SyncRecord {
        id,
        data: "null".to_string(),
        deleted: true,
    }
}

/// Runs `statement` and returns the records with their `LastUpdatedTime`s.
fn fetch(
    env: Environment,
    realm: &str,
    entity: &str,
    statement: &str,
) -> Result<(Vec<SyncRecord>, Vec<Option<i64>>), ConnectorError> {
    let items = query::entities(api::query(env, realm, statement)?, entity)?;
    let mut records = Vec::with_capacity(items.len());
    let mut dates = Vec::with_capacity(items.len());
    for item in &items {
        let (record, updated) = query::record(entity, item)?;
        records.push(record);
        dates.push(updated);
    }
    Ok((records, dates))
}

/// One page of a name-list entity (inactive ones included: `Active: false` is not a
/// deletion). Once a day a pass runs without the `LastUpdatedTime` bound, so that
/// derived balances are refreshed ([`txcursor::full_pass_due`]).
pub fn namelist(
    env: Environment,
    realm: &str,
    def: &StreamDef,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let mut c = TxCursor::decode(cursor).unwrap_or_else(|e| {
        log::warn!(
            "stream `{}`: unreadable cursor ({e}); starting over",
            def.name
        );
        TxCursor::default()
    });
    let now = now_ms();
    if c.pass_starting() && txcursor::full_pass_due(c.full, now) {
        c.full = Some(now);
        c.query.since = None;
    }
    let statement = query::entity_query(def.entity, true, c.query.since, c.query.page());
    let (records, dates) = fetch(env, realm, def.entity, &statement)?;
    let step = c
        .query
        .advance(&PageSummary::of(&dates), MAX_RESULTS as usize);
    c.query = step.next;
    Ok(Batch::new(records, Some(c.encode()), step.has_more))
}

/// One page of a transaction entity (see the [module docs](self)).
pub fn transactions(
    env: Environment,
    realm: &str,
    def: &StreamDef,
    cursor: Option<&str>,
) -> Result<Batch, ConnectorError> {
    let mut c = TxCursor::decode(cursor).unwrap_or_else(|e| {
        log::warn!(
            "stream `{}`: unreadable cursor ({e}); starting over",
            def.name
        );
        TxCursor::default()
    });
    let now = now_ms();
    if let Some(page) = c.relist {
        return relist_page(env, realm, def, c, page, now);
    }
    if c.pass_starting() && c.pass.is_none() {
        c.pass = Some(now);
    }
    let statement = query::entity_query(def.entity, false, c.query.since, c.query.page());
    let (mut records, dates) = fetch(env, realm, def.entity, &statement)?;
    let mut known = idset::load(&known_key(def.entity));
    let before = known.len();
    known.extend(records.iter().map(|r| r.id.clone()));
    let step = c
        .query
        .advance(&PageSummary::of(&dates), MAX_RESULTS as usize);
    c.query = step.next;
    if step.has_more {
        if known.len() != before {
            idset::save(&known_key(def.entity), &known)?;
        }
        return Ok(Batch::new(records, Some(c.encode()), true));
    }
    // The pass is over: deletions since the last time.
    let pass_started = c.pass.take().unwrap_or(now);
    let since = c.cdc.unwrap_or(pass_started);
    let relist = match cdc::plan(since, now) {
        Plan::Relist => {
            log::info!(
                "stream `{}`: deletions last checked more than 30 days ago; re-listing",
                def.name
            );
            true
        }
        Plan::Cdc(since) => {
            let window = cdc_window(env, realm, def.entity, since, now)?;
            for id in window.deleted {
                if known.remove(&id) {
                    records.push(tombstone(id));
                }
            }
            c.cdc = Some(cdc::next_since(since, now));
            !window.complete
        }
    };
    idset::save(&known_key(def.entity), &known)?;
    if relist {
        c.relist = Some(1);
        c.relist_at = Some(now);
    }
    Ok(Batch::new(records, Some(c.encode()), relist))
}

/// What CDC could say about one window.
struct Window {
    deleted: Vec<String>,
    /// Whether the whole window `[since, now]` was covered unsaturated.
    complete: bool,
}

/// Asks CDC for `[since, now]`, shrinking the window towards now while the answer is
/// saturated. Deletions seen are always reported (a deleted stub is never wrong);
/// `complete` is false when part of the window stayed uncovered.
fn cdc_window(
    env: Environment,
    realm: &str,
    entity: &str,
    since: i64,
    now: i64,
) -> Result<Window, ConnectorError> {
    let mut from = since;
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    for _ in 0..=cdc::MAX_SHRINKS {
        let changes = cdc::parse(&api::cdc(env, realm, entity, from)?, entity)?;
        deleted.extend(changes.deleted.iter().cloned());
        if !changes.saturated() {
            return Ok(Window {
                deleted: deleted.into_iter().collect(),
                complete: from == since,
            });
        }
        match cdc::shrink(from, now) {
            Some(next) => {
                log::info!(
                    "CDC for {entity} since {} is saturated ({} objects); shrinking the window",
                    query::qbo_time(from),
                    changes.total
                );
                from = next;
            }
            None => break,
        }
    }
    Ok(Window {
        deleted: deleted.into_iter().collect(),
        complete: false,
    })
}

/// One page of a re-list; the last one settles deletions.
fn relist_page(
    env: Environment,
    realm: &str,
    def: &StreamDef,
    mut c: TxCursor,
    page: u32,
    now: i64,
) -> Result<Batch, ConnectorError> {
    let statement = query::relist_query(def.entity, page);
    let (mut records, _) = fetch(env, realm, def.entity, &statement)?;
    let mut relisted = if page <= 1 {
        BTreeSet::new()
    } else {
        idset::load(&relist_key(def.entity))
    };
    relisted.extend(records.iter().map(|r| r.id.clone()));
    let mut known = idset::load(&known_key(def.entity));
    known.extend(relisted.iter().cloned());
    if records.len() >= MAX_RESULTS as usize {
        idset::save(&relist_key(def.entity), &relisted)?;
        idset::save(&known_key(def.entity), &known)?;
        c.relist = Some(page.saturating_add(1));
        return Ok(Batch::new(records, Some(c.encode()), true));
    }
    let candidates = txcursor::vanished(&known, &relisted);
    let mut still_there = BTreeSet::new();
    for chunk in candidates.chunks(IDS_PER_QUERY) {
        let statement = query::ids_query(def.entity, chunk);
        let (found, _) = fetch(env, realm, def.entity, &statement)?;
        still_there.extend(found.iter().map(|r| r.id.clone()));
        records.extend(found);
    }
    for id in txcursor::confirmed_gone(&candidates, &still_there) {
        known.remove(&id);
        records.push(tombstone(id));
    }
    idset::save(&known_key(def.entity), &known)?;
    idset::clear(&relist_key(def.entity));
    let started = c.relist_at.unwrap_or(now);
    c.cdc = Some(started.saturating_sub(cdc::OVERLAP_MS));
    c.relist = None;
    c.relist_at = None;
    Ok(Batch::new(records, Some(c.encode()), false))
}
