//! When streams sync, and fairly across tenants.
//!
//! **What runs.** Each (connection, stream) is due on its own interval (the manifest's,
//! or a configured override), so a stream syncs at its interval and no other: the
//! trial balance hourly, invoices every 15 minutes. A connect, a reconnect, an enable
//! or a queued request runs every syncable stream of the connection right away.
//!
//! **The timetable** ([`super::timer::Timer`]) holds the next due time of every stream
//! in a map ordered by time. The scheduler looks at its first entry and sleeps until
//! then (re-reading the clock at least every [`TICK`], since the clock is injectable);
//! it never scans the connections while idle, so idle work does not grow with their
//! number. Entries come from run completions (the runner's `finish` sets its
//! stream's next due time: its start plus the interval, or now if the run outlasted
//! it, and never before a degraded connection's resume time), from
//! `SyncService::degrade_until` (every stream of the connection waits for the resume
//! time) and, at start, from the store.
//!
//! **Persistence and jitter.** A run's next due time is written in the transaction that
//! closes the run (the `stream_schedule` table), so after a restart each stream keeps
//! its time; streams that fell due while the host was down are spread over up to
//! [`RESTART_SPREAD_MS`](super::timer::RESTART_SPREAD_MS) at random, so a restart
//! causes no storm. A live connection without any row (first start after an upgrade, or
//! interval syncs were off) is due once at start. With interval syncs off
//! (`MOORING_SCHEDULER=off`) no due times are kept and only queued syncs run.
//!
//! **Fairness** ([`super::fair`]). At most [`PARALLEL_CONNECTIONS`] connections sync
//! at once: each holds a slot (a semaphore permit, granted first come, first served)
//! while it runs its due streams one after the other. Before every page the runner asks
//! the tenant's rate budget when the next call could go (`ready_at`, which counts
//! nothing); if not now, it gives its slot back and waits *outside* the plugin call (so
//! it holds no pooled instance either), then queues for a slot again. A tenant
//! throttled for minutes therefore never keeps the others waiting. Waits inside a call
//! remain only for what the budget could not foresee (a provider's `Retry-After`, a
//! page of several requests).
//!
//! The scheduler ends when the host shuts down.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mooring_store::ConnectionState;
use tokio::sync::{Notify, Semaphore};

use super::fair::Slot;
use super::timer::{ALL_STREAMS, Timer, restart_due};
use super::{SyncError, SyncService};
use crate::store_io::db;

/// Connections waiting for an immediate sync, shared by whoever queues them (in the
/// order they were queued).
#[derive(Clone, Default)]
pub struct SyncQueue {
    pending: Arc<Mutex<VecDeque<String>>>,
    pub(crate) wake: Arc<Notify>,
}

impl SyncQueue {
    /// Queue `connection` for a sync of every stream as soon as possible.
    pub fn push(&self, connection: &str) {
        if let Ok(mut pending) = self.pending.lock()
            && !pending.iter().any(|c| c == connection)
        {
            pending.push_back(connection.to_owned());
        }
        self.wake.notify_one();
    }

    fn drain(&self) -> Vec<String> {
        self.pending
            .lock()
            .map(|mut p| p.drain(..).collect())
            .unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }
}

/// How often the scheduler re-reads the clock when nothing wakes it.
pub const TICK: Duration = Duration::from_secs(1);
/// Connections syncing at once (by default).
pub const PARALLEL_CONNECTIONS: usize = 8;
/// A scheduled sync that could not start for a passing reason (storage) is tried
/// again after this long (ms).
const RETRY_LATER_MS: u64 = 60_000;

/// How a scheduler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// Sync streams on their intervals (otherwise only queued syncs run).
    pub on_interval: bool,
    /// Connections syncing at once.
    pub slots: usize,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            on_interval: true,
            slots: PARALLEL_CONNECTIONS,
        }
    }
}

/// What the scheduler is doing, for diagnostics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulerStatus {
    /// Streams in the timetable (not running now).
    pub scheduled: usize,
    /// Of those, the ones due now.
    pub due: usize,
    /// The earliest due time in the timetable (ms).
    pub next_due: Option<u64>,
    /// Connections queued for an immediate sync, not started yet.
    pub queued: usize,
    /// Connections the scheduler is syncing (those waiting on a budget included).
    pub syncing: usize,
    /// Runs waiting for their tenant's rate budget, holding no slot.
    pub waiting_on_budget: usize,
    /// The earliest time one of those waits ends (ms).
    pub budget_wait_until: Option<u64>,
}

