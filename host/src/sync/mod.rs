//! Syncing: the [`SyncService`] runs streams page by page ([`runner`]) and a scheduler
//! decides when ([`schedule`]). Only active connections sync; a rate-limited one is
//! `degraded` until its resume time, then carries on from its last cursor.

pub mod runner;
pub mod schedule;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use mooring_store::{ConnectionState, Store};

use crate::auth::ConnectionService;
use crate::auth::grants::db;
use crate::clock::SharedClock;
use crate::runtime::Runtime;
pub use runner::SyncError;
pub use schedule::SyncQueue;

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
    next_due: Mutex<HashMap<(String, String), u64>>,
}

/// Seconds as an RFC 3339 UTC timestamp (for reasons people read).
pub fn rfc3339(millis: u64) -> String {
    let secs = (millis / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

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
            next_due: Mutex::new(HashMap::new()),
        })
    }

    /// When a degraded connection may sync again, if known.
    pub fn resume_at(&self, connection: &str) -> Option<u64> {
        self.resume.lock().ok()?.get(connection).copied()
    }

    fn clear_resume(&self, connection: &str) {
        if let Ok(mut resume) = self.resume.lock() {
            resume.remove(connection);
        }
    }

    /// Move an active connection to `degraded` until `resume_at`.
    pub(crate) async fn degrade(&self, connection: &str, resume_at: u64) {
        if let Ok(mut resume) = self.resume.lock() {
            resume.insert(connection.to_owned(), resume_at);
        }
        let reason = format!(
            "the provider's call limit for this organisation is spent; syncing resumes at {}",
            rfc3339(resume_at)
        );
        let (id, now) = (connection.to_owned(), self.clock.now_millis());
        let result = db(&self.store, move |s| {
            if let Some(current) = s.connection(&id)?
                && matches!(
                    current.state,
                    ConnectionState::Active | ConnectionState::Degraded
                )
            {
                s.transition_connection(
                    &id,
                    ConnectionState::Degraded,
                    Some(&reason),
                    "rate_limited",
                    now,
                )?;
            }
            Ok(())
        })
        .await;
        if let Err(error) = result {
            tracing::error!(%error, connection, "cannot record degraded state");
        }
    }

    /// Sync `streams` (all the connection's syncable streams when `None`) one after the
    /// other; stops at the first stream that breaks the connection.
    pub async fn sync_connection(
        self: &Arc<Self>,
        connection: &str,
        streams: Option<Vec<String>>,
    ) -> Result<Vec<mooring_store::SyncRun>, SyncError> {
        let streams = match streams {
            Some(list) => list,
            None => self.syncable_streams(connection).await?,
        };
        let mut runs = Vec::new();
        for stream in streams {
            let run = self.sync_stream(connection, &stream).await?;
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
                    break;
                }
            }
        }
        Ok(runs)
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

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_539_993_600_000), "2018-10-20T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_000_000_000), "2026-11-18T11:06:40Z");
    }
}
