//! Tests of the store against real redb files in temporary directories.

mod commits;
mod entities;
mod keys;
mod migrate;
mod migrate_v2;
mod open;
mod plugin_lifecycle;
mod records;
mod retention;
mod rotation;

use std::path::PathBuf;

use crate::crypto::aad;
use crate::model::{Connection, ConnectionState, Grant, TenantRef};
use crate::{SecretKey, Store};

/// A store in a fresh temporary directory (kept alive by the returned guard).
pub(crate) struct TestStore {
    pub store: Store,
    pub path: PathBuf,
    pub key_hex: String,
    _dir: tempfile::TempDir,
}

pub(crate) fn test_store() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mooring.redb");
    let key = SecretKey::generate();
    let key_hex = key.to_hex().to_string();
    let store = Store::open(&path, key).unwrap();
    TestStore {
        store,
        path,
        key_hex,
        _dir: dir,
    }
}

pub(crate) fn connection(id: &str, state: ConnectionState) -> Connection {
    Connection {
        id: id.into(),
        integration: "int-1".into(),
        label: Some("Books".into()),
        state,
        reason: None,
        tenant: Some(TenantRef {
            id: "tenant-1".into(),
            name: "USA Inc".into(),
            metadata: vec![("connection_id".into(), "abc".into())],
        }),
        tenant_choices: vec![],
        scopes: vec!["accounting.read".into()],
        pinned_version: None,
        grant: Some("g1".into()),
        created_at: 1_000,
        updated_at: 1_000,
        last_sync_at: None,
    }
}

pub(crate) fn grant(store: &Store, id: &str, access: &str, refresh: &str) -> Grant {
    let cipher = store.cipher();
    Grant {
        id: id.into(),
        integration: "int-1".into(),
        access_token: cipher.seal(access, &aad::grant_access(id)).unwrap(),
        refresh_token: Some(cipher.seal(refresh, &aad::grant_refresh(id)).unwrap()),
        previous_refresh_token: None,
        previous_rotated_at: None,
        access_expires_at: Some(1_800_000),
        refresh_expires_at: Some(5_184_000_000),
        refresh_hard_expires_at: None,
        last_refreshed_at: Some(1_000),
        last_used_at: None,
        scopes: vec!["offline_access".into()],
        extra: vec![("token_type".into(), "Bearer".into())],
    }
}
