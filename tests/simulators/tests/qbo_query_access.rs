//! Who may query a QuickBooks company, how often, and the `/_sim/qbo` controls:
//! gateway auth faults (401 3200 / 403 3100, XML code 100 without a JSON `Accept`), the
//! per-realm throttle (429 with the XML 3001 fault even when JSON was asked for, no
//! `Retry-After`), and generate / truth / touch / deactivate over HTTP.

mod common;

use common::*;
use mooring_simulators::{QboRateLimits, SimConfig};
use serde_json::{Value, json};

const Q: &str = "select * from Account maxresults 3";

async fn token(w: &World, realm: &str) -> String {
    s(&w.qbo_tokens(realm).await["access_token"]).to_owned()
}

fn gateway_code(a: &Answer) -> String {
    s(&a.json()["fault"]["error"][0]["code"]).to_owned()
}

#[tokio::test]
async fn bearer_and_realm_are_checked_like_company_info() {
    let w = world().await;
    let at = token(&w, &w.realm).await;
    let url = w.qbo_query_url(&w.realm, &format!("query={}", encode(Q)));
    let none = w.get(&url, &[("accept", "application/json")]).await;
    assert_eq!((none.status, gateway_code(&none)), (401, "3200".into()));
    assert!(none.json()["fault"]["error"][0]["detail"].is_null());
    assert!(none.header("intuit_tid").is_some());
    let bogus = w.qbo_query("not-a-token", &w.realm, Q).await;
    assert_eq!(bogus.status, 401);
    let xml = w.get(&url, &[("authorization", "Bearer nope")]).await;
    assert_eq!(xml.status, 401);
    assert!(xml.text.contains("<Error code=\"100\">"), "{}", xml.text);
    let other = w.qbo_query(&at, &w.realm2, Q).await;
    assert_eq!((other.status, gateway_code(&other)), (403, "3100".into()));
    assert_eq!(w.qbo_query(&at, &w.realm, Q).await.status, 200);
    w.sim.remove_user_from_org(ALICE, &w.realm).unwrap();
    let removed = w.qbo_query(&at, &w.realm, Q).await;
    assert_eq!(
        (removed.status, gateway_code(&removed)),
        (403, "3100".into())
    );
    w.sim.grant_user_access(ALICE, &w.realm).unwrap();
    w.advance(3_601);
    let expired = w.qbo_query(&at, &w.realm, Q).await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        s(&expired.json()["fault"]["error"][0]["detail"]),
        format!("Token expired: {at}")
    );
    let post = w.qbo_query_post(&at, &w.realm, Q, "application/text").await;
    assert_eq!(post.status, 401, "POST is checked too");
}

#[tokio::test]
async fn revoked_and_disconnected_grants() {
    let w = world().await;
    let at = token(&w, &w.realm).await;
    w.sim
        .disconnect_app_provider_side(QBO_ID, &w.realm)
        .unwrap();
    let a = w.qbo_query(&at, &w.realm, Q).await;
    assert_eq!((a.status, gateway_code(&a)), (403, "3100".into()));
    let at = token(&w, &w.realm).await;
    w.sim
        .change_password(mooring_simulators::Provider::Quickbooks, ALICE)
        .unwrap();
    let a = w.qbo_query(&at, &w.realm, Q).await;
    assert_eq!((a.status, gateway_code(&a)), (401, "3200".into()));
}

#[tokio::test]
async fn throttle_answers_429_in_xml_per_realm() {
    let w = world_with(SimConfig {
        qbo_rate_limits: QboRateLimits {
            per_minute: 5,
            ..QboRateLimits::default()
        },
        ..SimConfig::default()
    })
    .await;
    let at = token(&w, &w.realm).await;
    let at2 = token(&w, &w.realm2).await;
    for _ in 0..4 {
        assert_eq!(w.qbo_query(&at, &w.realm, Q).await.status, 200);
    }
    let info = w
        .company_info(&at, &w.realm, Some("application/json"))
        .await;
    assert_eq!(
        info.status, 200,
        "CompanyInfo counts against the same limit"
    );
    let refused = w.qbo_query(&at, &w.realm, Q).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("content-type"), Some("application/xml"));
    assert!(refused.header("retry-after").is_none());
    assert!(refused.header("intuit_tid").is_some());
    assert!(refused.text.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<IntuitResponse time=\""
    ));
    assert!(refused.text.contains("<Fault type=\"SERVICE\">\n        <Error code=\"3001\">\n            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n            <Detail>The request limit was reached.  Try again later</Detail>"));
    assert!(
        serde_json::from_str::<Value>(&refused.text).is_err(),
        "not JSON"
    );
    let info = w
        .company_info(&at, &w.realm, Some("application/json"))
        .await;
    assert_eq!(info.status, 429);
    assert_eq!(
        w.qbo_query(&at2, &w.realm2, Q).await.status,
        200,
        "per realm"
    );
    let c = w.sim.counters();
    assert_eq!(
        (c.qbo_data_calls(&w.realm), c.qbo_throttled(Some(&w.realm))),
        (5, 2)
    );
    w.advance(59);
    assert_eq!(w.qbo_query(&at, &w.realm, Q).await.status, 429);
    w.advance(1);
    assert_eq!(
        w.qbo_query(&at, &w.realm, Q).await.status,
        200,
        "rolling minute"
    );
    let bad = w.qbo_query("nope", &w.realm, Q).await;
    assert_eq!(
        bad.status, 401,
        "authentication comes first and costs nothing"
    );
    w.sim.set_qbo_rate_limits(QboRateLimits {
        per_minute: 500,
        ..QboRateLimits::default()
    });
    assert_eq!(w.qbo_query(&at, &w.realm, Q).await.status, 200);
}

