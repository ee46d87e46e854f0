//! The HTTP surface: public `/healthz`, `/oauth/callback` and the operator page `/`; the admin API under
//! `/api` (bearer token); errors as `{"error": {"code", "message"}}`.

pub mod auth;
mod callback;
pub mod connections;
pub mod error;
mod events;
pub mod extract;
mod integrations;
mod metrics;
pub mod openapi;
mod page;
pub mod pagination;
mod plugins;
pub mod reconnect_links;
pub mod schema;
pub mod server;
mod streams;
pub mod sync;
pub mod views;
pub mod webhooks;

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
        .route(
            "/connections/{id}/reconnect-link",
            post(reconnect_links::create),
        )
        .route(
            "/connections/{id}/reconnect-links",
            get(reconnect_links::list),
        )
        .route(
            "/connections/{id}/reconnect-link/{link_id}",
            axum::routing::delete(reconnect_links::revoke),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/webhooks/{id}",
            get(webhooks::get)
                .patch(webhooks::patch)
                .delete(webhooks::delete),
        )
        .route(
            "/webhooks/{id}/deliveries",
            get(webhooks::endpoint_deliveries),
        )
        .route("/events/{seq}/deliveries", get(webhooks::event_deliveries))
        .route("/events/{seq}/redeliver", post(webhooks::redeliver))
        .route("/connections/{id}/runs", get(sync::runs))
        .route("/connections/{id}/streams", get(streams::list))
        .route("/connections/{id}/records/{stream}", get(sync::records))
        // Keep these last: the 405 fallback covers only the routes added before it.
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(middleware::from_fn_with_state(
            app.clone(),
            auth::require_admin,
        ))
        .layer(middleware::map_response(error::json_errors));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::scrape))
        .route("/", get(page::index))
        .route("/ui/app.js", get(page::script))
        .route("/ui/app.css", get(page::style))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/oauth/callback", get(callback::callback))
        .route("/reconnect/{link_id}/{mac}", get(reconnect_links::open))
        .merge(openapi::router())
        .nest("/api", api)
        .fallback(|| async { ApiError::not_found("no such route") })
        .with_state(app)
}

/// `GET /healthz`.
#[utoipa::path(get, path = "/healthz", tag = "public",
    responses((status = 200, description = "The host is serving", body = views::Health)))]
async fn healthz() -> axum::Json<views::Health> {
    axum::Json(views::Health {
        status: "ok".to_owned(),
    })
}
