//! Opening the database: schema version, key check, and the transaction helpers every
//! operation goes through.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{
    Database, ReadTransaction, ReadableDatabase as _, ReadableTable as _, WriteTransaction,
};

use crate::commits::{Committer, Persister};
use crate::crypto::{Cipher, KeyRing, Sealed, aad};
use crate::error::StoreError;
use crate::tables::{self, META, decode, encode};

/// File name of the database inside the data directory (`<data dir>/mooring.redb`).
pub const DEFAULT_DB_FILE: &str = "mooring.redb";

/// The schema version this build reads and writes. Files of an older version are
/// migrated when opened (see `migrate.rs`): 2 stores records as compressed binary rows,
/// 3 keys them by rising body numbers.
pub const SCHEMA_VERSION: u32 = 3;

/// redb's page cache (its default is 1 GiB, which a host with 10,000 connections
/// filled: 423 MB of its RSS after a simulated day). Pages beyond it are read back
/// through the OS page cache; a sync's working set (the tails of the record trees and
/// the B-tree branches it walks) fits many times over.
pub const CACHE_BYTES: usize = 64 << 20;

/// The oldest schema version this build migrates from.
const OLDEST_MIGRATED: u32 = 1;

/// Meta key of the schema version (4 bytes, little endian).
const META_SCHEMA_VERSION: &str = "schema_version";
/// Meta key of the key-check value (a JSON [`Sealed`]).
pub(crate) const META_KEY_CHECK: &str = "key_check";
/// What the key-check value decrypts to.
const KEY_CHECK_PLAINTEXT: &str = "mooring key check v1";

/// Mooring's database: every table, behind typed operations.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`. Every method is synchronous and
/// a write waits for its `fsync` (except [`Store::write_relaxed`]): from async code, call it inside
/// `tokio::task::spawn_blocking` (or a dedicated thread).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    committer: Arc<Committer>,
    _persister: Persister,
    cipher: Cipher,
    path: PathBuf,
}

/// Page usage of the database file (see [`Store::space`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceStats {
    /// Height of the tallest table's B-tree.
    pub tree_height: u32,
    /// Pages in use.
    pub allocated_pages: u64,
    /// Leaf pages of every table.
    pub leaf_pages: u64,
    /// Branch pages of every table.
    pub branch_pages: u64,
    /// Bytes of keys and values stored.
    pub stored_bytes: u64,
    /// Bytes of page headers and other bookkeeping.
    pub metadata_bytes: u64,
    /// Bytes allocated but holding nothing (partly filled pages).
    pub fragmented_bytes: u64,
    /// Page size in bytes.
    pub page_size: usize,
}

/// One write transaction, for composing several operations atomically
/// (see [`Store::write`]).
pub struct WriteTx<'t> {
    pub(crate) txn: &'t WriteTransaction,
    pub(crate) cipher: &'t Cipher,
}

impl WriteTx<'_> {
    /// The cipher of the store, to seal secrets inside the transaction.
    pub fn cipher(&self) -> &Cipher {
        self.cipher
    }
}

