//! Retention: pruning delivered events, old runs and expired flows in batches, and the
//! per-connection plugin-state usage the host checks its caps against.

use super::test_store;
use crate::model::{Event, Flow, FlowKind, RunStatus, SyncRun};

fn event(connection: &str, at: u64) -> Event {
    Event {
        seq: 0,
        at,
        connection: connection.into(),
        kind: "note".into(),
        from: None,
        to: None,
        reason: None,
        cause: None,
        run: None,
    }
}

fn run(connection: &str, stream: &str, finished: bool) -> SyncRun {
    SyncRun {
        id: 0,
        connection: connection.into(),
        stream: stream.into(),
        started_at: 1,
        finished_at: finished.then_some(2),
        pages: 0,
        added: 0,
        updated: 0,
        deleted: 0,
        plugin_version: "1.0.0".into(),
        error: None,
        status: if finished {
            RunStatus::Succeeded
        } else {
            RunStatus::Running
        },
        last_page_at: None,
        retries: 0,
    }
}

#[test]
fn only_old_delivered_events_are_pruned_in_batches() {
    let t = test_store();
    let s = &t.store;
    let mut seqs = Vec::new();
    for at in [10, 20, 30, 40, 500] {
        seqs.push(s.append_event(&event("c1", at)).unwrap());
    }
    // Delivered: all but the one at 20.
    for seq in [seqs[0], seqs[2], seqs[3], seqs[4]] {
        assert!(s.mark_delivered(seq).unwrap());
    }
    assert_eq!(s.prune_delivered_events(100, 2).unwrap(), 2, "one batch");
    assert_eq!(s.prune_delivered_events(100, 2).unwrap(), 1, "the rest");
    assert_eq!(s.prune_delivered_events(100, 2).unwrap(), 0);
    let left: Vec<u64> = s
        .events_for_connection("c1", 10)
        .unwrap()
        .iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(left, vec![500, 20], "undelivered and recent events stay");
}

#[test]
fn runs_beyond_the_newest_n_per_stream_are_pruned_but_open_ones_stay() {
    let t = test_store();
    let s = &t.store;
    let open = s.append_sync_run(&run("c1", "a", false)).unwrap();
    for _ in 0..5 {
        s.append_sync_run(&run("c1", "a", true)).unwrap();
    }
    for _ in 0..2 {
        s.append_sync_run(&run("c1", "b", true)).unwrap();
        s.append_sync_run(&run("c2", "a", true)).unwrap();
    }
    let mut removed = 0;
    loop {
        let n = s.prune_sync_runs(2, 1).unwrap();
        removed += n;
        if n == 0 {
            break;
        }
    }
    assert_eq!(removed, 3, "c1/a keeps its newest 2 and its open run");
    let c1: Vec<SyncRun> = s.list_sync_runs("c1", 100).unwrap();
    assert_eq!(c1.iter().filter(|r| r.stream == "a").count(), 3);
    assert!(c1.iter().any(|r| r.id == open));
    assert_eq!(c1.iter().filter(|r| r.stream == "b").count(), 2);
    assert_eq!(s.list_sync_runs("c2", 100).unwrap().len(), 2);
}

#[test]
fn expired_flows_are_pruned_in_batches() {
    let t = test_store();
    let s = &t.store;
    for (i, expires_at) in [100u64, 200, 300, 5_000].into_iter().enumerate() {
        s.put_flow(&Flow {
            state: format!("st-{i}"),
            connection: "c1".into(),
            kind: FlowKind::Connect,
            pkce_verifier: None,
            scopes: vec![],
            created_at: 0,
            expires_at,
        })
        .unwrap();
    }
    assert_eq!(s.prune_expired_flows_batch(1_000, 2).unwrap(), 2);
    assert_eq!(s.prune_expired_flows_batch(1_000, 2).unwrap(), 1);
    assert_eq!(s.prune_expired_flows_batch(1_000, 2).unwrap(), 0);
    assert!(s.flow("st-3").unwrap().is_some());
}

#[test]
fn state_usage_counts_keys_and_bytes_except_the_one_replaced() {
    let t = test_store();
    let s = &t.store;
    s.state_set("c1", "ab", b"1234").unwrap();
    s.state_set("c1", "cd", b"12").unwrap();
    s.state_set("c2", "zz", b"123456789").unwrap();
    assert_eq!(s.state_usage("c1", "").unwrap(), (2, 10));
    assert_eq!(s.state_usage("c1", "ab").unwrap(), (1, 4));
    assert_eq!(s.state_usage("c3", "").unwrap(), (0, 0));
}
