//! `/api/integrations`: create and list integrations (secrets never returned).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiError;
use super::extract::ApiJson;
use super::schema::{ErrorBody, Scope};
use super::views::IntegrationView;
use crate::app::App;
use crate::auth::integrations::{self, IntegrationError, IntegrationSpec};
use crate::store_io::db;

/// Body of `POST /api/integrations`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRequest {
    /// Stable id; generated when absent. Posting an existing id updates it.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$"
    )]
    id: Option<String>,
    /// Provider (plugin) id; its plugin must be loaded.
    #[schema(min_length = 1, max_length = 256, pattern = r"\S")]
    provider: String,
    /// OAuth client id.
    #[schema(min_length = 1, max_length = 256, pattern = r"\S")]
    client_id: String,
    /// OAuth client secret: sealed at rest, never returned.
    #[schema(min_length = 1, max_length = 4096, pattern = r"\S", write_only)]
    client_secret: String,
    /// Scopes to request; the plugin's defaults when empty.
    #[serde(default)]
    #[schema(max_items = 100, value_type = Vec<Scope>)]
    scopes: Vec<String>,
    /// Redirect URI registered with the provider; `<public url>/oauth/callback` when
    /// absent. An absolute `http`/`https` URL with a host and no user name or password.
    #[serde(default)]
    #[schema(
        max_length = 2048,
        pattern = r"^https?://[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?(/[!-~]*)?$"
    )]
    redirect_uri: Option<String>,
}

impl From<IntegrationRequest> for IntegrationSpec {
    fn from(r: IntegrationRequest) -> Self {
        IntegrationSpec {
            id: r.id,
            provider: r.provider,
            client_id: r.client_id,
            client_secret: r.client_secret,
            scopes: r.scopes,
            redirect_uri: r.redirect_uri,
        }
    }
}

/// `POST /api/integrations`: create or update an integration.
#[utoipa::path(post, path = "/api/integrations", tag = "integrations",
    request_body = IntegrationRequest,
    responses(
        (status = 201, description = "Created or updated", body = IntegrationView),
        (status = 400, description = "A field is out of bounds or invalid", body = ErrorBody),
        (status = 404, description = "No plugin for the provider is loaded (`unknown_provider`)", body = ErrorBody),
    ))]
pub async fn create(
    State(app): State<App>,
    ApiJson(request): ApiJson<IntegrationRequest>,
) -> Result<(StatusCode, Json<IntegrationView>), ApiError> {
    let spec = IntegrationSpec::from(request);
    crate::validate::name("provider", &spec.provider).map_err(|e| ApiError::bad_request(e.0))?;
    if app.registry.active(&spec.provider).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_provider",
            format!(
                "no plugin for that provider is loaded; loaded: {:?}",
                app.registry.providers()
            ),
        ));
    }
    let redirect = app.config.redirect_uri();
    let now = app.clock.now_millis();
    let integration = db(&app.store, move |s| {
        match integrations::upsert(s, &spec, &redirect, now) {
            Ok(i) => Ok(Ok(i)),
            Err(IntegrationError::Store(e)) => Err(e),
            Err(IntegrationError::Invalid(message)) => Ok(Err(message)),
        }
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::bad_request)?;
    Ok((
        StatusCode::CREATED,
        Json(IntegrationView::from(integrations::IntegrationView::from(
            &integration,
        ))),
    ))
}

/// `GET /api/integrations`: every integration, without secrets.
#[utoipa::path(get, path = "/api/integrations", tag = "integrations",
    responses((status = 200, description = "Integrations", body = [IntegrationView])))]
pub async fn list(State(app): State<App>) -> Result<Json<Vec<IntegrationView>>, ApiError> {
    let all = db(&app.store, |s| s.list_integrations())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        all.iter()
            .map(|i| IntegrationView::from(integrations::IntegrationView::from(i)))
            .collect(),
    ))
}
