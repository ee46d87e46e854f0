//! Reconnects end to end: staged, refused for the wrong organisation (old grant and
//! plugin state untouched), accepted for the right one, and adding a missing scope.

use mooring_simulators::Provider;
use serde_json::json;

use crate::harness::{Host, USER, XERO_CLIENT};

async fn state_of(host: &Host, id: &str) -> (String, String) {
    let c = host.connection(id).await;
    (
        c["state"].as_str().unwrap_or_default().to_owned(),
        c["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_reconnect_to_the_wrong_organisation_is_refused_and_the_old_grant_still_works() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.usa], None).await;
    let before = host
        .app()
        .store
        .connection(&id)
        .expect("store")
        .expect("conn")
        .grant;
    let (status, page) = host.reconnect(&id, &[&host.uk], None).await;
    assert_eq!(status, 502);
    assert!(
        page.contains("you selected &#x27;UK Ltd&#x27;") || page.contains("you selected 'UK Ltd'"),
        "{page}"
    );
    assert!(page.contains("USA Inc"), "{page}");
    let after = host
        .app()
        .store
        .connection(&id)
        .expect("store")
        .expect("conn");
    assert_eq!(after.grant, before, "the old grant is untouched");
    assert_eq!(state_of(&host, &id).await.0, "active");
    host.probe(&id, "organisation")
        .await
        .expect("old grant still works");
}

#[tokio::test]
async fn a_reconnect_to_the_right_organisation_restores_the_connection() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.usa], None).await;
    host.sim
        .change_password(Provider::Xero, USER)
        .expect("password change");
    host.probe(&id, "organisation").await.expect_err("broken");
    assert_eq!(state_of(&host, &id).await.0, "needs_reauth");
    let (status, page) = host.reconnect(&id, &[&host.usa], None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(state_of(&host, &id).await.0, "active");
    host.probe(&id, "organisation").await.expect("works again");
    // No stale duplicate app connection for the org is left behind at the provider.
    let entries = host
        .sim
        .connections()
        .into_iter()
        .filter(|c| c.tenant_id == host.usa && c.client_id == XERO_CLIENT.0)
        .count();
    assert!(entries <= 1, "{entries} connections to USA Inc remain");
}

#[tokio::test]
async fn a_missing_scope_needs_scope_and_a_reconnect_with_it_fixes_it() {
    let host = Host::start().await;
    let scopes = vec!["openid", "offline_access", "accounting.settings.read"];
    let id = host.connect("xero", &[&host.uk], Some(scopes)).await;
    assert_eq!(state_of(&host, &id).await.0, "active");
    host.probe(&id, "journals")
        .await
        .expect_err("journals need a scope");
    let (state, reason) = state_of(&host, &id).await;
    assert_eq!(state, "needs_scope");
    assert!(reason.contains("accounting.journals.read"), "{reason}");
    let (status, page) = host
        .reconnect(&id, &[&host.uk], Some(json!(["accounting.journals.read"])))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(state_of(&host, &id).await.0, "active");
    host.probe(&id, "journals")
        .await
        .expect("journals now allowed");
}

#[tokio::test]
async fn a_refused_reconnect_leaves_the_plugin_state_untouched() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let stored = |host: &Host| -> String {
        let bytes = host
            .app()
            .store
            .state_get(&id, "granted_scopes")
            .expect("state")
            .expect("scopes stored");
        String::from_utf8(bytes).expect("utf-8")
    };
    let before = stored(&host);
    assert!(!before.contains("accounting.attachments.read"), "{before}");
    // The plugin records the new grant's scopes during the consent; the host refuses
    // the wrong organisation, so those writes must never land.
    let (status, _) = host
        .reconnect(
            &id,
            &[&host.usa],
            Some(json!(["accounting.attachments.read"])),
        )
        .await;
    assert_eq!(status, 502);
    assert_eq!(
        stored(&host),
        before,
        "a refused reconnect changed the plugin's state"
    );
    // The accepted reconnect commits them together with the grant.
    let (status, page) = host
        .reconnect(
            &id,
            &[&host.uk],
            Some(json!(["accounting.attachments.read"])),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        stored(&host).contains("accounting.attachments.read"),
        "{}",
        stored(&host)
    );
}
