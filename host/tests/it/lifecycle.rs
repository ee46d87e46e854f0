//! The OAuth lifecycle end to end against the Xero and QuickBooks simulators: one test
//! per situation users hit (issue 3).

use std::sync::atomic::Ordering;
use std::time::Duration;

use mooring_simulators::Provider;
use serde_json::json;

use crate::harness::{Host, USER, XERO_CLIENT};

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);

fn refreshes(host: &Host) -> u64 {
    host.sim
        .counters()
        .token_requests(Provider::Xero, Some("refresh_token"))
}

async fn state_of(host: &Host, id: &str) -> (String, String) {
    let c = host.connection(id).await;
    (
        c["state"].as_str().unwrap_or_default().to_owned(),
        c["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn one_organisation_connects_active_and_secrets_stay_hidden() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let c = host.connection(&id).await;
    assert_eq!(c["state"], "active");
    assert_eq!(c["tenant"]["name"], "UK Ltd");
    assert_eq!(c["tenant"]["id"], host.uk.as_str());
    host.probe(&id, "organisation")
        .await
        .expect("API call with the new grant");
    let events = host
        .api_ok("GET", &format!("/api/connections/{id}/events"), None)
        .await;
    let kinds: Vec<(&str, &str)> = events
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| Some((e["kind"].as_str()?, e["cause"].as_str()?)))
        .collect();
    assert!(
        kinds.contains(&("connection.created", "created"))
            && kinds.contains(&("connection.active", "connected")),
        "{kinds:?}"
    );
    let integrations = host
        .api_ok("GET", "/api/integrations", None)
        .await
        .to_string();
    assert!(
        !integrations.contains(XERO_CLIENT.1),
        "client secret leaked: {integrations}"
    );
}

#[tokio::test]
async fn several_organisations_wait_for_a_choice_and_a_bound_one_is_refused() {
    let host = Host::start().await;
    let started = host
        .api_ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero", "label": "both"})),
        )
        .await;
    let id = started["id"].as_str().expect("id").to_owned();
    let (status, page) = host
        .consent(
            started["authorize_url"].as_str().expect("url"),
            &[&host.uk, &host.usa],
            true,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let c = host.connection(&id).await;
    assert_eq!(c["state"], "awaiting_tenant");
    assert_eq!(c["tenant_choices"].as_array().map(Vec::len), Some(2));
    let chosen = host
        .api_ok(
            "POST",
            &format!("/api/connections/{id}/tenant"),
            Some(json!({"tenant_id": host.usa})),
        )
        .await;
    assert_eq!(chosen["state"], "active");
    assert_eq!(chosen["tenant"]["name"], "USA Inc");
    host.probe(&id, "organisation")
        .await
        .expect("works for the chosen org");

    // USA Inc is now bound: connecting it again on the same integration is refused.
    let second = host
        .api_ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero"})),
        )
        .await;
    let (status, page) = host
        .consent(
            second["authorize_url"].as_str().expect("url"),
            &[&host.usa],
            true,
        )
        .await;
    assert_eq!(status, 502);
    assert!(page.contains("already connected"), "{page}");
    let second = host.connection(second["id"].as_str().expect("id")).await;
    assert_eq!(second["state"], "pending");
}

#[tokio::test]
async fn quickbooks_connects_with_the_realm_and_company_name() {
    let host = Host::start().await;
    let id = host.connect("qbo", &[&host.qbo_company], None).await;
    let c = host.connection(&id).await;
    assert_eq!(c["state"], "active", "{c}");
    assert_eq!(c["tenant"]["id"], host.qbo_company.as_str());
    assert_eq!(c["tenant"]["name"], "Mooring Demo Company");
    // The plugin opts in (a `header:` extra on the token request) to the refresh
    // token's absolute limit, which the host records and shows with the connection.
    let now = host.sim.clock().now_ms() as u64;
    let hard = c["refresh_token_hard_expires_at"]
        .as_u64()
        .expect("hard expiry shown");
    assert!(hard > now + 4 * 365 * DAY.as_millis() as u64, "{c}");
    assert!(c["refresh_token_expires_at"].as_u64().expect("idle expiry") > now);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_silently() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.probe(&id, "organisation").await.expect("first call");
    assert_eq!(refreshes(&host), 0);
    host.advance(31 * MINUTE);
    host.probe(&id, "organisation")
        .await
        .expect("call after expiry");
    assert_eq!(refreshes(&host), 1);
    assert_eq!(state_of(&host, &id).await.0, "active");
}

