//! Plugin components (content-addressed), the active version per provider, and the
//! compiled-artifact cache.

use redb::ReadableTable as _;
use sha2::{Digest as _, Sha256};

use crate::error::StoreError;
use crate::model::PluginRecord;
use crate::store::Store;
use crate::tables::{
    ACTIVE_PLUGINS, COMPILED, PLUGIN_BLOBS, PLUGINS, Tables as _, get_json, list_json, put_json,
    successor,
};

/// Lowercase hex SHA-256 of `bytes`: the address of a plugin component.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Stores component bytes under their SHA-256 and returns it. Storing the same
    /// bytes again changes nothing.
    pub fn put_plugin_blob(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let sha = sha256_hex(bytes);
        self.write(|tx| {
            let mut blobs = tx.txn.open_table(PLUGIN_BLOBS)?;
            if blobs.get(sha.as_str())?.is_none() {
                blobs.insert(sha.as_str(), bytes)?;
            }
            Ok(())
        })?;
        Ok(sha)
    }

    /// The component bytes stored under `sha256`.
    pub fn plugin_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|r| {
            let blobs = r.table(PLUGIN_BLOBS)?;
            Ok(blobs.get(sha256)?.map(|g| g.value().to_vec()))
        })
    }

    /// Records what a stored component is (from its manifest). Its blob must be stored.
    pub fn put_plugin(&self, record: &PluginRecord) -> Result<(), StoreError> {
        self.write(|tx| {
            if tx
                .txn
                .open_table(PLUGIN_BLOBS)?
                .get(record.sha256.as_str())?
                .is_none()
            {
                return Err(StoreError::not_found("plugin blob", &record.sha256));
            }
            put_json(tx.txn, PLUGINS, &record.sha256, record)
        })
    }

    /// The record of the component with this SHA-256.
    pub fn plugin(&self, sha256: &str) -> Result<Option<PluginRecord>, StoreError> {
        self.read(|r| get_json(r, PLUGINS, sha256))
    }

    /// Every plugin record, ordered by SHA-256.
    pub fn list_plugins(&self) -> Result<Vec<PluginRecord>, StoreError> {
        self.read(|r| list_json(r, PLUGINS))
    }

    /// Makes `sha256` the active component of provider `id` and returns the previously
    /// active SHA-256 (for rollback). The component's record must exist and be for `id`.
    pub fn set_active_plugin(&self, id: &str, sha256: &str) -> Result<Option<String>, StoreError> {
        self.write(|tx| {
            let record: PluginRecord = get_json(tx.txn, PLUGINS, sha256)?
                .ok_or_else(|| StoreError::not_found("plugin", sha256))?;
            if record.id != id {
                return Err(StoreError::InvalidInput(format!(
                    "plugin {sha256} is provider {:?}, not {id:?}",
                    record.id
                )));
            }
            let mut active = tx.txn.open_table(ACTIVE_PLUGINS)?;
            let previous = active.insert(id, sha256)?.map(|g| g.value().to_string());
            Ok(previous)
        })
    }

    /// The active component's SHA-256 for provider `id`.
    pub fn active_plugin(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.read(|r| {
            let active = r.table(ACTIVE_PLUGINS)?;
            Ok(active.get(id)?.map(|g| g.value().to_string()))
        })
    }

    /// Every (provider id, active SHA-256) pair, ordered by provider id.
    pub fn active_plugins(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|r| {
            let active = r.table(ACTIVE_PLUGINS)?;
            let mut out = Vec::new();
            for entry in active.iter()? {
                let (k, v) = entry?;
                out.push((k.value().to_string(), v.value().to_string()));
            }
            Ok(out)
        })
    }

    /// Caches the compiled artifact of component `sha256` for an engine whose
    /// compatibility hash is `engine_hash`.
    pub fn put_compiled(
        &self,
        sha256: &str,
        engine_hash: &str,
        artifact: &[u8],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.txn
                .open_table(COMPILED)?
                .insert((sha256, engine_hash), artifact)?;
            Ok(())
        })
    }

    /// The cached compiled artifact of `sha256` for `engine_hash`, if any. Only
    /// artifacts this host produced are stored, so they are safe to deserialize.
    pub fn compiled(&self, sha256: &str, engine_hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|r| {
            let compiled = r.table(COMPILED)?;
            Ok(compiled
                .get((sha256, engine_hash))?
                .map(|g| g.value().to_vec()))
        })
    }

    /// Removes every cached artifact built for another engine hash; returns how many.
    pub fn prune_compiled_except(&self, engine_hash: &str) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut compiled = tx.txn.open_table(COMPILED)?;
            let mut removed = 0u64;
            compiled.retain(|(_, hash), _| {
                let keep = hash == engine_hash;
                if !keep {
                    removed += 1;
                }
                keep
            })?;
            Ok(removed)
        })
    }

    /// Removes every cached artifact of component `sha256`; returns how many.
    pub fn remove_compiled(&self, sha256: &str) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut compiled = tx.txn.open_table(COMPILED)?;
            let upper = successor(sha256);
            let mut removed = 0u64;
            compiled.retain_in((sha256, "")..(upper.as_str(), ""), |_, _| {
                removed += 1;
                false
            })?;
            Ok(removed)
        })
    }
}
