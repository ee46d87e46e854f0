//! `/api/connections`: start, list, inspect, choose a tenant, reconnect, delete.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mooring_store::{Connection, ConnectionState, Event};
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::app::App;
use crate::auth::LifecycleError;
use crate::auth::grants::db;
use crate::validate;

/// A refused input as 400 `bad_request`.
fn bad(error: validate::Invalid) -> ApiError {
    ApiError::bad_request(error.0)
}

/// A connection as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConnectionView {
    /// Id.
    pub id: String,
    /// Integration id.
    pub integration: String,
    /// Label given at creation.
    pub label: Option<String>,
    /// Lifecycle state.
    pub state: ConnectionState,
    /// Why it is in a non-active state, for a person.
    pub reason: Option<String>,
    /// The bound tenant.
    pub tenant: Option<TenantView>,
    /// Tenants to choose from (`awaiting_tenant`).
    pub tenant_choices: Vec<TenantView>,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// Pinned plugin version.
    pub pinned_version: Option<String>,
    /// Last successful sync (ms since epoch).
    pub last_sync_at: Option<u64>,
    /// Creation time.
    pub created_at: u64,
    /// Last change.
    pub updated_at: u64,
    /// When the refresh token dies unless used (ms since epoch); detail view only.
    #[serde(default)]
    pub refresh_token_expires_at: Option<u64>,
    /// When the refresh token dies whatever its use, if the provider said; detail view
    /// only.
    #[serde(default)]
    pub refresh_token_hard_expires_at: Option<u64>,
}

/// A tenant as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TenantView {
    /// Provider's tenant id.
    pub id: String,
    /// Tenant name.
    pub name: String,
}

impl From<&Connection> for ConnectionView {
    fn from(c: &Connection) -> Self {
        let tenant = |t: &mooring_store::TenantRef| TenantView {
            id: t.id.clone(),
            name: t.name.clone(),
        };
        Self {
            id: c.id.clone(),
            integration: c.integration.clone(),
            label: c.label.clone(),
            state: c.state,
            reason: c.reason.clone(),
            tenant: c.tenant.as_ref().map(tenant),
            tenant_choices: c.tenant_choices.iter().map(tenant).collect(),
            scopes: c.scopes.clone(),
            pinned_version: c.pinned_version.clone(),
            last_sync_at: c.last_sync_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            refresh_token_expires_at: None,
            refresh_token_hard_expires_at: None,
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::NotFound(m) => ApiError::not_found(m),
            LifecycleError::Invalid(m) => ApiError::bad_request(m),
            LifecycleError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            LifecycleError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "plugin_unavailable", m)
            }
            LifecycleError::Failed(m) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "authorization_failed", m)
            }
            LifecycleError::Store(e) => ApiError::internal(e),
        }
    }
}

/// Body of `POST /api/connections`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    integration: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// Answer of `POST /api/connections`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Started {
    /// New connection id.
    pub id: String,
    /// Always `pending`.
    pub state: ConnectionState,
    /// Where to send the person to consent.
    pub authorize_url: String,
}

/// `POST /api/connections`.
pub async fn start(
    State(app): State<App>,
    Json(body): Json<StartRequest>,
) -> Result<(StatusCode, Json<Started>), ApiError> {
    validate::id("integration", &body.integration).map_err(bad)?;
    validate::label(body.label.as_deref()).map_err(bad)?;
    validate::scopes(body.scopes.as_deref().unwrap_or_default()).map_err(bad)?;
    let (connection, authorize_url) = app
        .connections
        .start(&body.integration, body.label, body.scopes)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Started {
            id: connection.id,
            state: connection.state,
            authorize_url,
        }),
    ))
}

/// Query of `GET /api/connections`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    integration: Option<String>,
}

/// `GET /api/connections[?state=…][&integration=…]`.
pub async fn list(
    State(app): State<App>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    let wanted = match &query.state {
        Some(text) => Some(
            text.parse::<ConnectionState>()
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
        ),
        None => None,
    };
    let all = db(&app.store, |s| s.list_connections())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        all.iter()
            .filter(|c| match wanted {
                Some(state) => c.state == state,
                None => c.state != ConnectionState::Deleted,
            })
            .filter(|c| {
                query
                    .integration
                    .as_ref()
                    .is_none_or(|i| *i == c.integration)
            })
            .map(ConnectionView::from)
            .collect(),
    ))
}

