//! `/api/events`: the global event history (connection transitions and plugin
//! lifecycle changes), oldest first, paged by sequence number.

use axum::Json;
use axum::extract::{Query, State};
use mooring_store::Event;
use serde::Deserialize;

use super::ApiError;
use crate::app::App;
use crate::auth::grants::db;

/// Largest page of events one request returns.
const MAX_EVENTS: usize = 1000;

/// Query of `GET /api/events`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events after this sequence number.
    #[serde(default)]
    after: u64,
    /// At most this many (default and cap 1000).
    #[serde(default)]
    limit: Option<usize>,
}

/// `GET /api/events?after=<seq>&limit=<n>`.
pub async fn list(
    State(app): State<App>,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_EVENTS).clamp(1, MAX_EVENTS);
    let after = query.after;
    db(&app.store, move |s| s.events_after(after, limit))
        .await
        .map(Json)
        .map_err(ApiError::internal)
}