/// The scheduler's shared state: the timetable and the connections being synced.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    timer: Timer,
    /// Connections a scheduled task is syncing, with whether a sync of every stream was
    /// queued meanwhile (it runs when the task ends).
    busy: HashMap<String, bool>,
    /// End of each budget wait in progress (ms), by a waiter id.
    pub(crate) budget_waits: HashMap<u64, u64>,
    pub(crate) next_waiter: u64,
}

/// What a scheduled task runs for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Work {
    /// Every syncable stream.
    All,
    /// These streams (those due), plus any syncable stream the timetable lacks.
    Streams(Vec<String>),
}

impl Work {
    fn add(&mut self, stream: &str) {
        match self {
            Work::All => {}
            Work::Streams(_) if stream == ALL_STREAMS => *self = Work::All,
            Work::Streams(list) => {
                if !list.iter().any(|s| s == stream) {
                    list.push(stream.to_owned());
                }
            }
        }
    }
}

impl SyncService {
    pub(crate) fn plan(&self) -> MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The interval of `stream` of `provider` in seconds: a configured override, else
    /// the manifest's.
    pub(crate) fn interval(&self, provider: &str, stream: &str, manifest_secs: u32) -> u64 {
        self.intervals
            .get(&format!("{provider}/{stream}"))
            .or_else(|| self.intervals.get(stream))
            .copied()
            .unwrap_or(u64::from(manifest_secs))
            .max(1)
    }

    /// When `stream` of `connection` is next due, if the timetable holds it.
    pub fn next_due(&self, connection: &str, stream: &str) -> Option<u64> {
        self.plan().timer.due(connection, stream)
    }

    /// What the scheduler is doing now.
    pub fn scheduler_status(&self) -> SchedulerStatus {
        let now = self.clock.now_millis();
        let plan = self.plan();
        SchedulerStatus {
            scheduled: plan.timer.len(),
            due: plan.timer.due_count(now),
            next_due: plan.timer.next(),
            queued: self.queue.len(),
            syncing: plan.busy.len(),
            waiting_on_budget: self.waiting.load(Ordering::SeqCst),
            budget_wait_until: plan.budget_waits.values().min().copied(),
        }
    }

    /// Make the scheduler, and runs waiting on a rate budget, look at the clock now
    /// (after the clock was moved, as tests do; otherwise they look every [`TICK`]).
    pub fn wake_scheduler(&self) {
        self.queue.wake.notify_one();
        self.budget_moved.notify_waiters();
    }

    /// The next due time of `stream` after a run that started at `started_at`: the
    /// start plus `interval_ms`, now if the run outlasted its interval, and never
    /// before the connection's resume time. Entered in the timetable and returned for
    /// the run's closing transaction; `None` when interval syncs are off.
    pub(crate) fn next_due_after_run(
        &self,
        connection: &str,
        stream: &str,
        interval_ms: u64,
        started_at: u64,
    ) -> Option<u64> {
        if !self.interval_scheduling.load(Ordering::SeqCst) {
            return None;
        }
        let now = self.clock.now_millis();
        let mut next = started_at.saturating_add(interval_ms).max(now);
        if let Some(resume) = self.resume_at(connection) {
            next = next.max(resume);
        }
        self.plan().timer.set(connection, stream, next);
        Some(next)
    }

    /// Every stream of `connection` waits until `resume_at` (a degraded connection);
    /// persisted, so a restart keeps the wait.
    pub(crate) async fn hold_until(&self, connection: &str, resume_at: u64) {
        if !self.interval_scheduling.load(Ordering::SeqCst) {
            return;
        }
        let rows: Vec<(String, String, u64)> = {
            let mut plan = self.plan();
            let streams = plan.timer.streams_of(connection);
            if streams.is_empty() && !plan.busy.contains_key(connection) {
                // Streams not known yet: all of them wait (not persisted; a restart
                // finds the connection without rows and syncs it once).
                plan.timer
                    .set_not_before(connection, ALL_STREAMS, resume_at);
            }
            streams
                .into_iter()
                .filter(|stream| stream != ALL_STREAMS)
                .map(|stream| {
                    plan.timer.set_not_before(connection, &stream, resume_at);
                    let at = plan.timer.due(connection, &stream).unwrap_or(resume_at);
                    (connection.to_owned(), stream, at)
                })
                .collect()
        };
        self.persist_dues(connection, rows).await;
        self.queue.wake.notify_one();
    }

