//! `/api/connections`: start, list, inspect, change (pin, disable, label), choose a
//! tenant, reconnect, delete. Read routes show deleted connections too (state
//! `deleted`); routes that change a connection refuse them with 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use mooring_store::{Connection, ConnectionState};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{self, CONNECTION_EVENTS, CONNECTIONS, Paged};
use super::schema::{ConnectionStateSchema, ErrorBody};
use super::views::{AuthorizeUrl, ConnectionView, Deleted, EventView, Started};
use crate::app::App;
use crate::connections::LifecycleError;
use crate::plugins::PluginLifecycleError;
use crate::store_io::db;
use crate::validate;

/// A refused input as 400 `bad_request`.
fn bad(error: validate::Invalid) -> ApiError {
    ApiError::bad_request(error.0)
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

/// The `{id}` of a connection route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectionId {
    /// Connection id.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$"
    )]
    pub id: String,
}

/// The connection `id` in any state, `deleted` included (for read routes), or 404.
pub(super) async fn readable(app: &App, id: &str) -> Result<Connection, ApiError> {
    let key = id.to_owned();
    db(&app.store, move |s| s.connection(&key))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found(format!("connection {id:?} does not exist")))
}

/// Body of `POST /api/connections`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The integration to connect through.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$"
    )]
    integration: String,
    /// A label for people.
    #[serde(default)]
    #[schema(max_length = 200)]
    label: Option<String>,
    /// Scopes to ask for (the integration's when absent).
    #[serde(default)]
    #[schema(max_items = 100, value_type = Option<Vec<super::schema::Scope>>)]
    scopes: Option<Vec<String>>,
}

/// `POST /api/connections`.
#[utoipa::path(post, path = "/api/connections", tag = "connections",
    request_body = StartRequest,
    responses(
        (status = 201, description = "Created: send the person to `authorize_url`", body = Started),
        (status = 400, description = "A field is out of bounds", body = ErrorBody),
        (status = 404, description = "No such integration", body = ErrorBody),
        (status = 503, description = "The provider's plugin is not loaded", body = ErrorBody),
    ))]
pub async fn start(
    State(app): State<App>,
    ApiJson(body): ApiJson<StartRequest>,
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
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only connections in this state (`deleted` ones are listed only when asked for).
    #[param(value_type = Option<ConnectionStateSchema>)]
    state: Option<ConnectionState>,
    /// Only connections of this integration.
    integration: Option<String>,
    /// Page size: default and maximum 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The previous page's `X-Next-Cursor`.
    #[param(pattern = "^c([0-9a-f]{2}){1,128}$")]
    cursor: Option<String>,
}

/// `GET /api/connections[?state=…][&integration=…][&limit=…][&cursor=…]`: ordered by
/// id; the next page's cursor in `X-Next-Cursor`.
#[utoipa::path(get, path = "/api/connections", tag = "connections", params(ListQuery),
    responses(
        (status = 200, description = "Connections ordered by id", body = [ConnectionView],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last"))),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<App>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Paged<ConnectionView>, ApiError> {
    let limit = CONNECTIONS.limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| CONNECTIONS.parse_id(c))
        .transpose()?;
    let (state, integration) = (query.state, query.integration.clone());
    let found = db(&app.store, move |s| {
        s.connections_after(after.as_deref(), limit.saturating_add(1), |c| {
            let state_matches = match state {
                Some(state) => c.state == state,
                None => c.state != ConnectionState::Deleted,
            };
            state_matches && integration.as_ref().is_none_or(|i| *i == c.integration)
        })
    })
    .await
    .map_err(ApiError::internal)?;
    let wanted: Vec<ConnectionView> = found.iter().map(ConnectionView::from).collect();
    let (items, next_cursor) = pagination::page(wanted, limit, |c| CONNECTIONS.id_cursor(&c.id));
    Ok(Paged { items, next_cursor })
}

/// `GET /api/connections/{id}`: deleted connections too.
#[utoipa::path(get, path = "/api/connections/{id}", tag = "connections", params(ConnectionId),
    responses(
        (status = 200, description = "The connection, with its refresh token's expiry", body = ConnectionView),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn get(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    let connection = readable(&app, &id).await?;
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// Pin to this plugin version; `null` unpins (follow the active version).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 128, pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$")]
    plugin_version: Option<Option<String>>,
    /// Approve what the pinned version asks for beyond the approved set.
    #[serde(default)]
    approve_capabilities: bool,
    /// `true` disables the connection (no syncing, no refreshing, grant kept);
    /// `false` enables it again.
    #[serde(default)]
    disabled: Option<bool>,
    /// A new label; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    label: Option<Option<String>>,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /api/connections/{id}` `{plugin_version?, approve_capabilities?, disabled?,
/// label?}`: every field given is applied (label, then disabled, then the pin).
#[utoipa::path(patch, path = "/api/connections/{id}", tag = "connections", params(ConnectionId),
    request_body = ConnectionPatch,
    responses(
        (status = 200, description = "The connection after the change", body = ConnectionView),
        (status = 400, description = "A field is out of bounds, or the change is not allowed in its state", body = ErrorBody),
        (status = 404, description = "No such connection (or it is deleted), or no such plugin version", body = ErrorBody),
        (status = 409, description = "The version asks for capabilities not approved", body = ErrorBody),
    ))]
