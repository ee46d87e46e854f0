//! Races around the connection lifecycle, each made deterministic with the token
//! transport's gate: the provider has answered, the host has not yet seen the answer,
//! and the test does the conflicting thing in that window.

use mooring::auth::grants::RefreshWhy;
use mooring_simulators::Provider;

use crate::harness::{Host, USER};

fn grant_of(host: &Host, id: &str) -> String {
    host.app()
        .store
        .connection(id)
        .expect("read")
        .and_then(|c| c.grant)
        .expect("a grant")
}

/// Refresh `grant` of `id` explicitly, in a task.
fn spawn_refresh(
    host: &Host,
    id: &str,
    grant: &str,
) -> tokio::task::JoinHandle<Result<(), String>> {
    let app = host.app().clone();
    let plugin = app.registry.resolve("xero", None).expect("plugin");
    let (id, grant) = (id.to_owned(), grant.to_owned());
    tokio::spawn(async move {
        app.grants
            .refresh_grant(&plugin.info, &id, &grant, RefreshWhy::Explicit, &[])
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_ends_after_delete_brings_no_tokens_back() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let grant = grant_of(&host, &id);
    host.lossy.gate.arm(1);
    let refresh = spawn_refresh(&host, &id, &grant);
    host.lossy.gate.arrived(1).await;
    // The provider has rotated the tokens; the host deletes the connection before the
    // refresh commits.
    let deleted = host
        .api_ok("DELETE", &format!("/api/connections/{id}"), None)
        .await;
    assert_eq!(deleted["state"], "deleted");
    host.lossy.gate.release(1);
    let outcome = refresh.await.expect("task");
    assert!(
        outcome
            .as_ref()
            .is_err_and(|e| e.contains("replaced or deleted")),
        "{outcome:?}"
    );
    let store = &host.app().store;
    assert_eq!(
        store.grant(&grant).expect("read"),
        None,
        "no tokens came back"
    );
    assert!(store.list_grants().expect("grants").is_empty());
    assert_eq!(host.connection(&id).await["state"], "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_grant_on_a_replaced_grant_does_not_need_reauth() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let old = grant_of(&host, &id);
    // The password change kills the grant at the provider: its refresh gets
    // `invalid_grant`, but that answer is held while the person reconnects.
    host.sim
        .change_password(Provider::Xero, USER)
        .expect("password change");
    host.lossy.gate.arm(1);
    let refresh = spawn_refresh(&host, &id, &old);
    host.lossy.gate.arrived(1).await;
    let (status, page) = host.reconnect(&id, &[&host.uk], None).await;
    assert_eq!(status, 200, "{page}");
    let new = grant_of(&host, &id);
    assert_ne!(new, old);
    host.lossy.gate.release(1);
    let outcome = refresh.await.expect("task");
    assert!(outcome.is_err(), "the old grant is dead: {outcome:?}");
    let connection = host.connection(&id).await;
    assert_eq!(connection["state"], "active", "{connection}");
    assert_eq!(grant_of(&host, &id), new);
    let events = host
        .app()
        .store
        .events_for_connection(&id, 50)
        .expect("events");
    assert!(
        events.iter().all(|e| e.kind != "connection.needs_reauth"),
        "{events:?}"
    );
    // The new grant works.
    host.probe(&id, "organisation").await.expect("new grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_binds_of_one_organisation_leave_one_winner() {
    let host = Host::start().await;
    let mut urls = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let started = host
            .api_ok(
                "POST",
                "/api/connections",
                Some(serde_json::json!({"integration": "xero"})),
            )
            .await;
        ids.push(started["id"].as_str().expect("id").to_owned());
        urls.push(started["authorize_url"].as_str().expect("url").to_owned());
    }
    // Both code exchanges reach the provider before either callback commits.
    host.lossy.gate.arm(2);
    let org = [host.uk.as_str()];
    let both = async {
        tokio::join!(
            host.consent(&urls[0], &org, true),
            host.consent(&urls[1], &org, true),
        )
    };
    let release = async {
        host.lossy.gate.arrived(2).await;
        host.lossy.gate.release(2);
    };
    let ((first, second), ()) = tokio::join!(both, release);
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 502], "{first:?} {second:?}");
    let loser_page = if first.0 == 200 { &second.1 } else { &first.1 };
    assert!(loser_page.contains("already connected"), "{loser_page}");
    let mut states = Vec::new();
    for id in &ids {
        let c = host.connection(id).await;
        states.push((
            c["state"].as_str().unwrap_or_default().to_owned(),
            c["tenant"]["id"].as_str().map(str::to_owned),
        ));
    }
    states.sort();
    assert_eq!(
        states,
        vec![
            ("active".to_owned(), Some(host.uk.clone())),
            ("pending".to_owned(), None)
        ]
    );
    // The loser's staged grant was never stored.
    assert_eq!(host.app().store.list_grants().expect("grants").len(), 1);
}
