//! When commits reach the disk, and what readers of records see.
//!
//! Every write is durable (its `fsync` done when the commit returns) except the pages of
//! a sync ([`Store::write_relaxed`](crate::Store::write_relaxed)): those are made durable
//! at most [`PERSIST_INTERVAL`] later, by the next durable commit or by a persister
//! thread. A one-page commit spent more time in `fsync` and in writing pages out than in
//! everything else (the 100k-line organisation: 5.4 ms per journals page durable, 1.8 ms
//! deferred). A crash loses at most that interval of pages, together with the cursor
//! that points past them, so the next run fetches them again.
//!
//! Records readers (the feed, a record, the counts) read the snapshot of the last
//! durable commit, never a deferred one: a sequence number a consumer has seen is
//! never handed out again after a crash.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, ReadTransaction, ReadableDatabase as _, WriteTransaction};

use crate::error::StoreError;

/// The longest a relaxed commit stays in memory only (and out of the records readers'
/// sight) before it is made durable.
pub const PERSIST_INTERVAL: Duration = Duration::from_millis(500);

/// The database with its commit bookkeeping; shared with the persister thread.
pub(crate) struct Committer {
    db: Database,
    state: Mutex<CommitState>,
    wake: Condvar,
    durable: RwLock<Arc<ReadTransaction>>,
}

struct CommitState {
    /// When the last durable commit (or persist attempt) ended.
    last_durable: Instant,
    /// A relaxed commit has not been made durable yet.
    pending: bool,
    /// The store is closing: the persister thread ends.
    stop: bool,
    /// [`PERSIST_INTERVAL`], or another in tests.
    interval: Duration,
}

impl Committer {
    /// Takes over `db` (already initialised): its current state is durable.
    pub(crate) fn new(db: Database) -> Result<Committer, StoreError> {
        let snapshot = db.begin_read()?;
        Ok(Committer {
            db,
            state: Mutex::new(CommitState {
                last_durable: Instant::now(),
                pending: false,
                stop: false,
                interval: PERSIST_INTERVAL,
            }),
            wake: Condvar::new(),
            durable: RwLock::new(Arc::new(snapshot)),
        })
    }

    /// The database.
    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    fn state(&self) -> MutexGuard<'_, CommitState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The snapshot of the last durable commit.
    pub(crate) fn durable_snapshot(&self) -> Arc<ReadTransaction> {
        self.durable
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Test hook: relaxed commits stay deferred for `interval` instead.
    #[cfg(test)]
    pub(crate) fn set_interval(&self, interval: Duration) {
        self.state().interval = interval;
        self.wake.notify_all();
    }

    /// Runs `f` in one write transaction, committed only if it returns `Ok`. Durable,
    /// unless `relaxed` and the last durable commit is younger than [`PERSIST_INTERVAL`].
    pub(crate) fn commit<T>(
        &self,
        relaxed: bool,
        f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // Held until the snapshot is taken: a commit between a durable commit and its
        // snapshot would leak into it.
        let mut state = self.state();
        let mut txn = self.db.begin_write()?;
        let deferred = relaxed
            && state.last_durable.elapsed() < state.interval
            && txn.set_durability(redb::Durability::None).is_ok();
        let value = match f(&txn) {
            Ok(value) => value,
            Err(err) => {
                if let Err(abort) = txn.abort() {
                    tracing::warn!(error = %abort, "aborting a failed write transaction failed");
                }
                return Err(err);
            }
        };
        txn.commit()?;
        if deferred {
            state.pending = true;
            self.wake.notify_one();
        } else {
            self.became_durable(&mut state)?;
        }
        Ok(value)
    }

    /// Makes every relaxed commit durable (an empty durable commit); `false` when there
    /// was none.
    pub(crate) fn persist(&self) -> Result<bool, StoreError> {
        let mut state = self.state();
        if !state.pending {
            return Ok(false);
        }
        let result = self
            .db
            .begin_write()
            .map_err(StoreError::from)
            .and_then(|txn| txn.commit().map_err(StoreError::from))
            .and_then(|()| self.became_durable(&mut state));
        // Retried an interval later, not in a loop.
        state.last_durable = Instant::now();
        result.map(|()| true)
    }

    fn became_durable(&self, state: &mut CommitState) -> Result<(), StoreError> {
        state.last_durable = Instant::now();
        state.pending = false;
        let snapshot = Arc::new(self.db.begin_read()?);
        *self.durable.write().unwrap_or_else(PoisonError::into_inner) = snapshot;
        Ok(())
    }
}

/// The thread that makes relaxed commits durable [`PERSIST_INTERVAL`] after the last
/// durable commit. It sleeps while nothing is pending; dropping it stops and joins it.
pub(crate) struct Persister {
    committer: Arc<Committer>,
    thread: Option<JoinHandle<()>>,
}

impl Persister {
    /// Starts the thread for `committer`. Without a thread (the system refused one),
    /// relaxed commits become durable with the next durable commit or at close.
    pub(crate) fn start(committer: Arc<Committer>) -> Persister {
        let shared = committer.clone();
        let thread = std::thread::Builder::new()
            .name("mooring-persist".into())
            .spawn(move || persist_loop(&shared))
            .map_err(|error| tracing::warn!(%error, "no persister thread; relaxed commits wait for the next durable one"))
            .ok();
        Persister { committer, thread }
    }
}

impl Drop for Persister {
    fn drop(&mut self) {
        self.committer.state().stop = true;
        self.committer.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn persist_loop(committer: &Committer) {
    let mut state = committer.state();
    loop {
        if state.stop {
            return;
        }
        if !state.pending {
            state = committer
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        let due = state.last_durable + state.interval;
        if let Some(left) = due.checked_duration_since(Instant::now())
            && !left.is_zero()
        {
            state = committer
                .wake
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            continue;
        }
        drop(state);
        if let Err(error) = committer.persist() {
            tracing::warn!(%error, "making the last sync pages durable failed; retrying");
        }
        state = committer.state();
    }
}
