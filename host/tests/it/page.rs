//! The operator page at `/`.

use serde_json::json;

use crate::harness::Host;

#[tokio::test]
async fn the_operator_page_is_public_and_served_under_a_strict_policy() {
    let host = Host::start().await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/", host.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Sign in") && html.contains("/ui/app.js"),
        "{html}"
    );
    for (path, kind) in [("/ui/app.js", "javascript"), ("/ui/app.css", "css")] {
        let asset = client
            .get(format!("{}{path}", host.base))
            .send()
            .await
            .expect("asset");
        assert_eq!(asset.status(), 200);
        let content_type = asset.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(content_type.contains(kind), "{content_type}");
    }
    // The page itself holds no data: the API behind it still needs the token.
    let (status, _) = (
        client
            .get(format!("{}/api/connections", host.base))
            .send()
            .await
            .expect("api")
            .status(),
        (),
    );
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_page_script_never_writes_markup_and_loads_every_part() {
    let host = Host::start().await;
    let script = reqwest::get(format!("{}/ui/app.js", host.base))
        .await
        .expect("script")
        .text()
        .await
        .expect("text");
    // API data reaches the page only as text nodes and attributes.
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!script.contains(sink), "the page script uses {sink}");
    }
    // The parts are concatenated into the one script the policy allows.
    for part in [
        "function request(",
        "function renderAttention(",
        "function renderDetail(",
        "function renderWebhooks(",
        "function renderPlugins(",
        "function route(",
    ] {
        assert!(script.contains(part), "the script lacks {part}");
    }
}

#[tokio::test]
async fn streams_show_record_counts_last_sync_and_the_plugin_version_in_use() {
    let host = Host::start_with(&[("MOORING_SCHEDULER", "off")]).await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let runs = host
        .api_ok(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"streams": ["accounts"]})),
        )
        .await;
    assert_eq!(runs["runs"][0]["status"], "succeeded", "{runs}");
    let answer = host
        .api_ok("GET", &format!("/api/connections/{id}/streams"), None)
        .await;
    let active = host.api_ok("GET", "/api/plugins", None).await;
    let xero = active
        .as_array()
        .expect("plugins")
        .iter()
        .find(|p| p["id"] == "xero" && p["active"] == true)
        .expect("active xero plugin");
    assert_eq!(answer["plugin"]["provider"], "xero", "{answer}");
    assert_eq!(answer["plugin"]["version"], xero["version"], "{answer}");
    assert_eq!(answer["plugin"]["via"], "active", "{answer}");
    let streams = answer["streams"].as_array().expect("streams");
    // Every stream the version declares is listed, synced or not.
    assert_eq!(
        streams.len(),
        xero["streams"].as_array().expect("declared").len(),
        "{answer}"
    );
    let accounts = streams
        .iter()
        .find(|s| s["name"] == "accounts")
        .expect("accounts");
    let live = accounts["live"].as_u64().expect("live");
    assert_eq!(
        live,
        host.app()
            .store
            .record_count(&id, "accounts")
            .expect("count")
    );
    assert!(live > 0, "{accounts}");
    assert_eq!(accounts["tombstones"], 0);
    assert_eq!(accounts["last_status"], "succeeded");
    assert!(accounts["last_sync_at"].as_u64().is_some(), "{accounts}");
    assert!(accounts["interval"].as_u64().is_some(), "{accounts}");
    let never = streams
        .iter()
        .find(|s| s["name"] != "accounts")
        .expect("another stream");
    assert_eq!(never["live"], 0);
    assert!(never["last_sync_at"].is_null(), "{never}");
    let (status, _) = host.api("GET", "/api/connections/nope/streams", None).await;
    assert_eq!(status, 404);
}
