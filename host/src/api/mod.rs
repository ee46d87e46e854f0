//! The HTTP surface: public `/healthz` and `/oauth/callback`; the admin API under
//! `/api` (bearer token); errors as `{"error": {"code", "message"}}`.

pub mod auth;
pub mod error;
mod plugins;

use axum::Router;
use axum::middleware;
use axum::routing::get;

use crate::app::App;
pub use error::ApiError;

/// The whole router for `app`.
pub fn router(app: App) -> Router {
    let api = Router::new()
        .route("/plugins", get(plugins::list))
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(middleware::from_fn_with_state(app.clone(), auth::require_admin));
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api", api)
        .fallback(|| async { ApiError::not_found("no such route") })
        .with_state(app)
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
