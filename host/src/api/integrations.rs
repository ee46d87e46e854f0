//! `/api/integrations`: create and list integrations (secrets never returned).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::ApiError;
use crate::app::App;
use crate::auth::grants::db;
use crate::auth::integrations::{self, IntegrationError, IntegrationSpec, IntegrationView};

/// `POST /api/integrations`.
pub async fn create(
    State(app): State<App>,
    Json(spec): Json<IntegrationSpec>,
) -> Result<(StatusCode, Json<IntegrationView>), ApiError> {
    crate::validate::name("provider", &spec.provider).map_err(|e| ApiError::bad_request(e.0))?;
    if app.registry.active(&spec.provider).is_none() {
        return Err(ApiError::bad_request(format!(
            "no plugin for provider {:?} is loaded; loaded: {:?}",
            spec.provider,
            app.registry.providers()
        )));
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
        Json(IntegrationView::from(&integration)),
    ))
}

/// `GET /api/integrations`.
pub async fn list(State(app): State<App>) -> Result<Json<Vec<IntegrationView>>, ApiError> {
    let all = db(&app.store, |s| s.list_integrations())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(all.iter().map(IntegrationView::from).collect()))
}
