//! Key rotation with restarts between the steps, files written before key ids existed,
//! compiled-artifact MACs and blob checks.

use std::fs;

use super::grant;
use crate::crypto::aad;
use crate::error::StoreError;
use crate::model::{Flow, FlowKind, Integration};
use crate::{KeyRing, Sealed, SecretKey, Store, sha256_hex};

/// Writes one of each sealed value: a grant (three tokens), an integration's client
/// secret, and a flow with a PKCE verifier.
fn fill(store: &Store) {
    let mut g = grant(store, "g1", "ACCESS-1", "REFRESH-1");
    g.previous_refresh_token = Some(
        store
            .cipher()
            .seal("PREVIOUS-1", &aad::grant_previous_refresh("g1"))
            .unwrap(),
    );
    store.put_grant(&g).unwrap();
    store
        .put_integration(&Integration {
            id: "int-1".into(),
            provider: "acme".into(),
            client_id: "client".into(),
            client_secret: store
                .cipher()
                .seal("CLIENT-SECRET", &aad::client_secret("int-1"))
                .unwrap(),
            scopes: vec![],
            redirect_uri: "http://localhost/oauth/callback".into(),
            created_at: 1,
        })
        .unwrap();
    store
        .put_flow(&Flow {
            state: "st-1".into(),
            connection: "c1".into(),
            kind: FlowKind::Reconnect,
            pkce_verifier: Some(
                store
                    .cipher()
                    .seal("VERIFIER", &aad::pkce_verifier("st-1"))
                    .unwrap(),
            ),
            scopes: vec![],
            created_at: 1,
            expires_at: 10,
        })
        .unwrap();
}

/// Every secret opens with its original text, and each is under `key_id`.
fn check(store: &Store, key_id: u32) {
    let c = store.cipher();
    let opened = |s: &Sealed, aad: Vec<u8>, want: &str| {
        assert_eq!(s.key_id(), key_id, "{want}");
        assert_eq!(c.open(s, &aad).unwrap().expose(), want);
    };
    let g = store.grant("g1").unwrap().unwrap();
    opened(&g.access_token, aad::grant_access("g1"), "ACCESS-1");
    opened(
        g.refresh_token.as_ref().unwrap(),
        aad::grant_refresh("g1"),
        "REFRESH-1",
    );
    opened(
        g.previous_refresh_token.as_ref().unwrap(),
        aad::grant_previous_refresh("g1"),
        "PREVIOUS-1",
    );
    let i = store.integration("int-1").unwrap().unwrap();
    opened(
        &i.client_secret,
        aad::client_secret("int-1"),
        "CLIENT-SECRET",
    );
    let f = store.flow("st-1").unwrap().unwrap();
    opened(
        f.pkce_verifier.as_ref().unwrap(),
        aad::pkce_verifier("st-1"),
        "VERIFIER",
    );
    let usage = store.key_usage().unwrap();
    assert_eq!(usage.stale(key_id), 0, "{usage:?}");
    // 3 grant tokens + client secret + verifier + the key check.
    assert_eq!(usage.secrets.get(&key_id), Some(&6), "{usage:?}");
}

#[test]
fn rotate_restart_retire_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mooring.redb");
    let original = SecretKey::generate();
    let store = Store::open(&path, original.clone()).unwrap();
    fill(&store);
    store.put_compiled("sha", "engine", b"native code").unwrap();
    check(&store, 0);
    drop(store);

    // Rotate: a ring with a new key; reopening with it reads everything (old key id 0),
    // then one transaction moves every secret and artifact MAC to key 1.
    let (ring, new_id) = KeyRing::single(original.clone()).with_new_key().unwrap();
    assert_eq!(new_id, 1);
    let store = Store::open(&path, ring.clone()).unwrap();
    assert_eq!(store.cipher().key_id(), 1);
    let before = store.key_usage().unwrap();
    assert_eq!(before.secrets.get(&0), Some(&6));
    assert_eq!(before.artifacts.get(&0), Some(&1));
    let report = store.rewrap_secrets().unwrap();
    assert_eq!((report.key_id, report.secrets, report.artifacts), (1, 6, 1));
    assert_eq!(store.rewrap_secrets().unwrap().secrets, 0, "idempotent");
    drop(store);

    // Restart with both keys: everything is under key 1, and the artifact still verifies.
    let store = Store::open(&path, ring.clone()).unwrap();
    check(&store, 1);
    assert_eq!(store.key_usage().unwrap().artifacts.get(&1), Some(&1));
    assert_eq!(
        store.compiled("sha", "engine").unwrap().as_deref(),
        Some(&b"native code"[..])
    );
    drop(store);

    // Retire: only the new key. The old key alone no longer opens the database.
    let retired = ring.current_only();
    let store = Store::open(&path, retired.clone()).unwrap();
    check(&store, 1);
    drop(store);
    let err = Store::open(&path, original).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    let store = Store::open(&path, retired).unwrap();
    check(&store, 1);
}

