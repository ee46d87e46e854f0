//! Change data capture: `GET /v3/company/{realmId}/cdc?entities=Invoice,Bill&changedSince=<ts>`
//! (PROVIDERS.md B3, Intuit's CDC page).
//!
//! - `entities`: comma-separated entity names (matched case-insensitively): the
//!   ledger's entities and `Account`. An unknown one → 400 `ValidationFault` 2010.
//! - `changedSince`: a DateTime ([`crate::qbo::query::time::parse_datetime`]; send `+`
//!   as `%2B`). Missing → 400 `ValidationFault` 2020 "Required param missing". Older than
//!   30 days before now → 400 with the observed sentence "Operation cdc with
//!   changedSince date … which is older than fixed days is not supported."
//!   (QuickBooksSharp#19; the fault's code and type are unverified: `ValidationFault`
//!   10000 here).
//! - Objects changed at or after `changedSince` (`MetaData.LastUpdatedTime >=`),
//!   inactive name-list records as full objects, deleted transactions as stubs
//!   `{"Id","status":"Deleted","domain":"QBO","MetaData":{"LastUpdatedTime"}}`.
//! - At most 1,000 objects per response, shared by all requested entities: the changes
//!   are taken oldest first (by `LastUpdatedTime`, then entity order, then `Id`) and
//!   cut at 1,000 — a saturated answer holds exactly 1,000 and the client must shrink
//!   its window (there is no paging).
//! - Shape: `{"CDCResponse":[{"QueryResponse":[{"Invoice":[…],"startPosition":1,
//!   "maxResults":n,"totalCount":n}, …]}],"time":…}`, one `QueryResponse` item per
//!   entity with changes, in request order; nothing changed →
//!   `{"CDCResponse":[{"QueryResponse":[{}]}],"time":…}`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api_auth::accepts_json;
use crate::client_auth::Params;
use crate::clock::{DAY, Millis};
use crate::control::SimControl;
use crate::error::ErrorResponse;
use crate::qbo::data::QboCompanyData;
use crate::qbo::data::render::account;
use crate::qbo::ledger::EntityKind;
use crate::qbo::query::time::parse_datetime;
use crate::qbo::{api, errors};
use crate::timefmt::{qbo_meta_time, qbo_time};

/// Most objects in one CDC response.
pub const CDC_MAX_OBJECTS: usize = 1_000;
/// How far back `changedSince` may go.
pub const CDC_WINDOW: Millis = 30 * DAY;

/// A CDC entity: the ledger's or `Account`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdcEntity {
    /// `Account`.
    Account,
    /// A ledger entity.
    Ledger(EntityKind),
}

impl CdcEntity {
    /// Parses a name case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("Account") {
            return Some(Self::Account);
        }
        EntityKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
            .map(Self::Ledger)
    }

    /// The API name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::Ledger(k) => k.name(),
        }
    }
}

/// Why a CDC request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CdcError {
    /// A parameter is missing (2020).
    Missing(&'static str),
    /// A parameter is malformed or names an unknown entity (2010).
    Invalid(String),
    /// `changedSince` is more than 30 days ago.
    TooOld(String),
}

impl CdcError {
    /// The fault response.
    pub fn response(&self, now: Millis) -> ErrorResponse {
        let (code, message, detail) = match self {
            Self::Missing(p) => (
                "2020",
                "Required param missing, need to supply the required value for the API".to_owned(),
                format!("Required parameter {p} is missing in the request"),
            ),
            Self::Invalid(d) => (
                "2010",
                "Request has invalid or unsupported property".to_owned(),
                d.clone(),
            ),
            Self::TooOld(ts) => {
                let m = format!(
                    "Operation cdc with changedSince date {ts} which is older than fixed days is not supported."
                );
                ("10000", m.clone(), m)
            }
        };
        errors::data_fault(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            code,
            &message,
            &detail,
            now,
        )
    }
}

/// Parses `entities` and `changedSince`.
pub fn parse_params(raw: Option<&str>, now: Millis) -> Result<(Vec<CdcEntity>, Millis), CdcError> {
    let p = Params::parse(raw.unwrap_or_default().as_bytes());
    let entities = p
        .get("entities")
        .filter(|v| !v.trim().is_empty())
        .ok_or(CdcError::Missing("entities"))?;
    let since_text = p
        .get("changedSince")
        .filter(|v| !v.trim().is_empty())
        .ok_or(CdcError::Missing("changedSince"))?;
    let mut list = Vec::new();
    for name in entities.split(',').filter(|n| !n.trim().is_empty()) {
        let e = CdcEntity::parse(name).ok_or_else(|| {
            CdcError::Invalid(format!("Unsupported entity for CDC: {}", name.trim()))
        })?;
        if !list.contains(&e) {
            list.push(e);
        }
    }
    let since = parse_datetime(since_text)
        .ok_or_else(|| CdcError::Invalid(format!("Invalid changedSince: {since_text}")))?;
    if since < now - CDC_WINDOW {
        return Err(CdcError::TooOld(since_text.to_owned()));
    }
    Ok((list, since))
}

/// The `CDCResponse` body: changes of `entities` since `since`, capped at
/// [`CDC_MAX_OBJECTS`].
pub fn cdc_body(d: &QboCompanyData, entities: &[CdcEntity], since: Millis, now: Millis) -> Value {
    // (updated, entity position, id, object)
    let mut changes: Vec<(Millis, usize, u64, Value)> = Vec::new();
    let totals = d.balances_with_sub_accounts();
    for (pos, e) in entities.iter().enumerate() {
        match e {
            CdcEntity::Account => changes.extend(
                d.accounts
                    .iter()
                    .filter(|a| a.updated >= since)
                    .map(|a| (a.updated, pos, a.id, account(d, &totals, a))),
            ),
            CdcEntity::Ledger(k) => changes.extend(
                d.ledger
                    .records(*k)
                    .iter()
                    .filter(|r| r.updated >= since)
                    .map(|r| {
                        let v = if r.is_live() {
                            r.body.clone()
                        } else {
                            r.deleted_stub()
                        };
                        (r.updated, pos, r.id, v)
                    }),
            ),
        }
    }
    changes.sort_by_key(|c| (c.0, c.1, c.2));
    changes.truncate(CDC_MAX_OBJECTS);
    let mut groups: Vec<Vec<Value>> = vec![Vec::new(); entities.len()];
    for (_, pos, _, v) in changes {
        groups[pos].push(v);
    }
    let mut responses: Vec<Value> = entities
        .iter()
        .zip(groups)
        .filter(|(_, g)| !g.is_empty())
        .map(|(e, g)| {
            let n = g.len();
            json!({e.name(): g, "startPosition": 1, "maxResults": n, "totalCount": n})
        })
        .collect();
    if responses.is_empty() {
        responses.push(json!({}));
    }
    json!({"CDCResponse": [{"QueryResponse": responses}], "time": qbo_time(now)})
}

/// The handler (prod and sandbox hosts).
pub(crate) async fn cdc(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let _admitted = match api::admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let now = s.now_ms();
    let (entities, since) = match parse_params(raw.as_deref(), now) {
        Ok(p) => p,
        Err(e) => return e.response(now).into_response(),
    };
    let body = {
        let mut st = s.lock();
        match st.qbo_company_data(&realm, now) {
            Some(d) => cdc_body(d, &entities, since, now),
            None => return errors::authorization_failed().into_response(),
        }
    };
    api::render(&body, accepts_json(&headers))
}

/// `MetaData.LastUpdatedTime` text of an instant (for tests building `changedSince`).
pub fn changed_since(ms: Millis) -> String {
    qbo_meta_time(ms)
}
