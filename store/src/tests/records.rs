//! commit_page upsert semantics, tombstones, change paging, cursors and purging; the
//! compressed rows underneath (dictionaries, damaged rows).

use redb::ReadableTable as _;

use super::test_store;
use crate::error::StoreError;
use crate::model::{IncomingRecord, PageStats, StreamStats};
use crate::record_hash;
use crate::record_rows::StreamRow;
use crate::tables::{RECORD_BODIES, RECORD_DICTS, RECORD_FEED, RECORD_STREAMS, Tables as _};

fn rec(id: &str, data: &str) -> IncomingRecord {
    IncomingRecord {
        id: id.into(),
        data: data.into(),
        deleted: false,
    }
}

fn del(id: &str, data: &str) -> IncomingRecord {
    IncomingRecord {
        id: id.into(),
        data: data.into(),
        deleted: true,
    }
}

fn stats(added: u64, updated: u64, deleted: u64, unchanged: u64) -> PageStats {
    PageStats {
        added,
        updated,
        deleted,
        unchanged,
    }
}

#[test]
fn upsert_by_content_hash() {
    let t = test_store();
    let s = &t.store;
    let page = [rec("a", r#"{"n":1}"#), rec("b", r#"{"n":2}"#)];
    assert_eq!(
        s.commit_page("c1", "acc", &page, Some("p1")).unwrap(),
        stats(2, 0, 0, 0)
    );
    let a = s.record("c1", "acc", "a").unwrap().unwrap();
    assert_eq!(
        (a.seq, a.deleted, a.data.as_str()),
        (1, false, r#"{"n":1}"#)
    );
    assert_eq!(a.hash, record_hash(r#"{"n":1}"#, false));

    // Same content again: unchanged, sequence numbers kept.
    assert_eq!(
        s.commit_page("c1", "acc", &page, Some("p2")).unwrap(),
        stats(0, 0, 0, 2)
    );
    assert_eq!(s.record("c1", "acc", "a").unwrap().unwrap().seq, 1);
    assert_eq!(s.record("c1", "acc", "b").unwrap().unwrap().seq, 2);
    assert_eq!(s.cursor("c1", "acc").unwrap().as_deref(), Some("p2"));

    // Changed content: a new sequence number, the old index entry gone.
    let changed = [rec("a", r#"{"n":10}"#)];
    assert_eq!(
        s.commit_page("c1", "acc", &changed, None).unwrap(),
        stats(0, 1, 0, 0)
    );
    let a = s.record("c1", "acc", "a").unwrap().unwrap();
    assert_eq!((a.seq, a.data.as_str()), (3, r#"{"n":10}"#));
    assert_eq!(
        s.cursor("c1", "acc").unwrap().as_deref(),
        Some("p2"),
        "None keeps the cursor"
    );
    let (all, next) = s.records_after("c1", "acc", 0, 10).unwrap();
    let order: Vec<_> = all.iter().map(|(seq, id, _)| (*seq, id.as_str())).collect();
    assert_eq!(order, vec![(2, "b"), (3, "a")]);
    assert_eq!(next, None);
    assert_eq!(s.record_count("c1", "acc").unwrap(), 2);
}

#[test]
fn tombstones() {
    let t = test_store();
    let s = &t.store;
    s.commit_page(
        "c1",
        "inv",
        &[rec("a", r#"{"v":1}"#), rec("b", r#"{"v":2}"#)],
        None,
    )
    .unwrap();

    // Deleted without a payload: keeps the last data seen.
    assert_eq!(
        s.commit_page("c1", "inv", &[del("a", "")], None).unwrap(),
        stats(0, 0, 1, 0)
    );
    let a = s.record("c1", "inv", "a").unwrap().unwrap();
    assert!(a.deleted);
    assert_eq!(a.data, r#"{"v":1}"#);
    assert_eq!(a.seq, 3);
    // The same deletion again changes nothing.
    assert_eq!(
        s.commit_page("c1", "inv", &[del("a", "null")], None)
            .unwrap(),
        stats(0, 0, 0, 1)
    );
    assert_eq!(s.record("c1", "inv", "a").unwrap().unwrap().seq, 3);

    // Deleted with a payload: the payload is kept.
    let payload = r#"{"v":2,"status":"DELETED"}"#;
    s.commit_page("c1", "inv", &[del("b", payload)], None)
        .unwrap();
    let b = s.record("c1", "inv", "b").unwrap().unwrap();
    assert!(b.deleted && b.data == payload);

    // A deletion of a record never seen is stored as a tombstone too.
    assert_eq!(
        s.commit_page("c1", "inv", &[del("z", "")], None).unwrap(),
        stats(0, 0, 1, 0)
    );
    assert_eq!(s.record("c1", "inv", "z").unwrap().unwrap().data, "null");

    // Resurrection.
    assert_eq!(
        s.commit_page("c1", "inv", &[rec("a", r#"{"v":3}"#)], None)
            .unwrap(),
        stats(0, 1, 0, 0)
    );
    assert_eq!(
        s.stream_stats("c1", "inv").unwrap(),
        StreamStats {
            live: 1,
            tombstones: 2,
            last_seq: 6
        }
    );
    let (changes, _) = s.records_after("c1", "inv", 0, 100).unwrap();
    let flags: Vec<_> = changes
        .iter()
        .map(|(_, id, r)| (id.as_str(), r.deleted))
        .collect();
    assert_eq!(flags, vec![("b", true), ("z", true), ("a", false)]);
}

#[test]
fn page_and_cursor_commit_together() {
    let t = test_store();
    let s = &t.store;
    s.commit_page("c1", "acc", &[rec("a", "{}")], Some("cur-1"))
        .unwrap();
    // A bad record rejects the whole page, cursor included.
    let err = s
        .commit_page("c1", "acc", &[rec("b", "{}"), rec("", "{}")], Some("cur-2"))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err}");
    assert_eq!(s.cursor("c1", "acc").unwrap().as_deref(), Some("cur-1"));
    assert_eq!(s.record("c1", "acc", "b").unwrap(), None);
    assert_eq!(s.record_count("c1", "acc").unwrap(), 1);

    // Cursor helpers.
    s.set_cursor("c1", "journals", "offset=100").unwrap();
    assert_eq!(
        s.cursor("c1", "journals").unwrap().as_deref(),
        Some("offset=100")
    );
    assert!(s.clear_cursor("c1", "journals").unwrap());
    assert_eq!(s.cursor("c1", "journals").unwrap(), None);
}

#[test]
fn paging_by_seq_and_isolation() {
    let t = test_store();
    let s = &t.store;
    let page: Vec<_> = (0..25)
        .map(|i| rec(&format!("r{i:02}"), &format!("{{\"i\":{i}}}")))
        .collect();
    s.commit_page("c1", "acc", &page, None).unwrap();
    s.commit_page("c1", "other", &[rec("x", "{}")], None)
        .unwrap();
    s.commit_page("c10", "acc", &[rec("y", "{}")], None)
        .unwrap();

    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let (batch, next) = s.records_after("c1", "acc", after, 10).unwrap();
        seen.extend(batch.iter().map(|(_, id, _)| id.clone()));
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "r00");
    assert_eq!(seen[24], "r24");
    let (batch, next) = s.records_after("c1", "acc", 20, 5).unwrap();
    assert_eq!((batch.len(), next), (5, None));
    let (batch, next) = s.records_after("c1", "acc", u64::MAX, 5).unwrap();
    assert!(batch.is_empty() && next.is_none());

    // Sequence numbers are per connection and stream.
    assert_eq!(s.record("c1", "other", "x").unwrap().unwrap().seq, 1);
    assert_eq!(s.record("c10", "acc", "y").unwrap().unwrap().seq, 1);
    let streams: Vec<_> = s
        .streams("c1")
        .unwrap()
        .into_iter()
        .map(|(n, st)| (n, st.live))
        .collect();
    assert_eq!(
        streams,
        vec![("acc".to_string(), 25), ("other".to_string(), 1)]
    );
}

#[test]
fn purge_removes_one_connection_only() {
    let t = test_store();
    let s = &t.store;
    s.commit_page("c1", "acc", &[rec("a", "{}"), rec("b", "{}")], Some("k"))
        .unwrap();
    s.commit_page("c1", "inv", &[rec("a", "{}")], Some("k"))
        .unwrap();
    s.commit_page("c10", "acc", &[rec("a", "{}")], Some("k"))
        .unwrap();
    assert_eq!(s.purge_records("c1").unwrap(), 3);
    assert_eq!(s.record("c1", "acc", "a").unwrap(), None);
    assert_eq!(s.cursor("c1", "acc").unwrap(), None);
    assert!(s.records_after("c1", "acc", 0, 10).unwrap().0.is_empty());
    assert_eq!(s.record_count("c1", "acc").unwrap(), 0);
    assert_eq!(s.record_count("c10", "acc").unwrap(), 1);
    assert_eq!(s.cursor("c10", "acc").unwrap().as_deref(), Some("k"));
    // Sequence numbers keep rising after a purge.
    s.commit_page("c1", "acc", &[rec("a", "{}")], None).unwrap();
    assert_eq!(s.record("c1", "acc", "a").unwrap().unwrap().seq, 3);
}

/// A journal-like record of about 700 bytes, different for every `i`.
pub(crate) fn journal(i: usize) -> String {
    serde_json::json!({
        "JournalID": format!("{i:08x}-0000-4000-8000-000000000000"),
        "JournalNumber": i,
        "JournalDate": "/Date(1700000000000+0000)/",
        "SourceType": if i.is_multiple_of(3) { "ACCREC" } else { "ACCPAY" },
        "JournalLines": (0..4).map(|l| serde_json::json!({
            "JournalLineID": format!("{i:08x}-{l:04x}-4000-8000-000000000000"),
            "AccountCode": format!("{}", 200 + (i + l) % 40),
            "NetAmount": format!("{}.{:02}", (i * 37 + l) % 1000, i % 100),
            "TaxType": "OUTPUT2",
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// The stream's row and the total size of its stored rows.
fn stream_row_and_bytes(s: &crate::Store, connection: &str, stream: &str) -> (StreamRow, usize) {
    s.read(|r| {
        let row = r
            .table(RECORD_STREAMS)?
            .get((connection, stream))?
            .map(|g| StreamRow::from_value(g.value()))
            .unwrap();
        let mut bytes = 0;
        let bodies = r.table(RECORD_BODIES)?;
        for entry in r
            .table(RECORD_FEED)?
            .range((row.no, 0)..=(row.no, u64::MAX))?
        {
            let number = entry?.1.value();
            bytes += bodies.get(number)?.unwrap().value().len();
        }
        Ok((row, bytes))
    })
    .unwrap()
}

#[test]
fn large_streams_are_compressed_with_a_trained_dictionary() {
    let t = test_store();
    let s = &t.store;
    let raw: usize = (0..300).map(|i| journal(i).len()).sum();
    for page in 0..3 {
        let records: Vec<_> = (page * 100..page * 100 + 100)
            .map(|i| rec(&format!("j{i:03}"), &journal(i)))
            .collect();
        assert_eq!(
            s.commit_page("c1", "journals", &records, None).unwrap(),
            stats(100, 0, 0, 0)
        );
    }
    let (row, bytes) = stream_row_and_bytes(s, "c1", "journals");
    assert!(row.dict != 0, "trained on the first page: {row:?}");
    assert!(bytes * 4 < raw, "{bytes} bytes stored for {raw} of JSON");

    // Everything reads back exactly, hash included.
    let (feed, next) = s.records_after("c1", "journals", 0, 1000).unwrap();
    assert_eq!((feed.len(), next), (300, None));
    for (i, (seq, id, record)) in feed.iter().enumerate() {
        assert_eq!(
            (*seq, id.as_str()),
            (i as u64 + 1, format!("j{i:03}").as_str())
        );
        assert_eq!(record.data, journal(i));
        assert_eq!(record.hash, record_hash(&journal(i), false));
    }
    // The same page again is unchanged; a blank tombstone keeps the compressed data.
    let again: Vec<_> = (0..100)
        .map(|i| rec(&format!("j{i:03}"), &journal(i)))
        .collect();
    assert_eq!(
        s.commit_page("c1", "journals", &again, None).unwrap(),
        stats(0, 0, 0, 100)
    );
    s.commit_page("c1", "journals", &[del("j005", "")], None)
        .unwrap();
    let j5 = s.record("c1", "journals", "j005").unwrap().unwrap();
    assert_eq!(
        (j5.deleted, j5.data.as_str(), j5.seq),
        (true, journal(5).as_str(), 301)
    );
    assert_eq!(j5.hash, record_hash(&journal(5), true));
}

#[test]
fn small_pages_train_once_the_stream_is_large_enough() {
    let t = test_store();
    let s = &t.store;
    for page in 0..8 {
        let records: Vec<_> = (page * 10..page * 10 + 10)
            .map(|i| rec(&format!("j{i:03}"), &journal(i)))
            .collect();
        s.commit_page("c1", "journals", &records, None).unwrap();
        let (row, _) = stream_row_and_bytes(s, "c1", "journals");
        // 60 stored + 10 incoming reach the threshold at the seventh page.
        assert_eq!(row.dict != 0, page >= 6, "page {page}: {row:?}");
    }
    for i in 0..80 {
        let record = s.record("c1", "journals", &format!("j{i:03}")).unwrap();
        assert_eq!(record.unwrap().data, journal(i));
    }
}

#[test]
fn damaged_rows_are_typed_errors() {
    let t = test_store();
    let s = &t.store;
    let records: Vec<_> = (0..100)
        .map(|i| rec(&format!("j{i:03}"), &journal(i)))
        .collect();
    s.commit_page("c1", "journals", &records, None).unwrap();
    let (row, _) = stream_row_and_bytes(s, "c1", "journals");
    // A row whose compressed body was cut short.
    s.write(|tx| {
        let number = tx
            .txn
            .open_table(RECORD_FEED)?
            .get((row.no, 1))?
            .unwrap()
            .value();
        let mut bodies = tx.txn.open_table(RECORD_BODIES)?;
        let cut = bodies.get(number)?.unwrap().value().to_vec();
        bodies.insert(number, &cut[..cut.len() - 5])?;
        Ok(())
    })
    .unwrap();
    let err = s.record("c1", "journals", "j000").unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let err = s.records_after("c1", "journals", 0, 10).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    // A missing dictionary.
    s.write(|tx| {
        tx.txn.open_table(RECORD_DICTS)?.remove(row.dict)?;
        Ok(())
    })
    .unwrap();
    let err = s.record("c1", "journals", "j050").unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    // Writing over a record whose row is unreadable fails instead of losing it.
    let err = s
        .commit_page("c1", "journals", &[rec("j050", "{}")], None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

/// Leaf pages of the bodies table and of the whole file after committing `pages` pages
/// of 50 journals to each of two streams, one stream after the other or alternating
/// page by page. Ids are scattered like the providers' GUIDs.
fn leaf_pages_after(pages: usize, interleaved: bool) -> (u64, u64) {
    let t = test_store();
    let page = |stream: usize, p: usize| -> Vec<IncomingRecord> {
        (0..50)
            .map(|i| {
                let n = stream * 100_000 + p * 50 + i;
                let id = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                rec(&format!("{id:016x}"), &journal(n))
            })
            .collect()
    };
    let order: Vec<(usize, usize)> = if interleaved {
        (0..pages).flat_map(|p| [(0, p), (1, p)]).collect()
    } else {
        (0..2)
            .flat_map(|s| (0..pages).map(move |p| (s, p)))
            .collect()
    };
    for (stream, p) in order {
        let name = ["journals", "invoices"][stream];
        t.store
            .commit_page("c1", name, &page(stream, p), None)
            .unwrap();
    }
    let bodies = t
        .store
        .read(|r| {
            use redb::ReadableTableMetadata as _;
            Ok(r.table(RECORD_BODIES)?.stats()?.leaf_pages())
        })
        .unwrap();
    (bodies, t.store.space().unwrap().leaf_pages)
}

#[test]
fn streams_synced_at_the_same_time_keep_pages_full() {
    let (bodies_apart, apart) = leaf_pages_after(40, false);
    let (bodies_together, together) = leaf_pages_after(40, true);
    // Rows keyed by stream split leaves in half when two streams grow at once (about
    // 1.5× the pages); rising body numbers append at the end of the tree either way.
    // Only the small feed index (24 bytes a record) still fills to about two thirds.
    assert!(
        bodies_together <= bodies_apart + 1,
        "bodies: interleaved {bodies_together} leaf pages, one after the other {bodies_apart}"
    );
    assert!(
        together * 100 <= apart * 110,
        "interleaved {together} leaf pages, one after the other {apart}"
    );
}
