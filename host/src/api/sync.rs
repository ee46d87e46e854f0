//! `/api/connections/{id}/sync`, `/runs` and `/records/{stream}`: trigger syncs, read
//! their history, and read synced records as a change feed.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mooring_store::SyncRun;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::app::App;
use crate::auth::grants::db;
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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Streams to sync; the connection's syncable streams when absent.
    #[serde(default)]
    streams: Option<Vec<String>>,
    /// Wait for the runs and return them instead of queueing.
    #[serde(default)]
    wait: bool,
}

/// `POST /api/connections/{id}/sync`: queue a sync (202), or with `"wait": true` run it
/// and return the runs (200).
pub async fn trigger(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Option<Json<SyncRequest>>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let request = body.map(|Json(b)| b).unwrap_or_default();
    app.connections.connection(&id).await?;
    if request.wait || request.streams.is_some() {
        let runs = app.sync.sync_connection(&id, request.streams).await?;
        return Ok((StatusCode::OK, Json(serde_json::json!({ "runs": runs }))));
    }
    app.sync.queue.push(&id);
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "queued": true })),
    ))
}

/// `GET /api/connections/{id}/runs`: sync runs, newest first.
pub async fn runs(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<Vec<SyncRun>>, ApiError> {
    app.connections.connection(&id).await?;
    let runs = db(&app.store, move |s| s.list_sync_runs(&id, 200))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(runs))
}

/// Query of the records feed.
#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<usize>,
}

/// One record of the feed.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct FeedRecord {
    /// The provider's id.
    pub id: String,
    /// The record (JSON).
    pub data: serde_json::Value,
    /// Whether it is a tombstone.
    pub deleted: bool,
    /// Change sequence number; pass the last one as `after` to continue.
    pub seq: u64,
}

/// A page of the feed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Feed {
    /// Records changed after `after`, in change order.
    pub records: Vec<FeedRecord>,
    /// The `after` for the next page; null when caught up.
    pub next: Option<u64>,
}

/// `GET /api/connections/{id}/records/{stream}?after=<seq>&limit=<n>`: records changed
/// after `seq`, oldest change first (limit 1-1000, default 100).
pub async fn records(
    State(app): State<App>,
    Path((id, stream)): Path<(String, String)>,
    Query(query): Query<FeedQuery>,
) -> Result<Json<Feed>, ApiError> {
    app.connections.connection(&id).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    let after = query.after;
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
    Ok(Json(Feed { records, next }))
}
