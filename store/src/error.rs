//! The one error type of the store.

use std::path::PathBuf;

use crate::model::ConnectionState;

/// Everything that can go wrong in the store.
///
/// Messages are written for the operator reading a log line: they say what failed and,
/// where there is one, what to do about it. No variant ever carries secret material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The key does not decrypt this database's key-check value.
    #[error(
        "the encryption key does not match the one this database was created with: \
         check MOORING_ENCRYPTION_KEY / MOORING_KEY_FILE (or the key file in the data directory)"
    )]
    WrongKey,

    /// Key text that is neither 64 hex characters nor base64 of 32 bytes.
    #[error("invalid encryption key: {0}")]
    InvalidKey(String),

    /// An explicitly configured key file that does not exist.
    #[error(
        "key file {} does not exist: check MOORING_KEY_FILE, or unset it to use the \
         default key file in the data directory",
        path.display()
    )]
    KeyFileMissing {
        /// The configured path.
        path: PathBuf,
    },

    /// A key file that group or others can read, refused unless the operator allowed it.
    #[error(
        "key file {} is readable by other users (mode {mode:o}): restrict it with \
         `chmod 600 {}`, or set MOORING_ALLOW_SHARED_KEY_FILE=true to accept it",
        path.display(),
        path.display()
    )]
    KeyFileShared {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// A plugin component whose bytes no longer match the sha256 it is stored under: the
    /// database was altered. It is never loaded.
    #[error(
        "plugin component {sha256} does not match its sha256: the database was altered; \
         upload the component again"
    )]
    BlobTampered {
        /// The sha256 it is stored under.
        sha256: String,
    },

    /// `mooring keys rotate` or `retire` cannot go on; the message says why and what to do.
    #[error("key rotation: {0}")]
    Rotation(String),

    /// Reading or creating a key file (or its directory) failed.
    #[error("key file {}: {source}", path.display())]
    KeyFile {
        /// The key file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A sealed secret failed to decrypt: wrong key, or the ciphertext was altered or
    /// copied from another row (its associated data no longer matches).
    #[error(
        "cannot decrypt a stored secret ({0}): it was altered, moved, or sealed with another key"
    )]
    Decrypt(&'static str),

    /// The database file was written with another schema version of Mooring.
    #[error(
        "database schema version {found} is not supported by this build (expected {expected}): \
         use the Mooring release that created it, or start with a fresh data directory"
    )]
    IncompatibleSchema {
        /// Version recorded in the file.
        found: u32,
        /// Version this build reads and writes.
        expected: u32,
    },

    /// The file is not a redb database, is corrupt, or is a redb file of something else.
    #[error("{} is not a usable Mooring database: {detail}", path.display())]
    NotADatabase {
        /// The database path.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },

    /// Another process (or another `Store` in this process) has the file open.
    #[error("database {} is already open by another Mooring process", path.display())]
    AlreadyOpen {
        /// The database path.
        path: PathBuf,
    },

    /// Opening the database failed for another reason (permissions, I/O, file format).
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        /// The database path.
        path: PathBuf,
        /// The error from redb.
        source: redb::DatabaseError,
    },

    /// A stored value could not be decoded.
    #[error("corrupt value in table {table}: {detail}")]
    Corrupt {
        /// The table holding the value.
        table: &'static str,
        /// What was wrong with it.
        detail: String,
    },

    /// A value could not be encoded for storage.
    #[error("cannot encode a value for storage: {0}")]
    Encode(#[source] serde_json::Error),

    /// zstd could not set up or compress a record body (out of memory, in practice).
    #[error("cannot compress a record for storage: {0}")]
    Compression(String),

    /// An operation referred to a row that does not exist.
    #[error("{kind} {id:?} not found")]
    NotFound {
        /// What kind of row (`connection`, `plugin`, ...).
        kind: &'static str,
        /// Its key.
        id: String,
    },

    /// A connection is not in the state an operation requires.
    #[error("connection {id:?} is {state}, which does not allow this")]
    WrongState {
        /// The connection id.
        id: String,
        /// Its current state.
        state: ConnectionState,
    },

    /// Input the store refuses (empty ids, mismatched plugin ids, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A storage operation panicked (redb does so on some damaged pages); the panic was
    /// contained and the transaction abandoned.
    #[error(
        "a storage operation failed unexpectedly ({0}); the database file may be damaged: \
         restore it from a backup"
    )]
    Panicked(String),

    /// Any other failure reported by redb (I/O, full disk, ...).
    #[error("storage error: {0}")]
    Db(#[source] redb::Error),
}

macro_rules! from_redb {
    ($($t:ty),+) => {$(
        impl From<$t> for StoreError {
            fn from(err: $t) -> Self {
                StoreError::Db(redb::Error::from(err))
            }
        }
    )+};
}

from_redb!(
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError
);

impl StoreError {
    /// Shorthand for [`StoreError::NotFound`].
    pub(crate) fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            kind,
            id: id.into(),
        }
    }

    /// Shorthand for [`StoreError::Corrupt`].
    pub(crate) fn corrupt(table: &'static str, detail: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            table,
            detail: detail.to_string(),
        }
    }
}
