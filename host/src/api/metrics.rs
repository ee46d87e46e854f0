//! `GET /metrics`: the host's Prometheus metrics (see [`crate::metrics`]), with the
//! number of connections in each state counted at scrape time. Public like `/healthz`:
//! it holds counts and durations, never an identifier, a reason text or a secret.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mooring_store::ConnectionState;

use super::ApiError;
use crate::app::App;
use crate::store_io::db;

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "public",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String)))]
pub async fn scrape(State(app): State<App>) -> Result<Response, ApiError> {
    let counts = db(&app.store, |s| {
        let mut counts: Vec<(ConnectionState, u64)> = Vec::new();
        for connection in s.list_connections()? {
            match counts
                .iter_mut()
                .find(|(state, _)| *state == connection.state)
            {
                Some((_, n)) => *n = n.saturating_add(1),
                None => counts.push((connection.state, 1)),
            }
        }
        Ok(counts)
    })
    .await
    .map_err(ApiError::internal)?;
    let text = crate::metrics::render(&counts);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
