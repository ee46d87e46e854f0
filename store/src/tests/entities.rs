//! Round trips of every table, flows, plugin state isolation, transitions and events.

use super::{connection, grant, test_store};
use crate::crypto::aad;
use crate::error::StoreError;
use crate::model::{
    ConnectionState, Event, Flow, FlowKind, Integration, PluginRecord, RunStatus, SyncRun,
    TenantRef,
};
use crate::sha256_hex;

fn plugin_record(sha: &str, id: &str, version: &str) -> PluginRecord {
    PluginRecord {
        sha256: sha.into(),
        id: id.into(),
        version: version.into(),
        name: "Xero".into(),
        size: 3,
        added_at: 5,
    }
}

#[test]
fn plugins_blobs_activation_and_compiled_cache() {
    let t = test_store();
    let s = &t.store;
    let sha = s.put_plugin_blob(b"v1!").unwrap();
    assert_eq!(sha, sha256_hex(b"v1!"));
    assert_eq!(s.put_plugin_blob(b"v1!").unwrap(), sha, "idempotent");
    assert_eq!(s.plugin_blob(&sha).unwrap().as_deref(), Some(&b"v1!"[..]));
    assert_eq!(s.plugin_blob("00").unwrap(), None);

    let missing = s
        .put_plugin(&plugin_record("ff", "xero", "1.0.0"))
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }));
    let r1 = plugin_record(&sha, "xero", "1.0.0");
    s.put_plugin(&r1).unwrap();
    let sha2 = s.put_plugin_blob(b"v2!").unwrap();
    let r2 = plugin_record(&sha2, "xero", "1.1.0");
    s.put_plugin(&r2).unwrap();
    assert_eq!(s.plugin(&sha).unwrap(), Some(r1.clone()));
    let mut listed = s.list_plugins().unwrap();
    listed.sort_by(|a, b| a.version.cmp(&b.version));
    assert_eq!(listed, vec![r1, r2]);

    assert_eq!(s.active_plugin("xero").unwrap(), None);
    assert_eq!(s.set_active_plugin("xero", &sha).unwrap(), None);
    assert_eq!(
        s.set_active_plugin("xero", &sha2).unwrap(),
        Some(sha.clone())
    );
    assert_eq!(s.active_plugin("xero").unwrap(), Some(sha2.clone()));
    assert_eq!(
        s.active_plugins().unwrap(),
        vec![("xero".to_string(), sha2.clone())]
    );
    let wrong = s.set_active_plugin("quickbooks", &sha).unwrap_err();
    assert!(matches!(wrong, StoreError::InvalidInput(_)), "{wrong}");
    assert!(matches!(
        s.set_active_plugin("xero", "nope").unwrap_err(),
        StoreError::NotFound { .. }
    ));

    s.put_compiled(&sha, "engine-a", b"art-1a").unwrap();
    s.put_compiled(&sha2, "engine-a", b"art-2a").unwrap();
    s.put_compiled(&sha, "engine-b", b"art-1b").unwrap();
    assert_eq!(
        s.compiled(&sha, "engine-b").unwrap().as_deref(),
        Some(&b"art-1b"[..])
    );
    assert_eq!(s.compiled(&sha2, "engine-b").unwrap(), None);
    assert_eq!(s.prune_compiled_except("engine-b").unwrap(), 2);
    assert_eq!(s.compiled(&sha, "engine-a").unwrap(), None);
    assert_eq!(s.compiled(&sha2, "engine-a").unwrap(), None);
    assert!(s.compiled(&sha, "engine-b").unwrap().is_some());
    assert_eq!(s.remove_compiled(&sha).unwrap(), 1);
    assert_eq!(s.compiled(&sha, "engine-b").unwrap(), None);
}

#[test]
fn integrations_round_trip() {
    let t = test_store();
    let s = &t.store;
    let sealed = s.cipher().seal("shh", &aad::client_secret("i1")).unwrap();
    let i = Integration {
        id: "i1".into(),
        provider: "xero".into(),
        client_id: "cid".into(),
        client_secret: sealed,
        scopes: vec!["a".into(), "b".into()],
        redirect_uri: "http://x/oauth/callback".into(),
        created_at: 7,
    };
    s.put_integration(&i).unwrap();
    let back = s.integration("i1").unwrap().unwrap();
    assert_eq!(back, i);
    let secret = s
        .cipher()
        .open(&back.client_secret, &aad::client_secret("i1"))
        .unwrap();
    assert_eq!(secret.expose(), "shh");
    assert_eq!(s.list_integrations().unwrap(), vec![i]);
    assert!(s.delete_integration("i1").unwrap());
    assert!(!s.delete_integration("i1").unwrap());
    assert_eq!(s.integration("i1").unwrap(), None);
}

