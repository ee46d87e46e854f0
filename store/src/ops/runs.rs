//! Sync runs: one row per sync of a stream, for the history a person reads.

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::model::SyncRun;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{SYNC_RUNS, Tables as _, decode, encode, next_counter};

/// Counter name of sync run ids.
const SYNC_RUN_ID: &str = "sync_run_id";

impl WriteTx<'_> {
    /// Appends a run and returns its id. `run.id` is ignored: the store assigns the next
    /// global id.
    pub fn append_sync_run(&self, run: &SyncRun) -> Result<u64, StoreError> {
        require_id("connection", &run.connection)?;
        let id = next_counter(self.txn, SYNC_RUN_ID)?;
        let stored = SyncRun { id, ..run.clone() };
        self.txn
            .open_table(SYNC_RUNS)?
            .insert((run.connection.as_str(), id), encode(&stored)?.as_slice())?;
        Ok(id)
    }

    /// Replaces an existing run (matched by `connection` and `id`).
    pub fn update_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        let mut runs = self.txn.open_table(SYNC_RUNS)?;
        let key = (run.connection.as_str(), run.id);
        if runs.get(key)?.is_none() {
            return Err(StoreError::not_found("sync run", run.id.to_string()));
        }
        runs.insert(key, encode(run)?.as_slice())?;
        Ok(())
    }
}

impl Store {
    /// Appends a run and returns its id (see [`WriteTx::append_sync_run`]).
    pub fn append_sync_run(&self, run: &SyncRun) -> Result<u64, StoreError> {
        self.write(|tx| tx.append_sync_run(run))
    }

    /// Replaces an existing run (matched by `connection` and `id`).
    pub fn update_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        self.write(|tx| tx.update_sync_run(run))
    }

    /// The run `id` of `connection`.
    pub fn sync_run(&self, connection: &str, id: u64) -> Result<Option<SyncRun>, StoreError> {
        self.read(|r| {
            let runs = r.table(SYNC_RUNS)?;
            runs.get((connection, id))?
                .map(|g| decode("sync_runs", g.value()))
                .transpose()
        })
    }

    /// Up to `limit` runs of `connection`, newest first.
    pub fn list_sync_runs(
        &self,
        connection: &str,
        limit: usize,
    ) -> Result<Vec<SyncRun>, StoreError> {
        self.read(|r| {
            let runs = r.table(SYNC_RUNS)?;
            let mut out = Vec::new();
            for entry in runs
                .range((connection, 0u64)..=(connection, u64::MAX))?
                .rev()
                .take(limit)
            {
                let (_, value) = entry?;
                out.push(decode("sync_runs", value.value())?);
            }
            Ok(out)
        })
    }
}
