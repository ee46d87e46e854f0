//! Syncing: the [`SyncService`] runs streams page by page ([`runner`]), a scheduler
//! decides when, stream by stream and fairly across tenants ([`schedule`], over the
//! timetable in [`timer`]), and transient failures are retried ([`retry`]). Only
//! active connections sync; a rate-limited connection, or one whose runs keep failing,
//! is `degraded` until its resume time (every stream of it waits in the timetable
//! until then), then carries on from its last cursor.
//!
//! **Streams of one connection** ([`SyncService::sync_connection`]) run concurrently, up
//! to the tenant's concurrency budget (the manifest's `rate-budget.concurrency`; one at
//! a time when it names none), and start in priority order: the manifest's stream
//! order, which is the plugin's statement of what matters first. Each stream starts
//! (its run row written) before the next one is launched, so run ids follow that order.
//! Every request still takes a slot of the tenant's budget, so a deployment override
//! that lowers the concurrency keeps requests within it.
//!
//! Crash and shutdown: at start, runs a crash cut off are closed as `interrupted`
//! ([`SyncService::close_interrupted_runs`]); on shutdown ([`SyncService::shutdown`])
//! nothing new starts, each run in flight stops after the page it is on (committed or,
//! past [`SHUTDOWN_GRACE`], abandoned with its transaction) and is closed as
//! `interrupted` ([`SyncService::drain`]).

pub mod fair;
pub mod retry;
pub mod runner;
pub mod schedule;
pub mod timer;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mooring_store::{Cause, ConnectionState, Store};
use tokio::sync::{Notify, watch};

use crate::clock::SharedClock;
use crate::connections::{ConnectionService, Transition};
use crate::runtime::Runtime;
use crate::store_io::db;
pub use runner::SyncError;
pub use schedule::{SchedulerOptions, SchedulerStatus, SyncQueue};

/// Runs and schedules syncs.
pub struct SyncService {
    pub(crate) store: Store,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) connections: ConnectionService,
    pub(crate) clock: SharedClock,
    /// Per-stream interval overrides: `provider/stream` or `stream` → seconds.
    pub(crate) intervals: HashMap<String, u64>,
    pub(crate) queue: SyncQueue,
    pub(crate) running: Mutex<HashSet<(String, String)>>,
    resume: Mutex<HashMap<String, u64>>,
    /// The timetable and the connections the scheduler is syncing.
    plan: Mutex<schedule::Plan>,
    /// Whether a scheduler keeps streams on their intervals (due times are kept).
    interval_scheduling: AtomicBool,
    /// Runs waiting for their tenant's rate budget.
    waiting: AtomicUsize,
    /// Wakes the runs waiting on a rate budget to look at the clock again.
    budget_moved: Notify,
    /// Failed runs in a row per (connection, stream).
    pub(crate) failures: Mutex<HashMap<(String, String), u32>>,
    /// `true` once the host is shutting down.
    stop: watch::Sender<bool>,
    /// Calls of `sync_stream` in progress (counted before they check for a shutdown,
    /// so a shutdown that sees none knows no run can still start).
    in_flight: AtomicUsize,
    /// The most streams one `sync_connection` has run at once since start.
    streams_peak: AtomicUsize,
}

/// Counts one `sync_stream` call in progress; uncounts on drop.
pub(crate) struct InFlight<'a>(&'a SyncService);

