//! `mooring-store`: Mooring's redb database, the only code that opens its tables.
//!
//! - [`Store`] opens (and creates) the database, checks its schema version and that the
//!   encryption key is the one it was created with, and offers typed operations on
//!   plugins, integrations, connections, grants, OAuth flows, plugin state, cursors,
//!   records, sync runs and events. [`Store::write`] composes several of them in one
//!   transaction through [`WriteTx`].
//! - [`crypto`] seals secrets at rest (XChaCha20-Poly1305, bound to their row by
//!   associated data, each value naming the id of its key in the [`KeyRing`]) and finds
//!   or creates the keys; [`Store::rewrap_secrets`] moves every secret to the current key.
//! - [`private_files`] keeps the data directory 0700 and its files 0600.
//! - [`model`] holds the record types. Times are `u64` milliseconds since the Unix epoch
//!   supplied by the caller; the store never reads the clock.
//!
//! Every call is synchronous and writes wait for `fsync`: from async code run them in
//! `tokio::task::spawn_blocking` or on a dedicated thread.

#![warn(missing_docs)]

mod commits;
pub mod crypto;
mod error;
mod event_kind;
mod migrate;
mod migrate_v3;
pub mod model;
mod ops;
pub mod private_files;
mod record_rows;
mod rewrap;
pub mod rotation;
mod store;
mod tables;
mod webhook_model;

#[cfg(test)]
mod tests;

pub use commits::PERSIST_INTERVAL;
pub use crypto::{
    Cipher, KeyOrigin, KeyRing, KeySource, Sealed, Secret, SecretKey, load_key_ring,
    load_or_create_key, write_key_ring,
};
pub use error::StoreError;
pub use event_kind::{Cause, EventKind, RunReport};
pub use model::*;
pub use ops::plugins::sha256_hex;
pub use ops::records::{RecordChange, record_hash};
pub use rewrap::{KeyUsage, RewrapReport};
pub use store::{DEFAULT_DB_FILE, SCHEMA_VERSION, SpaceStats, Store, WriteTx};
pub use webhook_model::*;
