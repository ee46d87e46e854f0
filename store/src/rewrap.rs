//! Key rotation inside the database: moving every sealed value (and every compiled
//! artifact's MAC) to the current key in one write transaction, and counting what each
//! key id still protects, so an old key is retired only when nothing needs it.

use std::collections::BTreeMap;

use redb::{ReadableDatabase as _, ReadableTable as _};

use crate::crypto::{Cipher, Sealed, aad};
use crate::error::StoreError;
use crate::model::{Flow, Grant, Integration};
use crate::ops::plugins::{open_artifact, seal_artifact};
use crate::store::{META_KEY_CHECK, Store, WriteTx};
use crate::tables::{
    COMPILED, CONNECTIONS, FLOWS, GRANTS, INTEGRATIONS, JsonById, META, PLUGINS, PROVIDER_PLUGINS,
    WEBHOOK_ENDPOINTS, decode, encode, put_json,
};

/// What [`Store::rewrap_secrets`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewrapReport {
    /// The key id everything is now under.
    pub key_id: u32,
    /// Sealed values moved to that key (tokens, client secrets, PKCE verifiers, staged
    /// grants and the key check).
    pub secrets: u64,
    /// Compiled artifacts whose MAC was renewed under that key.
    pub artifacts: u64,
    /// Compiled artifacts dropped because their MAC did not verify (they are compiled
    /// again on next load).
    pub artifacts_dropped: u64,
}

/// How many stored values each key id protects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyUsage {
    /// Sealed values per key id, found by walking every JSON table (so a sealed field
    /// that rotation does not know about is still counted) plus the key check.
    pub secrets: BTreeMap<u32, u64>,
    /// Compiled artifacts per key id of their MAC.
    pub artifacts: BTreeMap<u32, u64>,
    /// Compiled artifacts without a valid MAC (never loaded; dropped on rewrap).
    pub artifacts_invalid: u64,
}

impl KeyUsage {
    /// Values (secrets and artifacts) under a key id other than `current`.
    pub fn stale(&self, current: u32) -> u64 {
        self.secrets
            .iter()
            .chain(&self.artifacts)
            .filter(|(id, _)| **id != current)
            .map(|(_, n)| *n)
            .sum()
    }
}

impl Store {
    /// Re-seals every secret that is not under the current key of the store's ring, and
    /// renews every compiled artifact's MAC, all in ONE write transaction: a crash leaves
    /// either the old state or the new, and each value opens with the ring before and
    /// after. Fails (changing nothing) if a secret does not open.
    pub fn rewrap_secrets(&self) -> Result<RewrapReport, StoreError> {
        self.write(|tx| tx.rewrap_secrets())
    }

    /// Counts what each key id protects (see [`KeyUsage`]).
    pub fn key_usage(&self) -> Result<KeyUsage, StoreError> {
        let txn = self.db().begin_read()?;
        let mut usage = KeyUsage::default();
        for def in [
            GRANTS,
            INTEGRATIONS,
            FLOWS,
            CONNECTIONS,
            PLUGINS,
            PROVIDER_PLUGINS,
            WEBHOOK_ENDPOINTS,
        ] {
            let table = txn.open_table(def.def())?;
            for entry in table.iter()? {
                let (_, value) = entry?;
                let json: serde_json::Value = decode(def.name(), value.value())?;
                count_sealed(&json, &mut usage.secrets);
            }
        }
        let meta = txn.open_table(META)?;
        if let Some(check) = meta.get(META_KEY_CHECK)? {
            let sealed: Sealed = decode("meta", check.value())?;
            *usage.secrets.entry(sealed.key_id()).or_default() += 1;
        }
        let compiled = txn.open_table(COMPILED)?;
        for entry in compiled.iter()? {
            let (key, value) = entry?;
            let (sha, engine) = key.value();
            match open_artifact(self.cipher(), sha, engine, value.value()) {
                Ok((id, _)) => *usage.artifacts.entry(id).or_default() += 1,
                Err(_) => usage.artifacts_invalid += 1,
            }
        }
        Ok(usage)
    }
}

