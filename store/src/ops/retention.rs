//! Retention of sync-run history: keep the newest runs of each stream, drop the rest in
//! batches. (Events and flows are pruned by their own modules.)

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::model::SyncRun;
use crate::store::Store;
use crate::tables::{SYNC_RUNS, decode};

impl Store {
    /// Removes at most `limit` finished runs beyond the newest `keep` of each
    /// (connection, stream), in one write transaction; returns how many. Runs still
    /// open are never removed. Callers loop until it returns less than `limit`.
    pub fn prune_sync_runs(&self, keep: usize, limit: usize) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut victims: Vec<(String, u64)> = Vec::new();
            {
                let runs = tx.txn.open_table(SYNC_RUNS)?;
                // Newest first, so the first `keep` of each stream are the ones kept.
                let mut seen: std::collections::HashMap<(String, String), usize> =
                    std::collections::HashMap::new();
                for entry in runs.iter()?.rev() {
                    let (key, value) = entry?;
                    let run: SyncRun = decode("sync_runs", value.value())?;
                    let count = seen
                        .entry((key.value().0.to_owned(), run.stream.clone()))
                        .or_insert(0);
                    *count += 1;
                    if *count > keep && run.finished_at.is_some() {
                        victims.push((key.value().0.to_owned(), key.value().1));
                        if victims.len() >= limit {
                            break;
                        }
                    }
                }
            }
            let mut runs = tx.txn.open_table(SYNC_RUNS)?;
            for (connection, id) in &victims {
                runs.remove((connection.as_str(), *id))?;
            }
            Ok(victims.len() as u64)
        })
    }
}
