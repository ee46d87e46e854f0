//! QuickBooks Online: authorize with realmId, Basic-only token endpoint, rotation modes,
//! rolling and hard expiry, revocation, CompanyInfo and the gateway's fault bodies.

mod common;

use common::*;
use mooring_simulators::{Modes, Provider, QboPreviousRt, QboRefreshValue, SimConfig};

#[tokio::test]
async fn callback_carries_realm_id_and_token_response_has_intuit_shape() {
    let w = world().await;
    let t = w.qbo_tokens(&w.realm).await;
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["x_refresh_token_expires_in"], 8_640_000);
    assert!(t["id_token"].is_string());
    assert!(t.get("x_refresh_token_hard_expires_in").is_none());
    assert!(
        t.get("realmId").is_none(),
        "no realmId in the token response"
    );
    assert!(s(&t["refresh_token"]).starts_with("RT1-"));
    assert!(s(&t["access_token"]).starts_with("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.."));
    let last = w.sim.last_authorize_request().unwrap();
    assert_eq!(last.provider, Provider::Quickbooks);
    assert_eq!(last.param("state"), Some("q-state"));
}

#[tokio::test]
async fn exactly_one_company_per_consent_and_none_without_accounting_scope() {
    let w = world().await;
    let url = w.qbo_authorize_url(QBO_SCOPES);
    assert!(
        w.sim
            .authorize(&url, ALICE, &[&w.realm, &w.realm2], true)
            .is_err()
    );
    assert!(w.sim.authorize(&url, ALICE, &[], true).is_err());
    let r = w
        .sim
        .authorize(&w.qbo_authorize_url("openid email"), ALICE, &[], true)
        .unwrap();
    assert!(r.param("code").is_some() && r.param("realmId").is_none());
    let deny = w.sim.authorize(&url, ALICE, &[&w.realm], false).unwrap();
    assert_eq!(deny.param("error"), Some("access_denied"));
    assert_eq!(deny.param("state"), Some("q-state"));
}

#[tokio::test]
async fn basic_auth_only_and_intuit_tid_everywhere() {
    let w = world().await;
    let rt = s(&w.qbo_tokens(&w.realm).await["refresh_token"]).to_owned();
    let body_creds = w
        .post(
            &w.sim
                .url("oauth.platform.intuit.com", "/oauth2/v1/tokens/bearer"),
            &[("content-type", "application/x-www-form-urlencoded")],
            form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", QBO_ID),
                ("client_secret", QBO_SECRET),
            ]),
        )
        .await;
    assert_eq!(
        (body_creds.status, body_creds.text.as_str()),
        (401, r#"{"error":"invalid_client"}"#)
    );
    assert!(body_creds.header("intuit_tid").is_some());
    let ok = w.qbo_refresh(&rt).await;
    assert_eq!(ok.status, 200);
    let tid = ok.header("intuit_tid").unwrap();
    assert!(tid.starts_with("1-") && tid.len() == 35, "{tid}");
    assert_eq!(
        ok.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let bad = w.qbo_refresh("RT1-00-H0-0000000000nope").await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.text,
        r#"{"error":"invalid_grant","error_description":"Incorrect or invalid refresh token"}"#
    );
    assert!(bad.header("intuit_tid").is_some());
}

#[tokio::test]
async fn previous_refresh_token_within_24h_returns_the_current_pair() {
    let w = world().await;
    let rt0 = s(&w.qbo_tokens(&w.realm).await["refresh_token"]).to_owned();
    let t1 = w.qbo_refresh(&rt0).await.json();
    let rt1 = s(&t1["refresh_token"]).to_owned();
    assert_ne!(rt0, rt1, "default: rotate on every refresh");
    w.advance(23 * 3600);
    let again = w.qbo_refresh(&rt0).await.json();
    assert_eq!(again["refresh_token"], rt1.as_str());
    assert_eq!(again["access_token"], t1["access_token"]);
    w.advance(3600);
    assert_eq!(w.qbo_refresh(&rt0).await.status, 400);
    assert_eq!(w.qbo_refresh(&rt1).await.status, 200);
}

#[tokio::test]
async fn strict_mode_second_concurrent_refresh_is_invalid_grant() {
    let w = world_with(SimConfig {
        modes: Modes {
            qbo_previous_rt: QboPreviousRt::InvalidGrant,
            ..Modes::default()
        },
        ..SimConfig::default()
    })
    .await;
    let rt0 = s(&w.qbo_tokens(&w.realm).await["refresh_token"]).to_owned();
    let (a, b) = tokio::join!(w.qbo_refresh(&rt0), w.qbo_refresh(&rt0));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
    assert_eq!(
        w.sim
            .counters()
            .token_outcomes(Provider::Quickbooks, "invalid_grant"),
        1
    );
}

