//! Shareable reconnect links (issue 10, item 3): issued by an operator, opened by a
//! customer without an admin token, followed through the simulator's consent back to
//! `active`; used, expired, revoked and forged links show a page under the operator
//! page's security headers.

use std::time::Duration;

use mooring_simulators::Provider;
use serde_json::json;

use crate::harness::{Host, USER};

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// GET `url` without a token: (status, Location, body), checking the page headers.
async fn open(url: &str) -> (u16, Option<String>, String) {
    let response = browser().get(url).send().await.expect("open");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    if status != 303 {
        let policy = headers["content-security-policy"].to_str().expect("csp");
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    (status, location, response.text().await.unwrap_or_default())
}

async fn issue(host: &Host, id: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    host.api_ok(
        "POST",
        &format!("/api/connections/{id}/reconnect-link"),
        body,
    )
    .await
}

#[tokio::test]
async fn a_link_reconnects_a_broken_connection_end_to_end_once() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.usa], None).await;
    host.sim
        .change_password(Provider::Xero, USER)
        .expect("password change");
    host.probe(&id, "organisation").await.expect_err("broken");
    assert_eq!(host.connection(&id).await["state"], "needs_reauth");
    let link = issue(&host, &id, None).await;
    let url = link["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/reconnect/", host.base)),
        "{url}"
    );
    assert!(link["id"].as_str().is_some_and(|l| l.starts_with("rcl_")));
    let expires = link["expires_at"].as_u64().expect("expires_at");
    let now = host.app().clock.now_millis();
    let week = 7 * 86_400_000;
    assert!(
        expires <= now + week && expires + 60_000 > now + week,
        "seven days by default"
    );
    // The wrong organisation is refused and the link can be tried again.
    let (status, location, _) = open(url).await;
    assert_eq!(status, 303);
    let (status, page) = host
        .consent(&location.expect("location"), &[&host.uk], true)
        .await;
    assert_eq!(status, 502, "{page}");
    assert_eq!(host.connection(&id).await["state"], "needs_reauth");
    let (status, location, _) = open(url).await;
    assert_eq!(status, 303);
    let (status, page) = host
        .consent(&location.expect("location"), &[&host.usa], true)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(host.connection(&id).await["state"], "active");
    host.probe(&id, "organisation").await.expect("works again");
    // Used: it does nothing more.
    let (status, _, page) = open(url).await;
    assert_eq!(status, 410);
    assert!(page.contains("already used"), "{page}");
    let listed = host
        .api_ok(
            "GET",
            &format!("/api/connections/{id}/reconnect-links"),
            None,
        )
        .await;
    assert_eq!(listed[0]["status"], "used", "{listed}");
    assert!(listed[0].get("url").is_none(), "{listed}");
}

#[tokio::test]
async fn expired_revoked_and_forged_links_show_a_page() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let other = host.connect("xero", &[&host.usa], None).await;
    // Expired.
    let short = issue(&host, &id, Some(json!({"expires_in": 60}))).await;
    host.advance(Duration::from_secs(61));
    let (status, _, page) = open(short["url"].as_str().expect("url")).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"), "{page}");
    // Revoked, and only through its own connection.
    let link = issue(
        &host,
        &id,
        Some(json!({"scopes": ["accounting.journals.read"]})),
    )
    .await;
    let link_id = link["id"].as_str().expect("id");
    let (status, _) = host
        .api(
            "DELETE",
            &format!("/api/connections/{other}/reconnect-link/{link_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404, "another connection cannot revoke it");
    let url = link["url"].as_str().expect("url");
    // Forged: a changed MAC, or another link's MAC.
    let forged = format!("{}x", &url[..url.len() - 1]);
    let (status, _, page) = open(&forged).await;
    assert_eq!(status, 404);
    assert!(page.contains("not valid"), "{page}");
    let mac = url.rsplit('/').next().expect("mac");
    let spliced = format!(
        "{}/reconnect/{}/{mac}",
        host.base,
        short["id"].as_str().expect("id")
    );
    assert_eq!(open(&spliced).await.0, 404);
    let (status, _, _) = open(url).await;
    assert_eq!(status, 303, "valid before the revocation");
    let revoked = host
        .api_ok(
            "DELETE",
            &format!("/api/connections/{id}/reconnect-link/{link_id}"),
            None,
        )
        .await;
    assert_eq!(revoked["status"], "revoked");
    let (status, _, page) = open(url).await;
    assert_eq!(status, 410);
    assert!(page.contains("revoked"), "{page}");
    // Bad requests.
    let (status, _) = host
        .api(
            "POST",
            &format!("/api/connections/{id}/reconnect-link"),
            Some(json!({"expires_in": 0})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = host
        .api("POST", "/api/connections/conn_nope/reconnect-link", None)
        .await;
    assert_eq!(status, 404);
    // The public route needs no token, but the admin routes do.
    let response = browser()
        .post(format!("{}/api/connections/{id}/reconnect-link", host.base))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 401);
}