impl Store {
    /// Opens the database at `path`, creating the file and every table if needed, and
    /// restricting the file to its owner (mode 0600 on Unix).
    ///
    /// `keys` is one [`SecretKey`](crate::SecretKey) (key id 0) or a [`KeyRing`]. A new
    /// database records [`SCHEMA_VERSION`] and a key-check value sealed with the current
    /// key. An existing one must have the same or an older schema version
    /// ([`StoreError::IncompatibleSchema`]) and its key-check value must open with the
    /// ring's key of the same id ([`StoreError::WrongKey`]); an older one is then
    /// migrated in the same transaction and compacted. A file that is not a Mooring
    /// database gives [`StoreError::NotADatabase`]; one already open gives
    /// [`StoreError::AlreadyOpen`].
    pub fn open(path: &Path, keys: impl Into<KeyRing>) -> Result<Store, StoreError> {
        let keys = keys.into();
        let cipher = Cipher::from_ring(&keys);
        drop(keys);
        let not_a_database = |detail: String| StoreError::NotADatabase {
            path: path.to_path_buf(),
            detail,
        };
        let db = contain_panic(
            || {
                let mut db = Database::builder()
                    .set_cache_size(CACHE_BYTES)
                    .create(path)
                    .map_err(|e| open_error(path, e))?;
                crate::private_files::restrict_file(path);
                if initialise(&db, &cipher, path)? {
                    compact_after_migration(&mut db, path);
                }
                Ok(db)
            },
            not_a_database,
        )?;
        let committer = Arc::new(Committer::new(db)?);
        Ok(Store {
            inner: Arc::new(Inner {
                _persister: Persister::start(committer.clone()),
                committer,
                cipher,
                path: path.to_path_buf(),
            }),
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How the file's pages are used, by redb's own accounting (one short write
    /// transaction, aborted): what a disk figure is made of.
    pub fn space(&self) -> Result<SpaceStats, StoreError> {
        let txn = self.db().begin_write()?;
        let stats = txn.stats()?;
        txn.abort()?;
        Ok(SpaceStats {
            tree_height: stats.tree_height(),
            allocated_pages: stats.allocated_pages(),
            leaf_pages: stats.leaf_pages(),
            branch_pages: stats.branch_pages(),
            stored_bytes: stats.stored_bytes(),
            metadata_bytes: stats.metadata_bytes(),
            fragmented_bytes: stats.fragmented_bytes(),
            page_size: stats.page_size(),
        })
    }

    /// The cipher for sealing and opening secrets with this store's key.
    pub fn cipher(&self) -> &Cipher {
        &self.inner.cipher
    }

    /// Runs `f` in one write transaction, committed only if `f` returns `Ok`, and
    /// durable when this returns.
    ///
    /// redb allows one writer at a time: do not call other `Store` methods from inside
    /// `f` (a nested write would wait for this one forever); use the [`WriteTx`] methods.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&WriteTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.commit(false, f)
    }

    /// [`Store::write`] for a page of a sync: made durable within
    /// [`PERSIST_INTERVAL`](crate::PERSIST_INTERVAL) (by the next durable write, the
    /// store's persister thread, [`Store::persist`] or closing the store). A crash may
    /// roll back such writes of the last interval, all of each or nothing; the records
    /// readers ([`Store::records_after`], [`Store::record`], the counts) see them only
    /// once they are durable.
    pub fn write_relaxed<T>(
        &self,
        f: impl FnOnce(&WriteTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.commit(true, f)
    }

    /// Makes every [`Store::write_relaxed`] so far durable now; `false` when each
    /// already was.
    pub fn persist(&self) -> Result<bool, StoreError> {
        contain_panic(|| self.inner.committer.persist(), StoreError::Panicked)
    }

    fn commit<T>(
        &self,
        relaxed: bool,
        f: impl FnOnce(&WriteTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        contain_panic(
            || {
                self.inner.committer.commit(relaxed, |txn| {
                    f(&WriteTx {
                        txn,
                        cipher: &self.inner.cipher,
                    })
                })
            },
            StoreError::Panicked,
        )
    }

    /// The raw database, for modules that work across tables (key rotation).
    pub(crate) fn db(&self) -> &Database {
        self.inner.committer.db()
    }

    /// Runs `f` on a consistent read snapshot.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        contain_panic(
            || {
                let txn = self.db().begin_read()?;
                f(&txn)
            },
            StoreError::Panicked,
        )
    }

    /// Runs `f` on the snapshot of the last durable commit (what a crash would keep):
    /// the records readers, so that nothing they hand out is ever rolled back.
    pub(crate) fn read_durable<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        contain_panic(
            || f(&self.inner.committer.durable_snapshot()),
            StoreError::Panicked,
        )
    }

    /// Test hook: relaxed writes stay deferred for `interval` instead of
    /// [`PERSIST_INTERVAL`](crate::PERSIST_INTERVAL).
    #[cfg(test)]
    pub(crate) fn set_persist_interval_for_tests(&self, interval: std::time::Duration) {
        self.inner.committer.set_interval(interval);
    }

    /// Test hook: overwrite the recorded schema version.
    #[cfg(test)]
    pub(crate) fn set_schema_version_for_tests(&self, version: u32) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.txn
                .open_table(META)?
                .insert(META_SCHEMA_VERSION, version.to_le_bytes().as_slice())?;
            Ok(())
        })
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// Runs `f`, turning a panic into an error. redb panics on some damaged pages (always in
/// debug builds, on a few in release builds) instead of returning `Corrupted`; a damaged
/// file must give the caller an error, not take the process down.
fn contain_panic<T>(
    f: impl FnOnce() -> Result<T, StoreError>,
    on_panic: impl FnOnce(String) -> StoreError,
) -> Result<T, StoreError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(on_panic(message.to_string()))
        }
    }
}

