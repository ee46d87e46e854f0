//! Migration of a file written by the schema-2 store (rows keyed by stream and seq):
//! `fixtures/schema2.redb` was made by the schema-2 build (commit e634198) from
//! `schema1.redb` (migrated on open) and then written through its public API: stream
//! `c2/journals` of 240 records in three pages of 80 (a dictionary trained by
//! `commit_page`) interleaved with pages of `c2/accounts`, then an update, a tombstone
//! keeping the last data, one with a payload and one never seen; `c4/accounts` written
//! and purged; an update and a new record in `c1/accounts`; then `Database::compact`.
//! `schema2.expected.json` holds what that store answered: `record` for a sample of ids
//! (and ids it does not have), each feed (seqs 1-12 and above 235), a page of two after
//! seq 2, cursors and stream counters. Opening it with this build must migrate it and
//! answer exactly the same.

use std::path::Path;

use serde_json::{Value, json};

use super::migrate::table_names;
use crate::model::IncomingRecord;
use crate::{SCHEMA_VERSION, SecretKey, Store};

const FIXTURE: &[u8] = include_bytes!("fixtures/schema2.redb");
const EXPECTED: &str = include_str!("fixtures/schema2.expected.json");
/// The key the fixture was written with.
const FIXTURE_KEY: [u8; 32] = [7; 32];

fn s(v: &Value, i: usize) -> &str {
    v[i].as_str().unwrap()
}

fn assert_answers_as_recorded(store: &Store) {
    let expected: Value = serde_json::from_str(EXPECTED).unwrap();
    let records = expected["records"].as_array().unwrap();
    assert!(records.len() > 20, "the fixture's answers are missing");
    for entry in records {
        let got = store.record(s(entry, 0), s(entry, 1), s(entry, 2)).unwrap();
        assert_eq!(json!(got), entry[3], "record {entry}");
    }
    for pair in expected["changes"].as_array().unwrap().chunks(2) {
        let (c, st) = (s(&pair[0], 0), s(&pair[0], 1));
        let all: Vec<_> = store
            .records_after(c, st, 0, 10_000)
            .unwrap()
            .0
            .into_iter()
            .filter(|(seq, _, _)| *seq <= 12 || *seq > 235)
            .collect();
        assert_eq!(json!(all), pair[0][2], "feed of {c}/{st}");
        let page = store.records_after(c, st, 2, 2).unwrap();
        assert_eq!(json!(page), pair[1][2], "page of {c}/{st}");
    }
    for entry in expected["cursors"].as_array().unwrap() {
        let got = store.cursor(s(entry, 0), s(entry, 1)).unwrap();
        assert_eq!(json!(got), entry[2], "cursor {entry}");
    }
    for entry in expected["streams"].as_array().unwrap() {
        let c = s(entry, 0);
        assert_eq!(json!(store.streams(c).unwrap()), entry[1], "streams of {c}");
    }
}

fn open_fixture(dir: &Path) -> Store {
    let path = dir.join("mooring.redb");
    std::fs::write(&path, FIXTURE).unwrap();
    Store::open(&path, SecretKey::from_bytes(FIXTURE_KEY)).unwrap()
}

fn rec(id: &str, data: &str, deleted: bool) -> IncomingRecord {
    IncomingRecord {
        id: id.into(),
        data: data.into(),
        deleted,
    }
}

#[test]
fn schema2_fixture_migrates_and_answers_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fixture(dir.path());
    let names = table_names(&store);
    for gone in ["record_rows", "record_ids"] {
        assert!(!names.iter().any(|n| n == gone), "{gone} left in {names:?}");
    }
    for new in ["record_bodies", "record_feed", "record_keys"] {
        assert!(names.iter().any(|n| n == new), "{new} missing in {names:?}");
    }
    assert_answers_as_recorded(&store);
    // Every bound, live connection is in the tenant index the migration built.
    let connections = store.list_connections().unwrap();
    assert!(connections.iter().any(|c| c.tenant.is_some()));
    for c in connections {
        let holders = match &c.tenant {
            Some(tenant) => store.tenant_holders(&c.integration, &tenant.id).unwrap(),
            None => continue,
        };
        let live = c.state != crate::ConnectionState::Deleted;
        assert_eq!(holders.contains(&c.id), live, "{} in {holders:?}", c.id);
    }

    drop(store);
    let path = dir.path().join("mooring.redb");
    let store = Store::open(&path, SecretKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(super::migrate::schema_version(&store), SCHEMA_VERSION);
    assert_answers_as_recorded(&store);

    // Writing goes on: an unchanged record stays, a changed one moves to the end of the
    // feed with the next seq, a purged stream's seq is not reused.
    let before = store.stream_stats("c2", "journals").unwrap();
    let same = store.record("c2", "journals", "j0100").unwrap().unwrap();
    let stats = store
        .commit_page(
            "c2",
            "journals",
            &[
                rec("j0100", &same.data, false),
                rec("j0101", r#"{"changed":true}"#, false),
            ],
            None,
        )
        .unwrap();
    assert_eq!((stats.unchanged, stats.updated), (1, 1));
    let (tail, _) = store
        .records_after("c2", "journals", before.last_seq, 10)
        .unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].0, before.last_seq + 1);
    assert_eq!(tail[0].1, "j0101");
    assert_eq!(tail[0].2.data, r#"{"changed":true}"#);
    let after = store.stream_stats("c2", "journals").unwrap();
    assert_eq!(
        (after.live, after.tombstones),
        (before.live, before.tombstones)
    );
    let purged = store.stream_stats("c4", "accounts").unwrap().last_seq;
    store
        .commit_page("c4", "accounts", &[rec("y", "{}", false)], None)
        .unwrap();
    assert_eq!(
        store.record("c4", "accounts", "y").unwrap().unwrap().seq,
        purged + 1
    );
}
