//! Running one stream of one connection: page after page, each page's records, its
//! cursor and the run's progress committed in one write transaction, so a crash loses
//! at most the page in flight and a restart resumes from the last committed cursor.
//! A page that fails transiently is retried within the run ([`super::retry`]); a stream
//! whose runs fail [`DEGRADE_AFTER_FAILED_RUNS`] times in a row degrades the connection
//! until a backed-off retry time, and its next successful run makes it active again.
//!
//! Before every page the run waits for its tenant's rate budget outside the plugin
//! call, giving the scheduler's slot back meanwhile (see [`super::schedule`]); its
//! closing transaction records the stream's next due time.

use std::sync::Arc;

use mooring_store::{Cause, ConnectionState, IncomingRecord, RunStatus, SyncRun};

use super::SyncService;
use super::retry::{
    DEGRADE_AFTER_FAILED_RUNS, PAGE_RETRIES, PAGE_RETRY_BASE_MS, PAGE_RETRY_CAP_MS,
    RUN_RETRY_BASE_MS, RUN_RETRY_CAP_MS, backoff_ms, is_transient, wait_until,
};
use crate::clock::rfc3339;
use crate::connections::machine::{self, Transition, TransitionError};
use crate::connections::{health, tenant_of};
use crate::runtime::types::ConnectorError;
use crate::runtime::{CallContext, CallError};
use crate::store_io::db;

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
        self.sync_stream_with(connection, stream, &mut super::fair::Slot::none())
            .await
    }

    /// [`sync_stream`](Self::sync_stream) holding the scheduler's `slot`, which it gives
    /// back while it waits for the tenant's rate budget.
    pub(crate) async fn sync_stream_with(
        self: &Arc<Self>,
        connection: &str,
        stream: &str,
        slot: &mut super::fair::Slot,
    ) -> Result<SyncRun, SyncError> {
        self.sync_stream_started(connection, stream, slot, None)
            .await
    }

    /// [`sync_stream_with`](Self::sync_stream_with), sending on `started` once the run
    /// is recorded (dropping it unsent when the stream cannot run).
    pub(crate) async fn sync_stream_started(
        self: &Arc<Self>,
        connection: &str,
        stream: &str,
        slot: &mut super::fair::Slot,
        started: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Result<SyncRun, SyncError> {
        let _in_flight = super::InFlight::enter(self);
        if self.is_stopping() {
            return Err(SyncError::NotSyncable("the host is shutting down".into()));
        }
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
        let Some(interval_secs) = plugin
            .info
            .manifest
            .streams
            .iter()
            .find(|s| s.name == stream)
            .map(|s| self.interval(&integration.provider, stream, s.interval))
        else {
            return Err(SyncError::NotFound(format!(
                "plugin {} has no stream {stream:?}",
                plugin.info.id
            )));
        };
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
            if self.is_stopping() {
                return Err(SyncError::NotSyncable("the host is shutting down".into()));
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
            status: RunStatus::Running,
            last_page_at: None,
            retries: 0,
        };
        let record = run.clone();
        run.id = db(&self.store, move |s| s.append_sync_run(&record)).await?;
        if let Some(started) = started {
            let _ = started.send(());
        }
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
        let primary_key = plugin
            .info
            .manifest
            .streams
            .iter()
            .find(|s| s.name == stream)
            .map(|s| s.primary_key.as_str())
            .unwrap_or_default();
        let (conn_id, stream_name) = (connection.to_owned(), stream.to_owned());
        let mut cursor = db(&self.store, move |s| s.cursor(&conn_id, &stream_name)).await?;
        let mut stopping = self.stopping();
        let mut counts_as_failure = false;
        loop {
            self.wait_for_budget(&plugin, &tenant.id, slot, &mut stopping)
                .await;
            if self.is_stopping() {
                run.status = RunStatus::Interrupted;
                run.error = Some(format!(
                    "interrupted: the host shut down after {} committed pages; the next run resumes from the last committed cursor",
                    run.pages
                ));
                break;
            }
            let page_started = std::time::Instant::now();
            let mut attempt = 0u32;
            let result = loop {
                let result = self
                    .runtime
                    .sync(&plugin, ctx.clone(), stream, &tenant, cursor.as_deref())
                    .await;
                match &result {
                    Err(error) if is_transient(error) && attempt < PAGE_RETRIES => {
                        attempt = attempt.saturating_add(1);
                        run.retries = run.retries.saturating_add(1);
                        let wait = backoff_ms(attempt, PAGE_RETRY_BASE_MS, PAGE_RETRY_CAP_MS);
                        tracing::info!(connection, stream, attempt, wait_ms = wait, %error,
                            "page failed transiently; retrying");
                        let until = self.clock.now_millis().saturating_add(wait);
                        if !wait_until(&self.clock, until, &mut stopping).await {
                            break result;
                        }
                    }
                    _ => break result,
                }
            };
            let call_ms = page_started.elapsed().as_millis();
            let batch = match result {
                Ok(batch) => batch,
                Err(error) if self.is_stopping() => {
                    run.status = RunStatus::Interrupted;
                    run.error = Some(format!(
                        "interrupted: the host shut down while a page was failing ({error}); the next run resumes from the last committed cursor"
                    ));
                    break;
                }
                Err(error) => {
                    counts_as_failure = self
                        .handle_failure(
                            connection,
                            conn.grant.as_deref(),
                            &plugin.info.manifest.rate_budget,
                            &error,
                        )
                        .await;
                    run.error = Some(match attempt {
                        0 => error.to_string(),
                        n => format!("{error} (after {n} retries)"),
                    });
                    break;
                }
            };
            if let Err(mismatch) =
                crate::plugins::primary_key::check_page(primary_key, &batch.records)
            {
                run.status = RunStatus::Failed;
                run.error = Some(format!("unexpected data from the plugin: {mismatch}"));
                counts_as_failure = true;
                break;
            }
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
            let page_at = self.clock.now_millis();
            progress.last_page_at = Some(page_at);
            let (conn_id, stream_name) = (connection.to_owned(), stream.to_owned());
            // Relaxed: durable within PERSIST_INTERVAL, or rolled back by a crash
            // together with the cursor past it (the next run fetches it again).
            let stats = db(&self.store, move |s| {
                s.write_relaxed(|tx| {
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
                Err(error) if self.is_stopping() => {
                    run.status = RunStatus::Interrupted;
                    run.error = Some(format!(
                        "interrupted: the host shut down before the page in flight committed ({error})"
                    ));
                    break;
                }
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
            crate::metrics::sync_page(stats.added, stats.updated, stats.deleted);
            run.pages += 1;
            run.last_page_at = Some(page_at);
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
        let interval_ms = interval_secs.saturating_mul(1000);
        self.finish(connection, &mut run, counts_as_failure, interval_ms)
            .await?;
        Ok(run)
    }

    /// Record the end of a run and, on success, the connection's last sync (leaving
    /// `degraded` when no other stream keeps it there). A failed run that
    /// `counts_as_failure` adds to the stream's failures in a row, and the
    /// [`DEGRADE_AFTER_FAILED_RUNS`]th degrades the connection until a backed-off time.
    /// The stream's next due time (`interval_ms` after the run's start) is written in
    /// the same transaction.
    async fn finish(
        &self,
        connection: &str,
        run: &mut SyncRun,
        counts_as_failure: bool,
        interval_ms: u64,
    ) -> Result<(), SyncError> {
        let now = self.clock.now_millis();
        run.finished_at = Some(now);
        if run.status == RunStatus::Running {
            run.status = if run.error.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Succeeded
            };
        }
        let ok = run.status == RunStatus::Succeeded;
        crate::metrics::sync_run(
            match run.status {
                RunStatus::Running => "running",
                RunStatus::Succeeded => "succeeded",
                RunStatus::Failed => "failed",
                RunStatus::Interrupted => "interrupted",
            },
            std::time::Duration::from_millis(now.saturating_sub(run.started_at)),
        );
        let failed_in_a_row = self.count_run(connection, &run.stream, ok, counts_as_failure);
        let still_failing = self.failing_streams(connection);
        let next_due =
            self.next_due_after_run(connection, &run.stream, interval_ms, run.started_at);
        let (record, id) = (run.clone(), connection.to_owned());
        let written = db(&self.store, move |s| {
            s.write(|tx| {
                tx.update_sync_run(&record)?;
                if let Some(at) = next_due {
                    tx.set_stream_due(&id, &record.stream, at)?;
                }
                if let Some(event) = mooring_store::Event::run_finished(&record) {
                    tx.append_event(&event)?;
                }
                if ok && let Some(mut conn) = tx.connection(&id)? {
                    conn.last_sync_at = Some(now);
                    let degraded = conn.state == ConnectionState::Degraded;
                    tx.put_connection(&conn)?;
                    if degraded && still_failing == 0 {
                        // Through the lifecycle, in this run's transaction.
                        let recovered =
                            Transition::new(&id, ConnectionState::Active, Cause::Recovered, now);
                        if let Err(TransitionError::Store(error)) =
                            machine::apply(tx, &recovered, |_, _| Ok(()))
                        {
                            return Err(error);
                        }
                    }
                }
                Ok(())
            })
        })
        .await;
        match written {
            Ok(()) => {}
            // A shutdown that ran out of time closed this run already.
            Err(error) if self.is_stopping() => {
                tracing::warn!(connection, run = run.id, %error, "run closed by the shutdown");
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        }
        if ok && still_failing == 0 {
            self.clear_resume(connection);
        }
        if counts_as_failure && failed_in_a_row >= DEGRADE_AFTER_FAILED_RUNS {
            let beyond = failed_in_a_row
                .saturating_sub(DEGRADE_AFTER_FAILED_RUNS)
                .saturating_add(1);
            let resume_at =
                now.saturating_add(backoff_ms(beyond, RUN_RETRY_BASE_MS, RUN_RETRY_CAP_MS));
            let reason = format!(
                "{failed_in_a_row} syncs of {} failed in a row (last: {}); the next attempt is at {}",
                run.stream,
                run.error.as_deref().unwrap_or("unknown error"),
                rfc3339(resume_at)
            );
            self.degrade_until(connection, resume_at, reason, Cause::RunsFailing)
                .await;
        }
        Ok(())
    }

    /// Count a finished run of `stream`: a success clears its failures in a row, a
    /// counted failure adds one. Returns the failures in a row now.
    fn count_run(&self, connection: &str, stream: &str, ok: bool, counts: bool) -> u32 {
        let Ok(mut failures) = self.failures.lock() else {
            return 0;
        };
        let key = (connection.to_owned(), stream.to_owned());
        if ok {
            failures.remove(&key);
            return 0;
        }
        if !counts {
            return failures.get(&key).copied().unwrap_or(0);
        }
        let count = failures.entry(key).or_insert(0);
        *count = count.saturating_add(1);
        *count
    }

    /// Streams of `connection` that have failed often enough to keep it degraded.
    fn failing_streams(&self, connection: &str) -> usize {
        self.failures
            .lock()
            .map(|f| {
                f.iter()
                    .filter(|((c, _), n)| c == connection && **n >= DEGRADE_AFTER_FAILED_RUNS)
                    .count()
            })
            .unwrap_or(0)
    }

    /// What a failed page means for the connection. Returns whether the failure counts
    /// towards degrading it (it was not a rate limit, nor a reauthorisation or scope
    /// problem, which have their own states).
    async fn handle_failure(
        &self,
        connection: &str,
        grant: Option<&str>,
        budget: &crate::runtime::types::RateBudget,
        error: &CallError,
    ) -> bool {
        if let Some(seconds) = rate_limited(error) {
            let seconds = if seconds == 0 {
                budget.default_retry_after
            } else {
                seconds
            };
            let resume_at = self
                .clock
                .now_millis()
                .saturating_add(u64::from(seconds).saturating_mul(1000));
            self.degrade(connection, resume_at).await;
            return false;
        }
        if health::consequence(error).is_some() {
            self.connections
                .record_call_error(connection, grant, error)
                .await;
            false
        } else {
            tracing::warn!(connection, %error, "sync run failed; it counts towards degrading the connection");
            true
        }
    }
}