#[tokio::test]
async fn an_idle_refresh_token_dies_after_61_days_unless_kept_alive() {
    let idle = Host::start().await;
    let id = idle.connect("xero", &[&idle.uk], None).await;
    idle.advance(61 * DAY);
    idle.probe(&id, "organisation")
        .await
        .expect_err("grant died");
    let (state, reason) = state_of(&idle, &id).await;
    assert_eq!(state, "needs_reauth");
    assert!(
        reason.starts_with("refresh token expired after 61 days unused"),
        "{reason}"
    );

    let kept = Host::start().await;
    let id = kept.connect("xero", &[&kept.uk], None).await;
    for _ in 0..4 {
        kept.advance(16 * DAY);
        kept.app().connections.keep_alive_pass().await;
    }
    kept.probe(&id, "organisation")
        .await
        .expect("kept alive for 64 days");
    assert_eq!(state_of(&kept, &id).await.0, "active");
}

#[tokio::test]
async fn a_password_change_lists_every_connection_of_that_user_as_broken() {
    let host = Host::start().await;
    let uk = host.connect("xero", &[&host.uk], None).await;
    let usa = host.connect("xero", &[&host.usa], None).await;
    let qbo = host.connect("qbo", &[&host.qbo_company], None).await;
    host.sim
        .change_password(Provider::Xero, USER)
        .expect("password change");
    for id in [&uk, &usa] {
        host.probe(id, "organisation").await.expect_err("revoked");
    }
    let broken = host
        .api_ok("GET", "/api/connections?state=needs_reauth", None)
        .await;
    let mut ids: Vec<&str> = broken
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    ids.sort();
    let mut expected = vec![uk.as_str(), usa.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let reason = broken[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("password"), "{reason}");
    assert_eq!(state_of(&host, &qbo).await.0, "active");
}

#[tokio::test]
async fn an_app_disconnected_at_the_provider_needs_reauth() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.sim
        .disconnect_app_provider_side(XERO_CLIENT.0, &host.uk)
        .expect("disconnect");
    host.probe(&id, "organisation")
        .await
        .expect_err("disconnected");
    let (state, reason) = state_of(&host, &id).await;
    assert_eq!(state, "needs_reauth");
    assert!(reason.contains("disconnected"), "{reason}");
}

#[tokio::test]
async fn rotated_client_credentials_need_reauth_naming_them() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.sim
        .rotate_client_secret(Provider::Xero, XERO_CLIENT.0)
        .expect("rotate");
    host.advance(31 * MINUTE);
    host.probe(&id, "organisation")
        .await
        .expect_err("old secret refused");
    let (state, reason) = state_of(&host, &id).await;
    assert_eq!(state, "needs_reauth");
    assert!(reason.contains("client credentials"), "{reason}");
}

