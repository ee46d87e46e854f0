//! Running one stream of one connection: page after page, each page's records, its
//! cursor and the run's progress committed in one write transaction, so a crash loses
//! at most the page in flight and a restart resumes from the last committed cursor.

use std::sync::Arc;

use mooring_store::{ConnectionState, IncomingRecord, SyncRun};

use super::SyncService;
use crate::auth::connections::tenant_of;
use crate::auth::grants::db;
use crate::auth::health;
use crate::runtime::types::ConnectorError;
use crate::runtime::{CallContext, CallError};

/// Pages one run may fetch before it stops (a guard against a plugin that never ends).
pub const MAX_PAGES_PER_RUN: u64 = 1_000_000;

/// Why a stream could not be run at all (a run that starts and fails is a [`SyncRun`]
/// with its `error` set instead).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No such connection or stream.
    #[error("{0}")]
    NotFound(String),
    /// The connection cannot sync in its state.
    #[error("{0}")]
    NotSyncable(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] mooring_store::StoreError),
}

/// The rate-limit delay in a call error, if it is one.
fn rate_limited(error: &CallError) -> Option<u32> {
    match error {
        CallError::Connector(ConnectorError::RateLimited(s)) => Some(*s),
        CallError::Denied {
            plugin_error: ConnectorError::RateLimited(s),
            ..
        } => Some(*s),
        _ => None,
    }
}

/// Marks a (connection, stream) as running; unmarks on drop.
struct Running {
    service: Arc<SyncService>,
    key: (String, String),
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut running) = self.service.running.lock() {
            running.remove(&self.key);
        }
    }
}

