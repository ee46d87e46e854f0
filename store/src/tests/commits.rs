//! Relaxed commits: durability deferred by at most an interval, records readers that
//! see only durable commits, the persister thread, close.

use std::time::{Duration, Instant};

use super::test_store;
use crate::error::StoreError;
use crate::model::IncomingRecord;
use crate::{SecretKey, Store};

const AN_HOUR: Duration = Duration::from_secs(3600);

fn relaxed_page(store: &Store, ids: &[&str], cursor: &str) {
    let records: Vec<IncomingRecord> = ids
        .iter()
        .map(|id| IncomingRecord {
            id: (*id).into(),
            data: format!(r#"{{"id":"{id}"}}"#),
            deleted: false,
        })
        .collect();
    store
        .write_relaxed(|tx| {
            tx.commit_page("c1", "s", &records, Some(cursor))
                .map(|_| ())
        })
        .unwrap();
}

/// What the records readers show of stream `s`: the feed's ids, the live count.
fn seen(store: &Store) -> (Vec<String>, u64) {
    let (feed, _) = store.records_after("c1", "s", 0, 100).unwrap();
    let ids = feed.into_iter().map(|(_, id, _)| id).collect();
    (ids, store.stream_stats("c1", "s").unwrap().live)
}

#[test]
fn a_relaxed_page_reaches_the_records_readers_once_persisted() {
    let t = test_store();
    t.store.set_persist_interval_for_tests(AN_HOUR);
    relaxed_page(&t.store, &["a", "b"], "p1");
    // Committed (the next page's writer sees its cursor), not yet durable: hidden.
    assert_eq!(t.store.cursor("c1", "s").unwrap().as_deref(), Some("p1"));
    assert_eq!(seen(&t.store), (vec![], 0));
    assert!(t.store.record("c1", "s", "a").unwrap().is_none());

    assert!(t.store.persist().unwrap());
    assert_eq!(seen(&t.store), (vec!["a".into(), "b".into()], 2));
    assert!(t.store.record("c1", "s", "a").unwrap().is_some());
    assert!(!t.store.persist().unwrap(), "nothing left to persist");
}

#[test]
fn a_durable_write_makes_the_relaxed_ones_before_it_durable() {
    let t = test_store();
    t.store.set_persist_interval_for_tests(AN_HOUR);
    relaxed_page(&t.store, &["a"], "p1");
    relaxed_page(&t.store, &["b"], "p2");
    assert_eq!(seen(&t.store).1, 0);
    t.store
        .write(|tx| tx.set_cursor("c1", "other", "x"))
        .unwrap();
    assert_eq!(seen(&t.store), (vec!["a".into(), "b".into()], 2));
    assert!(!t.store.persist().unwrap());
}

#[test]
fn with_no_interval_a_relaxed_write_is_durable_at_once() {
    let t = test_store();
    t.store.set_persist_interval_for_tests(Duration::ZERO);
    relaxed_page(&t.store, &["a"], "p1");
    assert_eq!(seen(&t.store).1, 1);
    assert!(!t.store.persist().unwrap());
}

#[test]
fn the_persister_thread_makes_a_relaxed_page_durable_after_the_interval() {
    let t = test_store();
    t.store
        .set_persist_interval_for_tests(Duration::from_millis(50));
    // Right after a durable write, so that the page is deferred.
    t.store.write(|tx| tx.set_cursor("c1", "s", "p0")).unwrap();
    relaxed_page(&t.store, &["a"], "p1");
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen(&t.store).1 == 0 {
        assert!(Instant::now() < deadline, "never persisted");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!t.store.persist().unwrap(), "the thread persisted it");
}

#[test]
fn closing_the_store_persists_and_a_failed_relaxed_write_leaves_nothing() {
    let t = test_store();
    t.store.set_persist_interval_for_tests(AN_HOUR);
    let failed = t.store.write_relaxed(|tx| {
        tx.set_cursor("c1", "s", "never")?;
        Err::<(), _>(StoreError::InvalidInput("no".into()))
    });
    assert!(failed.is_err());
    assert_eq!(t.store.cursor("c1", "s").unwrap(), None);
    assert!(
        !t.store.persist().unwrap(),
        "an aborted write is not pending"
    );

    relaxed_page(&t.store, &["a", "b"], "p1");
    let (path, key) = (t.path.clone(), t.key_hex.clone());
    let dir = t._dir;
    drop(t.store);
    let reopened = Store::open(&path, SecretKey::from_text(&key).unwrap()).unwrap();
    assert_eq!(seen(&reopened).1, 2);
    assert_eq!(reopened.cursor("c1", "s").unwrap().as_deref(), Some("p1"));
    drop(dir);
}
