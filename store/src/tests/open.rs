//! Opening: creation, reopening, wrong key, bad files, schema mismatch, secrets at rest.

use std::fs;

use super::{grant, test_store};
use crate::crypto::aad;
use crate::error::StoreError;
use crate::model::{IncomingRecord, Integration};
use crate::{SCHEMA_VERSION, SecretKey, Store};

#[test]
fn store_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<Store>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<StoreError>();
}

#[test]
fn reopen_with_same_key_keeps_data() {
    let t = test_store();
    t.store.set_cursor("c1", "accounts", "cur-1").unwrap();
    let clone = t.store.clone();
    drop(t.store);
    drop(clone);
    let store = Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap()).unwrap();
    assert_eq!(
        store.cursor("c1", "accounts").unwrap().as_deref(),
        Some("cur-1")
    );
    // Every table exists after open, so reads of empty tables succeed.
    assert!(store.list_connections().unwrap().is_empty());
    assert!(store.list_plugins().unwrap().is_empty());
    assert!(store.events_after(0, 10).unwrap().is_empty());
}

#[test]
fn wrong_key_is_refused() {
    let t = test_store();
    drop(t.store);
    let err = Store::open(&t.path, SecretKey::generate()).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("MOORING_ENCRYPTION_KEY") && msg.contains("MOORING_KEY_FILE"),
        "{msg}"
    );
    // The right key still works afterwards.
    Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap()).unwrap();
}

#[test]
fn garbage_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("short.redb", b"hello".to_vec()),
        ("text.redb", b"this is not a database\n".repeat(500)),
        ("zeros.redb", vec![0u8; 8192]),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let err = Store::open(&path, SecretKey::generate()).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotADatabase { .. } | StoreError::Open { .. }
            ),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
}

#[test]
fn foreign_redb_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("something");
        txn.open_table(def).unwrap().insert("a", 1).unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path, SecretKey::generate()).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn second_open_in_process_is_typed() {
    let t = test_store();
    let err = Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err:?}");
}

#[test]
fn schema_mismatch_is_refused() {
    let t = test_store();
    t.store
        .set_schema_version_for_tests(SCHEMA_VERSION + 1)
        .unwrap();
    drop(t.store);
    let err = Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap()).unwrap_err();
    match err {
        StoreError::IncompatibleSchema { found, expected } => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(expected, SCHEMA_VERSION);
        }
        other => panic!("expected IncompatibleSchema, got {other:?}"),
    }
    let msg = Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains(&format!("schema version {}", SCHEMA_VERSION + 1))
            && msg.contains(&format!("expected {SCHEMA_VERSION}")),
        "{msg}"
    );
}

#[test]
fn secrets_are_not_in_the_file_in_plaintext() {
    let t = test_store();
    let access = "ACCESS-TOKEN-recognisable-4f1d2e";
    let refresh = "REFRESH-TOKEN-recognisable-9a8b7c";
    let client_secret = "CLIENT-SECRET-recognisable-5e6f";
    t.store
        .put_grant(&grant(&t.store, "g1", access, refresh))
        .unwrap();
    let integration = Integration {
        id: "int-1".into(),
        provider: "xero".into(),
        client_id: "client-id-visible".into(),
        client_secret: t
            .store
            .cipher()
            .seal(client_secret, &aad::client_secret("int-1"))
            .unwrap(),
        scopes: vec![],
        redirect_uri: "http://localhost/oauth/callback".into(),
        created_at: 1,
    };
    t.store.put_integration(&integration).unwrap();
    drop(t.store);

    let bytes = fs::read(&t.path).unwrap();
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains("client-id-visible"),
        "sanity: plaintext fields are found"
    );
    for secret in [access, refresh, client_secret] {
        assert!(!contains(secret), "{secret} found in the database file");
    }

    // And they decrypt after reopening with the same key.
    let store = Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap()).unwrap();
    let g = store.grant("g1").unwrap().unwrap();
    let opened = store
        .cipher()
        .open(&g.access_token, &aad::grant_access("g1"))
        .unwrap();
    assert_eq!(opened.expose(), access);
    // Copied to another row, a ciphertext no longer opens.
    let moved = store
        .cipher()
        .open(&g.access_token, &aad::grant_access("g2"));
    assert!(matches!(moved, Err(StoreError::Decrypt(_))));
    let as_refresh = store
        .cipher()
        .open(&g.access_token, &aad::grant_refresh("g1"));
    assert!(matches!(as_refresh, Err(StoreError::Decrypt(_))));
}

#[test]
fn corrupted_database_is_a_typed_error_or_still_readable() {
    let t = test_store();
    let page: Vec<_> = (0..2000)
        .map(|i| IncomingRecord {
            id: format!("r{i}"),
            data: format!("{{\"i\":{i}}}"),
            deleted: false,
        })
        .collect();
    t.store.commit_page("c1", "acc", &page, None).unwrap();
    drop(t.store);
    let original = fs::read(&t.path).unwrap();
    let mut refused = 0;
    // Damage the start of every page in turn (and a few header fields).
    let offsets = [16usize, 64]
        .into_iter()
        .chain((0..original.len()).step_by(4096));
    for offset in offsets {
        let mut bytes = original.clone();
        for b in bytes.iter_mut().skip(offset).take(16) {
            *b ^= 0x5A;
        }
        fs::write(&t.path, &bytes).unwrap();
        let result = Store::open(&t.path, SecretKey::from_text(&t.key_hex).unwrap())
            .and_then(|store| store.records_after("c1", "acc", 0, 5000));
        match result {
            // Damage in unused space: everything still reads.
            Ok((records, _)) => assert_eq!(records.len(), 2000, "offset {offset}"),
            Err(err) => {
                assert!(
                    matches!(
                        err,
                        StoreError::NotADatabase { .. } | StoreError::Panicked(_)
                    ),
                    "offset {offset}: {err:?}"
                );
                refused += 1;
            }
        }
    }
    assert!(refused >= 2, "damaged pages must be refused");
}
