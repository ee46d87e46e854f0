//! Plugin components (content-addressed, checked against their sha256 on every read),
//! the active version per provider, and the compiled-artifact cache (each artifact
//! authenticated by a MAC under a key derived from the encryption key).

use redb::ReadableTable as _;
use sha2::{Digest as _, Sha256};

use crate::crypto::{Cipher, TAG_LEN};
use crate::error::StoreError;
use crate::model::{Event, PluginRecord, ProviderPlugins};
use crate::store::Store;
use crate::tables::{
    ACTIVE_PLUGINS, COMPILED, PLUGIN_BLOBS, PLUGINS, PROVIDER_PLUGINS, Tables as _, get_json,
    list_json, put_json, successor,
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

    /// The component bytes stored under `sha256`. Bytes that do not hash to `sha256`
    /// (an altered database) are refused with [`StoreError::BlobTampered`].
    pub fn plugin_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let bytes = self.read(|r| {
            let blobs = r.table(PLUGIN_BLOBS)?;
            Ok(blobs.get(sha256)?.map(|g| g.value().to_vec()))
        })?;
        match bytes {
            Some(bytes) if !sha256.eq_ignore_ascii_case(&sha256_hex(&bytes)) => {
                tracing::error!(
                    sha256,
                    "a stored plugin component does not match its sha256; refused"
                );
                Err(StoreError::BlobTampered {
                    sha256: sha256.to_owned(),
                })
            }
            other => Ok(other),
        }
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

    /// The operator's decisions about `provider`'s versions, if any were recorded.
    pub fn provider_plugins(&self, provider: &str) -> Result<Option<ProviderPlugins>, StoreError> {
        self.read(|r| get_json(r, PROVIDER_PLUGINS, provider))
    }

    /// Every provider's recorded decisions, ordered by provider id.
    pub fn list_provider_plugins(&self) -> Result<Vec<ProviderPlugins>, StoreError> {
        self.read(|r| list_json(r, PROVIDER_PLUGINS))
    }

    /// Changes `provider`'s decisions in one write transaction: `change` edits the
    /// current record (a fresh one when none exists, seeded with the active pointer),
    /// every component it names must be a stored version of `provider`, the active
    /// pointer is written from it, and `event` (if any) is appended with it.
    pub fn update_provider_plugins<T>(
        &self,
        provider: &str,
        at: u64,
        event: Option<&Event>,
        change: impl FnOnce(&mut ProviderPlugins) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write(|tx| {
            let mut record: ProviderPlugins = match get_json(tx.txn, PROVIDER_PLUGINS, provider)? {
                Some(record) => record,
                None => ProviderPlugins {
                    provider: provider.to_owned(),
                    active: tx
                        .txn
                        .open_table(ACTIVE_PLUGINS)?
                        .get(provider)?
                        .map(|g| g.value().to_string()),
                    ..ProviderPlugins::default()
                },
            };
            let out = change(&mut record)?;
            record.provider = provider.to_owned();
            record.updated_at = at;
            let named = record
                .active
                .iter()
                .chain(record.history.iter())
                .chain(record.canary.iter().map(|c| &c.sha256));
            for sha in named {
                let version: PluginRecord = get_json(tx.txn, PLUGINS, sha)?
                    .ok_or_else(|| StoreError::not_found("plugin", sha))?;
                if version.id != provider {
                    return Err(StoreError::InvalidInput(format!(
                        "plugin {sha} is provider {:?}, not {provider:?}",
                        version.id
                    )));
                }
            }
            put_json(tx.txn, PROVIDER_PLUGINS, provider, &record)?;
            let mut active = tx.txn.open_table(ACTIVE_PLUGINS)?;
            match &record.active {
                Some(sha) => {
                    active.insert(provider, sha.as_str())?;
                }
                None => {
                    active.remove(provider)?;
                }
            }
            drop(active);
            if let Some(event) = event {
                tx.append_event(event)?;
            }
            Ok(out)
        })
    }

    /// Caches the compiled artifact of component `sha256` for an engine whose
    /// compatibility hash is `engine_hash`, with a MAC under the current key.
    pub fn put_compiled(
        &self,
        sha256: &str,
        engine_hash: &str,
        artifact: &[u8],
    ) -> Result<(), StoreError> {
        let stored = seal_artifact(self.cipher(), sha256, engine_hash, artifact)?;
        self.write(|tx| {
            tx.txn
                .open_table(COMPILED)?
                .insert((sha256, engine_hash), stored.as_slice())?;
            Ok(())
        })
    }

    /// The cached compiled artifact of `sha256` for `engine_hash`, if any, only when its
    /// MAC verifies: an artifact that was altered (or written without a MAC, or under a
    /// key the ring no longer holds) is removed and reported as absent, so the caller
    /// compiles the component again and never deserialises the altered bytes.
    pub fn compiled(&self, sha256: &str, engine_hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let stored = self.read(|r| {
            let compiled = r.table(COMPILED)?;
            Ok(compiled
                .get((sha256, engine_hash))?
                .map(|g| g.value().to_vec()))
        })?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        match open_artifact(self.cipher(), sha256, engine_hash, &stored) {
            Ok((_, artifact)) => Ok(Some(artifact.to_vec())),
            Err(why) => {
                tracing::warn!(
                    sha256,
                    why,
                    "dropping a cached compiled plugin that failed its integrity check"
                );
                self.write(|tx| {
                    tx.txn.open_table(COMPILED)?.remove((sha256, engine_hash))?;
                    Ok(())
                })?;
                Ok(None)
            }
        }
    }

    /// Test hook: the stored bytes of a cached artifact (MAC header included).
    #[doc(hidden)]
    pub fn compiled_raw_for_tests(
        &self,
        sha256: &str,
        engine_hash: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|r| {
            let compiled = r.table(COMPILED)?;
            Ok(compiled
                .get((sha256, engine_hash))?
                .map(|g| g.value().to_vec()))
        })
    }

    /// Test hook: overwrites the stored bytes of a cached artifact as they are (no MAC
    /// is computed), to simulate an altered database.
    #[doc(hidden)]
    pub fn overwrite_compiled_raw_for_tests(
        &self,
        sha256: &str,
        engine_hash: &str,
        stored: &[u8],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.txn
                .open_table(COMPILED)?
                .insert((sha256, engine_hash), stored)?;
            Ok(())
        })
    }

    /// Test hook: overwrites the bytes stored under `sha256` as they are, to simulate an
    /// altered database.
    #[doc(hidden)]
    pub fn overwrite_plugin_blob_raw_for_tests(
        &self,
        sha256: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.txn.open_table(PLUGIN_BLOBS)?.insert(sha256, bytes)?;
            Ok(())
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

/// First bytes of a stored artifact: format 1 of the MAC'd layout
/// `magic | key id (u32 LE) | HMAC-SHA256 tag | artifact`.
const ARTIFACT_MAGIC: &[u8; 4] = b"MCA1";
/// Length of the header before the artifact.
const ARTIFACT_HEADER: usize = 4 + 4 + TAG_LEN;

/// The MAC input: a label, then each field length-prefixed, so no two (sha256, engine,
/// key id, artifact) tuples share an input.
fn artifact_tag(
    cipher: &Cipher,
    key_id: u32,
    sha256: &str,
    engine_hash: &str,
    artifact: &[u8],
) -> Option<[u8; TAG_LEN]> {
    let sha_len = (sha256.len() as u64).to_le_bytes();
    let engine_len = (engine_hash.len() as u64).to_le_bytes();
    cipher.artifact_mac(
        key_id,
        &[
            b"mooring compiled artifact v1\0",
            &key_id.to_le_bytes(),
            &sha_len,
            sha256.as_bytes(),
            &engine_len,
            engine_hash.as_bytes(),
            artifact,
        ],
    )
}

/// `artifact` with its MAC header, under the cipher's current key.
pub(crate) fn seal_artifact(
    cipher: &Cipher,
    sha256: &str,
    engine_hash: &str,
    artifact: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let key_id = cipher.key_id();
    let tag = artifact_tag(cipher, key_id, sha256, engine_hash, artifact).ok_or(
        StoreError::Decrypt("the current key is missing from the key ring"),
    )?;
    let mut stored = Vec::with_capacity(ARTIFACT_HEADER + artifact.len());
    stored.extend_from_slice(ARTIFACT_MAGIC);
    stored.extend_from_slice(&key_id.to_le_bytes());
    stored.extend_from_slice(&tag);
    stored.extend_from_slice(artifact);
    Ok(stored)
}

/// The key id and artifact of a stored value whose MAC verifies, or why it does not.
pub(crate) fn open_artifact<'a>(
    cipher: &Cipher,
    sha256: &str,
    engine_hash: &str,
    stored: &'a [u8],
) -> Result<(u32, &'a [u8]), &'static str> {
    if stored.len() < ARTIFACT_HEADER || &stored[..4] != ARTIFACT_MAGIC {
        return Err("no MAC header");
    }
    let mut id = [0u8; 4];
    id.copy_from_slice(&stored[4..8]);
    let key_id = u32::from_le_bytes(id);
    let (tag, artifact) = stored[8..].split_at(TAG_LEN);
    let expected = artifact_tag(cipher, key_id, sha256, engine_hash, artifact)
        .ok_or("MAC key not in the key ring")?;
    if !crate::crypto::constant_time_eq(&expected, tag) {
        return Err("MAC mismatch");
    }
    Ok((key_id, artifact))
}
