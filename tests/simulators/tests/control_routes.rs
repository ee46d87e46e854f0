//! The `/_sim` HTTP control API, as the standalone binary and the demo use it.

mod common;

use common::*;
use serde_json::{Value, json};

async fn call(w: &World, method: &str, path: &str, body: Value) -> Answer {
    let url = format!("{}/_sim{path}", w.sim.base_url());
    let rb = match method {
        "GET" => w.http.get(url),
        "PUT" => w.http.put(url),
        "DELETE" => w.http.delete(url),
        _ => w.http.post(url),
    };
    let resp = rb
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Answer {
        status,
        headers,
        text: resp.text().await.unwrap(),
    }
}

#[tokio::test]
async fn seed_and_authorize_over_http() {
    let w = world().await;
    let app = call(
        &w,
        "POST",
        "/apps",
        json!({"provider": "xero", "client_id": "HTTPAPP", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(app.status, 201, "{}", app.text);
    let secret = app.json()["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        call(
            &w,
            "POST",
            "/users",
            json!({"provider": "xero", "username": "carol"})
        )
        .await
        .status,
        201
    );
    let org = call(
        &w,
        "POST",
        "/orgs",
        json!({"provider": "xero", "name": "NZ Ltd", "members": ["carol"]}),
    )
    .await;
    let tenant = org.json()["tenant_id"].as_str().unwrap().to_owned();
    let url = w.sim.authorize_url(
        mooring_simulators::Provider::Xero,
        &[
            ("response_type", "code"),
            ("client_id", "HTTPAPP"),
            ("redirect_uri", REDIRECT),
            ("scope", "offline_access accounting.settings.read"),
        ],
    );
    let r = call(
        &w,
        "POST",
        "/authorize",
        json!({"url": url, "user": "carol", "orgs": ["NZ Ltd"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let code = r.json()["params"]["code"].as_str().unwrap().to_owned();
    let t = w
        .xero_token_as(
            "HTTPAPP",
            &secret,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(t.status, 200);
    let grants = call(&w, "GET", "/grants", json!(null)).await.json();
    assert!(
        grants
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["tenants"][0] == tenant.as_str())
    );
    let counters = call(&w, "GET", "/counters", json!(null)).await.json();
    assert_eq!(counters["token_requests"][0]["outcome"], "success");
    let rotated = call(&w, "POST", "/apps/xero/HTTPAPP/rotate-secret", json!(null))
        .await
        .json();
    assert_ne!(rotated["client_secret"], secret.as_str());
    let pw = call(&w, "POST", "/users/xero/carol/change-password", json!(null))
        .await
        .json();
    assert_eq!(pw["revoked_grants"], 1);
}

#[tokio::test]
async fn clock_modes_failures_and_logs() {
    let w = world().await;
    let before = call(&w, "GET", "/clock", json!(null)).await.json()["now_ms"]
        .as_i64()
        .unwrap();
    let after = call(&w, "POST", "/clock/advance", json!({"seconds": 90}))
        .await
        .json()["now_ms"]
        .as_i64()
        .unwrap();
    assert_eq!(after - before, 90_000);
    let set = call(
        &w,
        "POST",
        "/clock/set",
        json!({"unix_ms": 1_000_000_000_000_i64}),
    )
    .await
    .json();
    assert_eq!(set["now"], "2001-09-09T01:46:40.000Z");
    let m = call(&w, "PUT", "/modes", json!({"xero_grace": "fresh_pair"}))
        .await
        .json();
    assert_eq!(m["xero_grace"], "fresh_pair");
    assert_eq!(m["qbo_previous_rt"], "current_pair_within24h");
    assert_eq!(
        call(
            &w,
            "POST",
            "/fail-next-token",
            json!({"provider": "qbo", "count": 1, "status": 500})
        )
        .await
        .status,
        204
    );
    let failed = w.qbo_refresh("whatever").await;
    assert_eq!(failed.status, 500);
    assert_eq!(
        call(&w, "POST", "/fail-next-token", json!({"provider": "nope"}))
            .await
            .status,
        400
    );
    let log = call(&w, "GET", "/requests", json!(null)).await.json();
    let entry = &log.as_array().unwrap()[0];
    assert_eq!(entry["status"], 500);
    let auth = entry["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .unwrap();
    assert_eq!(auth[1], "Basic <redacted>");
    assert_eq!(call(&w, "GET", "/state", json!(null)).await.status, 200);
    assert_eq!(
        call(
            &w,
            "POST",
            "/users/xero/nobody/change-password",
            json!(null)
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn host_overrides_cover_every_host() {
    let w = world().await;
    let o = w.sim.host_overrides();
    for host in mooring_simulators::HOSTS {
        assert!(
            o.contains(&format!("{host}={}/{host}", w.sim.base_url())),
            "{o}"
        );
    }
    assert_eq!(o.split(',').count(), mooring_simulators::HOSTS.len());
    let disc = w
        .get(
            &w.sim.url(
                "developer.api.intuit.com",
                "/.well-known/openid_configuration",
            ),
            &[],
        )
        .await
        .json();
    assert_eq!(
        disc["token_endpoint"],
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    );
}
