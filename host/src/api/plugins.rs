//! `/api/plugins`: list, upload, activate, roll back and canary plugin versions.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use super::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use super::schema::ErrorBody;
use super::views::{CanaryView, PluginView};
use crate::app::App;
use crate::plugins::PluginLifecycleError;

impl From<PluginLifecycleError> for ApiError {
    fn from(error: PluginLifecycleError) -> Self {
        let message = error.to_string();
        match error {
            PluginLifecycleError::Invalid(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_plugin", message)
            }
            PluginLifecycleError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
            }
            PluginLifecycleError::NotFound(_) => ApiError::not_found(message),
            PluginLifecycleError::NotApproved { .. } => {
                ApiError::new(StatusCode::CONFLICT, "capabilities_not_approved", message)
            }
            PluginLifecycleError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            PluginLifecycleError::BadRequest(_) => ApiError::bad_request(message),
            PluginLifecycleError::Store(e) => ApiError::internal(e),
        }
    }
}

/// The `{provider}` of a plugin route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProviderId {
    /// Provider id (the plugin's manifest id).
    #[param(min_length = 1)]
    provider: String,
}

/// `GET /api/plugins`: every loaded version with its capabilities, whether they are
/// approved, whether it is active, and its canary share.
#[utoipa::path(get, path = "/api/plugins", tag = "plugins",
    responses((status = 200, description = "Every loaded version", body = [PluginView])))]
pub async fn list(State(app): State<App>) -> Result<Json<Vec<PluginView>>, ApiError> {
    let list = app.plugins.list().map_err(ApiError::internal)?;
    Ok(Json(list.into_iter().map(PluginView::from).collect()))
}

/// Query of `POST /api/plugins`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Replace another component already stored under the same version.
    #[serde(default)]
    replace: Option<bool>,
}

/// `POST /api/plugins` with the component as an `application/wasm` body: 201 when new,
/// 200 when the same bytes were already stored. Not activated.
#[utoipa::path(post, path = "/api/plugins", tag = "plugins", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "The component's bytes (the document describes it as binary)"),
    responses(
        (status = 201, description = "A new version, stored (not activated)", body = PluginView),
        (status = 200, description = "The same bytes were already stored", body = PluginView),
        (status = 400, description = "Not a valid component (`invalid_plugin`)", body = ErrorBody),
        (status = 409, description = "Another component has that version (upload with `replace=true`)", body = ErrorBody),
        (status = 413, description = "Larger than `upload_bytes`", body = ErrorBody),
        (status = 415, description = "Not sent as `application/wasm` (or `application/octet-stream`)", body = ErrorBody),
    ))]
pub async fn upload(
    State(app): State<App>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<PluginView>), ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/wasm")
        && !essence.eq_ignore_ascii_case("application/octet-stream")
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "upload the component with Content-Type: application/wasm",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_plugin",
            "the body is empty; send the component's bytes",
        ));
    }
    let uploaded = app
        .plugins
        .upload(&body, query.replace.unwrap_or(false))
        .await?;
    let status = if uploaded.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(PluginView::from(uploaded.summary))))
}

/// Body of `POST /api/plugins/{provider}/activate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// The version to make active.
    #[schema(min_length = 1)]
    version: String,
    /// Approve what it asks for beyond the provider's approved set.
    #[serde(default)]
    approve_capabilities: bool,
}

/// `POST /api/plugins/{provider}/activate`: make a version active (409
/// `capabilities_not_approved` when it asks for more than is approved, unless
/// `approve_capabilities`).
#[utoipa::path(post, path = "/api/plugins/{provider}/activate", tag = "plugins",
    params(ProviderId), request_body = ActivateRequest,
    responses(
        (status = 200, description = "The version, now active", body = PluginView),
        (status = 404, description = "No such provider or version", body = ErrorBody),
        (status = 409, description = "It asks for capabilities not approved (`capabilities_not_approved`)", body = ErrorBody),
    ))]
pub async fn activate(
    State(app): State<App>,
    ApiPath(ProviderId { provider }): ApiPath<ProviderId>,
    ApiJson(body): ApiJson<ActivateRequest>,
) -> Result<Json<PluginView>, ApiError> {
    let summary = app
        .plugins
        .activate(&provider, &body.version, body.approve_capabilities)
        .await?;
    Ok(Json(PluginView::from(summary)))
}

/// `POST /api/plugins/{provider}/rollback`: back to the previously active version.
#[utoipa::path(post, path = "/api/plugins/{provider}/rollback", tag = "plugins",
    params(ProviderId),
    responses(
        (status = 200, description = "The version now active", body = PluginView),
        (status = 404, description = "No such provider", body = ErrorBody),
        (status = 409, description = "No previous version to go back to", body = ErrorBody),
    ))]
pub async fn rollback(
    State(app): State<App>,
    ApiPath(ProviderId { provider }): ApiPath<ProviderId>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(PluginView::from(
        app.plugins.rollback(&provider).await?,
    )))
}

/// Body of `POST /api/plugins/{provider}/canary`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanaryRequest {
    /// The candidate version (needed unless `percent` is 0).
    #[serde(default)]
    #[schema(min_length = 1)]
    version: Option<String>,
    /// Share of the provider's connections that run it; 0 ends the canary.
    #[schema(minimum = 0, maximum = 100)]
    #[serde(deserialize_with = "super::extract::whole_u32")]
    percent: u32,
    /// Approve what it asks for beyond the provider's approved set.
    #[serde(default)]
    approve_capabilities: bool,
}

/// `POST /api/plugins/{provider}/canary`: run a version on a stable share of the
/// provider's connections; percent 0 ends the canary.
#[utoipa::path(post, path = "/api/plugins/{provider}/canary", tag = "plugins",
    params(ProviderId), request_body = CanaryRequest,
    responses(
        (status = 200, description = "The canary as it now runs", body = CanaryView),
        (status = 400, description = "A percent above 0 without a version, or out of range", body = ErrorBody),
        (status = 404, description = "No such provider or version", body = ErrorBody),
        (status = 409, description = "It asks for capabilities not approved", body = ErrorBody),
    ))]
pub async fn canary(
    State(app): State<App>,
    ApiPath(ProviderId { provider }): ApiPath<ProviderId>,
    ApiJson(body): ApiJson<CanaryRequest>,
) -> Result<Json<CanaryView>, ApiError> {
    if !app.registry.providers().contains(&provider) {
        return Err(ApiError::not_found("no plugin for that provider is loaded"));
    }
    let version = match (&body.version, body.percent) {
        (_, 0) => None,
        (Some(v), _) => Some(v.clone()),
        (None, _) => return Err(ApiError::bad_request("a canary needs a version")),
    };
    app.plugins
        .canary(
            &provider,
            version.as_deref().unwrap_or_default(),
            body.percent,
            body.approve_capabilities,
        )
        .await?;
    Ok(Json(CanaryView {
        provider,
        version,
        percent: body.percent,
    }))
}
