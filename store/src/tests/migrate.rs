//! Migration of files written by older versions: `fixtures/schema1.redb` was written by
//! the schema-1 store (records as JSON, before compression; commit aa5e817) through its
//! public API: a connection; streams `c1/accounts` and `c1/invoices` with updates, a
//! tombstone keeping the last data, one with a payload, one of a record never seen and a
//! resurrection; `c10/accounts` and a cursor-only `c10/journals`; `c3/accounts` purged
//! (counters kept); then `Database::compact` to keep the file small.
//! `schema1.expected.json` holds what that store answered for it (`record`,
//! `records_after`, `cursor`, `streams`). Opening it with this build must migrate it and
//! answer exactly the same.

use std::path::Path;

use redb::{
    ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _, TableHandle as _,
};
use serde_json::{Value, json};

use super::records::journal;
use super::test_store;
use crate::model::{IncomingRecord, StoredRecord};
use crate::record_rows::{Row, StreamRow};
use crate::tables::{
    META, RECORD_BODIES, RECORD_DICTS, RECORD_STREAMS, Tables as _, V1_RECORD_CHANGES, V1_RECORDS,
    V1_STREAM_STATS,
};
use crate::{SCHEMA_VERSION, SecretKey, Store, record_hash};

const FIXTURE: &[u8] = include_bytes!("fixtures/schema1.redb");
const EXPECTED: &str = include_str!("fixtures/schema1.expected.json");
/// The key the fixture was written with.
const FIXTURE_KEY: [u8; 32] = [7; 32];

pub(super) fn schema_version(store: &Store) -> u32 {
    store
        .read(|r| {
            let meta = r.open_table(META)?;
            let bytes = meta.get("schema_version")?.map(|g| g.value().to_vec());
            Ok(bytes)
        })
        .unwrap()
        .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
        .map(u32::from_le_bytes)
        .unwrap()
}

pub(super) fn table_names(store: &Store) -> Vec<String> {
    let txn = store.db().begin_read().unwrap();
    txn.list_tables()
        .unwrap()
        .map(|t| t.name().to_string())
        .collect()
}

fn s(v: &Value, i: usize) -> &str {
    v[i].as_str().unwrap()
}

/// Every answer recorded in the expected file, asked again of `store`.
fn assert_answers_as_recorded(store: &Store) {
    let expected: Value = serde_json::from_str(EXPECTED).unwrap();
    for entry in expected["records"].as_array().unwrap() {
        let got = store.record(s(entry, 0), s(entry, 1), s(entry, 2)).unwrap();
        assert_eq!(json!(got), entry[3], "record {entry}");
    }
    // Per stream: the whole feed, then one page of two after seq 2 with its next seq.
    for pair in expected["changes"].as_array().unwrap().chunks(2) {
        let (c, st) = (s(&pair[0], 0), s(&pair[0], 1));
        let all = store.records_after(c, st, 0, 1000).unwrap().0;
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
        for stream in entry[1].as_array().unwrap() {
            let stats = store.stream_stats(c, s(stream, 0)).unwrap();
            assert_eq!(json!(stats), stream[1]);
        }
    }
}

fn open_fixture(dir: &Path) -> Store {
    let path = dir.join("mooring.redb");
    std::fs::write(&path, FIXTURE).unwrap();
    Store::open(&path, SecretKey::from_bytes(FIXTURE_KEY)).unwrap()
}

#[test]
fn schema1_fixture_migrates_and_answers_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fixture(dir.path());
    assert_eq!(schema_version(&store), SCHEMA_VERSION);
    let names = table_names(&store);
    for gone in [
        "records",
        "record_changes",
        "stream_stats",
        "record_rows",
        "record_ids",
    ] {
        assert!(!names.iter().any(|n| n == gone), "{gone} left in {names:?}");
    }
    assert_answers_as_recorded(&store);
    // Other tables are untouched.
    assert_eq!(store.connection("c1").unwrap().unwrap().id, "c1");

    // Reopening does not migrate again and answers the same.
    drop(store);
    let path = dir.path().join("mooring.redb");
    let store = Store::open(&path, SecretKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(schema_version(&store), SCHEMA_VERSION);
    assert_answers_as_recorded(&store);

    // Writing goes on from the migrated counters: sequence numbers keep rising, an
    // identical record is unchanged, a purged stream's sequence is not reused.
    let before = store.stream_stats("c1", "accounts").unwrap();
    let unchanged = IncomingRecord {
        id: "a".into(),
        data: r#"{"n":10}"#.into(),
        deleted: false,
    };
    let stats = store
        .commit_page("c1", "accounts", &[unchanged], None)
        .unwrap();
    assert_eq!(stats.unchanged, 1);
    let new = IncomingRecord {
        id: "e".into(),
        data: r#"{"n":5}"#.into(),
        deleted: false,
    };
    store.commit_page("c1", "accounts", &[new], None).unwrap();
    let e = store.record("c1", "accounts", "e").unwrap().unwrap();
    assert_eq!(e.seq, before.last_seq + 1);
    let purged_seq = store.stream_stats("c3", "accounts").unwrap().last_seq;
    assert!(purged_seq > 0);
    let again = IncomingRecord {
        id: "p".into(),
        data: "{}".into(),
        deleted: false,
    };
    store.commit_page("c3", "accounts", &[again], None).unwrap();
    let p = store.record("c3", "accounts", "p").unwrap().unwrap();
    assert_eq!(p.seq, purged_seq + 1);
}

