//! `GET /api/connections/{id}/streams`: what a connection holds, per stream (live
//! records, tombstones, the last change sequence number, the last successful sync and
//! how the newest run ended), and the plugin version the connection runs. Read only:
//! the counters come from the store's stream stats, the runs from its run history.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use mooring_store::{RunStatus, SyncRun};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiError;
use super::connections::{ConnectionId, readable};
use super::extract::ApiPath;
use super::schema::{ErrorBody, RunStatusSchema};
use crate::app::App;
use crate::runtime::registry::Selection;
use crate::store_io::db;

/// Runs read to find each stream's newest run and last success (retention keeps at
/// most `runs_per_stream` finished runs per stream, so this covers every stream of a
/// connection with a few dozen streams).
const RUNS_READ: usize = 2_000;

/// The plugin version a connection runs, and why that one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = ConnectionPlugin)]
pub struct PluginInUse {
    /// Provider id.
    pub provider: String,
    /// Semver version.
    pub version: String,
    /// `pinned` (the connection's pin), `canary` or `active`.
    pub via: String,
}

/// One stream of a connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = ConnectionStream)]
pub struct StreamView {
    /// Stream name.
    pub name: String,
    /// Records that are not tombstones.
    pub live: u64,
    /// Tombstones (records deleted at the provider).
    pub tombstones: u64,
    /// The highest change sequence number handed out (0: nothing stored yet).
    pub last_seq: u64,
    /// When its newest successful run finished (ms since epoch).
    pub last_sync_at: Option<u64>,
    /// How its newest run ended, or that it is running.
    #[schema(value_type = Option<RunStatusSchema>)]
    pub last_status: Option<RunStatus>,
    /// The newest run's error, if it failed or stopped.
    pub last_error: Option<String>,
    /// Seconds between syncs in the plugin version's manifest; absent for a stream the
    /// version no longer declares.
    pub interval: Option<u32>,
}

/// Answer of `GET /api/connections/{id}/streams`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = ConnectionStreams)]
pub struct StreamsView {
    /// The plugin version the connection runs; null when its provider has none loaded.
    pub plugin: Option<PluginInUse>,
    /// The version's streams in manifest order, then streams only the store knows.
    pub streams: Vec<StreamView>,
}

/// `GET /api/connections/{id}/streams`: deleted connections too.
#[utoipa::path(get, path = "/api/connections/{id}/streams", tag = "connections",
    params(ConnectionId),
    responses(
        (status = 200, description = "Its streams with record counts and last sync", body = StreamsView),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
) -> Result<Json<StreamsView>, ApiError> {
    let connection = readable(&app, &id).await?;
    let integration = connection.integration.clone();
    let key = id.clone();
    let (provider, stats, runs) = db(&app.store, move |s| {
        let provider = s.integration(&integration)?.map(|i| i.provider);
        Ok((
            provider,
            s.streams(&key)?,
            s.list_sync_runs(&key, RUNS_READ)?,
        ))
    })
    .await
    .map_err(ApiError::internal)?;
    let resolved = provider.as_deref().and_then(|provider| {
        app.registry
            .resolve_for(provider, connection.pinned_version.as_deref(), &id)
            .ok()
    });
    let mut streams: Vec<StreamView> = Vec::new();
    if let Some(resolved) = &resolved {
        for declared in &resolved.plugin.info.manifest.streams {
            let mut view = empty(&declared.name);
            view.interval = Some(declared.interval);
            streams.push(view);
        }
    }
    let known: BTreeSet<&str> = stats
        .iter()
        .map(|(name, _)| name.as_str())
        .chain(runs.iter().map(|r| r.stream.as_str()))
        .collect();
    for name in known {
        if !streams.iter().any(|s| s.name == name) {
            streams.push(empty(name));
        }
    }
    for view in &mut streams {
        if let Some((_, counters)) = stats.iter().find(|(name, _)| *name == view.name) {
            view.live = counters.live;
            view.tombstones = counters.tombstones;
            view.last_seq = counters.last_seq;
        }
        fill_runs(view, &runs);
    }
    let plugin = resolved.map(|r| PluginInUse {
        provider: r.plugin.info.id.clone(),
        version: r.plugin.info.version.clone(),
        via: match r.via {
            Selection::Pinned => "pinned",
            Selection::Canary => "canary",
            Selection::Active => "active",
        }
        .to_owned(),
    });
    Ok(Json(StreamsView { plugin, streams }))
}

fn empty(name: &str) -> StreamView {
    StreamView {
        name: name.to_owned(),
        live: 0,
        tombstones: 0,
        last_seq: 0,
        last_sync_at: None,
        last_status: None,
        last_error: None,
        interval: None,
    }
}

/// The newest run's outcome and the newest success (`runs` are newest first).
fn fill_runs(view: &mut StreamView, runs: &[SyncRun]) {
    let mut mine = runs.iter().filter(|r| r.stream == view.name);
    if let Some(newest) = mine.next() {
        view.last_status = Some(newest.status);
        view.last_error = newest.error.clone();
        if newest.status == RunStatus::Succeeded {
            view.last_sync_at = newest.finished_at;
            return;
        }
    }
    view.last_sync_at = mine
        .find(|r| r.status == RunStatus::Succeeded)
        .and_then(|r| r.finished_at);
}