    /// Rebuild the timetable from the store: persisted due times (missed ones spread),
    /// and every live connection without one due now (or at its resume time).
    async fn load_schedule(&self) {
        let now = self.clock.now_millis();
        let rows = match db(&self.store, |s| s.stream_schedule()).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(%error, "cannot read the stream schedule; every stream is due");
                Vec::new()
            }
        };
        let live: Vec<String> = db(&self.store, |s| s.list_connections())
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|c| matches!(c.state, ConnectionState::Active | ConnectionState::Degraded))
            .map(|c| c.id)
            .collect();
        let mut plan = self.plan();
        plan.timer.clear();
        for (connection, stream, due) in rows {
            let at = restart_due(due, now, rand::random::<u64>());
            plan.timer.set(&connection, &stream, at);
        }
        for connection in live {
            if plan.timer.streams_of(&connection).is_empty() {
                let at = self.resume_at(&connection).unwrap_or(now).max(now);
                plan.timer.set(&connection, ALL_STREAMS, at);
            }
        }
        tracing::info!(
            streams = plan.timer.len(),
            "scheduler started with its timetable"
        );
    }

    /// Take the work due at `now`: queued connections, and with `on_interval` the due
    /// entries of connections not already syncing (which become busy). Returns the
    /// work and how long to sleep at most.
    fn take_work(&self, now: u64, on_interval: bool) -> (Vec<(String, Work)>, Duration) {
        let mut plan = self.plan();
        let mut work: Vec<(String, Work)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for id in self.queue.drain() {
            match plan.busy.get_mut(&id) {
                Some(requeue) => *requeue = true,
                None => {
                    if !index.contains_key(&id) {
                        index.insert(id.clone(), work.len());
                        work.push((id, Work::All));
                    }
                }
            }
        }
        if on_interval {
            let Plan { timer, busy, .. } = &mut *plan;
            for (connection, stream) in timer.take_due(now, |c| busy.contains_key(c)) {
                match index.get(&connection).and_then(|at| work.get_mut(*at)) {
                    Some((_, w)) => w.add(&stream),
                    None => {
                        let mut w = Work::Streams(Vec::new());
                        w.add(&stream);
                        index.insert(connection.clone(), work.len());
                        work.push((connection, w));
                    }
                }
            }
        }
        for (connection, _) in &work {
            plan.busy.insert(connection.clone(), false);
        }
        let sleep = match plan.timer.next() {
            Some(at) if on_interval && at > now => Duration::from_millis(at - now).min(TICK),
            _ => TICK,
        };
        (work, sleep)
    }

    /// Run the scheduler until the host shuts down: queued connections always, and
    /// streams due on their interval when `on_interval` is set.
    pub fn spawn_scheduler(self: &Arc<Self>, on_interval: bool) -> tokio::task::JoinHandle<()> {
        self.spawn_scheduler_with(SchedulerOptions {
            on_interval,
            ..SchedulerOptions::default()
        })
    }

    /// [`spawn_scheduler`](Self::spawn_scheduler) with every option.
    pub fn spawn_scheduler_with(
        self: &Arc<Self>,
        options: SchedulerOptions,
    ) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        service
            .interval_scheduling
            .store(options.on_interval, Ordering::SeqCst);
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(options.slots.max(1)));
            if options.on_interval {
                service.load_schedule().await;
            }
            let mut stopping = service.stopping();
            // The scheduler's runs belong to it: a scheduler that is aborted (its
            // handle, or the host dropped without a shutdown) takes the runs it
            // started with it, so no run it started can outlive it and write due times
            // behind the back of a host reopened on the same store.
            let mut runs = tokio::task::JoinSet::new();
            loop {
                while runs.try_join_next().is_some() {}
                if service.is_stopping() {
                    // Runs stop after their page on a shutdown: let them close.
                    while runs.join_next().await.is_some() {}
                    tracing::info!("scheduler stopped: the host is shutting down");
                    return;
                }
                let now = service.clock.now_millis();
                let (work, sleep) = service.take_work(now, options.on_interval);
                for (connection, work) in work {
                    let (service, slots) = (service.clone(), slots.clone());
                    runs.spawn(async move {
                        service.run_scheduled(&connection, work, slots).await;
                    });
                }
                tokio::select! {
                    _ = service.queue.wake.notified() => {}
                    _ = tokio::time::sleep(sleep) => {}
                    _ = stopping.changed() => {}
                }
            }
        })
    }

    /// One scheduled task: sync `work` of `connection` holding a slot of `slots`, then
    /// let the scheduler know (and run a sync queued meanwhile).
    async fn run_scheduled(self: &Arc<Self>, connection: &str, work: Work, slots: Arc<Semaphore>) {
        let mut slot = Slot::of(slots);
        slot.acquire().await;
        let (stopped, remaining, postponed): (_, Vec<String>, Vec<String>) =
            match self.streams_for(connection, &work).await {
                Ok(streams) => {
                    let (_, stopped, remaining) =
                        self.run_streams(connection, streams, &mut slot).await;
                    (stopped, remaining, Vec::new())
                }
                Err(error) => {
                    let postponed = match &work {
                        Work::All => vec![ALL_STREAMS.to_owned()],
                        Work::Streams(list) => list.clone(),
                    };
                    (Some(error), Vec::new(), postponed)
                }
            };
        match stopped {
            // A passing failure (storage): try these streams again a little later.
            Some(SyncError::Store(error)) => {
                tracing::warn!(connection, %error, "scheduled sync postponed");
                let at = self.clock.now_millis().saturating_add(RETRY_LATER_MS);
                let mut plan = self.plan();
                for stream in remaining.iter().chain(&postponed) {
                    plan.timer.set_earliest(connection, stream, at);
                }
            }
            Some(error) => {
                tracing::debug!(connection, %error, "scheduled sync stopped");
                let later = self.clock.now_millis().saturating_add(RETRY_LATER_MS);
                let streams = remaining.into_iter().chain(postponed).collect();
                self.settle(connection, streams, later).await;
            }
            None if !remaining.is_empty() => {
                let now = self.clock.now_millis();
                self.settle(connection, remaining, now).await;
            }
            None => {}
        }
        drop(slot);
        let requeue = self.plan().busy.remove(connection).unwrap_or(false);
        if requeue {
            self.queue.push(connection);
        } else {
            self.queue.wake.notify_one();
        }
    }

    /// The streams `work` stands for, among the connection's syncable streams; streams
    /// the timetable lacks (new in the plugin, or newly granted) are added, streams no
    /// longer syncable are dropped.
    async fn streams_for(&self, connection: &str, work: &Work) -> Result<Vec<String>, SyncError> {
        let syncable = self.syncable_streams(connection).await?;
        let Work::Streams(due) = work else {
            return Ok(syncable);
        };
        let known = self.plan().timer.streams_of(connection);
        let mut streams: Vec<String> = syncable
            .iter()
            .filter(|s| due.contains(s) || !known.contains(s))
            .cloned()
            .collect();
        if !self.interval_scheduling.load(Ordering::SeqCst) {
            streams.retain(|s| due.contains(s));
        }
        let dropped: Vec<String> = due
            .iter()
            .filter(|s| !syncable.contains(s) && s.as_str() != ALL_STREAMS)
            .cloned()
            .collect();
        if !dropped.is_empty() {
            let id = connection.to_owned();
            let result = db(&self.store, move |s| {
                s.write(|tx| {
                    for stream in &dropped {
                        tx.remove_stream_due(&id, stream)?;
                    }
                    Ok(())
                })
            })
            .await;
            if let Err(error) = result {
                tracing::warn!(connection, %error, "cannot remove the schedule of dropped streams");
            }
        }
        Ok(streams)
    }

    /// Streams of a connection that did not run (it stopped syncing part way, or could
    /// not start): back in the timetable no earlier than `not_before` and the resume
    /// time of a degraded connection; a connection that cannot sync in its state
    /// (disabled, waiting for a reconnect, deleted) is forgotten until it is queued
    /// again (an enable, a reconnect).
    async fn settle(&self, connection: &str, streams: Vec<String>, not_before: u64) {
        if self.is_stopping() {
            return;
        }
        let state = self
            .connections
            .connection(connection)
            .await
            .map(|c| c.state);
        match state {
            Ok(ConnectionState::Active) | Ok(ConnectionState::Degraded) => {
                let at = self.resume_at(connection).unwrap_or(0).max(not_before);
                let rows = {
                    let mut plan = self.plan();
                    for stream in &streams {
                        plan.timer.set_not_before(connection, stream, at);
                    }
                    streams
                        .into_iter()
                        .filter(|stream| stream != ALL_STREAMS)
                        .map(|stream| {
                            let due = plan.timer.due(connection, &stream).unwrap_or(at);
                            (connection.to_owned(), stream, due)
                        })
                        .collect()
                };
                self.persist_dues(connection, rows).await;
            }
            _ => self.forget(connection).await,
        }
    }

    /// Write due times of `connection` (when interval syncs are on).
    async fn persist_dues(&self, connection: &str, rows: Vec<(String, String, u64)>) {
        if rows.is_empty() || !self.interval_scheduling.load(Ordering::SeqCst) {
            return;
        }
        if let Err(error) = db(&self.store, move |s| s.set_stream_dues(&rows)).await {
            tracing::warn!(%error, connection, "cannot persist due times");
        }
    }

    /// Drop every due time of `connection` (it cannot sync; a reconnect or an enable
    /// queues it again).
    async fn forget(&self, connection: &str) {
        self.plan().timer.remove_connection(connection);
        let id = connection.to_owned();
        if let Err(error) = db(&self.store, move |s| s.remove_stream_schedule(&id)).await {
            tracing::warn!(connection, %error, "cannot remove the schedule of a connection");
        }
    }
}
