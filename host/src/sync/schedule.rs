//! When streams sync: every stream on its interval (the manifest's, or a configured
//! override), plus right away after a connect, a reconnect or a request. The schedule
//! lives in memory; after a restart every stream is due once and resumes from its
//! committed cursor. A degraded connection is due again, every stream, as soon as its
//! resume time has passed (the retry after a backoff; a run that fails again sets the
//! next one). The scheduler ends when the host shuts down.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mooring_store::ConnectionState;
use tokio::sync::Notify;

use super::SyncService;
use crate::auth::grants::db;

/// Connections waiting for an immediate sync, shared by whoever queues them.
#[derive(Clone, Default)]
pub struct SyncQueue {
    pending: Arc<Mutex<HashSet<String>>>,
    wake: Arc<Notify>,
}

impl SyncQueue {
    /// Queue `connection` for a sync as soon as possible.
    pub fn push(&self, connection: &str) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(connection.to_owned());
        }
        self.wake.notify_one();
    }

    fn drain(&self) -> Vec<String> {
        self.pending
            .lock()
            .map(|mut p| p.drain().collect())
            .unwrap_or_default()
    }
}

/// How often the scheduler looks for due streams when nothing wakes it.
const TICK: Duration = Duration::from_secs(1);
/// Connections syncing at once.
const PARALLEL_CONNECTIONS: usize = 8;

impl SyncService {
    /// The interval of `stream` of `provider`: a configured override, else the manifest's.
    fn interval(&self, provider: &str, stream: &str, manifest_secs: u32) -> u64 {
        self.intervals
            .get(&format!("{provider}/{stream}"))
            .or_else(|| self.intervals.get(stream))
            .copied()
            .unwrap_or(u64::from(manifest_secs))
            .max(1)
    }

    /// Connections with a stream due now.
    async fn due_connections(&self) -> Vec<String> {
        let now = self.clock.now_millis();
        let Ok(connections) = db(&self.store, |s| {
            s.connections_in_state(ConnectionState::Active)
        })
        .await
        else {
            return vec![];
        };
        let degraded = db(&self.store, |s| {
            s.connections_in_state(ConnectionState::Degraded)
        })
        .await
        .unwrap_or_default();
        let mut retry = Vec::new();
        for conn in degraded {
            match self.resume_at(&conn.id) {
                Some(at) if at <= now => {
                    // Its backoff is over: retry every stream now, once.
                    self.clear_resume(&conn.id);
                    if let Ok(mut next_due) = self.next_due.lock() {
                        next_due.retain(|(c, _), _| c != &conn.id);
                    }
                    retry.push(conn);
                }
                Some(_) => {}
                None => retry.push(conn),
            }
        }
        let mut due = Vec::new();
        for conn in connections.into_iter().chain(retry) {
            let Ok(Some(integration)) = db(&self.store, {
                let id = conn.integration.clone();
                move |s| s.integration(&id)
            })
            .await
            else {
                continue;
            };
            let Ok(plugin) = self
                .connections
                .plugin_for(&integration.provider, Some(&conn))
            else {
                continue;
            };
            let Ok(streams) = self.syncable_streams(&conn.id).await else {
                continue;
            };
            let mut next_due = self.next_due.lock().unwrap_or_else(|p| p.into_inner());
            let mut is_due = false;
            for stream in plugin
                .info
                .manifest
                .streams
                .iter()
                .filter(|s| streams.contains(&s.name))
            {
                let key = (conn.id.clone(), stream.name.clone());
                let at = *next_due.entry(key.clone()).or_insert(now);
                if at <= now {
                    is_due = true;
                    next_due.insert(
                        key,
                        now + self.interval(&integration.provider, &stream.name, stream.interval)
                            * 1000,
                    );
                }
            }
            if is_due {
                due.push(conn.id.clone());
            }
        }
        due
    }

    /// Run the scheduler until the process ends: queued connections always, and streams
    /// that are due on their interval when `on_interval` is set.
    pub fn spawn_scheduler(self: &Arc<Self>, on_interval: bool) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            let slots = Arc::new(tokio::sync::Semaphore::new(PARALLEL_CONNECTIONS));
            let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
            let mut stopping = service.stopping();
            loop {
                if service.is_stopping() {
                    tracing::info!("scheduler stopped: the host is shutting down");
                    return;
                }
                let mut work = service.queue.drain();
                let due = if on_interval {
                    service.due_connections().await
                } else {
                    vec![]
                };
                for id in due {
                    if !work.contains(&id) {
                        work.push(id);
                    }
                }
                for id in work {
                    if !busy
                        .lock()
                        .map(|mut b| b.insert(id.clone()))
                        .unwrap_or(false)
                    {
                        continue;
                    }
                    let Ok(permit) = slots.clone().acquire_owned().await else {
                        return;
                    };
                    let (service, busy) = (service.clone(), busy.clone());
                    tokio::spawn(async move {
                        if let Err(error) = service.sync_connection(&id, None).await {
                            tracing::debug!(connection = %id, %error, "scheduled sync skipped");
                        }
                        if let Ok(mut b) = busy.lock() {
                            b.remove(&id);
                        }
                        drop(permit);
                    });
                }
                tokio::select! {
                    _ = service.queue.wake.notified() => {}
                    _ = tokio::time::sleep(TICK) => {}
                    _ = stopping.changed() => {}
                }
            }
        })
    }
}
