//! `mooring keys`: rotating and retiring the keys of a stopped host's data directory.
//!
//! The key ring lives in the key file (`MOORING_KEY_FILE`, or `<data dir>/mooring.key`),
//! one `<id>:<key>` line per key; see [`KeyRing`]. Keys given in
//! `MOORING_ENCRYPTION_KEY` can be read but not rotated: move them into a key file.
//!
//! - [`rotate`] adds a key (the new current one), writes the ring file, then moves every
//!   secret and compiled-artifact MAC to it in ONE write transaction. Old keys stay in
//!   the ring, so a crash at any point leaves a database that opens.
//! - [`retire`] first moves anything still under an old key to the current one (one
//!   transaction), refuses if any sealed value is still under an old key, checks the
//!   database opens with the current key alone, and only then rewrites the ring file
//!   with the current key only.
//!
//! Both need the database to themselves: with the host running they fail with
//! [`StoreError::AlreadyOpen`].

use std::path::{Path, PathBuf};

use crate::crypto::{DEFAULT_KEY_FILE, KeyRing, KeySource, load_key_ring, write_key_ring};
use crate::error::StoreError;
use crate::rewrap::{KeyUsage, RewrapReport};
use crate::store::Store;

/// What [`rotate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The key file that now holds the ring.
    pub key_file: PathBuf,
    /// The new current key id.
    pub key_id: u32,
    /// Every key id in the ring now.
    pub key_ids: Vec<u32>,
    /// What moved to the new key.
    pub report: RewrapReport,
}

/// What [`retire`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    /// The key file that now holds only the current key.
    pub key_file: PathBuf,
    /// The key ids removed from the ring.
    pub retired: Vec<u32>,
    /// The key id kept.
    pub key_id: u32,
    /// What was still under an old key and moved first.
    pub report: RewrapReport,
}

/// The ring and what each key protects, for `mooring keys status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    /// The key file, when the keys came from one.
    pub key_file: Option<PathBuf>,
    /// Every key id in the ring.
    pub key_ids: Vec<u32>,
    /// The current key id.
    pub key_id: u32,
    /// Stored values per key id.
    pub usage: KeyUsage,
}

/// Adds a key to the ring and moves every secret to it (see the module documentation).
pub fn rotate(db_path: &Path, source: &KeySource<'_>) -> Result<Rotated, StoreError> {
    let (ring, key_file) = ring_from_file(db_path, source)?;
    let (grown, key_id) = ring.with_new_key()?;
    // Open first: it proves the ring opens the database and that no host holds it,
    // before anything is written.
    let store = Store::open(db_path, grown.clone())?;
    write_key_ring(&key_file, &grown)?;
    let report = store.rewrap_secrets().map_err(|e| {
        StoreError::Rotation(format!(
            "key {key_id} was added to {} but the secrets were not moved to it ({e}); \
             the database still opens with the ring: fix the cause and run \
             `mooring keys rotate` (or `retire`) again",
            key_file.display()
        ))
    })?;
    Ok(Rotated {
        key_file,
        key_id,
        key_ids: grown.ids(),
        report,
    })
}

/// Removes every key but the current one from the ring, after moving anything still
/// sealed under an old key (see the module documentation).
pub fn retire(db_path: &Path, source: &KeySource<'_>) -> Result<Retired, StoreError> {
    let (ring, key_file) = ring_from_file(db_path, source)?;
    let key_id = ring.current_id();
    let retired: Vec<u32> = ring.ids().into_iter().filter(|id| *id != key_id).collect();
    if retired.is_empty() {
        return Err(StoreError::Rotation(format!(
            "{} holds only key {key_id}: nothing to retire",
            key_file.display()
        )));
    }
    let store = Store::open(db_path, ring.clone())?;
    let report = store.rewrap_secrets()?;
    let usage = store.key_usage()?;
    let stale = usage.stale(key_id);
    if stale > 0 {
        return Err(StoreError::Rotation(format!(
            "{stale} stored values are still under old keys ({:?}); the old keys are kept",
            usage.secrets
        )));
    }
    drop(store);
    let current = ring.current_only();
    // Prove the current key alone opens the database before the old keys are dropped.
    drop(Store::open(db_path, current.clone())?);
    write_key_ring(&key_file, &current)?;
    Ok(Retired {
        key_file,
        retired,
        key_id,
        report,
    })
}

/// The ring and what each key protects. Opens the database (so the host must be
/// stopped) and writes nothing but what opening writes.
pub fn status(db_path: &Path, source: &KeySource<'_>) -> Result<KeyStatus, StoreError> {
    require_database(db_path)?;
    require_key(source)?;
    let (ring, origin) = load_key_ring(source)?;
    let store = Store::open(db_path, ring.clone())?;
    Ok(KeyStatus {
        key_file: origin.file().map(Path::to_path_buf),
        key_ids: ring.ids(),
        key_id: ring.current_id(),
        usage: store.key_usage()?,
    })
}

/// The ring and the file it must be written back to; never creates a key.
fn ring_from_file(
    db_path: &Path,
    source: &KeySource<'_>,
) -> Result<(KeyRing, PathBuf), StoreError> {
    require_database(db_path)?;
    require_key(source)?;
    let (ring, origin) = load_key_ring(source)?;
    let Some(file) = origin.file() else {
        return Err(StoreError::Rotation(
            "the keys come from MOORING_ENCRYPTION_KEY, which Mooring cannot rewrite: put \
             the key into a file readable only by you (chmod 600), set MOORING_KEY_FILE to \
             it, unset MOORING_ENCRYPTION_KEY, and run this again"
                .into(),
        ));
    };
    Ok((ring, file.to_path_buf()))
}

fn require_database(db_path: &Path) -> Result<(), StoreError> {
    if db_path.exists() {
        Ok(())
    } else {
        Err(StoreError::Rotation(format!(
            "no database at {}: check MOORING_DATA_DIR",
            db_path.display()
        )))
    }
}

/// Refuses to go on when no key is configured and the default key file is missing
/// (loading would create a new key, which cannot open the existing database).
fn require_key(source: &KeySource<'_>) -> Result<(), StoreError> {
    let env = source.env_key.is_some_and(|t| !t.trim().is_empty());
    let default = source.data_dir.join(DEFAULT_KEY_FILE);
    if env || source.key_file.is_some() || default.exists() {
        Ok(())
    } else {
        Err(StoreError::Rotation(format!(
            "no key: set MOORING_KEY_FILE or MOORING_ENCRYPTION_KEY ({} does not exist)",
            default.display()
        )))
    }
}