impl SyncService {
    /// Sync `stream` of `connection` from its last committed cursor until the plugin
    /// says no more pages remain or a call fails.
    pub async fn sync_stream(
        self: &Arc<Self>,
        connection: &str,
        stream: &str,
    ) -> Result<SyncRun, SyncError> {
        let conn = self
            .connections
            .connection(connection)
            .await
            .map_err(|e| SyncError::NotFound(e.to_string()))?;
        let now = self.clock.now_millis();
        match conn.state {
            ConnectionState::Active => {}
            ConnectionState::Degraded if self.resume_at(connection).is_none_or(|at| at <= now) => {}
            other => {
                return Err(SyncError::NotSyncable(format!(
                    "connection {connection} is {other}{}",
                    conn.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                )));
            }
        }
        let tenant = conn.tenant.as_ref().map(tenant_of).ok_or_else(|| {
            SyncError::NotSyncable(format!("connection {connection} has no tenant"))
        })?;
        let integration = db(&self.store, {
            let id = conn.integration.clone();
            move |s| s.integration(&id)
        })
        .await?
        .ok_or_else(|| SyncError::NotFound(format!("integration {} is gone", conn.integration)))?;
        let plugin = self
            .connections
            .plugin_for(&integration.provider, Some(&conn))
            .map_err(|e| SyncError::NotSyncable(e.to_string()))?;
        if !plugin
            .info
            .manifest
            .streams
            .iter()
            .any(|s| s.name == stream)
        {
            return Err(SyncError::NotFound(format!(
                "plugin {} has no stream {stream:?}",
                plugin.info.id
            )));
        }
        // One run per (connection, stream) at a time: a request for a stream that is
        // already syncing waits for that run, then runs on from its cursor.
        let key = (connection.to_owned(), stream.to_owned());
        loop {
            let inserted = self
                .running
                .lock()
                .map_err(|_| SyncError::NotSyncable("run table poisoned".into()))?
                .insert(key.clone());
            if inserted {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _running = Running {
            service: self.clone(),
            key,
        };
        let mut run = SyncRun {
            id: 0,
            connection: connection.to_owned(),
            stream: stream.to_owned(),
            started_at: now,
            finished_at: None,
            pages: 0,
            added: 0,
            updated: 0,
            deleted: 0,
            plugin_version: plugin.info.version.clone(),
            error: None,
        };
        let record = run.clone();
        run.id = db(&self.store, move |s| s.append_sync_run(&record)).await?;
        let mut ctx = CallContext::for_connection(&integration.id, connection);
        ctx.tenant = Some(tenant.id.clone());
        // The manifest's cursor-field names the cursor's format: a version that changes
        // it makes the stream re-list from its start (upserts absorb what is already
        // stored, so nothing is duplicated, and a re-list never deletes).
        let format = plugin
            .info
            .manifest
            .streams
            .iter()
            .find(|s| s.name == stream)
            .and_then(|s| s.cursor_field.clone())
            .unwrap_or_default();
        let (conn_id, stream_name) = (connection.to_owned(), stream.to_owned());
        let relist = db(&self.store, move |s| {
            s.align_cursor_format(&conn_id, &stream_name, &format)
        })
        .await?;
        if relist {
            tracing::info!(connection, stream, version = %plugin.info.version,
                "the plugin version changed this stream's cursor format; re-listing from the start");
        }
        let (conn_id, stream_name) = (connection.to_owned(), stream.to_owned());
        let mut cursor = db(&self.store, move |s| s.cursor(&conn_id, &stream_name)).await?;
        loop {
            let page_started = std::time::Instant::now();
            let result = self
                .runtime
                .sync(&plugin, ctx.clone(), stream, &tenant, cursor.as_deref())
                .await;
            let call_ms = page_started.elapsed().as_millis();
            let batch = match result {
                Ok(batch) => batch,
                Err(error) => {
                    self.handle_failure(connection, &plugin.info.manifest.rate_budget, &error)
                        .await;
                    run.error = Some(error.to_string());
                    break;
                }
            };
            let no_progress = batch.has_more
                && batch.records.is_empty()
                && batch
                    .next_cursor
                    .as_deref()
                    .is_none_or(|c| Some(c) == cursor.as_deref());
            let records: Vec<IncomingRecord> = batch
                .records
                .into_iter()
                .map(|r| IncomingRecord {
                    id: r.id,
                    data: r.data,
                    deleted: r.deleted,
                })
                .collect();
            let next = batch.next_cursor.clone();
            let mut progress = run.clone();
            progress.pages += 1;
            let (conn_id, stream_name) = (connection.to_owned(), stream.to_owned());
            let stats = db(&self.store, move |s| {
                s.write(|tx| {
                    let stats =
                        tx.commit_page(&conn_id, &stream_name, &records, next.as_deref())?;
                    progress.added += stats.added;
                    progress.updated += stats.updated;
                    progress.deleted += stats.deleted;
                    tx.update_sync_run(&progress)?;
                    Ok(stats)
                })
            })
            .await;
            let stats = match stats {
                Ok(stats) => stats,
                Err(error) => {
                    run.error = Some(format!("storage: {error}"));
                    break;
                }
            };
            tracing::debug!(
                connection,
                stream,
                page = run.pages + 1,
                call_ms,
                commit_ms = page_started.elapsed().as_millis() - call_ms,
                "page committed"
            );
            run.pages += 1;
            run.added += stats.added;
            run.updated += stats.updated;
            run.deleted += stats.deleted;
            if batch.next_cursor.is_some() {
                cursor = batch.next_cursor;
            }
            if !batch.has_more {
                break;
            }
            if no_progress || run.pages >= MAX_PAGES_PER_RUN {
                run.error = Some(format!(
                    "the plugin kept asking for more pages without moving its cursor (after {} pages); stopped",
                    run.pages
                ));
                break;
            }
        }
        self.finish(connection, &mut run).await?;
        Ok(run)
    }

    /// Record the end of a run and, on success, the connection's last sync (leaving
    /// `degraded` when it had been).
    async fn finish(&self, connection: &str, run: &mut SyncRun) -> Result<(), SyncError> {
        let now = self.clock.now_millis();
        run.finished_at = Some(now);
        let (record, id, ok) = (run.clone(), connection.to_owned(), run.error.is_none());
        db(&self.store, move |s| {
            s.write(|tx| {
                tx.update_sync_run(&record)?;
                if ok && let Some(mut conn) = tx.connection(&id)? {
                    conn.last_sync_at = Some(now);
                    let degraded = conn.state == ConnectionState::Degraded;
                    tx.put_connection(&conn)?;
                    if degraded {
                        tx.transition_connection(
                            &id,
                            ConnectionState::Active,
                            None,
                            "resumed",
                            now,
                        )?;
                    }
                }
                Ok(())
            })
        })
        .await?;
        if ok {
            self.clear_resume(connection);
        }
        Ok(())
    }

    /// What a failed page means for the connection.
    async fn handle_failure(
        &self,
        connection: &str,
        budget: &crate::runtime::types::RateBudget,
        error: &CallError,
    ) {
        if let Some(seconds) = rate_limited(error) {
            let seconds = if seconds == 0 {
                budget.default_retry_after
            } else {
                seconds
            };
            let resume_at = self.clock.now_millis() + u64::from(seconds) * 1000;
            self.degrade(connection, resume_at).await;
            return;
        }
        if health::consequence(error).is_some() {
            self.connections.record_call_error(connection, error).await;
        } else {
            tracing::warn!(connection, %error, "sync page failed; will retry at the next interval");
        }
    }
}
