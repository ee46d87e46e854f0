//! `GET /Organisation`, `GET /Accounts`, `GET /TrackingCategories`.
//!
//! Accounts: every status (ACTIVE, ARCHIVED) unless `where` says otherwise, ordered by
//! `Code`, no paging, `If-Modified-Since` on `UpdatedDateUTC`. TrackingCategories:
//! ACTIVE categories and options only, unless `includeArchived=true`; ordered by `Name`;
//! `If-Modified-Since` is not a parameter of this endpoint (spec) and is ignored.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::envelope::{array, envelope, json};
use super::gate::Endpoint;
use super::listing::{Listing, list};
use super::query::{Query, SortKey, if_modified_since};
use super::{filter, serve};
use crate::control::SimControl;
use crate::xero::data::records::Account;
use crate::xero::data::render;
use crate::xero::errors::query_parse;

/// `GET /Organisation`.
pub(crate) async fn organisation(State(s): State<Arc<SimControl>>, headers: HeaderMap) -> Response {
    serve(&s, &headers, Endpoint::Organisation, |d, now| {
        let items = array([d], render::organisation);
        json(envelope(now, None, "Organisations", &items))
    })
    .await
}

fn account_key(a: &Account, field: &str) -> Option<SortKey> {
    Some(match field {
        "updateddateutc" => SortKey::Int(a.updated),
        "code" => SortKey::text(&a.code),
        "name" => SortKey::text(&a.name),
        "type" => SortKey::text(a.kind),
        "class" => SortKey::text(a.class),
        "status" => SortKey::text(a.status),
        "accountid" => SortKey::text(&a.id.to_string()),
        _ => return None,
    })
}

/// `GET /Accounts`.
pub(crate) async fn accounts(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::Accounts, |d, now| {
        let listing = Listing {
            items: &d.accounts,
            key: "Accounts",
            type_name: "Account",
            updated: |a| a.updated,
            sort_key: &account_key,
            default_order: Some("code"),
            pageable: false,
        };
        list(
            listing,
            &q,
            ims,
            now,
            |_| true,
            |out, a, _| render::account(out, d, a),
        )
    })
    .await
}

/// `GET /TrackingCategories[?includeArchived=true][&where=..][&order=..]`.
pub(crate) async fn tracking_categories(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    serve(&s, &headers, Endpoint::TrackingCategories, |d, now| {
        let archived = q.flag("includeArchived");
        let filter = match q.get("where").map(filter::parse).transpose() {
            Ok(f) => f,
            Err(e) => return query_parse(&e).into_response(),
        };
        let mut cats: Vec<_> = d
            .tracking
            .iter()
            .filter(|c| archived || c.status == "ACTIVE")
            .collect();
        cats.sort_by_key(|c| c.name.to_lowercase());
        if q.get("order")
            .is_some_and(|o| o.to_ascii_uppercase().contains("DESC"))
        {
            cats.reverse();
        }
        let mut out = Vec::new();
        for c in cats {
            let mut s = String::new();
            render::tracking_category(&mut s, c, archived);
            if let Some(f) = &filter {
                let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
                match filter::eval(f, &v, "TrackingCategory") {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => return query_parse(&e).into_response(),
                }
            }
            out.push(s);
        }
        let items = array(out, |buf, s| buf.push_str(&s));
        json(envelope(now, None, "TrackingCategories", &items))
    })
    .await
}
