//! Xero `/connections`: listing, authEventId filter, DELETE, 401 bodies, reconnect
//! duplicates, membership changes and the data-API authorisation hook.

mod common;

use common::*;
use mooring_simulators::{ApiDenial, Provider};
use serde_json::Value;

fn ids(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| s(&c[key]).to_owned())
        .collect()
}

#[tokio::test]
async fn lists_connections_with_the_documented_shape_and_headers() {
    let w = world().await;
    let t = w.xero_tokens(&[&w.uk, &w.us]).await;
    let a = w.connections(s(&t["access_token"]), "").await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(ids(&v, "tenantId"), vec![w.uk.clone(), w.us.clone()]);
    let c = &v[0];
    assert_eq!(c["tenantType"], "ORGANISATION");
    assert_eq!(c["tenantName"], "UK Ltd");
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 7);
    let created = s(&c["createdDateUtc"]);
    assert_eq!(created.len(), "2019-12-07T18:46:19.5165400".len());
    assert!(created.starts_with("2026-11-22T09:00:00.") && !created.ends_with('Z'));
    // Field order as Xero sends it.
    assert!(a.text.starts_with(r#"[{"id":""#));
    assert!(a.text.contains(r#"","authEventId":""#));
    assert_eq!(a.header("x-appminlimit-remaining"), Some("9999"));
    assert!(
        a.header("x-minlimit-remaining").is_none() && a.header("x-daylimit-remaining").is_none()
    );
    assert_eq!(w.sim.counters().connections_calls, 1);
}

#[tokio::test]
async fn filter_by_auth_event_and_delete() {
    let w = world().await;
    let t1 = w.xero_tokens(&[&w.uk]).await;
    let t2 = w.xero_tokens(&[&w.us]).await;
    let at2 = s(&t2["access_token"]).to_owned();
    // Either token sees every tenant the user connected to the app.
    assert_eq!(
        ids(
            &w.connections(s(&t1["access_token"]), "").await.json(),
            "tenantId"
        )
        .len(),
        2
    );
    let event2 = w.sim.live_grants()[1].auth_event_id.clone();
    let only = w
        .connections(&at2, &format!("?authEventId={event2}"))
        .await
        .json();
    assert_eq!(ids(&only, "tenantId"), vec![w.us.clone()]);
    let id = s(&only[0]["id"]).to_owned();
    let del_url = w.sim.url("api.xero.com", &format!("/connections/{id}"));
    let d = w.delete(&del_url, &at2).await;
    assert_eq!((d.status, d.text.as_str()), (204, ""));
    assert_eq!(w.delete(&del_url, &at2).await.status, 404);
    assert_eq!(
        ids(&w.connections(&at2, "").await.json(), "tenantId"),
        vec![w.uk.clone()]
    );
    // The deleted tenant is no longer reachable by data calls; the other still is.
    assert_eq!(
        w.sim
            .authorize_api_call(Provider::Xero, Some(&at2), Some(&w.us)),
        Err(ApiDenial::Forbidden(Provider::Xero))
    );
    let g = w
        .sim
        .authorize_api_call(Provider::Xero, Some(&at2), Some(&w.uk))
        .unwrap();
    assert_eq!(g.tenant_id.as_deref(), Some(w.uk.as_str()));
    assert!(g.has_scope("accounting.settings.read"));
}

#[tokio::test]
async fn expired_and_unknown_tokens_get_the_real_401_bodies() {
    let w = world().await;
    let at = s(&w.xero_tokens(&[&w.uk]).await["access_token"]).to_owned();
    w.advance(1800);
    let a = w.connections(&at, "").await;
    assert_eq!(a.status, 401);
    let v = a.json();
    // Frozen clock: issued 2026-11-22 09:00:00 UTC, expired 30 minutes later.
    assert_eq!(
        v["Detail"],
        "TokenExpired: token expired at 11/22/2026 09:30:00"
    );
    assert_eq!(v["Title"], "Unauthorized");
    assert_eq!(v["Status"], 401);
    assert!(v["Type"].is_null() && v["Extensions"] == serde_json::json!({}));
    assert_eq!(s(&v["Instance"]).len(), 36);
    assert!(a.text.starts_with(
        r#"{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: "#
    ));

    let u = w.connections("not-a-token", "").await;
    assert_eq!(u.status, 401);
    assert_eq!(u.json()["Detail"], "AuthorizationUnsuccessful");
    let none = w.get(&w.sim.url("api.xero.com", "/connections"), &[]).await;
    assert_eq!(none.status, 401);
}

#[tokio::test]
async fn reconsent_leaves_a_stale_duplicate_with_reconnect_dates() {
    let w = world().await;
    w.xero_tokens(&[&w.uk]).await;
    w.advance(3600);
    let t2 = w.xero_tokens(&[&w.uk]).await;
    let v = w.connections(s(&t2["access_token"]), "").await.json();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2, "old entry lingers until deleted");
    assert_eq!(list[0]["tenantId"], list[1]["tenantId"]);
    assert_ne!(list[0]["id"], list[1]["id"]);
    assert_ne!(list[0]["authEventId"], list[1]["authEventId"]);
    // The new entry keeps the first connection's creation date and is updated now.
    assert_eq!(list[1]["createdDateUtc"], list[0]["createdDateUtc"]);
    assert!(s(&list[1]["updatedDateUtc"]).starts_with("2026-11-22T10:00:00."));
    // Deleting the stale entry keeps the tenant reachable through the new one.
    let stale = s(&list[0]["id"]).to_owned();
    // (the first token expired meanwhile; the new one sees both entries)
    let at1 = s(&t2["access_token"]).to_owned();
    assert_eq!(
        w.delete(
            &w.sim.url("api.xero.com", &format!("/connections/{stale}")),
            &at1
        )
        .await
        .status,
        204
    );
    assert!(
        w.sim
            .authorize_api_call(Provider::Xero, Some(&at1), Some(&w.uk))
            .is_ok()
    );
}

#[tokio::test]
async fn removing_a_member_hides_the_tenant_and_forbids_data_calls() {
    let w = world().await;
    let t = w.xero_tokens(&[&w.uk, &w.us]).await;
    let at = s(&t["access_token"]).to_owned();
    w.sim.remove_user_from_org(ALICE, &w.uk).unwrap();
    assert_eq!(
        ids(&w.connections(&at, "").await.json(), "tenantId"),
        vec![w.us.clone()]
    );
    let denied = w
        .sim
        .authorize_api_call(Provider::Xero, Some(&at), Some(&w.uk))
        .unwrap_err();
    let body = denied.response(true);
    assert_eq!(body.status.as_u16(), 403);
    let v: Value = serde_json::from_str(body.body_text()).unwrap();
    assert_eq!(v["Detail"], "AuthenticationUnsuccessful");
    assert_eq!(v["Title"], "Forbidden");
    // Missing tenant header is 403 too; refresh still works for the other tenant.
    assert_eq!(
        w.sim.authorize_api_call(Provider::Xero, Some(&at), None),
        Err(ApiDenial::Forbidden(Provider::Xero))
    );
    assert_eq!(w.xero_refresh(s(&t["refresh_token"])).await.status, 200);
}

#[tokio::test]
async fn provider_side_disconnect_removes_connections_and_strands_the_grant() {
    let w = world().await;
    let t = w.xero_tokens(&[&w.uk]).await;
    assert_eq!(
        w.sim.disconnect_app_provider_side(XERO_ID, &w.uk).unwrap(),
        1
    );
    assert_eq!(
        w.xero_refresh(s(&t["refresh_token"])).await.text,
        r#"{"error":"invalid_grant"}"#
    );
    assert!(w.sim.connections().is_empty());

    // With another tenant left the grant survives.
    let t = w.xero_tokens(&[&w.uk, &w.us]).await;
    assert_eq!(
        w.sim.disconnect_app_provider_side(XERO_ID, &w.uk).unwrap(),
        0
    );
    let left = w.connections(s(&t["access_token"]), "").await.json();
    assert_eq!(ids(&left, "tenantId"), vec![w.us.clone()]);
}
