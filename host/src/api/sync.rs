//! `/api/connections/{id}/sync`, `/runs` and `/records/{stream}`: trigger syncs, read
//! their history, and read synced records as a change feed. History and records of a
//! deleted connection stay readable (records until purged).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use super::connections::{ConnectionId, readable};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{self, Paged, RECORDS, RUNS};
use super::schema::ErrorBody;
use super::views::{Feed, FeedRecord, Queued, RunView, SyncRuns};
use crate::app::App;
use crate::store_io::db;
use crate::sync::SyncError;

impl From<SyncError> for ApiError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::NotFound(m) => ApiError::not_found(m),
            SyncError::NotSyncable(m) => ApiError::new(StatusCode::CONFLICT, "not_syncable", m),
            SyncError::Store(e) => ApiError::internal(e),
        }
    }
}

/// Body of `POST /api/connections/{id}/sync` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Streams to sync; the connection's syncable streams when absent.
    #[serde(default)]
    #[schema(max_items = 1000)]
    streams: Option<Vec<String>>,
    /// Wait for the runs and return them instead of queueing.
    #[serde(default)]
    wait: bool,
}

/// `POST /api/connections/{id}/sync`: queue a sync (202), or with `"wait": true` (or
/// named streams) run it and return the runs (200).
#[utoipa::path(post, path = "/api/connections/{id}/sync", tag = "sync",
    params(ConnectionId), request_body(content = Option<SyncRequest>, description = "Optional"),
    responses(
        (status = 200, description = "The runs, waited for", body = SyncRuns),
        (status = 202, description = "Queued", body = Queued),
        (status = 404, description = "No such connection, or an unknown stream", body = ErrorBody),
        (status = 409, description = "The connection cannot sync in its state", body = ErrorBody),
    ))]
pub async fn trigger(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    body: Option<ApiJson<Option<SyncRequest>>>,
) -> Result<Response, ApiError> {
    let request = body.and_then(|ApiJson(b)| b).unwrap_or_default();
    app.connections.connection(&id).await?;
    if request.wait || request.streams.is_some() {
        let runs = app.sync.sync_connection(&id, request.streams).await?;
        let runs = runs.into_iter().map(RunView::from).collect();
        return Ok((StatusCode::OK, Json(SyncRuns { runs })).into_response());
    }
    app.sync.queue.push(&id);
    Ok((StatusCode::ACCEPTED, Json(Queued { queued: true })).into_response())
}

/// Query of `GET /api/connections/{id}/runs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Page size: default 200, maximum 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The previous page's `X-Next-Cursor`.
    #[param(pattern = "^r[0-9a-f]{1,16}$")]
    cursor: Option<String>,
}

/// `GET /api/connections/{id}/runs`: sync runs, newest first.
#[utoipa::path(get, path = "/api/connections/{id}/runs", tag = "sync",
    params(ConnectionId, RunsQuery),
    responses(
        (status = 200, description = "Runs, newest first", body = [RunView],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last"))),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn runs(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> Result<Paged<RunView>, ApiError> {
    let limit = RUNS.limit(query.limit)?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| RUNS.parse_seq(c))
        .transpose()?;
    readable(&app, &id).await?;
    // Retention keeps a bounded number of runs per stream; a later page skips the runs
    // at or above its cursor.
    let all = db(&app.store, move |s| s.list_sync_runs(&id, usize::MAX))
        .await
        .map_err(ApiError::internal)?;
    let wanted: Vec<RunView> = all
        .into_iter()
        .filter(|r| before.is_none_or(|b| r.id < b))
        .take(limit.saturating_add(1))
        .map(RunView::from)
        .collect();
    let (items, next_cursor) = pagination::page(wanted, limit, |r| RUNS.seq_cursor(r.id));
    Ok(Paged { items, next_cursor })
}

/// The `{id}` and `{stream}` of the records route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct StreamPath {
    /// Connection id.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$"
    )]
    id: String,
    /// A stream the connection's plugin offers (or one it has records of).
    #[param(min_length = 1)]
    stream: String,
}

/// Query of the records feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Records changed after this sequence number (the previous page's `next`).
    #[serde(default)]
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    after: Option<u64>,
    /// Page size: default 100, maximum 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The previous page's `next_cursor` (takes precedence over `after`).
    #[param(pattern = "^s[0-9a-f]{1,16}$")]
    cursor: Option<String>,
}

/// Whether `stream` is one the connection's plugin version offers, or one it has
/// records of (a stream a later version dropped stays readable).
async fn stream_known(
    app: &App,
    connection: &mooring_store::Connection,
    stream: &str,
) -> Result<bool, ApiError> {
    let offered = match app.connections.integration(&connection.integration).await {
        Ok(integration) => app
            .connections
            .plugin_for(&integration.provider, Some(connection))
            .map(|plugin| {
                plugin
                    .info
                    .manifest
                    .streams
                    .iter()
                    .any(|s| s.name == stream)
            })
            .unwrap_or(false),
        Err(_) => false,
    };
    if offered {
        return Ok(true);
    }
    let id = connection.id.clone();
    let stored = db(&app.store, move |s| s.streams(&id))
        .await
        .map_err(ApiError::internal)?;
    Ok(stored.iter().any(|(name, _)| name == stream))
}

/// `GET /api/connections/{id}/records/{stream}?after=<seq>&limit=<n>` (or
/// `?cursor=`): records changed after the position, oldest change first.
#[utoipa::path(get, path = "/api/connections/{id}/records/{stream}", tag = "sync",
    params(StreamPath, FeedQuery),
    responses(
        (status = 200, description = "A page of the change feed", body = Feed),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such connection (`not_found`), or a stream its plugin does not offer (`unknown_stream`)", body = ErrorBody),
    ))]
pub async fn records(
    State(app): State<App>,
    ApiPath(StreamPath { id, stream }): ApiPath<StreamPath>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Json<Feed>, ApiError> {
    let limit = RECORDS.limit(query.limit)?;
    let after = pagination::position(query.after)?;
    let after = match query.cursor.as_deref() {
        Some(cursor) => RECORDS.parse_seq(cursor)?,
        None => after,
    };
    let connection = readable(&app, &id).await?;
    if !stream_known(&app, &connection, &stream).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_stream",
            "the connection's plugin offers no such stream (GET /api/plugins lists each version's streams)",
        ));
    }
    let (page, next) = db(&app.store, move |s| {
        s.records_after(&id, &stream, after, limit)
    })
    .await
    .map_err(ApiError::internal)?;
    let records = page
        .into_iter()
        .map(|(seq, id, record)| FeedRecord {
            id,
            data: serde_json::from_str(&record.data)
                .unwrap_or(serde_json::Value::String(record.data)),
            deleted: record.deleted,
            seq,
        })
        .collect();
    Ok(Json(Feed {
        records,
        next,
        next_cursor: next.map(|seq| RECORDS.seq_cursor(seq)),
    }))
}
