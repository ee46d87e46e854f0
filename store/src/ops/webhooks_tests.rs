//! Tests of webhook endpoints, deliveries, reconnect links and expiry warnings.

use crate::crypto::SecretKey;
use crate::model::Event;
use crate::tests::test_store;
use crate::webhook_model::{
    Delivery, DeliveryStatus, EndpointSource, ReconnectLink, WebhookEndpoint, webhook_secret_aad,
};
use crate::{EventKind, KeyRing, Store};

fn endpoint(store: &Store, id: &str) -> WebhookEndpoint {
    WebhookEndpoint {
        id: id.into(),
        url: "http://127.0.0.1:9/hook".into(),
        description: None,
        secret: store
            .cipher()
            .seal("whsec_x", &webhook_secret_aad(id))
            .expect("seal"),
        event_types: vec!["connection.*".into()],
        enabled: true,
        disabled_reason: None,
        source: EndpointSource::Api,
        failing_since: None,
        exhausted_in_a_row: 0,
        created_at: 1,
        updated_at: 1,
    }
}

fn event(kind: EventKind) -> Event {
    Event {
        seq: 0,
        at: 10,
        connection: "c1".into(),
        kind,
        from: None,
        to: None,
        reason: None,
        cause: None,
        run: None,
    }
}

fn pending(endpoint: &str, seq: u64, due: u64) -> Delivery {
    Delivery {
        endpoint: endpoint.into(),
        event: seq,
        status: DeliveryStatus::Pending,
        attempts: vec![],
        next_attempt_at: Some(due),
        window_start: due,
        series_attempts: 0,
        link: None,
        created_at: due,
    }
}

#[test]
fn endpoint_filters_match_exact_prefix_and_all() {
    let t = test_store();
    let mut e = endpoint(&t.store, "a");
    assert!(e.wants("connection.needs_reauth"));
    assert!(!e.wants("sync.completed"));
    assert!(!e.wants("connectionx.y"));
    e.event_types = vec!["sync.failed".into()];
    assert!(e.wants("sync.failed") && !e.wants("sync.completed"));
    e.event_types.clear();
    assert!(e.wants("anything"));
}

#[test]
fn fan_out_takes_the_event_off_the_outbox_and_makes_it_due() {
    let t = test_store();
    let s = &t.store;
    s.put_webhook_endpoint(&endpoint(s, "a")).expect("put");
    let seq = s
        .append_event(&event(EventKind::ConnectionActive))
        .expect("append");
    assert_eq!(s.undelivered_events(10).expect("outbox").len(), 1);
    s.write(|tx| tx.fan_out(seq, &[pending("a", seq, 100)]))
        .expect("fan out");
    assert!(s.undelivered_events(10).expect("outbox").is_empty());
    assert!(s.due_deliveries(99, 10).expect("due").is_empty());
    assert_eq!(s.due_deliveries(100, 10).expect("due").len(), 1);
    assert_eq!(s.next_delivery_due().expect("next"), Some(100));
    // Rescheduling moves it in the due index; finishing removes it.
    let mut d = s.delivery("a", seq).expect("get").expect("some");
    d.next_attempt_at = Some(500);
    s.put_delivery(&d).expect("put");
    assert!(s.due_deliveries(499, 10).expect("due").is_empty());
    d.status = DeliveryStatus::Succeeded;
    d.next_attempt_at = None;
    s.put_delivery(&d).expect("put");
    assert!(s.due_deliveries(u64::MAX, 10).expect("due").is_empty());
    assert_eq!(s.deliveries_for_event(seq).expect("by event").len(), 1);
    assert_eq!(
        s.deliveries_for_endpoint("a", None, 10).expect("log").len(),
        1
    );
    assert!(
        s.deliveries_for_endpoint("a", Some(seq), 10)
            .expect("log")
            .is_empty()
    );
    assert_eq!(s.prune_deliveries(u64::MAX, 10).expect("prune"), 1);
    assert!(s.deliveries_for_event(seq).expect("by event").is_empty());
}

#[test]
fn deleting_an_endpoint_removes_its_deliveries() {
    let t = test_store();
    let s = &t.store;
    s.put_webhook_endpoint(&endpoint(s, "a")).expect("put");
    s.write(|tx| tx.fan_out(7, &[pending("a", 7, 5)]))
        .expect("fan out");
    assert!(s.delete_webhook_endpoint("a").expect("delete"));
    assert!(s.webhook_endpoint("a").expect("get").is_none());
    assert!(s.due_deliveries(u64::MAX, 10).expect("due").is_empty());
    assert!(s.deliveries_for_event(7).expect("by event").is_empty());
}

#[test]
fn an_expiry_warning_is_recorded_once() {
    let t = test_store();
    let s = &t.store;
    let e = event(EventKind::ConnectionExpiring);
    assert!(
        s.record_expiry_warning("g", 99, 7, &e)
            .expect("1")
            .is_some()
    );
    assert!(
        s.record_expiry_warning("g", 99, 7, &e)
            .expect("2")
            .is_none()
    );
    assert!(
        s.record_expiry_warning("g", 99, 1, &e)
            .expect("3")
            .is_some()
    );
    assert_eq!(s.events_after(0, 10).expect("events").len(), 2);
    assert_eq!(s.prune_expiry_warnings(100).expect("prune"), 2);
}

#[test]
fn link_macs_depend_on_the_key_and_the_message() {
    let t = test_store();
    let s = &t.store;
    let id = s.cipher().key_id();
    let a = s.link_mac(id, b"link a").expect("mac");
    assert_eq!(Some(a), s.link_mac(id, b"link a"));
    assert_ne!(Some(a), s.link_mac(id, b"link b"));
    assert!(s.link_mac(id.saturating_add(1), b"link a").is_none());
    let dir = tempfile::tempdir().expect("tmp");
    let other = Store::open(
        &dir.path().join("o.redb"),
        KeyRing::single(SecretKey::generate()),
    )
    .expect("open");
    assert_ne!(Some(a), other.link_mac(other.cipher().key_id(), b"link a"));
    let link = ReconnectLink {
        id: "rcl_1".into(),
        connection: "c1".into(),
        scopes: vec![],
        key_id: id,
        created_at: 1,
        expires_at: 50,
        opened_at: None,
        opens: 0,
        used_at: None,
        revoked_at: None,
        origin: None,
    };
    s.put_reconnect_link(&link).expect("put");
    assert_eq!(s.reconnect_link("rcl_1").expect("get"), Some(link));
    assert_eq!(s.reconnect_links_for("c1").expect("list").len(), 1);
    assert_eq!(s.prune_reconnect_links(51).expect("prune"), 1);
}

#[test]
fn webhook_secrets_move_to_the_current_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("m.redb");
    let ring = KeyRing::single(SecretKey::generate());
    {
        let s = Store::open(&path, ring.clone()).expect("open");
        s.put_webhook_endpoint(&endpoint(&s, "a")).expect("put");
    }
    let (rotated, new_id) = ring.with_new_key().expect("rotate");
    let s = Store::open(&path, rotated).expect("open");
    let moved = s.write(|tx| tx.rewrap_webhook_secrets()).expect("rewrap");
    assert_eq!(moved, 1);
    let e = s.webhook_endpoint("a").expect("get").expect("some");
    assert_eq!(e.secret.key_id(), new_id);
    let text = s
        .cipher()
        .open(&e.secret, &webhook_secret_aad("a"))
        .expect("open");
    assert_eq!(text.expose(), "whsec_x");
    assert_eq!(s.write(|tx| tx.rewrap_webhook_secrets()).expect("again"), 0);
}