#[test]
fn wrong_key_leaves_a_schema1_file_unmigrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mooring.redb");
    std::fs::write(&path, FIXTURE).unwrap();
    let err = Store::open(&path, SecretKey::generate()).unwrap_err();
    assert!(matches!(err, crate::StoreError::WrongKey), "{err}");
    let store = Store::open(&path, SecretKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_answers_as_recorded(&store);
}

/// A schema-1 file made by hand: records of one stream large enough to train on.
#[test]
fn migrating_a_large_stream_trains_a_dictionary() {
    let t = test_store();
    let n = 300u64;
    t.store
        .write(|tx| {
            let mut records = tx.txn.open_table(V1_RECORDS)?;
            let mut changes = tx.txn.open_table(V1_RECORD_CHANGES)?;
            for seq in 1..=n {
                let data = if seq == n {
                    "null".to_string()
                } else {
                    journal(seq as usize)
                };
                let deleted = seq == n;
                let value = json!({
                    "data": data,
                    "hash": record_hash(&data, deleted),
                    "deleted": deleted,
                    "seq": seq,
                });
                let id = format!("j{seq:04}");
                records.insert(
                    ("c1", "journals", id.as_str()),
                    value.to_string().as_bytes(),
                )?;
                changes.insert(("c1", "journals", seq), id.as_str())?;
            }
            tx.txn
                .open_table(V1_STREAM_STATS)?
                .insert(("c1", "journals"), (n, n - 1, 1))?;
            Ok(())
        })
        .unwrap();
    t.store.set_schema_version_for_tests(1).unwrap();
    let key = SecretKey::from_text(&t.key_hex).unwrap();
    drop(t.store);
    let store = Store::open(&t.path, key).unwrap();

    let stats = store.stream_stats("c1", "journals").unwrap();
    assert_eq!(
        (stats.live, stats.tombstones, stats.last_seq),
        (n - 1, 1, n)
    );
    let (feed, next) = store.records_after("c1", "journals", 0, 1000).unwrap();
    assert_eq!((feed.len() as u64, next), (n, None));
    for (seq, id, record) in &feed {
        let data = if *seq == n {
            "null".to_string()
        } else {
            journal(*seq as usize)
        };
        let deleted = *seq == n;
        let expected = StoredRecord {
            hash: record_hash(&data, deleted),
            data,
            deleted,
            seq: *seq,
        };
        assert_eq!(
            (id.as_str(), record),
            (format!("j{seq:04}").as_str(), &expected)
        );
    }
    // The stream has a dictionary and every row but the tombstone uses it.
    let (row, dicts, compressed, raw) = store
        .read(|r| {
            let streams = r.table(RECORD_STREAMS)?;
            let row = StreamRow::from_value(streams.get(("c1", "journals"))?.unwrap().value());
            let dicts = r.table(RECORD_DICTS)?.len()?;
            let (mut compressed, mut raw) = (0, 0);
            for entry in r.table(RECORD_BODIES)?.iter()? {
                let (_, value) = entry?;
                let parsed = Row::parse(value.value())?;
                match parsed.encoding {
                    crate::record_rows::Encoding::Zstd(d) if d == row.dict => compressed += 1,
                    _ => raw += 1,
                }
            }
            Ok((row, dicts, compressed, raw))
        })
        .unwrap();
    assert!(row.dict != 0, "{row:?}");
    assert_eq!((dicts, compressed, raw), (1, n - 1, 1));
}
