//! Xero identity: authorize, code exchange, refresh rotation, grace, expiries, revocation.

mod common;

use common::*;
use mooring_simulators::ids::pkce_s256;
use mooring_simulators::jwt::decode_claims;
use mooring_simulators::{
    AppSpec, Modes, Provider, ScopeModel, SimConfig, SimError, XeroGraceReuse,
};

#[tokio::test]
async fn code_exchange_with_basic_auth_returns_xero_shape() {
    let w = world().await;
    let t = w.xero_tokens(&[&w.uk, &w.us]).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 1800);
    assert_eq!(t["scope"], XERO_SCOPES);
    assert!(t["refresh_token"].is_string() && t["id_token"].is_string());
    let claims = decode_claims(s(&t["access_token"])).unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
        1800
    );
    assert_eq!(claims["iss"], "https://identity.xero.com");
    assert_eq!(claims["aud"], "https://identity.xero.com/resources");
    assert_eq!(claims["client_id"], XERO_ID);
    assert!(
        claims["scope"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "offline_access")
    );
    let grants = w.sim.live_grants();
    assert_eq!(grants.len(), 1);
    assert_eq!(
        claims["authentication_event_id"],
        grants[0].auth_event_id.as_str()
    );
    assert_eq!(grants[0].tenants, vec![w.uk.clone(), w.us.clone()]);
}

#[tokio::test]
async fn code_exchange_with_body_credentials_and_no_refresh_without_offline_access() {
    let w = world().await;
    let url = w.xero_authorize_url("accounting.settings.read", &[]);
    let r = w.sim.authorize(&url, ALICE, &[&w.uk], true).unwrap();
    assert_eq!(r.param("state"), Some("st-123"));
    assert_eq!(r.param("scope"), Some("accounting.settings.read"));
    assert!(r.param("session_state").is_some());
    let code = r.param("code").unwrap();
    let a = w
        .post(
            &w.sim.url("identity.xero.com", "/connect/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("client_id", XERO_ID),
                ("client_secret", XERO_SECRET),
            ]),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let t = a.json();
    assert!(t.get("refresh_token").is_none(), "no offline_access, no RT");
    assert!(t.get("id_token").is_none(), "no openid, no id_token");
}