#[test]
fn connections_round_trip_and_states() {
    let t = test_store();
    let s = &t.store;
    let mut c1 = connection("c1", ConnectionState::Active);
    c1.tenant_choices = vec![TenantRef {
        id: "t2".into(),
        name: "UK Ltd".into(),
        metadata: vec![],
    }];
    let c2 = connection("c2", ConnectionState::NeedsReauth);
    s.put_connection(&c1).unwrap();
    s.put_connection(&c2).unwrap();
    assert_eq!(s.connection("c1").unwrap(), Some(c1.clone()));
    assert_eq!(s.connection("zz").unwrap(), None);
    assert_eq!(s.list_connections().unwrap(), vec![c1.clone(), c2.clone()]);
    assert_eq!(
        s.connections_in_state(ConnectionState::NeedsReauth)
            .unwrap(),
        vec![c2]
    );
    assert!(
        s.connections_in_state(ConnectionState::Pending)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.put_connection(&connection("", ConnectionState::Pending)),
        Err(StoreError::InvalidInput(_))
    ));

    let json = serde_json::to_string(&ConnectionState::ALL).unwrap();
    assert_eq!(
        json,
        r#"["pending","awaiting_tenant","active","degraded","needs_reauth","needs_scope","disabled","deleted"]"#
    );
    for state in ConnectionState::ALL {
        assert_eq!(state.as_str().parse::<ConnectionState>().unwrap(), state);
    }
}

#[test]
fn grants_round_trip() {
    let t = test_store();
    let s = &t.store;
    let mut g = grant(s, "g1", "at", "rt");
    s.put_grant(&g).unwrap();
    assert_eq!(s.grant("g1").unwrap(), Some(g.clone()));
    // Rotation: the old refresh token moves to `previous`.
    g.previous_refresh_token = g.refresh_token.take();
    g.refresh_token = Some(s.cipher().seal("rt2", &aad::grant_refresh("g1")).unwrap());
    g.previous_rotated_at = Some(2_000);
    s.put_grant(&g).unwrap();
    let back = s.grant("g1").unwrap().unwrap();
    assert_eq!(back, g);
    let prev = back.previous_refresh_token.unwrap();
    assert!(s.cipher().open(&prev, &aad::grant_refresh("g1")).is_ok());
    assert_eq!(s.list_grants().unwrap().len(), 1);
    assert!(s.delete_grant("g1").unwrap());
    assert_eq!(s.grant("g1").unwrap(), None);
    assert!(!s.delete_grant("g1").unwrap());
}

fn flow(store: &crate::Store, state: &str, expires_at: u64) -> Flow {
    Flow {
        state: state.into(),
        connection: "c1".into(),
        kind: FlowKind::Reconnect,
        pkce_verifier: Some(
            store
                .cipher()
                .seal("verifier", &aad::pkce_verifier(state))
                .unwrap(),
        ),
        scopes: vec!["openid".into()],
        created_at: 100,
        expires_at,
    }
}

#[test]
fn flows_are_single_use() {
    let t = test_store();
    let s = &t.store;
    let mut f = flow(s, "st-1", 1_000);
    s.put_flow(&f).unwrap();
    f.scopes.push("offline_access".into());
    s.put_flow(&f).unwrap();
    assert_eq!(s.flow("st-1").unwrap(), Some(f.clone()));
    assert_eq!(s.take_flow("st-1").unwrap(), Some(f));
    assert_eq!(
        s.take_flow("st-1").unwrap(),
        None,
        "second take finds nothing"
    );
    assert_eq!(s.flow("st-1").unwrap(), None);

    s.put_flow(&flow(s, "st-2", 500)).unwrap();
    s.put_flow(&flow(s, "st-3", 2_000)).unwrap();
    assert!(s.delete_flow("st-3").unwrap());
    s.put_flow(&flow(s, "st-3", 2_000)).unwrap();
    assert_eq!(s.prune_expired_flows(1_000).unwrap(), 1);
    assert_eq!(s.flow("st-2").unwrap(), None);
    assert!(s.flow("st-3").unwrap().is_some());
}