impl WriteTx<'_> {
    /// [`Store::rewrap_secrets`] inside this transaction.
    pub fn rewrap_secrets(&self) -> Result<RewrapReport, StoreError> {
        let cipher = self.cipher;
        let mut report = RewrapReport {
            key_id: cipher.key_id(),
            ..RewrapReport::default()
        };
        for (id, mut grant) in all::<Grant>(self, GRANTS)? {
            let n = reseal_grant(cipher, &mut grant).map_err(|e| context("grant", &id, e))?;
            if n > 0 {
                put_json(self.txn, GRANTS, &id, &grant)?;
                report.secrets += n;
            }
        }
        for (id, mut integration) in all::<Integration>(self, INTEGRATIONS)? {
            let n = reseal(
                cipher,
                &mut integration.client_secret,
                &aad::client_secret(&integration.id),
            )
            .map_err(|e| context("integration", &id, e))?;
            if n > 0 {
                put_json(self.txn, INTEGRATIONS, &id, &integration)?;
                report.secrets += n;
            }
        }
        for (id, mut flow) in all::<Flow>(self, FLOWS)? {
            let n = reseal_flow(cipher, &mut flow).map_err(|e| context("OAuth flow", &id, e))?;
            if n > 0 {
                put_json(self.txn, FLOWS, &id, &flow)?;
                report.secrets += n;
            }
        }
        report.secrets += self.rewrap_webhook_secrets()?;
        report.secrets += self.rewrap_key_check()?;
        let (renewed, dropped) = self.rewrap_artifacts()?;
        report.artifacts = renewed;
        report.artifacts_dropped = dropped;
        Ok(report)
    }

    fn rewrap_key_check(&self) -> Result<u64, StoreError> {
        let mut meta = self.txn.open_table(META)?;
        let Some(bytes) = meta.get(META_KEY_CHECK)?.map(|g| g.value().to_vec()) else {
            return Ok(0);
        };
        let mut sealed: Sealed = decode("meta", &bytes)?;
        let n =
            reseal(self.cipher, &mut sealed, aad::KEY_CHECK).map_err(|_| StoreError::WrongKey)?;
        if n > 0 {
            meta.insert(META_KEY_CHECK, encode(&sealed)?.as_slice())?;
        }
        Ok(n)
    }

    fn rewrap_artifacts(&self) -> Result<(u64, u64), StoreError> {
        let mut compiled = self.txn.open_table(COMPILED)?;
        let mut renew = Vec::new();
        let mut drop = Vec::new();
        for entry in compiled.iter()? {
            let (key, value) = entry?;
            let (sha, engine) = key.value();
            let owned = (sha.to_owned(), engine.to_owned());
            match open_artifact(self.cipher, sha, engine, value.value()) {
                Ok((id, _)) if id == self.cipher.key_id() => {}
                Ok((_, artifact)) => {
                    let stored = seal_artifact(self.cipher, sha, engine, artifact)?;
                    renew.push((owned, stored));
                }
                Err(_) => drop.push(owned),
            }
        }
        for ((sha, engine), stored) in &renew {
            compiled.insert((sha.as_str(), engine.as_str()), stored.as_slice())?;
        }
        for (sha, engine) in &drop {
            compiled.remove((sha.as_str(), engine.as_str()))?;
        }
        Ok((renew.len() as u64, drop.len() as u64))
    }
}

/// Every (key, value) of a JSON table, decoded.
fn all<T: serde::de::DeserializeOwned>(
    tx: &WriteTx<'_>,
    def: JsonById,
) -> Result<Vec<(String, T)>, StoreError> {
    let table = tx.txn.open_table(def.def())?;
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (key, value) = entry?;
        out.push((key.value().to_owned(), decode(def.name(), value.value())?));
    }
    Ok(out)
}

/// Moves one value to the current key; 1 if it changed.
fn reseal(cipher: &Cipher, sealed: &mut Sealed, aad: &[u8]) -> Result<u64, StoreError> {
    match cipher.reseal(sealed, aad)? {
        Some(fresh) => {
            *sealed = fresh;
            Ok(1)
        }
        None => Ok(0),
    }
}

fn reseal_grant(cipher: &Cipher, grant: &mut Grant) -> Result<u64, StoreError> {
    let id = grant.id.clone();
    let mut n = reseal(cipher, &mut grant.access_token, &aad::grant_access(&id))?;
    if let Some(token) = grant.refresh_token.as_mut() {
        n += reseal(cipher, token, &aad::grant_refresh(&id))?;
    }
    if let Some(token) = grant.previous_refresh_token.as_mut() {
        n += reseal(cipher, token, &aad::grant_previous_refresh(&id))?;
    }
    Ok(n)
}

fn reseal_flow(cipher: &Cipher, flow: &mut Flow) -> Result<u64, StoreError> {
    let mut n = 0;
    if let Some(verifier) = flow.pkce_verifier.as_mut() {
        n += reseal(cipher, verifier, &aad::pkce_verifier(&flow.state))?;
    }
    Ok(n)
}

/// Names the row whose secret did not open.
fn context(kind: &str, id: &str, err: StoreError) -> StoreError {
    match err {
        StoreError::Decrypt(why) => StoreError::InvalidInput(format!(
            "cannot rotate: a secret of {kind} {id:?} does not open ({why}); \
             delete or re-create it, then rotate again"
        )),
        other => other,
    }
}

/// Counts every sealed-value-shaped object (`v`, `nonce`, `ct`) in `json` by key id.
fn count_sealed(json: &serde_json::Value, counts: &mut BTreeMap<u32, u64>) {
    match json {
        serde_json::Value::Object(map) => {
            if map.contains_key("v") && map.contains_key("nonce") && map.contains_key("ct") {
                let id = map
                    .get("kid")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|id| u32::try_from(id).ok())
                    .unwrap_or(0);
                *counts.entry(id).or_default() += 1;
            } else {
                map.values().for_each(|v| count_sealed(v, counts));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| count_sealed(v, counts)),
        _ => {}
    }
}