fn open_error(path: &Path, err: redb::DatabaseError) -> StoreError {
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen {
            path: path.to_path_buf(),
        },
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail,
            }
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: io.to_string(),
            }
        }
        redb::DatabaseError::UpgradeRequired(version) => StoreError::NotADatabase {
            path: path.to_path_buf(),
            detail: format!("redb file format {version} is not supported by this build"),
        },
        source => StoreError::Open {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Gives the space the old tables held back to the file system after a migration. A
/// failure leaves a valid, merely larger, file: it is logged, not returned.
fn compact_after_migration(db: &mut Database, path: &Path) {
    let before = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match db.compact() {
        Ok(_) => tracing::info!(
            path = %path.display(),
            before,
            after = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            "compacted the database after its schema migration"
        ),
        Err(error) => tracing::warn!(
            path = %path.display(),
            %error,
            "compacting the database after its schema migration failed; it stays larger"
        ),
    }
}

/// Checks or records the schema version and key check, migrates an older schema, and
/// creates every table, all in one write transaction (nothing is written when a check
/// fails). Returns whether a migration ran.
fn initialise(db: &Database, cipher: &Cipher, path: &Path) -> Result<bool, StoreError> {
    let txn = db.begin_write()?;
    let existing = txn.list_tables()?.count();
    let mut migrated = false;
    let (version, key_check) = {
        let meta = txn.open_table(META)?;
        let version = meta.get(META_SCHEMA_VERSION)?.map(|g| g.value().to_vec());
        let check = meta.get(META_KEY_CHECK)?.map(|g| g.value().to_vec());
        (version, check)
    };
    match version {
        None if existing > 0 => {
            return Err(StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: "a redb file without Mooring's metadata".into(),
            });
        }
        None => {
            let sealed = cipher.seal(KEY_CHECK_PLAINTEXT, aad::KEY_CHECK)?;
            let mut meta = txn.open_table(META)?;
            meta.insert(META_SCHEMA_VERSION, SCHEMA_VERSION.to_le_bytes().as_slice())?;
            meta.insert(META_KEY_CHECK, encode(&sealed)?.as_slice())?;
        }
        Some(bytes) => {
            let found = <[u8; 4]>::try_from(bytes.as_slice())
                .map(u32::from_le_bytes)
                .map_err(|_| StoreError::corrupt("meta", "schema version is not 4 bytes"))?;
            if !(OLDEST_MIGRATED..=SCHEMA_VERSION).contains(&found) {
                return Err(StoreError::IncompatibleSchema {
                    found,
                    expected: SCHEMA_VERSION,
                });
            }
            let bytes = key_check.ok_or_else(|| StoreError::corrupt("meta", "no key check"))?;
            let sealed: Sealed = decode("meta", &bytes)?;
            match cipher.open(&sealed, aad::KEY_CHECK) {
                Ok(text) if text.expose() == KEY_CHECK_PLAINTEXT => {}
                _ => return Err(StoreError::WrongKey),
            }
            if found < SCHEMA_VERSION {
                crate::migrate::upgrade(&txn, found)?;
                txn.open_table(META)?
                    .insert(META_SCHEMA_VERSION, SCHEMA_VERSION.to_le_bytes().as_slice())?;
                migrated = true;
            }
        }
    }
    tables::create_all(&txn)?;
    txn.commit()?;
    Ok(migrated)
}