async fn control(w: &World, method: &str, path: &str, body: Option<Value>) -> Answer {
    let url = format!("{}/_sim/qbo{path}", w.sim.base_url());
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("content-type", "application/json")]
    } else {
        &[]
    };
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    match method {
        "GET" => w.get(&url, &[]).await,
        "PUT" => {
            let r = w
                .http
                .put(&url)
                .header("content-type", "application/json")
                .body(text);
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            Answer {
                status,
                headers,
                text: resp.text().await.unwrap(),
            }
        }
        _ => w.post(&url, headers, text).await,
    }
}

#[tokio::test]
async fn control_routes_generate_truth_touch_deactivate() {
    let w = world().await;
    let r = &w.realm;
    let g = control(
        &w,
        "POST",
        &format!("/companies/{r}/generate"),
        Some(json!({"count": 33, "seed": 4})),
    )
    .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.json()["summary"]["accounts"], 33);
    let again = control(
        &w,
        "POST",
        &format!("/companies/{r}/generate"),
        Some(json!({"count": 33, "seed": 4})),
    )
    .await;
    assert_eq!(again.json()["summary"], g.json()["summary"]);
    let truth = control(&w, "GET", &format!("/companies/{r}/truth"), None)
        .await
        .json();
    let accounts = truth["accounts"].as_array().unwrap().clone();
    assert_eq!(accounts.len(), 33);
    assert_eq!(
        Value::Array(accounts.clone()),
        json!(w.sim.qbo_truth(r).unwrap())
    );
    let active = accounts.iter().find(|a| a["Active"] == true).unwrap();
    let id = s(&active["Id"]);
    w.advance(120);
    let t = control(
        &w,
        "POST",
        &format!("/companies/{r}/accounts/{id}/touch"),
        None,
    )
    .await;
    assert_eq!(t.status, 200);
    assert_eq!(t.json()["updated_ms"], w.sim.now_ms() / 1000 * 1000);
    assert!(s(&t.json()["last_updated_time"]).ends_with("-07:00"));
    let d = control(
        &w,
        "POST",
        &format!("/companies/{r}/accounts/{id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(d.status, 200);
    let d2 = control(
        &w,
        "POST",
        &format!("/companies/{r}/accounts/{id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(d2.status, 400, "already inactive");
    let after = w.sim.qbo_truth(r).unwrap();
    let acc = after.iter().find(|a| a["Id"] == active["Id"]).unwrap();
    assert_eq!(acc["Active"], false);
    let before: u64 = s(&active["SyncToken"]).parse().unwrap();
    assert_eq!(s(&acc["SyncToken"]), (before + 2).to_string());
    let summary = control(&w, "GET", &format!("/companies/{r}/summary"), None)
        .await
        .json();
    assert_eq!(summary["accounts"], 33);
    let unknown = control(&w, "POST", "/companies/123/generate", None).await;
    assert_eq!(unknown.status, 404);
    let xero = control(&w, "GET", &format!("/companies/{}/truth", w.uk), None).await;
    assert_eq!(xero.status, 400);
    let nope = control(
        &w,
        "POST",
        &format!("/companies/{r}/accounts/999999/touch"),
        None,
    )
    .await;
    assert_eq!(nope.status, 400);
    let verb = control(
        &w,
        "POST",
        &format!("/companies/{r}/accounts/{id}/explode"),
        None,
    )
    .await;
    assert_eq!(verb.status, 400);
    let limits = control(&w, "PUT", "/rate-limits", Some(json!({"per_minute": 7}))).await;
    assert_eq!(limits.json()["limits"]["per_minute"], 7);
    let reset = control(&w, "POST", "/rate-limits/reset", None).await;
    assert_eq!(reset.json()["usage"], json!([]));
}