#[test]
fn files_written_before_key_ids_open_as_key_zero_and_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mooring.redb");
    let key = SecretKey::generate();
    // A file in the format written before rotation existed: sealed values without `kid`.
    let store = Store::open(&path, key.clone()).unwrap();
    fill(&store);
    drop(store);
    let bytes = fs::read(&path).unwrap();
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"\"nonce\":\""), "sealed values are in the file");
    assert!(
        !has(b"\"kid\""),
        "key id 0 is written exactly as before (no kid field)"
    );
    // A legacy value as the previous release serialised it decodes as key id 0.
    let legacy: Sealed =
        serde_json::from_str(r#"{"v":1,"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ct":"AAAA"}"#)
            .unwrap();
    assert_eq!(legacy.key_id(), 0);

    // The same file opens with the key alone, and with a ring that holds it as id 0.
    let store = Store::open(&path, key.clone()).unwrap();
    check(&store, 0);
    drop(store);
    let ring = KeyRing::from_text(&format!("0:{}", key.to_hex().as_str())).unwrap();
    let (ring, _) = ring.with_new_key().unwrap();
    let store = Store::open(&path, ring).unwrap();
    check(&store, 0);
    store.rewrap_secrets().unwrap();
    check(&store, 1);
}

#[test]
fn a_ring_without_the_database_key_is_refused() {
    let t = super::test_store();
    drop(t.store);
    let (ring, _) = KeyRing::single(SecretKey::generate())
        .with_new_key()
        .unwrap();
    let err = Store::open(&t.path, ring).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
}

#[test]
fn tampered_artifacts_are_dropped_never_returned() {
    let t = super::test_store();
    let s = &t.store;
    let artifact = b"\x7fELF pretend native code".to_vec();
    s.put_compiled("abc", "eng", &artifact).unwrap();
    assert_eq!(s.compiled("abc", "eng").unwrap(), Some(artifact.clone()));
    let stored = s.compiled_raw_for_tests("abc", "eng").unwrap().unwrap();
    assert!(stored.ends_with(&artifact) && stored.len() == artifact.len() + 40);

    // Flip one byte of the artifact, then of the tag: each is refused and dropped.
    for at in [stored.len() - 1, 10] {
        let mut bad = stored.clone();
        bad[at] ^= 1;
        s.overwrite_compiled_raw_for_tests("abc", "eng", &bad)
            .unwrap();
        assert_eq!(s.key_usage().unwrap().artifacts_invalid, 1);
        assert_eq!(s.compiled("abc", "eng").unwrap(), None, "byte {at}");
        assert_eq!(
            s.compiled_raw_for_tests("abc", "eng").unwrap(),
            None,
            "dropped"
        );
    }
    // A valid artifact moved to another component or engine, or one without a MAC
    // (written by an older release), does not verify either.
    s.overwrite_compiled_raw_for_tests("other", "eng", &stored)
        .unwrap();
    assert_eq!(s.compiled("other", "eng").unwrap(), None);
    s.overwrite_compiled_raw_for_tests("abc", "eng2", &stored)
        .unwrap();
    assert_eq!(s.compiled("abc", "eng2").unwrap(), None);
    s.overwrite_compiled_raw_for_tests("abc", "eng", &artifact)
        .unwrap();
    assert_eq!(s.compiled("abc", "eng").unwrap(), None);
    // A MAC under another key (another database's) does not verify.
    let other = super::test_store();
    other.store.put_compiled("abc", "eng", &artifact).unwrap();
    let foreign = other
        .store
        .compiled_raw_for_tests("abc", "eng")
        .unwrap()
        .unwrap();
    s.overwrite_compiled_raw_for_tests("abc", "eng", &foreign)
        .unwrap();
    assert_eq!(s.compiled("abc", "eng").unwrap(), None);
}

#[test]
fn tampered_blobs_are_refused() {
    let t = super::test_store();
    let s = &t.store;
    let sha = s.put_plugin_blob(b"component bytes").unwrap();
    assert_eq!(sha, sha256_hex(b"component bytes"));
    assert_eq!(
        s.plugin_blob(&sha).unwrap().as_deref(),
        Some(&b"component bytes"[..])
    );
    s.overwrite_plugin_blob_raw_for_tests(&sha, b"component bytez")
        .unwrap();
    let err = s.plugin_blob(&sha).unwrap_err();
    assert!(matches!(err, StoreError::BlobTampered { .. }), "{err:?}");
    assert!(err.to_string().contains(&sha), "{err}");
}

#[cfg(unix)]
#[test]
fn database_file_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = super::test_store();
    drop(t.store);
    assert_eq!(crate::private_files::mode_of(&t.path), Some(0o600));
    fs::set_permissions(&t.path, fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap()).unwrap();
    assert_eq!(
        crate::private_files::mode_of(&t.path),
        Some(0o600),
        "fixed on open"
    );
}
