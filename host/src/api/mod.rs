//! The HTTP surface: public `/healthz`, `/oauth/callback` and the operator page `/`; the admin API under
//! `/api` (bearer token); errors as `{"error": {"code", "message"}}`.

pub mod auth;
mod callback;
pub mod connections;
pub mod error;
mod events;
mod integrations;
mod page;
mod plugins;
pub mod server;
pub mod sync;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};

use crate::app::App;
pub use error::ApiError;
pub use server::{ServerOptions, serve, serve_with};

/// The whole router for `app`.
pub fn router(app: App) -> Router {
    let api = Router::new()
        .route(
            "/plugins",
            get(plugins::list)
                .post(plugins::upload)
                .layer(DefaultBodyLimit::max(
                    app.config.limits.upload_bytes.saturating_add(1),
                )),
        )
        .route("/events", get(events::list))
        .route("/plugins/{provider}/activate", post(plugins::activate))
        .route("/plugins/{provider}/rollback", post(plugins::rollback))
        .route("/plugins/{provider}/canary", post(plugins::canary))
        .route(
            "/integrations",
            get(integrations::list).post(integrations::create),
        )
        .route(
            "/connections",
            get(connections::list).post(connections::start),
        )
        .route(
            "/connections/{id}",
            get(connections::get)
                .delete(connections::delete)
                .patch(connections::patch),
        )
        .route("/connections/{id}/events", get(connections::events))
        .route("/connections/{id}/tenant", post(connections::select_tenant))
        .route("/connections/{id}/reconnect", post(connections::reconnect))
        .route("/connections/{id}/sync", post(sync::trigger))
        .route("/connections/{id}/runs", get(sync::runs))
        .route("/connections/{id}/records/{stream}", get(sync::records))
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(middleware::from_fn_with_state(
            app.clone(),
            auth::require_admin,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(page::index))
        .route("/ui/app.js", get(page::script))
        .route("/ui/app.css", get(page::style))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/oauth/callback", get(callback::callback))
        .nest("/api", api)
        .fallback(|| async { ApiError::not_found("no such route") })
        .with_state(app)
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