/// `GET /api/connections/{id}`.
pub async fn get(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let connection = app.connections.connection(&id).await?;
    let mut view = ConnectionView::from(&connection);
    if let Some(grant_id) = connection.grant {
        let grant = db(&app.store, move |s| s.grant(&grant_id))
            .await
            .map_err(ApiError::internal)?;
        if let Some(grant) = grant {
            view.refresh_token_expires_at = grant.refresh_expires_at;
            view.refresh_token_hard_expires_at = grant.refresh_hard_expires_at;
        }
    }
    Ok(Json(view))
}

/// Body of `PATCH /api/connections/{id}`: fields present are changed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// Pin to this plugin version; `null` unpins (follow the active version).
    #[serde(default, deserialize_with = "present")]
    plugin_version: Option<Option<String>>,
    /// Approve what the pinned version asks for beyond the approved set.
    #[serde(default)]
    approve_capabilities: bool,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /api/connections/{id}` `{plugin_version}`: pin the connection to a plugin
/// version, or unpin it with `null`.
pub async fn patch(
    State(app): State<App>,
    Path(id): Path<String>,
    Json(body): Json<ConnectionPatch>,
) -> Result<Json<ConnectionView>, ApiError> {
    validate::id("connection", &id).map_err(bad)?;
    if let Some(Some(version)) = &body.plugin_version {
        validate::id("plugin_version", version).map_err(bad)?;
    }
    let connection = app.connections.connection(&id).await?;
    let Some(version) = body.plugin_version else {
        return Ok(Json(ConnectionView::from(&connection)));
    };
    let integration = app.connections.integration(&connection.integration).await?;
    let updated = app
        .plugins
        .pin(
            &id,
            &integration.provider,
            version.as_deref(),
            body.approve_capabilities,
        )
        .await?;
    Ok(Json(ConnectionView::from(&updated)))
}

/// `GET /api/connections/{id}/events`: the connection's transitions, oldest first.
pub async fn events(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Event>>, ApiError> {
    app.connections.connection(&id).await?;
    let list = db(&app.store, move |s| s.events_for_connection(&id, 1000))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(list))
}

/// Body of `POST /api/connections/{id}/tenant`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantChoice {
    tenant_id: String,
}

/// `POST /api/connections/{id}/tenant`.
pub async fn select_tenant(
    State(app): State<App>,
    Path(id): Path<String>,
    Json(body): Json<TenantChoice>,
) -> Result<Json<ConnectionView>, ApiError> {
    validate::id("connection", &id).map_err(bad)?;
    validate::id("tenant_id", &body.tenant_id).map_err(bad)?;
    let connection = app.connections.select_tenant(&id, &body.tenant_id).await?;
    Ok(Json(ConnectionView::from(&connection)))
}

/// Body of `POST /api/connections/{id}/reconnect`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconnectRequest {
    #[serde(default)]
    scopes: Vec<String>,
}

/// `POST /api/connections/{id}/reconnect` (body optional).
pub async fn reconnect(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Option<Json<ReconnectRequest>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    validate::id("connection", &id).map_err(bad)?;
    let scopes = body.map(|Json(b)| b.scopes).unwrap_or_default();
    validate::scopes(&scopes).map_err(bad)?;
    let authorize_url = app.connections.reconnect(&id, scopes).await?;
    Ok(Json(serde_json::json!({ "authorize_url": authorize_url })))
}

/// Query of `DELETE /api/connections/{id}`.
#[derive(Debug, Deserialize)]
pub struct DeleteQuery {
    #[serde(default)]
    purge: bool,
}

/// `DELETE /api/connections/{id}[?purge=true]`.
pub async fn delete(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let warning = app.connections.delete(&id, q.purge).await?;
    Ok(Json(
        serde_json::json!({ "id": id, "state": "deleted", "purged": q.purge, "warning": warning }),
    ))
}