#[tokio::test]
async fn a_removed_user_needs_reauth() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.sim
        .remove_user_from_org(USER, &host.uk)
        .expect("remove");
    host.probe(&id, "organisation")
        .await
        .expect_err("no access");
    let (state, reason) = state_of(&host, &id).await;
    assert_eq!(state, "needs_reauth", "{reason}");
    assert!(
        reason.contains("UK Ltd") || reason.contains("access"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_hundred_concurrent_calls_on_an_expired_token_make_one_token_request() {
    let host = Host::start().await;
    let id = host.connect("qbo", &[&host.qbo_company], None).await;
    host.advance(61 * MINUTE);
    let before = host
        .sim
        .counters()
        .token_requests(Provider::Quickbooks, Some("refresh_token"));
    let calls = (0..100).map(|_| host.probe(&id, "companyinfo"));
    let results = futures_util::future::join_all(calls).await;
    let failures: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let after = host
        .sim
        .counters()
        .token_requests(Provider::Quickbooks, Some("refresh_token"));
    assert_eq!(after - before, 1, "exactly one token request");
}

#[tokio::test]
async fn a_host_that_dies_between_rotation_and_commit_recovers_through_the_grace_window() {
    let mut host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.advance(31 * MINUTE);
    // The provider rotates the refresh token, but its answer never arrives...
    host.lossy.lose.store(1, Ordering::SeqCst);
    host.probe(&id, "organisation")
        .await
        .expect_err("response lost");
    assert_eq!(refreshes(&host), 1);
    // ...and the host dies before it could have committed anything.
    host.restart().await;
    host.advance(5 * MINUTE);
    host.probe(&id, "organisation")
        .await
        .expect("recovered with the pre-rotation token inside the grace window");
    assert_eq!(state_of(&host, &id).await.0, "active");
    assert_eq!(
        host.sim
            .counters()
            .token_successes(Provider::Xero, Some("refresh_token")),
        2
    );
}

#[tokio::test]
async fn denied_replayed_and_expired_states_leave_everything_unchanged() {
    let host = Host::start().await;
    // Denied at the consent screen.
    let started = host
        .api_ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero"})),
        )
        .await;
    let id = started["id"].as_str().expect("id").to_owned();
    let (status, page) = host
        .consent(
            started["authorize_url"].as_str().expect("url"),
            &[&host.uk],
            false,
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("not granted"), "{page}");
    assert_eq!(state_of(&host, &id).await.0, "pending");

    // A replayed callback: the second use of the same state is refused.
    let active = host
        .api_ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero"})),
        )
        .await;
    let active_id = active["id"].as_str().expect("id").to_owned();
    let redirect = host
        .sim
        .authorize(
            active["authorize_url"].as_str().expect("url"),
            USER,
            &[&host.uk],
            true,
        )
        .expect("consent");
    assert_eq!(host.browse(&redirect.location).await.0, 200);
    let grant = host
        .app()
        .store
        .connection(&active_id)
        .expect("store")
        .expect("conn")
        .grant;
    let (status, page) = host.browse(&redirect.location).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("already used"), "{page}");
    assert_eq!(
        host.app()
            .store
            .connection(&active_id)
            .expect("store")
            .expect("conn")
            .grant,
        grant
    );

    // An expired state (ten minutes) is refused.
    let late = host
        .api_ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "qbo"})),
        )
        .await;
    host.advance(11 * MINUTE);
    let (status, page) = host
        .consent(
            late["authorize_url"].as_str().expect("url"),
            &[&host.qbo_company],
            true,
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("expired"), "{page}");
    assert_eq!(
        state_of(&host, late["id"].as_str().expect("id")).await.0,
        "pending"
    );

    // An unknown state.
    let (status, _) = host
        .browse(&format!(
            "{}/oauth/callback?code=x&state=made-up",
            host.base
        ))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn delete_revokes_at_the_provider_and_keeps_records_unless_purged() {
    let host = Host::start().await;
    let kept = host.connect("xero", &[&host.uk], None).await;
    let purged = host.connect("xero", &[&host.usa], None).await;
    for id in [&kept, &purged] {
        let runs = host
            .api_ok(
                "POST",
                &format!("/api/connections/{id}/sync"),
                Some(json!({"streams": ["organisation"]})),
            )
            .await;
        assert!(runs["runs"][0]["error"].is_null(), "{runs}");
        assert_eq!(
            host.app()
                .store
                .record_count(id, "organisation")
                .expect("count"),
            1,
            "synced"
        );
    }
    let live_links = |host: &Host| {
        host.sim
            .connections()
            .iter()
            .filter(|c| c.client_id == XERO_CLIENT.0)
            .count()
    };
    assert_eq!(live_links(&host), 2);

    // Xero's revocation would remove every connection of the user, so while another
    // organisation is still connected only this one's link is deleted at Xero.
    let revocations = host.sim.counters().revocations(Provider::Xero);
    host.api_ok(
        "DELETE",
        &format!("/api/connections/{purged}?purge=true"),
        None,
    )
    .await;
    assert_eq!(live_links(&host), 1);
    assert_eq!(host.sim.counters().revocations(Provider::Xero), revocations);
    assert_eq!(
        host.app()
            .store
            .record_count(&purged, "organisation")
            .expect("count"),
        0,
        "records purged"
    );
    host.probe(&kept, "organisation")
        .await
        .expect("the other connection still works");

    // The last one is revoked as well.
    let deleted = host
        .api_ok("DELETE", &format!("/api/connections/{kept}"), None)
        .await;
    assert_eq!(deleted["state"], "deleted");
    assert!(deleted["warning"].is_null(), "{deleted}");
    assert_eq!(live_links(&host), 0);
    assert_eq!(
        host.sim.counters().revocations(Provider::Xero),
        revocations + 1
    );
    let shown = host
        .api_ok("GET", &format!("/api/connections/{kept}"), None)
        .await;
    assert_eq!(
        shown["state"], "deleted",
        "a deleted connection stays readable"
    );
    let stored = host
        .app()
        .store
        .connection(&kept)
        .expect("store")
        .expect("kept as deleted");
    assert!(stored.grant.is_none(), "tokens removed");
    assert_eq!(
        host.app()
            .store
            .record_count(&kept, "organisation")
            .expect("count"),
        1,
        "records kept"
    );
    let events = host
        .app()
        .store
        .events_for_connection(&kept, 10)
        .expect("events");
    assert_eq!(events[0].kind, "connection.deleted");
}
