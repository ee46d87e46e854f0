//! Xero's tenant discovery: `GET /connections[?authEventId=]` and
//! `DELETE /connections/{id}` on api.xero.com.
//!
//! Connections belong to a (user, app) pair, so one access token sees every tenant the
//! user connected to the app across consents. A re-consent to an already connected
//! tenant adds a new entry and leaves the old one in place (see [`XeroReconsent`]):
//! the "stale duplicate connection" a careful reconnect cleans up.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Serialize;

use crate::api_auth::bearer_from_headers;
use crate::client_auth::Params;
use crate::clock::Millis;
use crate::control::SimControl;
use crate::ids::uuid_v4;
use crate::model::{Connection, Provider, XeroReconsent};
use crate::state::SimState;
use crate::timefmt::xero_connection_date;

/// One entry of the `/connections` array (field order as Xero's).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionJson<'a> {
    id: &'a str,
    auth_event_id: &'a str,
    tenant_id: &'a str,
    tenant_type: &'static str,
    tenant_name: &'a str,
    created_date_utc: String,
    updated_date_utc: String,
}

impl SimState {
    /// Records a consent's connections for (client, user) at `now`.
    ///
    /// New tenant: `createdDateUtc` now, `updatedDateUtc` 1–3 ms later (as in Xero's
    /// own example). Reconnected tenant: `createdDateUtc` of the first connection,
    /// `updatedDateUtc` now.
    pub(crate) fn xero_connect(
        &mut self,
        client_id: &str,
        username: &str,
        tenants: &[String],
        auth_event_id: &str,
        now: Millis,
    ) {
        let mut rng = rand::rng();
        let now_us = now * 1_000 + rng.random_range(0..1_000);
        for tenant in tenants {
            let key = (client_id.to_owned(), username.to_owned(), tenant.clone());
            let first = self.connection_history.get(&key).copied();
            let existing = self.connections.iter().rposition(|c| {
                c.client_id == client_id && c.username == username && c.tenant_id == *tenant
            });
            if let (XeroReconsent::UpdateInPlace, Some(i)) = (self.modes.xero_reconsent, existing) {
                let c = &mut self.connections[i];
                c.auth_event_id = auth_event_id.to_owned();
                c.updated_us = now_us;
                continue;
            }
            let created_us = first.unwrap_or(now_us);
            let updated_us = match first {
                Some(_) => now_us,
                None => now_us + rng.random_range(1_000..3_000),
            };
            self.connections.push(Connection {
                id: uuid_v4(),
                client_id: client_id.to_owned(),
                username: username.to_owned(),
                tenant_id: tenant.clone(),
                auth_event_id: auth_event_id.to_owned(),
                created_us,
                updated_us,
            });
            self.connection_history.entry(key).or_insert(created_us);
        }
    }
}

fn query_param<'a>(q: &'a Params, name: &str) -> Option<&'a str> {
    q.0.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `GET /api.xero.com/connections`.
pub(crate) async fn list(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let now = s.now_ms();
    let q = Params::parse(q.unwrap_or_default().as_bytes());
    let filter = query_param(&q, "authEventId").map(str::to_ascii_lowercase);
    let mut st = s.lock();
    st.counters.connections_calls += 1;
    let g = match st.authenticate(Provider::Xero, bearer_from_headers(&headers), now) {
        Ok(g) => g.clone(),
        Err(d) => return d.response(true).into_response(),
    };
    let items: Vec<ConnectionJson<'_>> = st
        .connections
        .iter()
        .filter(|c| c.client_id == g.client_id && c.username == g.username)
        .filter(|c| filter.as_deref().is_none_or(|f| c.auth_event_id == f))
        .filter_map(|c| {
            let org = st
                .orgs
                .iter()
                .find(|o| o.tenant_id == c.tenant_id && o.members.contains(&c.username))?;
            Some(ConnectionJson {
                id: &c.id,
                auth_event_id: &c.auth_event_id,
                tenant_id: &c.tenant_id,
                tenant_type: "ORGANISATION",
                tenant_name: &org.name,
                created_date_utc: xero_connection_date(c.created_us),
                updated_date_utc: xero_connection_date(c.updated_us),
            })
        })
        .collect();
    let body = serde_json::to_string(&items).unwrap_or_else(|_| "[]".into());
    drop(items);
    // `/connections` carries only the app-wide limit (xero-ruby#128): past it, a 429
    // naming `appminute`, like the tenant-scoped endpoints.
    let remaining = match st.xero_rate.try_app_call(&g.client_id, now) {
        Ok(remaining) => remaining,
        Err(retry_after) => {
            *st.counters
                .xero_rate_limited
                .entry("appminute".to_owned())
                .or_default() += 1;
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("x-appminlimit-remaining", "0".to_owned()),
                    ("x-rate-limit-problem", "appminute".to_owned()),
                    ("retry-after", retry_after.to_string()),
                    ("xero-correlation-id", uuid_v4()),
                ],
            )
                .into_response();
        }
    };
    (
        [
            ("content-type", "application/json; charset=utf-8".to_owned()),
            ("x-appminlimit-remaining", remaining.to_string()),
            ("xero-correlation-id", uuid_v4()),
        ],
        body,
    )
        .into_response()
}

/// `DELETE /api.xero.com/connections/{id}` → 204, or 404 for an id this user and app
/// do not have.
pub(crate) async fn delete(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let now = s.now_ms();
    let mut st = s.lock();
    st.counters.connection_deletes += 1;
    let g = match st.authenticate(Provider::Xero, bearer_from_headers(&headers), now) {
        Ok(g) => g.clone(),
        Err(d) => return d.response(true).into_response(),
    };
    let pos = st.connections.iter().position(|c| {
        c.id.eq_ignore_ascii_case(&id) && c.client_id == g.client_id && c.username == g.username
    });
    match pos {
        Some(i) => {
            st.connections.remove(i);
            let remaining = st.xero_rate.app_call(&g.client_id, now);
            (
                StatusCode::NO_CONTENT,
                [("x-appminlimit-remaining", remaining.to_string())],
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
