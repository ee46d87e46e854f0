//! Provider decisions (active pointer, history, canary, approvals) and cursor formats.

use crate::model::{Canary, Event, PluginRecord};
use crate::tests::test_store;

fn stored_version(store: &crate::Store, provider: &str, version: &str) -> String {
    let sha = store
        .put_plugin_blob(format!("{provider}@{version}").as_bytes())
        .unwrap();
    store
        .put_plugin(&PluginRecord {
            sha256: sha.clone(),
            id: provider.into(),
            version: version.into(),
            name: provider.into(),
            size: 1,
            added_at: 1,
        })
        .unwrap();
    sha
}

fn plugin_event(kind: &str) -> Event {
    Event {
        seq: 0,
        at: 5,
        connection: String::new(),
        kind: kind.into(),
        from: None,
        to: None,
        reason: Some("acme 1.1.0".into()),
        cause: None,
        run: None,
    }
}

#[test]
fn provider_decisions_persist_with_their_event_in_one_transaction() {
    let t = test_store();
    let s = &t.store;
    let v1 = stored_version(s, "acme", "1.0.0");
    let v2 = stored_version(s, "acme", "1.1.0");
    s.set_active_plugin("acme", &v1).unwrap();
    s.update_provider_plugins("acme", 5, Some(&plugin_event("plugin.activated")), |p| {
        assert_eq!(
            p.active.as_deref(),
            Some(v1.as_str()),
            "seeded from the pointer"
        );
        p.history.push(v1.clone());
        p.active = Some(v2.clone());
        p.canary = Some(Canary {
            sha256: v1.clone(),
            percent: 10,
        });
        p.approved.scopes = vec!["read".into()];
        Ok(())
    })
    .unwrap();
    assert_eq!(
        s.active_plugin("acme").unwrap().as_deref(),
        Some(v2.as_str())
    );
    let record = s.provider_plugins("acme").unwrap().unwrap();
    assert_eq!(record.history, vec![v1.clone()]);
    assert_eq!(record.canary.as_ref().map(|c| c.percent), Some(10));
    assert_eq!(record.updated_at, 5);
    let events = s.events_after(0, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "plugin.activated");

    // A change naming another provider's component is refused whole: nothing moves.
    let other = stored_version(s, "other", "1.0.0");
    let refused =
        s.update_provider_plugins("acme", 6, Some(&plugin_event("plugin.activated")), |p| {
            p.active = Some(other.clone());
            Ok(())
        });
    assert!(refused.is_err());
    assert_eq!(
        s.active_plugin("acme").unwrap().as_deref(),
        Some(v2.as_str())
    );
    assert_eq!(
        s.events_after(0, 10).unwrap().len(),
        1,
        "no event for a refused change"
    );
    assert_eq!(s.list_provider_plugins().unwrap().len(), 1);
}

#[test]
fn a_changed_cursor_format_clears_the_cursor_once() {
    let t = test_store();
    let s = &t.store;
    s.set_cursor("c1", "invoices", "2024-01-01").unwrap();
    assert!(
        !s.align_cursor_format("c1", "invoices", "updated").unwrap(),
        "adopted"
    );
    assert_eq!(
        s.cursor("c1", "invoices").unwrap().as_deref(),
        Some("2024-01-01")
    );
    assert!(!s.align_cursor_format("c1", "invoices", "updated").unwrap());
    assert!(
        s.align_cursor_format("c1", "invoices", "updated#2")
            .unwrap(),
        "changed"
    );
    assert_eq!(s.cursor("c1", "invoices").unwrap(), None);
    assert_eq!(
        s.cursor_format("c1", "invoices").unwrap().as_deref(),
        Some("updated#2")
    );
    assert!(
        !s.align_cursor_format("c1", "invoices", "updated#2")
            .unwrap()
    );
}