#[tokio::test]
async fn keep_value_mode_and_rolling_expiry() {
    let w = world_with(SimConfig {
        modes: Modes {
            qbo_refresh_value: QboRefreshValue::KeepWithin24h,
            ..Modes::default()
        },
        ..SimConfig::default()
    })
    .await;
    let rt = s(&w.qbo_tokens(&w.realm).await["refresh_token"]).to_owned();
    w.advance(3600);
    let t = w.qbo_refresh(&rt).await.json();
    assert_eq!(t["refresh_token"], rt.as_str(), "same value within 24h");
    w.advance(25 * 3600);
    let t = w.qbo_refresh(&rt).await.json();
    let rt2 = s(&t["refresh_token"]).to_owned();
    assert_ne!(rt2, rt);
    // Unused for 100 days: dead.
    w.advance(100 * 86_400);
    let dead = w.qbo_refresh(&rt2).await;
    assert_eq!(dead.status, 400);
}

#[tokio::test]
async fn hard_expiry_header_opt_in() {
    let w = world().await;
    let rt = s(&w.qbo_tokens(&w.realm).await["refresh_token"]).to_owned();
    let t = w
        .qbo_token(
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            &[("x-include-refresh-token-hard-expires-in", "true")],
        )
        .await
        .json();
    assert_eq!(t["x_refresh_token_hard_expires_in"], 5 * 365 * 86_400);
}

#[tokio::test]
async fn company_info_and_gateway_faults() {
    let w = world().await;
    let at = s(&w.qbo_tokens(&w.realm).await["access_token"]).to_owned();
    let ok = w
        .company_info(&at, &w.realm, Some("application/json"))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let v = ok.json();
    assert_eq!(v["CompanyInfo"]["CompanyName"], "Larry's Bakery");
    assert_eq!(v["CompanyInfo"]["domain"], "QBO");
    assert!(s(&v["time"]).ends_with("-07:00"));
    assert!(ok.header("intuit_tid").is_some());

    let xml = w.company_info(&at, &w.realm, None).await;
    assert!(
        xml.text
            .contains("<CompanyName>Larry&apos;s Bakery</CompanyName>")
            || xml
                .text
                .contains("<CompanyName>Larry's Bakery</CompanyName>")
    );

    let other = w
        .company_info(&at, &w.realm2, Some("application/json"))
        .await;
    assert_eq!(other.status, 403);
    let f = other.json();
    assert_eq!(f["fault"]["error"][0]["code"], "3100");
    assert_eq!(f["fault"]["type"], "SERVICE");

    w.advance(3600);
    let expired = w
        .company_info(&at, &w.realm, Some("application/json"))
        .await;
    assert_eq!(expired.status, 401);
    let f = expired.json();
    assert_eq!(
        f["fault"]["error"][0]["message"],
        "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    );
    assert_eq!(
        f["fault"]["error"][0]["detail"],
        format!("Token expired: {at}")
    );
    assert_eq!(f["fault"]["type"], "AUTHENTICATION");
    assert!(f["warnings"].is_null() && f["time"].is_i64());
    let legacy = w.company_info(&at, &w.realm, None).await;
    assert_eq!(legacy.status, 401);
    assert!(legacy.text.contains("<Error code=\"100\">"));
}

#[tokio::test]
async fn removed_user_and_disconnected_app() {
    let w = world().await;
    let t = w.qbo_tokens(&w.realm).await;
    let at = s(&t["access_token"]).to_owned();
    w.sim.remove_user_from_org(ALICE, &w.realm).unwrap();
    let r = w
        .company_info(&at, &w.realm, Some("application/json"))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["fault"]["error"][0]["code"], "3100");
    // Refresh still works (documented choice); the new token is still forbidden.
    assert_eq!(w.qbo_refresh(s(&t["refresh_token"])).await.status, 200);
    w.sim.grant_user_access(ALICE, &w.realm).unwrap();

    let t = w.qbo_tokens(&w.realm).await;
    let at = s(&t["access_token"]).to_owned();
    assert!(
        w.sim
            .disconnect_app_provider_side(QBO_ID, &w.realm)
            .unwrap()
            >= 1
    );
    let r = w
        .company_info(&at, &w.realm, Some("application/json"))
        .await;
    assert_eq!(r.status, 403);
    let g = w.qbo_refresh(s(&t["refresh_token"])).await;
    assert_eq!(
        g.text,
        r#"{"error":"invalid_grant","error_description":"Token invalid"}"#
    );
}

#[tokio::test]
async fn revoke_with_json_body() {
    let w = world().await;
    let t = w.qbo_tokens(&w.realm).await;
    let url = w
        .sim
        .url("developer.api.intuit.com", "/v2/oauth2/tokens/revoke");
    let auth = basic(QBO_ID, QBO_SECRET);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
        ("accept", "application/json"),
    ];
    let unknown = w.post(&url, &headers, r#"{"token":"nope"}"#.into()).await;
    assert_eq!(unknown.status, 400);
    let body = serde_json::json!({"token": t["refresh_token"]}).to_string();
    let ok = w.post(&url, &headers, body).await;
    assert_eq!((ok.status, ok.text.as_str()), (200, ""));
    assert!(ok.header("intuit_tid").is_some());
    assert_eq!(w.qbo_refresh(s(&t["refresh_token"])).await.status, 400);
    let r = w
        .company_info(s(&t["access_token"]), &w.realm, Some("application/json"))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(w.sim.counters().revocations(Provider::Quickbooks), 2);
}
