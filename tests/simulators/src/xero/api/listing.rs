//! The shared list pipeline of Accounts, Contacts, Invoices, BankTransactions and
//! ManualJournals: keep → `If-Modified-Since` (on `UpdatedDateUTC`) → `where` → order
//! (default, then `order=`) → page → render → envelope.

use axum::response::{IntoResponse, Response};

use super::envelope::{array, envelope, json};
use super::filter;
use super::query::{Paging, Query, SortKey, parse_order, sort_by};
use crate::clock::Millis;
use crate::xero::errors::query_parse;

/// What to list and how.
pub(crate) struct Listing<'a, T> {
    /// The records, in creation order.
    pub(crate) items: &'a [T],
    /// Envelope key, e.g. `Invoices`.
    pub(crate) key: &'static str,
    /// Record type for error messages, e.g. `Invoice`.
    pub(crate) type_name: &'static str,
    /// `UpdatedDateUTC`.
    pub(crate) updated: fn(&T) -> Millis,
    /// Sort key of a field (lower-case name); `None` for unknown fields.
    pub(crate) sort_key: &'a dyn Fn(&T, &str) -> Option<SortKey>,
    /// Default ordering field (`None`: creation order).
    pub(crate) default_order: Option<&'static str>,
    /// Whether `page`/`pageSize` apply.
    pub(crate) pageable: bool,
}

/// Runs the pipeline. `keep` applies endpoint filters (statuses, ids, archived...);
/// `render(out, item, paged)` writes one record.
pub(crate) fn list<T>(
    l: Listing<'_, T>,
    q: &Query,
    ims: Option<Millis>,
    now: Millis,
    keep: impl Fn(&T) -> bool,
    render: impl Fn(&mut String, &T, bool),
) -> Response {
    let filter = match q.get("where").map(filter::parse).transpose() {
        Ok(f) => f,
        Err(e) => return query_parse(&e).into_response(),
    };
    let order = match parse_order(q.get("order")) {
        Ok(o) => o,
        Err(e) => return query_parse(&e).into_response(),
    };
    let mut idx: Vec<usize> = l
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| keep(it) && ims.is_none_or(|t| (l.updated)(it) >= t))
        .map(|(i, _)| i)
        .collect();
    if let Some(f) = &filter {
        let mut kept = Vec::with_capacity(idx.len());
        for i in idx {
            let mut s = String::new();
            render(&mut s, &l.items[i], true);
            let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
            match filter::eval(f, &v, l.type_name) {
                Ok(true) => kept.push(i),
                Ok(false) => {}
                Err(e) => return query_parse(&e).into_response(),
            }
        }
        idx = kept;
    }
    if let Some(field) = l.default_order
        && order.is_empty()
    {
        let by = [(field.to_owned(), false)];
        if let Err(e) = sort_by(&mut idx, l.items, &by, l.type_name, l.sort_key) {
            return query_parse(&e).into_response();
        }
    }
    if let Err(e) = sort_by(&mut idx, l.items, &order, l.type_name, l.sort_key) {
        return query_parse(&e).into_response();
    }
    let paging = if l.pageable {
        Paging::from_query(q)
    } else {
        None
    };
    let (slice, pagination) = match paging {
        Some(p) => (&idx[p.range(idx.len())], Some(p.json(idx.len()))),
        None => (&idx[..], None),
    };
    let items = array(slice, |out, &i| render(out, &l.items[i], paging.is_some()));
    json(envelope(now, pagination.as_deref(), l.key, &items))
}
