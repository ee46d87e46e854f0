use mooring_store::{SecretKey, Store, TenantRef};

use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("m.redb"), SecretKey::generate()).expect("open");
    (dir, store)
}

fn connection(id: &str, state: ConnectionState) -> Connection {
    Connection {
        id: id.into(),
        integration: "int".into(),
        label: None,
        state,
        reason: None,
        tenant: None,
        tenant_choices: vec![],
        scopes: vec![],
        pinned_version: None,
        grant: Some(format!("grant-{id}")),
        created_at: 1,
        updated_at: 1,
        last_sync_at: None,
    }
}

#[test]
fn the_table_of_moves() {
    // Every (from, to) pair, against the rules written out by hand.
    let yes = |from, to| allowed(from, to);
    for state in ConnectionState::ALL {
        assert!(!yes(Deleted, state), "deleted is final");
        if state != Deleted {
            assert!(yes(state, Deleted) && yes(state, Disabled), "{state}");
        }
    }
    let live = [Active, Degraded];
    for from in live {
        for to in [Active, Degraded, NeedsReauth, NeedsScope] {
            assert!(yes(from, to), "{from} -> {to}");
        }
        assert!(!yes(from, Pending) && !yes(from, AwaitingTenant));
    }
    assert!(yes(Pending, AwaitingTenant) && yes(Pending, Active) && yes(Pending, NeedsScope));
    assert!(!yes(Pending, NeedsReauth) && !yes(Pending, Degraded) && !yes(Pending, Pending));
    assert!(yes(AwaitingTenant, Active) && !yes(AwaitingTenant, NeedsReauth));
    assert!(yes(NeedsReauth, Active) && yes(NeedsReauth, NeedsScope));
    assert!(!yes(NeedsReauth, Degraded) && !yes(NeedsReauth, NeedsReauth));
    assert!(yes(NeedsScope, NeedsReauth) && !yes(NeedsScope, Degraded));
    assert!(yes(Disabled, Active) && !yes(Disabled, Degraded) && !yes(Disabled, NeedsReauth));
    let count = ConnectionState::ALL
        .into_iter()
        .flat_map(|f| ConnectionState::ALL.into_iter().map(move |t| (f, t)))
        .filter(|(f, t)| allowed(*f, *t))
        .count();
    assert_eq!(
        count, 33,
        "a new move must be added to this test on purpose"
    );
}

#[test]
fn a_move_writes_the_state_and_its_event_in_one_transaction() {
    let (_dir, store) = store();
    store
        .put_connection(&connection("c1", Active))
        .expect("put");
    let move_to = Transition::new("c1", NeedsReauth, Cause::GrantFailed, 9_000).because("dead");
    let applied = try_apply(&store, &move_to).expect("apply");
    let Applied::Moved { connection, event } = applied else {
        panic!("expected a move");
    };
    assert_eq!(connection.state, NeedsReauth);
    assert_eq!(connection.updated_at, 9_000);
    assert_eq!(event.kind, "connection.needs_reauth");
    assert_eq!(event.cause, Some(Cause::GrantFailed));
    assert_eq!((event.from, event.to), (Some(Active), Some(NeedsReauth)));
    assert_eq!(store.connection("c1").expect("read"), Some(connection));
    assert_eq!(
        store.events_for_connection("c1", 10).expect("events"),
        vec![event]
    );
}

fn try_apply(store: &Store, t: &Transition) -> Result<Applied, TransitionError> {
    in_write(store, |tx| apply(tx, t, |_, _| Ok(())))
}

#[test]
fn refused_moves_write_nothing() {
    let (_dir, store) = store();
    store
        .put_connection(&connection("c1", Pending))
        .expect("put");
    let err = try_apply(
        &store,
        &Transition::new("c1", NeedsReauth, Cause::CallFailed, 5),
    )
    .expect_err("pending cannot need reauth");
    assert!(matches!(err, TransitionError::NotAllowed { .. }) && err.is_moot());
    let err = try_apply(
        &store,
        &Transition::new("nope", Active, Cause::Connected, 5),
    )
    .expect_err("missing");
    assert!(matches!(err, TransitionError::NotFound(_)));
    assert!(store.events_after(0, 10).expect("events").is_empty());
    assert_eq!(
        store.connection("c1").expect("read").map(|c| c.state),
        Some(Pending)
    );
}

#[test]
fn a_failure_on_a_replaced_grant_changes_nothing() {
    let (_dir, store) = store();
    store
        .put_connection(&connection("c1", Active))
        .expect("put");
    let stale = Transition::new("c1", NeedsReauth, Cause::GrantFailed, 5).if_grant("old-grant");
    let err = try_apply(&store, &stale).expect_err("stale");
    assert!(matches!(err, TransitionError::StaleGrant(_)) && err.is_moot());
    let current = Transition::new("c1", NeedsReauth, Cause::GrantFailed, 5).if_grant("grant-c1");
    assert!(matches!(
        try_apply(&store, &current),
        Ok(Applied::Moved { .. })
    ));
}

#[test]
fn the_same_state_for_the_same_reason_records_nothing() {
    let (_dir, store) = store();
    store
        .put_connection(&connection("c1", Degraded))
        .expect("put");
    let t = Transition::new("c1", Degraded, Cause::RateLimited, 5).because("limit spent");
    assert!(matches!(try_apply(&store, &t), Ok(Applied::Moved { .. })));
    assert!(matches!(try_apply(&store, &t), Ok(Applied::Unchanged(_))));
    assert_eq!(store.events_after(0, 10).expect("events").len(), 1);
}

#[test]
fn binding_a_tenant_checks_the_other_live_connections() {
    let (_dir, store) = store();
    let mut holder = connection("c1", Active);
    holder.tenant = Some(TenantRef {
        id: "org-1".into(),
        name: "Org".into(),
        metadata: vec![],
    });
    store.put_connection(&holder).expect("put");
    let other = connection("c2", Pending);
    store.put_connection(&other).expect("put");
    let result = in_write(&store, |tx| ensure_tenant_free(tx, &other, "org-1", "Org"));
    assert!(matches!(result, Err(TransitionError::TenantTaken(_))));
    holder.state = Deleted;
    store.put_connection(&holder).expect("put");
    in_write(&store, |tx| ensure_tenant_free(tx, &other, "org-1", "Org"))
        .expect("a deleted connection frees its tenant");
}
