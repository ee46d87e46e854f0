//! `/api/events`: the global event history (connection transitions and plugin
//! lifecycle changes), oldest first, paged by sequence number.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiError;
use super::extract::ApiQuery;
use super::pagination::{self, EVENTS, Paged};
use super::schema::ErrorBody;
use super::views::EventView;
use crate::app::App;
use crate::store_io::db;

/// Query of `GET /api/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events after this sequence number.
    #[serde(default)]
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    after: Option<u64>,
    /// Page size: default and maximum 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The previous page's `X-Next-Cursor` (takes precedence over `after`).
    #[param(pattern = "^e[0-9a-f]{1,16}$")]
    cursor: Option<String>,
}

/// `GET /api/events?after=<seq>&limit=<n>` (or `?cursor=`): oldest first.
#[utoipa::path(get, path = "/api/events", tag = "events", params(EventsQuery),
    responses(
        (status = 200, description = "Events, oldest first", body = [EventView],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last"))),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<App>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Paged<EventView>, ApiError> {
    let limit = EVENTS.limit(query.limit)?;
    let after = pagination::position(query.after)?;
    let after = match query.cursor.as_deref() {
        Some(cursor) => EVENTS.parse_seq(cursor)?,
        None => after,
    };
    let list = db(&app.store, move |s| {
        s.events_after(after, limit.saturating_add(1))
    })
    .await
    .map_err(ApiError::internal)?;
    let list = list.into_iter().map(EventView::from).collect();
    let (items, next_cursor) = pagination::page(list, limit, |e| EVENTS.seq_cursor(e.seq));
    Ok(Paged { items, next_cursor })
}