pub async fn patch(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    ApiJson(body): ApiJson<ConnectionPatch>,
) -> Result<Json<ConnectionView>, ApiError> {
    validate::id("connection", &id).map_err(bad)?;
    if let Some(Some(version)) = &body.plugin_version {
        validate::id("plugin_version", version).map_err(bad)?;
    }
    if let Some(label) = &body.label {
        validate::label(label.as_deref()).map_err(bad)?;
    }
    let mut connection = app.connections.connection(&id).await?;
    if let Some(label) = body.label {
        connection = app.connections.set_label(&id, label).await?;
    }
    if let Some(disabled) = body.disabled {
        connection = app.connections.set_disabled(&id, disabled).await?;
    }
    if let Some(version) = body.plugin_version {
        let integration = app.connections.integration(&connection.integration).await?;
        let pinned = app
            .plugins
            .pin(
                &id,
                &integration.provider,
                version.as_deref(),
                body.approve_capabilities,
            )
            .await;
        connection = match pinned {
            Ok(connection) => connection,
            // Deleted by a request that ran meanwhile: a 404 like any other deleted one.
            Err(PluginLifecycleError::Store(error)) => {
                app.connections.connection(&id).await?;
                return Err(ApiError::internal(error));
            }
            Err(other) => return Err(other.into()),
        };
    }
    Ok(Json(ConnectionView::from(&connection)))
}

/// Query of `GET /api/connections/{id}/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectionEventsQuery {
    /// Page size: default and maximum 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The previous page's `X-Next-Cursor`.
    #[param(pattern = "^v[0-9a-f]{1,16}$")]
    cursor: Option<String>,
}

/// `GET /api/connections/{id}/events`: the connection's events, newest first.
#[utoipa::path(get, path = "/api/connections/{id}/events", tag = "connections",
    params(ConnectionId, ConnectionEventsQuery),
    responses(
        (status = 200, description = "Its events, newest first", body = [EventView],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last"))),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn events(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    ApiQuery(query): ApiQuery<ConnectionEventsQuery>,
) -> Result<Paged<EventView>, ApiError> {
    let limit = CONNECTION_EVENTS.limit(query.limit)?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| CONNECTION_EVENTS.parse_seq(c))
        .transpose()?;
    readable(&app, &id).await?;
    // The store lists a connection's events newest first from the newest; a later page
    // skips those at or above its cursor.
    let list = db(&app.store, move |s| {
        s.events_for_connection(&id, usize::MAX)
    })
    .await
    .map_err(ApiError::internal)?;
    let wanted: Vec<EventView> = list
        .into_iter()
        .filter(|e| before.is_none_or(|b| e.seq < b))
        .take(limit.saturating_add(1))
        .map(EventView::from)
        .collect();
    let (items, next_cursor) =
        pagination::page(wanted, limit, |e| CONNECTION_EVENTS.seq_cursor(e.seq));
    Ok(Paged { items, next_cursor })
}

/// Body of `POST /api/connections/{id}/tenant`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantChoice {
    /// One of the connection's `tenant_choices`.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$"
    )]
    tenant_id: String,
}

/// `POST /api/connections/{id}/tenant`.
#[utoipa::path(post, path = "/api/connections/{id}/tenant", tag = "connections",
    params(ConnectionId), request_body = TenantChoice,
    responses(
        (status = 200, description = "The connection, bound to the tenant", body = ConnectionView),
        (status = 400, description = "Not awaiting a tenant, or not one of its choices", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
        (status = 409, description = "Another connection has that tenant", body = ErrorBody),
    ))]
pub async fn select_tenant(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    ApiJson(body): ApiJson<TenantChoice>,
) -> Result<Json<ConnectionView>, ApiError> {
    validate::id("connection", &id).map_err(bad)?;
    validate::id("tenant_id", &body.tenant_id).map_err(bad)?;
    let connection = app.connections.select_tenant(&id, &body.tenant_id).await?;
    Ok(Json(ConnectionView::from(&connection)))
}

/// Body of `POST /api/connections/{id}/reconnect`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconnectRequest {
    /// Scopes to add to the ones the connection has.
    #[serde(default)]
    #[schema(max_items = 100, value_type = Vec<super::schema::Scope>)]
    scopes: Vec<String>,
}

/// `POST /api/connections/{id}/reconnect` (body optional).
#[utoipa::path(post, path = "/api/connections/{id}/reconnect", tag = "connections",
    params(ConnectionId), request_body(content = Option<ReconnectRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Send the person to `authorize_url`", body = AuthorizeUrl),
        (status = 400, description = "A scope is out of bounds, or the state does not allow it", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn reconnect(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    body: Option<ApiJson<Option<ReconnectRequest>>>,
) -> Result<Json<AuthorizeUrl>, ApiError> {
    validate::id("connection", &id).map_err(bad)?;
    let scopes = body
        .and_then(|ApiJson(b)| b)
        .map(|b| b.scopes)
        .unwrap_or_default();
    validate::scopes(&scopes).map_err(bad)?;
    let authorize_url = app.connections.reconnect(&id, scopes).await?;
    Ok(Json(AuthorizeUrl { authorize_url }))
}

/// Query of `DELETE /api/connections/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Also remove its synced records.
    #[serde(default)]
    purge: Option<bool>,
}

/// `DELETE /api/connections/{id}[?purge=true]`.
#[utoipa::path(delete, path = "/api/connections/{id}", tag = "connections",
    params(ConnectionId, DeleteQuery),
    responses(
        (status = 200, description = "Deleted (kept readable with state `deleted`)", body = Deleted),
        (status = 404, description = "No such connection, or already deleted", body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<Json<Deleted>, ApiError> {
    let purge = q.purge.unwrap_or(false);
    let warning = app.connections.delete(&id, purge).await?;
    Ok(Json(Deleted {
        id,
        state: ConnectionState::Deleted,
        purged: purge,
        warning,
    }))
}