#[test]
fn staged_reconnect_swaps_atomically_or_not_at_all() {
    let t = test_store();
    let s = &t.store;
    s.put_connection(&connection("c1", ConnectionState::NeedsReauth))
        .unwrap();
    s.put_grant(&grant(s, "g1", "old-at", "old-rt")).unwrap();
    s.put_flow(&flow(s, "st", 9_999)).unwrap();
    let staged = grant(s, "g2", "new-at", "new-rt");

    // A failing step rolls back everything done in the same transaction.
    let err = s
        .write(|tx| {
            tx.take_flow("st")?;
            tx.delete_grant("g1")?;
            Err::<(), _>(StoreError::InvalidInput("tenant mismatch".into()))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)));
    assert!(s.flow("st").unwrap().is_some());
    assert!(s.grant("g1").unwrap().is_some());

    s.write(|tx| {
        tx.take_flow("st")?
            .ok_or_else(|| StoreError::not_found("flow", "st"))?;
        tx.put_grant(&staged)?;
        let mut c = tx
            .connection("c1")?
            .ok_or_else(|| StoreError::not_found("connection", "c1"))?;
        c.grant = Some(staged.id.clone());
        c.state = ConnectionState::Active;
        tx.put_connection(&c)?;
        tx.delete_grant("g1")?;
        Ok(())
    })
    .unwrap();
    let c = s.connection("c1").unwrap().unwrap();
    assert_eq!(c.grant.as_deref(), Some("g2"));
    assert_eq!(c.state, ConnectionState::Active);
    assert_eq!(s.grant("g1").unwrap(), None);
    let g2 = s.grant("g2").unwrap().unwrap();
    let at = s
        .cipher()
        .open(&g2.access_token, &aad::grant_access("g2"))
        .unwrap();
    assert_eq!(at.expose(), "new-at");
}

#[test]
fn plugin_state_is_isolated_per_connection() {
    let t = test_store();
    let s = &t.store;
    s.state_set("c1", "page", b"7").unwrap();
    s.state_set("c1", "token-hint", b"x").unwrap();
    s.state_set("c2", "page", b"99").unwrap();
    s.state_set("c10", "page", b"10").unwrap();
    s.state_set("c", "page", b"0").unwrap();
    assert_eq!(
        s.state_get("c1", "page").unwrap().as_deref(),
        Some(&b"7"[..])
    );
    assert_eq!(
        s.state_get("c2", "page").unwrap().as_deref(),
        Some(&b"99"[..])
    );
    assert_eq!(s.state_get("c2", "token-hint").unwrap(), None);
    assert_eq!(s.state_keys("c1").unwrap(), vec!["page", "token-hint"]);
    assert!(s.state_delete("c1", "token-hint").unwrap());
    assert!(!s.state_delete("c1", "token-hint").unwrap());
    assert_eq!(s.state_clear("c1").unwrap(), 1);
    assert_eq!(s.state_get("c1", "page").unwrap(), None);
    for (conn, value) in [("c2", &b"99"[..]), ("c10", b"10"), ("c", b"0")] {
        assert_eq!(
            s.state_get(conn, "page").unwrap().as_deref(),
            Some(value),
            "{conn}"
        );
    }
}