impl<'a> InFlight<'a> {
    /// Count a call of `service` until the guard drops.
    pub(crate) fn enter(service: &'a SyncService) -> Self {
        service.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(service)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long a shutdown waits for the pages in flight to commit before it abandons them
/// (their transactions never commit) and closes their runs as `interrupted`.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl SyncService {
    /// A sync service over the connection service's store and runtime.
    pub fn new(
        connections: ConnectionService,
        intervals: HashMap<String, u64>,
        queue: SyncQueue,
    ) -> Arc<Self> {
        Arc::new(Self {
            store: connections.store.clone(),
            runtime: connections.runtime.clone(),
            clock: connections.clock.clone(),
            connections,
            intervals,
            queue,
            running: Mutex::new(HashSet::new()),
            resume: Mutex::new(HashMap::new()),
            plan: Mutex::default(),
            interval_scheduling: AtomicBool::new(false),
            waiting: AtomicUsize::new(0),
            budget_moved: Notify::new(),
            failures: Mutex::new(HashMap::new()),
            stop: watch::channel(false).0,
            in_flight: AtomicUsize::new(0),
            streams_peak: AtomicUsize::new(0),
        })
    }

    /// Close the runs that a crash cut off (still open in the store) as `interrupted`,
    /// with the time and the page each had reached. Call at start, before any sync.
    pub async fn close_interrupted_runs(&self) -> Result<usize, mooring_store::StoreError> {
        let now = self.clock.now_millis();
        let closed = db(&self.store, move |s| {
            s.close_open_sync_runs(now, "the host stopped before the run ended")
        })
        .await?;
        for run in &closed {
            tracing::warn!(connection = %run.connection, stream = %run.stream, run = run.id,
                pages = run.pages, "closed a run that a crash cut off as interrupted");
        }
        Ok(closed.len())
    }

    /// Begin shutting down: the scheduler stops, no run starts, and each run in flight
    /// stops after the page it is on.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// A receiver that turns `true` on shutdown.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Shut down (see [`shutdown`](Self::shutdown)) and wait, at most `grace`, for the
    /// runs in flight to end; then close any run still open as `interrupted` (a page
    /// that commits after that is refused by the store and abandoned). Returns how many
    /// runs were still in flight when the grace ran out.
    pub async fn drain(&self, grace: Duration) -> usize {
        self.shutdown();
        let deadline = tokio::time::Instant::now() + grace;
        let left = loop {
            let left = self.in_flight.load(Ordering::SeqCst);
            if left == 0 || tokio::time::Instant::now() >= deadline {
                break left;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let now = self.clock.now_millis();
        match db(&self.store, move |s| {
            s.close_open_sync_runs(now, "the host shut down before the page in flight ended")
        })
        .await
        {
            Ok(closed) if !closed.is_empty() => {
                tracing::warn!(
                    runs = closed.len(),
                    "runs abandoned at shutdown were closed as interrupted"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot close runs at shutdown"),
        }
        left
    }

    /// When a degraded connection may sync again, if known.
    pub fn resume_at(&self, connection: &str) -> Option<u64> {
        self.resume.lock().ok()?.get(connection).copied()
    }

    pub(crate) fn clear_resume(&self, connection: &str) {
        if let Ok(mut resume) = self.resume.lock() {
            resume.remove(connection);
        }
    }

    /// Move an active connection to `degraded` until `resume_at` because its
    /// provider's call limit is spent.
    pub(crate) async fn degrade(&self, connection: &str, resume_at: u64) {
        let reason = format!(
            "the provider's call limit for this organisation is spent; syncing resumes at {}",
            crate::clock::rfc3339(resume_at)
        );
        self.degrade_until(connection, resume_at, reason, Cause::RateLimited)
            .await;
    }

    /// Ask the lifecycle to move an active (or degraded) connection to `degraded` with
    /// `reason` until `resume_at`, for `cause`; every stream of it waits in the
    /// timetable until then.
    pub(crate) async fn degrade_until(
        &self,
        connection: &str,
        resume_at: u64,
        reason: String,
        cause: Cause,
    ) {
        if let Ok(mut resume) = self.resume.lock() {
            resume.insert(connection.to_owned(), resume_at);
        }
        let now = self.clock.now_millis();
        let transition =
            Transition::new(connection, ConnectionState::Degraded, cause, now).because(reason);
        match self.connections.transition(transition).await {
            Ok(_) => {}
            Err(error) if error.is_moot() => {}
            Err(error) => tracing::error!(%error, connection, "cannot record degraded state"),
        }
        self.hold_until(connection, resume_at).await;
    }

    /// Sync `streams` (all the connection's syncable streams when `None`), several at
    /// once up to the tenant's concurrency budget, started in the given (manifest,
    /// priority) order; no stream starts once one could not run (its error is
    /// returned) or a failed run left the connection no longer active. The runs come
    /// back in the order of `streams`.
    pub async fn sync_connection(
        self: &Arc<Self>,
        connection: &str,
        streams: Option<Vec<String>>,
    ) -> Result<Vec<mooring_store::SyncRun>, SyncError> {
        let streams = match streams {
            Some(list) => list,
            None => self.syncable_streams(connection).await?,
        };
        let limit = self.stream_concurrency(connection).await;
        let mut pending = streams.into_iter().enumerate();
        let mut set = tokio::task::JoinSet::new();
        let mut runs: Vec<(usize, mooring_store::SyncRun)> = Vec::new();
        let mut stopped: Option<SyncError> = None;
        let mut broken = false;
        loop {
            while set.len() < limit && stopped.is_none() && !broken {
                let Some((index, stream)) = pending.next() else {
                    break;
                };
                let (service, id) = (self.clone(), connection.to_owned());
                let (started, is_started) = tokio::sync::oneshot::channel();
                set.spawn(async move {
                    let mut slot = fair::Slot::none();
                    let result = service
                        .sync_stream_started(&id, &stream, &mut slot, Some(started))
                        .await;
                    (index, result)
                });
                self.streams_peak.fetch_max(set.len(), Ordering::SeqCst);
                // The next stream is launched once this one has started (or given up).
                let _ = is_started.await;
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            let (index, result) = match joined {
                Ok(done) => done,
                Err(error) => {
                    stopped.get_or_insert(SyncError::NotSyncable(format!(
                        "a stream's run ended abnormally: {error}"
                    )));
                    continue;
                }
            };
            match result {
                Ok(run) => {
                    if run.error.is_some() && !broken {
                        broken = self.is_no_longer_active(connection).await;
                    }
                    runs.push((index, run));
                }
                // A later stream refused because a stream already running broke the
                // connection (a revoked grant mid-run): the call stops like a serial
                // one would, with the runs so far. Only the first stream's refusal (the
                // connection could not sync at all) is the caller's error.
                Err(error) if index > 0 && self.is_no_longer_active(connection).await => {
                    tracing::debug!(connection, %error, "stream not started: the connection broke mid-run");
                    broken = true;
                }
                Err(error) => {
                    stopped.get_or_insert(error);
                }
            }
        }
        match stopped {
            Some(error) => Err(error),
            None => {
                runs.sort_by_key(|(index, _)| *index);
                Ok(runs.into_iter().map(|(_, run)| run).collect())
            }
        }
    }

    /// Whether `connection` has left `active` (or can no longer be read).
    async fn is_no_longer_active(&self, connection: &str) -> bool {
        !matches!(
            self.connections.connection(connection).await,
            Ok(c) if c.state == ConnectionState::Active
        )
    }

    /// The most streams one [`sync_connection`](Self::sync_connection) has run at once
    /// since the host started.
    pub fn peak_concurrent_streams(&self) -> usize {
        self.streams_peak.load(Ordering::SeqCst)
    }

    /// How many streams of `connection` may run at once: its plugin's per-tenant
    /// concurrency budget (at least 1; 1 when the manifest names none).
    async fn stream_concurrency(&self, connection: &str) -> usize {
        let Ok(conn) = self.connections.connection(connection).await else {
            return 1;
        };
        let integration = db(&self.store, {
            let id = conn.integration.clone();
            move |s| s.integration(&id)
        })
        .await;
        let Ok(Some(integration)) = integration else {
            return 1;
        };
        self.connections
            .plugin_for(&integration.provider, Some(&conn))
            .ok()
            .and_then(|p| p.info.manifest.rate_budget.concurrency)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(1)
            .max(1)
    }

    /// Run `streams` one after the other with `slot` (given back while a run waits on
    /// its tenant's budget). Stops at a stream that cannot run (its error) or whose
    /// failed run leaves the connection no longer active; returns the runs, that error
    /// and the streams not run.
    pub(crate) async fn run_streams(
        self: &Arc<Self>,
        connection: &str,
        streams: Vec<String>,
        slot: &mut fair::Slot,
    ) -> (Vec<mooring_store::SyncRun>, Option<SyncError>, Vec<String>) {
        let mut runs = Vec::new();
        let mut left = streams.into_iter();
        while let Some(stream) = left.next() {
            let run = match self.sync_stream_with(connection, &stream, slot).await {
                Ok(run) => run,
                Err(error) => {
                    let mut remaining = vec![stream];
                    remaining.extend(left);
                    return (runs, Some(error), remaining);
                }
            };
            let failed = run.error.is_some();
            runs.push(run);
            if failed {
                let state = self
                    .connections
                    .connection(connection)
                    .await
                    .map(|c| c.state)
                    .ok();
                if state != Some(ConnectionState::Active) {
                    return (runs, None, left.collect());
                }
            }
        }
        (runs, None, Vec::new())
    }

    /// The streams a connection syncs on its own: those whose scopes its grant holds.
    pub async fn syncable_streams(&self, connection: &str) -> Result<Vec<String>, SyncError> {
        let conn = self
            .connections
            .connection(connection)
            .await
            .map_err(|e| SyncError::NotFound(e.to_string()))?;
        let grant_scopes = match conn.grant.clone() {
            Some(grant) => db(&self.store, move |s| s.grant(&grant))
                .await?
                .map(|g| g.scopes)
                .unwrap_or_default(),
            None => vec![],
        };
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
        Ok(plugin
            .info
            .manifest
            .streams
            .iter()
            .filter(|s| {
                grant_scopes.is_empty() || s.scopes.iter().all(|scope| grant_scopes.contains(scope))
            })
            .map(|s| s.name.clone())
            .collect())
    }
}
