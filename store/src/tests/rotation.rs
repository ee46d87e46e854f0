//! `mooring keys rotate` / `retire` on a data directory, with the database closed and
//! reopened (a host restart) between the steps.

use std::fs;
use std::path::Path;

use crate::crypto::aad;
use crate::error::StoreError;
use crate::rotation::{retire, rotate, status};
use crate::{KeySource, Store, load_or_create_key};

fn source(data: &Path) -> KeySource<'_> {
    KeySource {
        env_key: None,
        key_file: None,
        data_dir: data,
        allow_shared_key_file: false,
    }
}

/// A "host run": open with whatever the key file holds, check the grant, maybe write.
fn host_run(data: &Path, db: &Path) -> Store {
    let (ring, _) = load_or_create_key(None, None, data).unwrap();
    let store = Store::open(db, ring).unwrap();
    let g = store.grant("g1").unwrap().unwrap();
    let access = store
        .cipher()
        .open(&g.access_token, &aad::grant_access("g1"))
        .unwrap();
    assert_eq!(access.expose(), "ACCESS");
    store
}

#[test]
fn rotate_then_retire_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("mooring.redb");
    // First run: creates the key file and writes a grant under key 0.
    {
        let (ring, _) = load_or_create_key(None, None, &data).unwrap();
        let store = Store::open(&db, ring).unwrap();
        store
            .put_grant(&super::grant(&store, "g1", "ACCESS", "REFRESH"))
            .unwrap();
    }
    let key_file = data.join("mooring.key");
    let original = fs::read_to_string(&key_file).unwrap();

    // While a host holds the database, rotation refuses and changes nothing.
    let running = host_run(&data, &db);
    let err = rotate(&db, &source(&data)).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err:?}");
    assert_eq!(fs::read_to_string(&key_file).unwrap(), original);
    drop(running);

    let rotated = rotate(&db, &source(&data)).unwrap();
    assert_eq!((rotated.key_id, rotated.key_ids.clone()), (1, vec![0, 1]));
    assert_eq!(
        rotated.report.secrets, 3,
        "access, refresh and the key check"
    );
    assert_eq!(crate::private_files::mode_of(&key_file), Some(0o600));
    assert!(fs::read_to_string(&key_file).unwrap().contains("\n1:"));

    // Restart: the host reads the ring and seals new values under key 1.
    {
        let store = host_run(&data, &db);
        assert_eq!(store.cipher().key_id(), 1);
        let g = store.grant("g1").unwrap().unwrap();
        assert_eq!(g.access_token.key_id(), 1);
        let st = status(&db, &source(&data));
        assert!(matches!(st, Err(StoreError::AlreadyOpen { .. })));
    }
    let st = status(&db, &source(&data)).unwrap();
    assert_eq!(
        (st.key_ids, st.key_id, st.usage.stale(1)),
        (vec![0, 1], 1, 0)
    );

    let retired = retire(&db, &source(&data)).unwrap();
    assert_eq!((retired.retired.clone(), retired.key_id), (vec![0], 1));
    let text = fs::read_to_string(&key_file).unwrap();
    assert!(
        !text.contains("0:") && text.contains("1:"),
        "only key 1 is left"
    );
    assert!(
        !text.contains(original.trim()),
        "the old key is gone from the file"
    );

    // Restart after retiring: everything opens with key 1 alone.
    drop(host_run(&data, &db));
    let err = retire(&db, &source(&data)).unwrap_err();
    assert!(err.to_string().contains("nothing to retire"), "{err}");
    // The old key alone no longer opens the database.
    let old = crate::KeyRing::from_text(&original).unwrap();
    assert!(matches!(Store::open(&db, old), Err(StoreError::WrongKey)));
}

#[test]
fn environment_keys_and_missing_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("mooring.redb");
    let err = rotate(&db, &source(&data)).unwrap_err();
    assert!(err.to_string().contains("no database"), "{err}");
    assert!(!data.join("mooring.key").exists(), "no key is created");

    let key = crate::SecretKey::generate().to_hex();
    fs::create_dir_all(&data).unwrap();
    drop(Store::open(&db, crate::SecretKey::from_text(&key).unwrap()).unwrap());
    let err = rotate(&db, &source(&data)).unwrap_err();
    assert!(err.to_string().contains("no key"), "{err}");
    assert!(!data.join("mooring.key").exists(), "no key is created");

    let env = KeySource {
        env_key: Some(key.as_str()),
        ..source(&data)
    };
    let err = rotate(&db, &env).unwrap_err();
    assert!(err.to_string().contains("MOORING_KEY_FILE"), "{err}");
    assert!(!err.to_string().contains(key.as_str()));
    assert_eq!(status(&db, &env).unwrap().key_ids, vec![0]);
}
