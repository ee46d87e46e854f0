//! Sync runs: one row per sync of a stream, for the history a person reads.
//!
//! A run is open (`finished_at` is `None`, status `running`) while it syncs and closed
//! exactly once. A closed run is final: [`WriteTx::update_sync_run`] refuses to change
//! it, so a page that commits after its run was closed (by a shutdown that ran out of
//! time) is abandoned with its transaction instead of reopening the run.

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::model::{RunStatus, SyncRun};
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{SYNC_RUNS, Tables as _, decode, encode, next_counter};

/// Counter name of sync run ids.
const SYNC_RUN_ID: &str = "sync_run_id";

/// Decodes a stored run, repairing the status of rows written before it existed.
fn decode_run(bytes: &[u8]) -> Result<SyncRun, StoreError> {
    decode::<SyncRun>("sync_runs", bytes).map(SyncRun::normalise_legacy)
}

/// The error text of a run that a crash or a shutdown cut off.
fn interrupted_reason(run: &SyncRun, why: &str) -> String {
    let reached = match run.last_page_at {
        Some(at) => format!("{} pages committed, the last at {at} ms", run.pages),
        None => "no page committed".to_owned(),
    };
    format!("interrupted: {why} ({reached}); the next run resumes from the last committed cursor")
}

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

    /// Replaces an existing open run (matched by `connection` and `id`). Fails with
    /// [`StoreError::NotFound`] when there is none and [`StoreError::InvalidInput`] when
    /// the stored run is already closed.
    pub fn update_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        let mut runs = self.txn.open_table(SYNC_RUNS)?;
        let key = (run.connection.as_str(), run.id);
        let closed = match runs.get(key)? {
            None => return Err(StoreError::not_found("sync run", run.id.to_string())),
            Some(stored) => decode_run(stored.value())?.finished_at.is_some(),
        };
        if closed {
            return Err(StoreError::InvalidInput(format!(
                "sync run {} is already closed",
                run.id
            )));
        }
        runs.insert(key, encode(run)?.as_slice())?;
        Ok(())
    }

    /// Closes every open run as [`RunStatus::Interrupted`] at `now`, saying `why` and
    /// how far each got; returns the runs it closed.
    pub fn close_open_sync_runs(&self, now: u64, why: &str) -> Result<Vec<SyncRun>, StoreError> {
        let mut runs = self.txn.open_table(SYNC_RUNS)?;
        let mut open = Vec::new();
        for entry in runs.iter()? {
            let (_, value) = entry?;
            let run = decode_run(value.value())?;
            if run.finished_at.is_none() {
                open.push(run);
            }
        }
        for run in &mut open {
            run.finished_at = Some(now);
            run.status = RunStatus::Interrupted;
            run.error = Some(interrupted_reason(run, why));
            runs.insert((run.connection.as_str(), run.id), encode(&*run)?.as_slice())?;
        }
        Ok(open)
    }
}

impl Store {
    /// Appends a run and returns its id (see [`WriteTx::append_sync_run`]).
    pub fn append_sync_run(&self, run: &SyncRun) -> Result<u64, StoreError> {
        self.write(|tx| tx.append_sync_run(run))
    }

    /// Replaces an existing open run (see [`WriteTx::update_sync_run`]).
    pub fn update_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        self.write(|tx| tx.update_sync_run(run))
    }

    /// Closes every open run as interrupted (see [`WriteTx::close_open_sync_runs`]).
    pub fn close_open_sync_runs(&self, now: u64, why: &str) -> Result<Vec<SyncRun>, StoreError> {
        self.write(|tx| tx.close_open_sync_runs(now, why))
    }

    /// The run `id` of `connection`.
    pub fn sync_run(&self, connection: &str, id: u64) -> Result<Option<SyncRun>, StoreError> {
        self.read(|r| {
            let runs = r.table(SYNC_RUNS)?;
            runs.get((connection, id))?
                .map(|g| decode_run(g.value()))
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
                out.push(decode_run(value.value())?);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{RunStatus, SyncRun};
    use crate::tests::test_store;

    fn open_run(connection: &str) -> SyncRun {
        SyncRun {
            id: 0,
            connection: connection.into(),
            stream: "invoices".into(),
            started_at: 10,
            finished_at: None,
            pages: 0,
            added: 0,
            updated: 0,
            deleted: 0,
            plugin_version: "1.0.0".into(),
            error: None,
            status: RunStatus::Running,
            last_page_at: None,
            retries: 0,
        }
    }

    #[test]
    fn open_runs_are_closed_as_interrupted_with_the_page_they_reached() {
        let t = test_store();
        let s = &t.store;
        let a = s.append_sync_run(&open_run("c1")).unwrap();
        let mut progressed = s.sync_run("c1", a).unwrap().unwrap();
        progressed.pages = 3;
        progressed.last_page_at = Some(25);
        s.update_sync_run(&progressed).unwrap();
        let b = s.append_sync_run(&open_run("c2")).unwrap();
        let mut done = s.sync_run("c2", b).unwrap().unwrap();
        done.finished_at = Some(30);
        done.status = RunStatus::Succeeded;
        s.update_sync_run(&done).unwrap();

        let closed = s.close_open_sync_runs(99, "the host stopped").unwrap();
        assert_eq!(closed.len(), 1);
        let run = s.sync_run("c1", a).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Interrupted);
        assert_eq!(run.finished_at, Some(99));
        assert_eq!(run.pages, 3);
        let error = run.error.unwrap();
        assert!(
            error.contains("3 pages committed, the last at 25 ms"),
            "{error}"
        );
        assert_eq!(s.sync_run("c2", b).unwrap().unwrap(), done);
        assert!(s.close_open_sync_runs(100, "again").unwrap().is_empty());
    }

    #[test]
    fn a_closed_run_is_final() {
        let t = test_store();
        let s = &t.store;
        let id = s.append_sync_run(&open_run("c1")).unwrap();
        s.close_open_sync_runs(50, "shutdown").unwrap();
        let mut late = open_run("c1");
        late.id = id;
        late.pages = 7;
        assert!(s.update_sync_run(&late).is_err());
        assert_eq!(s.sync_run("c1", id).unwrap().unwrap().pages, 0);
    }

    #[test]
    fn runs_written_before_status_existed_read_with_their_outcome() {
        let legacy = br#"{"id":1,"connection":"c","stream":"s","started_at":1,"finished_at":2,"pages":1,"added":1,"updated":0,"deleted":0,"plugin_version":"1.0.0","error":"boom"}"#;
        let run = super::decode_run(legacy).unwrap();
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.retries, 0);
        let open = br#"{"id":1,"connection":"c","stream":"s","started_at":1,"finished_at":null,"pages":1,"added":1,"updated":0,"deleted":0,"plugin_version":"1.0.0","error":null}"#;
        assert_eq!(super::decode_run(open).unwrap().status, RunStatus::Running);
    }
}