#[tokio::test]
async fn missing_or_wrong_client_credentials_are_invalid_client() {
    let w = world().await;
    let code = w.xero_code(&[&w.uk]);
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let none = w
        .post(
            &w.sim.url("identity.xero.com", "/connect/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            form(&pairs),
        )
        .await;
    assert_eq!(
        (none.status, none.text.as_str()),
        (400, r#"{"error":"invalid_client"}"#)
    );
    let wrong = w.xero_token_as(XERO_ID, "nope", &pairs).await;
    assert_eq!(wrong.text, r#"{"error":"invalid_client"}"#);
    let json_body = w
        .post(
            &w.sim.url("identity.xero.com", "/connect/token"),
            &[
                ("authorization", &basic(XERO_ID, XERO_SECRET)),
                ("content-type", "application/json"),
            ],
            "{}".into(),
        )
        .await;
    assert_eq!(json_body.text, r#"{"error":"invalid_request"}"#);
}

#[tokio::test]
async fn codes_are_single_use_bound_to_redirect_and_expire_after_five_minutes() {
    let w = world().await;
    let code = w.xero_code(&[&w.uk]);
    let exchange = |code: String, redirect: &'static str| {
        let w = &w;
        async move {
            w.xero_token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
            ])
            .await
        }
    };
    assert_eq!(exchange(code.clone(), REDIRECT).await.status, 200);
    let again = exchange(code, REDIRECT).await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (400, r#"{"error":"invalid_grant"}"#)
    );

    let code = w.xero_code(&[&w.uk]);
    let wrong = exchange(code, "http://localhost:8080/other").await;
    assert_eq!(wrong.text, r#"{"error":"invalid_grant"}"#);

    let code = w.xero_code(&[&w.uk]);
    w.advance(299);
    assert_eq!(exchange(code, REDIRECT).await.status, 200);
    let code = w.xero_code(&[&w.uk]);
    w.advance(300);
    assert_eq!(
        exchange(code, REDIRECT).await.text,
        r#"{"error":"invalid_grant"}"#
    );
}

#[tokio::test]
async fn pkce_app_needs_the_right_verifier() {
    let w = world().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough-verifier";
    let challenge = pkce_s256(verifier);
    let base = [
        ("response_type", "code"),
        ("client_id", XERO_PKCE_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "offline_access accounting.settings.read"),
    ];
    // A public client without a challenge is refused (redirect with error).
    let r = w
        .sim
        .authorize(
            &w.sim.authorize_url(Provider::Xero, &base),
            ALICE,
            &[&w.uk],
            true,
        )
        .unwrap();
    assert_eq!(r.param("error"), Some("invalid_request"));
    let mut p = base.to_vec();
    p.extend([
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let url = w.sim.authorize_url(Provider::Xero, &p);
    let token_url = w.sim.url("identity.xero.com", "/connect/token");
    let ct = [("content-type", "application/x-www-form-urlencoded")];
    for (v, ok) in [("wrong-verifier", false), (verifier, true)] {
        let code = w.sim.authorize(&url, ALICE, &[&w.uk], true).unwrap();
        let a = w
            .post(
                &token_url,
                &ct,
                form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", XERO_PKCE_ID),
                    ("code", code.param("code").unwrap()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", v),
                ]),
            )
            .await;
        assert_eq!(a.status == 200, ok, "{}", a.text);
    }
}

#[tokio::test]
async fn refresh_rotates_and_the_previous_token_has_a_30_minute_grace() {
    let w = world().await;
    let t0 = w.xero_tokens(&[&w.uk]).await;
    let rt0 = s(&t0["refresh_token"]).to_owned();
    w.advance(60);
    let t1 = w.xero_refresh(&rt0).await.json();
    let rt1 = s(&t1["refresh_token"]).to_owned();
    assert_ne!(rt0, rt1);
    assert_eq!(t1["scope"], t0["scope"]);
    let c0 = decode_claims(s(&t0["access_token"])).unwrap();
    let c1 = decode_claims(s(&t1["access_token"])).unwrap();
    assert_eq!(c0["authentication_event_id"], c1["authentication_event_id"]);

    // Lost response: the old token within 30 min gives the same new pair (default).
    w.advance(29 * 60);
    let again = w.xero_refresh(&rt0).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["refresh_token"], rt1.as_str());
    assert_eq!(again.json()["access_token"], t1["access_token"]);
    w.advance(60);
    let late = w.xero_refresh(&rt0).await;
    assert_eq!(
        (late.status, late.text.as_str()),
        (400, r#"{"error":"invalid_grant"}"#)
    );
    // The rotated token still works.
    assert_eq!(w.xero_refresh(&rt1).await.status, 200);
    let c = w.sim.counters();
    assert_eq!(c.token_successes(Provider::Xero, Some("refresh_token")), 3);
    assert_eq!(c.token_outcomes(Provider::Xero, "invalid_grant"), 1);
    assert_eq!(
        c.token_requests(Provider::Xero, Some("authorization_code")),
        1
    );
}

#[tokio::test]
async fn fresh_pair_grace_mode_mints_new_tokens() {
    let w = world_with(SimConfig {
        modes: Modes {
            xero_grace: XeroGraceReuse::FreshPair,
            ..Modes::default()
        },
        ..SimConfig::default()
    })
    .await;
    let rt0 = s(&w.xero_tokens(&[&w.uk]).await["refresh_token"]).to_owned();
    let rt1 = s(&w.xero_refresh(&rt0).await.json()["refresh_token"]).to_owned();
    let rt2 = s(&w.xero_refresh(&rt0).await.json()["refresh_token"]).to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(w.xero_refresh(&rt2).await.status, 200);
}

#[tokio::test]
async fn refresh_token_unused_for_60_days_expires() {
    let w = world().await;
    let rt = s(&w.xero_tokens(&[&w.uk]).await["refresh_token"]).to_owned();
    w.advance(59 * 86_400);
    let rt = s(&w.xero_refresh(&rt).await.json()["refresh_token"]).to_owned();
    w.advance(60 * 86_400);
    let a = w.xero_refresh(&rt).await;
    assert_eq!(
        (a.status, a.text.as_str()),
        (400, r#"{"error":"invalid_grant"}"#)
    );
}

#[tokio::test]
async fn password_change_revokes_every_grant() {
    let w = world().await;
    let t = w.xero_tokens(&[&w.uk]).await;
    assert_eq!(w.sim.change_password(Provider::Xero, ALICE).unwrap(), 1);
    assert_eq!(
        w.xero_refresh(s(&t["refresh_token"])).await.text,
        r#"{"error":"invalid_grant"}"#
    );
    let c = w.connections(s(&t["access_token"]), "").await;
    assert_eq!(c.status, 401);
    assert_eq!(c.json()["Detail"], "AuthorizationUnsuccessful");
    assert!(w.sim.live_grants().is_empty());
}

#[tokio::test]
async fn rotated_client_secret_makes_the_old_one_invalid_client() {
    let w = world().await;
    let rt = s(&w.xero_tokens(&[&w.uk]).await["refresh_token"]).to_owned();
    let new = w.sim.rotate_client_secret(Provider::Xero, XERO_ID).unwrap();
    let old = w.xero_refresh(&rt).await;
    assert_eq!(old.text, r#"{"error":"invalid_client"}"#);
    let ok = w
        .xero_token_as(
            XERO_ID,
            &new,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

#[tokio::test]
async fn revocation_kills_the_grant_and_the_users_connections() {
    let w = world().await;
    let t = w.xero_tokens(&[&w.uk, &w.us]).await;
    let rt = s(&t["refresh_token"]).to_owned();
    let url = w.sim.url("identity.xero.com", "/connect/revocation");
    let a = w
        .post(
            &url,
            &[
                ("authorization", &basic(XERO_ID, XERO_SECRET)),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form(&[("token", &rt)]),
        )
        .await;
    assert_eq!((a.status, a.text.as_str()), (200, ""));
    assert_eq!(
        w.xero_refresh(&rt).await.text,
        r#"{"error":"invalid_grant"}"#
    );
    assert_eq!(w.connections(s(&t["access_token"]), "").await.status, 401);
    assert!(w.sim.connections().is_empty());
    // Unknown tokens still get 200 (RFC 7009), body credentials work too.
    let b = w
        .post(
            &url,
            &[("content-type", "application/x-www-form-urlencoded")],
            form(&[
                ("token", "unknown"),
                ("client_id", XERO_ID),
                ("client_secret", XERO_SECRET),
            ]),
        )
        .await;
    assert_eq!(b.status, 200);
    assert_eq!(w.sim.counters().revocations(Provider::Xero), 2);
}

#[tokio::test]
async fn granular_apps_reject_broad_scopes_and_bad_redirects_never_redirect() {
    let w = world().await;
    assert_eq!(
        w.sim.app(Provider::Xero, XERO_ID).unwrap().scope_model,
        ScopeModel::Granular
    );
    let r = w
        .sim
        .authorize(
            &w.xero_authorize_url("offline_access accounting.transactions", &[]),
            ALICE,
            &[&w.uk],
            true,
        )
        .unwrap();
    assert_eq!(r.param("error"), Some("invalid_scope"));
    assert_eq!(r.param("state"), Some("st-123"));
    assert!(r.location.starts_with(REDIRECT));

    w.sim
        .add_app(
            AppSpec::new(Provider::Xero, "OLDAPP", "s", [REDIRECT]).scope_model(ScopeModel::Mixed),
        )
        .unwrap();
    let url = w.sim.authorize_url(
        Provider::Xero,
        &[
            ("response_type", "code"),
            ("client_id", "OLDAPP"),
            ("redirect_uri", REDIRECT),
            ("scope", "accounting.transactions.read"),
        ],
    );
    assert!(
        w.sim
            .authorize(&url, ALICE, &[&w.uk], true)
            .unwrap()
            .param("code")
            .is_some()
    );

    let evil = w.sim.authorize_url(
        Provider::Xero,
        &[
            ("response_type", "code"),
            ("client_id", XERO_ID),
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", "openid"),
        ],
    );
    let page = w.get(&evil, &[]).await;
    assert_eq!(page.status, 400);
    assert!(page.header("location").is_none());
    match w.sim.authorize(&evil, ALICE, &[], true) {
        Err(SimError::AuthorizeFailed { status: 400, .. }) => {}
        other => panic!("{other:?}"),
    }
    let unknown = w
        .get(
            &w.sim.authorize_url(
                Provider::Xero,
                &[("client_id", "nope"), ("redirect_uri", REDIRECT)],
            ),
            &[],
        )
        .await;
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn consent_page_and_browser_style_decisions() {
    let w = world().await;
    let url = w.xero_authorize_url(XERO_SCOPES, &[]);
    let page = w.get(&url, &[]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("<form")
            && page.text.contains("sim_decision")
            && page.text.contains("UK Ltd")
    );
    let last = w.sim.last_authorize_request().unwrap();
    assert_eq!(last.param("client_id"), Some(XERO_ID));
    assert_eq!(last.param("scope"), Some(XERO_SCOPES));

    let deny = w.get(&format!("{url}&sim_decision=deny"), &[]).await;
    assert_eq!(deny.status, 302);
    assert_eq!(
        deny.header("location"),
        Some("http://localhost:8080/oauth/callback?error=access_denied&state=st-123")
    );
    let ok = w
        .get(
            &format!(
                "{url}&sim_user={ALICE}&sim_orgs={},{}&sim_decision=approve",
                w.uk, w.us
            ),
            &[],
        )
        .await;
    assert_eq!(ok.status, 302);
    assert!(ok.header("location").unwrap().contains("code="));
    // Bob has no access to UK Ltd: error page, no redirect.
    let bob = w
        .get(
            &format!("{url}&sim_user={BOB}&sim_orgs=UK%20Ltd&sim_decision=approve"),
            &[],
        )
        .await;
    assert_eq!(bob.status, 400);
    // bulk_connect:false allows exactly one organisation.
    let single = w.xero_authorize_url(XERO_SCOPES, &[("acr_values", "bulk_connect:false")]);
    assert!(
        w.sim
            .authorize(&single, ALICE, &[&w.uk, &w.us], true)
            .is_err()
    );
}

#[tokio::test]
async fn injected_failures_and_concurrent_refresh_counting() {
    let w = world().await;
    let rt = s(&w.xero_tokens(&[&w.uk]).await["refresh_token"]).to_owned();
    w.sim.fail_next_token_requests(Provider::Xero, 1, 503);
    assert_eq!(w.xero_refresh(&rt).await.status, 503);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let http = w.http.clone();
        let url = w.sim.url("identity.xero.com", "/connect/token");
        let body = form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)]);
        set.spawn(async move {
            http.post(url)
                .header("authorization", basic(XERO_ID, XERO_SECRET))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        if r.unwrap().unwrap() == 200 {
            ok += 1;
        }
    }
    // One rotation, 19 grace re-presentations of the same pair: all succeed.
    assert_eq!(ok, 20);
    let c = w.sim.counters();
    assert_eq!(c.token_requests(Provider::Xero, Some("refresh_token")), 21);
    assert_eq!(c.token_outcomes(Provider::Xero, "injected_503"), 1);
    assert_eq!(w.sim.live_grants().len(), 1);
}
