//! `/api/plugins`: list, upload, activate, roll back and canary plugin versions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::app::App;
use crate::plugins::PluginLifecycleError;
use crate::runtime::registry::PluginSummary;

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

/// `GET /api/plugins`: every loaded version with its capabilities, whether they are
/// approved, whether it is active, and its canary share.
pub async fn list(State(app): State<App>) -> Result<Json<Vec<PluginSummary>>, ApiError> {
    app.plugins.list().map(Json).map_err(ApiError::internal)
}

/// Query of `POST /api/plugins`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Replace another component already stored under the same version.
    #[serde(default)]
    replace: bool,
}

/// `POST /api/plugins` with the component as an `application/wasm` body: 201 when new,
/// 200 when the same bytes were already stored. Not activated.
pub async fn upload(
    State(app): State<App>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<PluginSummary>), ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/wasm") {
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
    let uploaded = app.plugins.upload(&body, query.replace).await?;
    let status = if uploaded.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(uploaded.summary)))
}

/// Body of `POST /api/plugins/{provider}/activate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    version: String,
    #[serde(default)]
    approve_capabilities: bool,
}

/// `POST /api/plugins/{provider}/activate`: make a version active (409
/// `capabilities_not_approved` when it asks for more than is approved, unless
/// `approve_capabilities`).
pub async fn activate(
    State(app): State<App>,
    Path(provider): Path<String>,
    Json(body): Json<ActivateRequest>,
) -> Result<Json<PluginSummary>, ApiError> {
    let summary = app
        .plugins
        .activate(&provider, &body.version, body.approve_capabilities)
        .await?;
    Ok(Json(summary))
}

/// `POST /api/plugins/{provider}/rollback`: back to the previously active version.
pub async fn rollback(
    State(app): State<App>,
    Path(provider): Path<String>,
) -> Result<Json<PluginSummary>, ApiError> {
    Ok(Json(app.plugins.rollback(&provider).await?))
}

/// Body of `POST /api/plugins/{provider}/canary`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryRequest {
    #[serde(default)]
    version: Option<String>,
    percent: u32,
    #[serde(default)]
    approve_capabilities: bool,
}

/// Answer of `POST /api/plugins/{provider}/canary`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CanaryView {
    /// Provider id.
    pub provider: String,
    /// The candidate version (none once ended).
    pub version: Option<String>,
    /// Share of connections on it; 0 when ended.
    pub percent: u32,
}

/// `POST /api/plugins/{provider}/canary`: run a version on a stable share of the
/// provider's connections; percent 0 ends the canary.
pub async fn canary(
    State(app): State<App>,
    Path(provider): Path<String>,
    Json(body): Json<CanaryRequest>,
) -> Result<Json<CanaryView>, ApiError> {
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