#[test]
fn sync_runs_newest_first() {
    let t = test_store();
    let s = &t.store;
    let run = |conn: &str, started| SyncRun {
        id: 0,
        connection: conn.into(),
        stream: "accounts".into(),
        started_at: started,
        finished_at: None,
        pages: 0,
        added: 0,
        updated: 0,
        deleted: 0,
        plugin_version: "1.0.0".into(),
        error: None,
        status: RunStatus::Running,
        last_page_at: None,
        retries: 0,
    };
    let a = s.append_sync_run(&run("c1", 10)).unwrap();
    let b = s.append_sync_run(&run("c2", 20)).unwrap();
    let c = s.append_sync_run(&run("c1", 30)).unwrap();
    assert!(a < b && b < c);
    let mut finished = s.sync_run("c1", c).unwrap().unwrap();
    finished.finished_at = Some(40);
    finished.pages = 2;
    finished.added = 5;
    finished.error = Some("rate limited".into());
    finished.status = RunStatus::Failed;
    s.update_sync_run(&finished).unwrap();
    let listed = s.list_sync_runs("c1", 10).unwrap();
    assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), vec![c, a]);
    assert_eq!(listed[0], finished);
    assert_eq!(s.list_sync_runs("c1", 1).unwrap().len(), 1);
    let mut ghost = finished.clone();
    ghost.id = 999;
    ghost.finished_at = None;
    assert!(matches!(
        s.update_sync_run(&ghost),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn events_outbox() {
    let t = test_store();
    let s = &t.store;
    let event = |conn: &str, kind: &str| Event {
        seq: 42,
        at: 1,
        connection: conn.into(),
        kind: kind.into(),
        from: None,
        to: None,
        reason: None,
        cause: None,
        run: None,
    };
    assert_eq!(s.append_event(&event("c1", "a")).unwrap(), 1);
    assert_eq!(s.append_event(&event("c2", "b")).unwrap(), 2);
    assert_eq!(s.append_event(&event("c1", "c")).unwrap(), 3);
    let kinds = |events: Vec<Event>| events.into_iter().map(|e| e.kind).collect::<Vec<_>>();
    assert_eq!(kinds(s.events_after(1, 10).unwrap()), vec!["b", "c"]);
    assert_eq!(kinds(s.events_after(0, 1).unwrap()), vec!["a"]);
    assert_eq!(
        kinds(s.events_for_connection("c1", 10).unwrap()),
        vec!["c", "a"]
    );
    assert_eq!(s.event(2).unwrap().unwrap().seq, 2);
    assert_eq!(
        kinds(s.undelivered_events(10).unwrap()),
        vec!["a", "b", "c"]
    );
    assert!(s.mark_delivered(2).unwrap());
    assert!(!s.mark_delivered(2).unwrap());
    assert_eq!(kinds(s.undelivered_events(10).unwrap()), vec!["a", "c"]);
    assert_eq!(kinds(s.undelivered_events(1).unwrap()), vec!["a"]);
}

#[test]
fn tenant_index_follows_every_connection_write() {
    let t = test_store();
    let s = &t.store;
    let holders = |tenant: &str| s.tenant_holders("int-1", tenant).unwrap();
    s.put_connection(&connection("c1", ConnectionState::Active))
        .unwrap();
    let mut pending = connection("c2", ConnectionState::Pending);
    pending.tenant = None;
    s.put_connection(&pending).unwrap();
    assert_eq!(holders("tenant-1"), vec!["c1".to_string()]);
    assert!(holders("tenant-2").is_empty());
    // A tenant that is a prefix of another is not confused with it.
    let mut longer = connection("c3", ConnectionState::Active);
    longer.tenant.as_mut().unwrap().id = "tenant-10".into();
    s.put_connection(&longer).unwrap();
    assert_eq!(holders("tenant-1"), vec!["c1".to_string()]);
    assert_eq!(holders("tenant-10"), vec!["c3".to_string()]);
    // Rebinding moves the entry; another integration has its own.
    let mut moved = connection("c1", ConnectionState::Active);
    moved.tenant.as_mut().unwrap().id = "tenant-2".into();
    s.put_connection(&moved).unwrap();
    assert!(holders("tenant-1").is_empty());
    assert_eq!(holders("tenant-2"), vec!["c1".to_string()]);
    assert!(s.tenant_holders("int-2", "tenant-2").unwrap().is_empty());
    // Needing re-authorisation still holds the tenant; deleted does not.
    moved.state = ConnectionState::NeedsReauth;
    s.put_connection(&moved).unwrap();
    assert_eq!(holders("tenant-2"), vec!["c1".to_string()]);
    moved.state = ConnectionState::Deleted;
    s.put_connection(&moved).unwrap();
    assert!(holders("tenant-2").is_empty());
    // Inside a write transaction the check sees that transaction's own writes.
    s.write(|tx| {
        tx.put_connection(&connection("c4", ConnectionState::Active))?;
        assert_eq!(
            tx.tenant_holders("int-1", "tenant-1")?,
            vec!["c4".to_string()]
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn connections_page_from_a_cursor_with_a_filter() {
    let t = test_store();
    let s = &t.store;
    for i in 0..7 {
        let state = if i % 3 == 0 {
            ConnectionState::Deleted
        } else {
            ConnectionState::Active
        };
        s.put_connection(&connection(&format!("c{i}"), state))
            .unwrap();
    }
    let ids = |v: Vec<crate::model::Connection>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let live = |c: &crate::model::Connection| c.state != ConnectionState::Deleted;
    assert_eq!(
        ids(s.connections_after(None, 2, live).unwrap()),
        ["c1", "c2"]
    );
    assert_eq!(
        ids(s.connections_after(Some("c2"), 2, live).unwrap()),
        ["c4", "c5"]
    );
    // The cursor itself is excluded, even when it names no connection.
    assert_eq!(
        ids(s.connections_after(Some("c4"), 10, live).unwrap()),
        ["c5"]
    );
    assert_eq!(
        ids(s.connections_after(Some("c44"), 10, |_| true).unwrap()),
        ["c5", "c6"]
    );
    assert!(
        s.connections_after(Some("c6"), 10, |_| true)
            .unwrap()
            .is_empty()
    );
    assert!(s.connections_after(None, 0, |_| true).unwrap().is_empty());
}
