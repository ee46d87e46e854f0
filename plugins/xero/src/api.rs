//! Requests to Xero through the host, and Xero's error classification applied to
//! their answers. The only module (with `auth`) that performs I/O for data.

use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::Value;

use crate::connections::{self, CONNECTIONS_URL, Connection};
use crate::dates;
use crate::errors::{ErrorContext, classify};
use crate::streams::{API_BASE, StreamDef};

/// What a failed request was for, to classify its answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Purpose<'a> {
    /// The organisation the request addressed.
    pub tenant: Option<&'a Tenant>,
    /// The scope the request needed.
    pub scope: Option<&'a str>,
}

/// Turns an unsuccessful answer into a [`ConnectorError`], asking `/connections`
/// whether the token works and the organisation is still connected when a 401/403 of
/// a tenant call cannot be blamed on a missing scope.
pub fn failure(response: &Response, purpose: Purpose<'_>) -> ConnectorError {
    let granted = state::granted_scopes();
    let mut ctx = ErrorContext {
        tenant_name: purpose.tenant.map_or("", |t| t.name.as_str()),
        required_scope: purpose.scope,
        granted_scopes: granted.as_deref(),
        tenant_connected: None,
    };
    if matches!(response.status(), 401 | 403)
        && ctx.missing_scope().is_none()
        && let Some(tenant) = purpose.tenant
    {
        ctx.tenant_connected = still_connected(&tenant.id);
    }
    let error = classify(
        response.status(),
        response.retry_after(),
        &response.body,
        &ctx,
    );
    log::warn!(
        "Xero answered HTTP {} (xero-correlation-id {}, x-rate-limit-problem {}): {}",
        response.status(),
        response.header("xero-correlation-id").unwrap_or("-"),
        response.header("x-rate-limit-problem").unwrap_or("-"),
        error.reason()
    );
    error
}

/// Whether `/connections` still lists `tenant_id`; `None` when it cannot say.
fn still_connected(tenant_id: &str) -> Option<bool> {
    let response = Request::get(CONNECTIONS_URL)
        .accept_json()
        .bearer()
        .send()
        .ok()?;
    if !response.is_success() {
        return None;
    }
    let all = connections::parse_connections(&response.body).ok()?;
    Some(!connections::ids_for_tenant(&all, tenant_id).is_empty())
}

/// GET `def`'s endpoint for `tenant` with `query` (after the stream's fixed
/// parameters) and, when `since` is set, `If-Modified-Since`, parsed as JSON.
/// `Ok(None)`: 304 Not Modified.
pub fn get(
    tenant: &Tenant,
    def: &StreamDef,
    query: &[(&str, String)],
    since: Option<i64>,
) -> Result<Option<Value>, ConnectorError> {
    fetch(tenant, def, query, since)?
        .map(|response| response.json())
        .transpose()
}

/// [`get`] without the parsing: the successful answer as it came (record streams
/// read its body with [`crate::records::extract_page`]). `Ok(None)`: 304 Not Modified.
pub fn fetch(
    tenant: &Tenant,
    def: &StreamDef,
    query: &[(&str, String)],
    since: Option<i64>,
) -> Result<Option<Response>, ConnectorError> {
    let mut request = Request::get(format!("{API_BASE}{}", def.path));
    for (name, value) in def.query {
        request = request.query(*name, *value);
    }
    for (name, value) in query {
        request = request.query(*name, value.as_str());
    }
    if let Some(ms) = since {
        request = request.header("if-modified-since", dates::if_modified_since(ms));
    }
    let response = request
        .header("xero-tenant-id", &tenant.id)
        .accept_json()
        .bearer()
        .send()?;
    if response.status() == 304 {
        return Ok(None);
    }
    if !response.is_success() {
        return Err(failure(
            &response,
            Purpose {
                tenant: Some(tenant),
                scope: Some(def.scope),
            },
        ));
    }
    Ok(Some(response))
}

/// `GET /connections`, filtered to one consent when `auth_event_id` is given.
pub fn list_connections(auth_event_id: Option<&str>) -> Result<Vec<Connection>, ConnectorError> {
    let response = Request::get(CONNECTIONS_URL)
        .query_opt("authEventId", auth_event_id)
        .accept_json()
        .bearer()
        .send()?;
    if !response.is_success() {
        return Err(failure(&response, Purpose::default()));
    }
    connections::parse_connections(&response.body)
}

/// `DELETE /connections/{id}`: `Ok(true)` when deleted, `Ok(false)` when Xero no
/// longer had it (404).
pub fn delete_connection(id: &str) -> Result<bool, ConnectorError> {
    let url = format!("{CONNECTIONS_URL}/{}", url::encode_component(id));
    let response = Request::delete(url).accept_json().bearer().send()?;
    match response.status() {
        200..=299 => Ok(true),
        404 => Ok(false),
        _ => Err(failure(&response, Purpose::default())),
    }
}
