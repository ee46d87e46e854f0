//! The plugin lifecycle through the admin API against a whole host: uploads validated,
//! escalations refused then approved, activation swapped during concurrent syncs,
//! rollback, pins, canaries, cursor-format changes, dropped streams, and a restart
//! that keeps every decision and compiles nothing.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::{ADMIN, Host, XERO_CLIENT};
use crate::support::component;

/// Pages per stream and records per page of the `versioned` test connector.
const PAGES: u64 = 5;
const PAGE_SIZE: u64 = 4;
const STREAMS: [&str; 5] = ["pages-a", "pages-b", "pages-c", "pages-d", "pages-e"];

async fn upload(host: &Host, bytes: &[u8], content_type: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/plugins", host.base))
        .bearer_auth(ADMIN)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

async fn upload_ok(host: &Host, name: &str) -> Value {
    let (status, body) = upload(host, &component(name), "application/wasm").await;
    assert!(status == 201 || status == 200, "{name}: {status} {body}");
    body
}

async fn plugins(host: &Host) -> Vec<Value> {
    host.api_ok("GET", "/api/plugins", None)
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn versioned(list: &[Value], version: &str) -> Value {
    list.iter()
        .find(|p| p["id"] == "versioned" && p["version"] == version)
        .cloned()
        .unwrap_or_else(|| panic!("versioned {version} is not listed: {list:?}"))
}

async fn activate(host: &Host, version: &str, approve: bool) -> (u16, Value) {
    host.api(
        "POST",
        "/api/plugins/versioned/activate",
        Some(json!({"version": version, "approve_capabilities": approve})),
    )
    .await
}

/// Upload v1 and activate it with approval, then register its integration.
async fn versioned_provider(host: &Host) {
    upload_ok(host, "test-versioned-v1").await;
    let (status, body) = activate(host, "1.0.0", true).await;
    assert_eq!(status, 200, "{body}");
    host.api_ok(
        "POST",
        "/api/integrations",
        Some(json!({"id": "versioned", "provider": "versioned", "client_id": XERO_CLIENT.0, "client_secret": XERO_CLIENT.1})),
    )
    .await;
}

async fn connect_many(host: &Host, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = host.connect("versioned", &[host.uk.as_str()], None).await;
        assert_eq!(host.connection(&id).await["state"], "active");
        ids.push(id);
    }
    ids
}

async fn sync_stream(host: &Host, connection: &str, stream: &str) -> (u16, Value) {
    host.api(
        "POST",
        &format!("/api/connections/{connection}/sync"),
        Some(json!({"streams": [stream], "wait": true})),
    )
    .await
}

/// The records of one stream: id → data.
async fn records(host: &Host, connection: &str, stream: &str) -> BTreeMap<String, Value> {
    let feed = host
        .api_ok(
            "GET",
            &format!("/api/connections/{connection}/records/{stream}?limit=1000"),
            None,
        )
        .await;
    let mut out = BTreeMap::new();
    for record in feed["records"].as_array().cloned().unwrap_or_default() {
        let id = record["id"].as_str().expect("id").to_owned();
        assert!(
            out.insert(id, record["data"].clone()).is_none(),
            "duplicate record"
        );
    }
    out
}

async fn runs(host: &Host, connection: &str) -> Vec<Value> {
    host.api_ok("GET", &format!("/api/connections/{connection}/runs"), None)
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn invalid_uploads_are_refused_and_nothing_changes() {
    let host = Host::start().await;
    let before = plugins(&host).await;
    let stored_before = host.app().store.list_plugins().expect("store").len();
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let newer_world = crate::wit_versions::component_importing(&[("clock", "0.3.0")]);
    let cases: [(&str, Vec<u8>, &str, u16, &str); 5] = [
        (
            "unsupported world",
            newer_world,
            "application/wasm",
            400,
            "this host supports 0.1.0",
        ),
        (
            "garbage",
            b"definitely not wasm".to_vec(),
            "application/wasm",
            400,
            "component",
        ),
        (
            "core module",
            core_module,
            "application/wasm",
            400,
            "component",
        ),
        (
            "invalid manifest",
            component("test-bad-manifest"),
            "application/wasm",
            400,
            "banana",
        ),
        (
            "wrong type",
            component("test-versioned-v1"),
            "application/json",
            415,
            "application/wasm",
        ),
    ];
    for (what, bytes, content_type, status, mentions) in cases {
        let (got, body) = upload(&host, &bytes, content_type).await;
        assert_eq!(got, status, "{what}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(mentions), "{what}: {message}");
    }
    assert_eq!(plugins(&host).await, before, "the listing did not change");
    assert_eq!(
        host.app().store.list_plugins().expect("store").len(),
        stored_before,
        "nothing was stored"
    );

    // A good upload is idempotent: 201, then 200 with the same summary.
    let bytes = component("test-versioned-v1");
    let (first, created) = upload(&host, &bytes, "application/wasm").await;
    assert_eq!(first, 201, "{created}");
    let (second, again) = upload(&host, &bytes, "application/wasm").await;
    assert_eq!(second, 200, "{again}");
    assert_eq!(created["sha256"], again["sha256"]);
    assert_eq!(created["active"], false, "an upload is not activated");
    assert_eq!(
        created["approved"], false,
        "nothing is approved for a new provider yet"
    );
    assert_eq!(
        created["capabilities"]["allowed_hosts"],
        json!(["api.xero.com", "identity.xero.com", "login.xero.com"])
    );
}

#[tokio::test]
async fn swap_during_concurrent_syncs_escalation_and_rollback() {
    let host = Host::start().await;
    upload_ok(&host, "test-versioned-v1").await;
    let (status, refused) = activate(&host, "1.0.0", false).await;
    assert_eq!(
        status, 409,
        "a new provider's capabilities need approval: {refused}"
    );
    versioned_provider(&host).await;
    upload_ok(&host, "test-versioned-v2").await;
    upload_ok(&host, "test-versioned-v3").await;
    let connections = connect_many(&host, 10).await;
    for id in &connections {
        let (status, body) = sync_stream(&host, id, "extra").await;
        assert_eq!(status, 200, "{body}");
    }

    // 50 concurrent runs (10 connections × 5 streams); v2 is activated while they run.
    let mut tasks = Vec::new();
    for id in &connections {
        for stream in STREAMS {
            let (base, id) = (host.base.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{base}/api/connections/{id}/sync"))
                    .bearer_auth(ADMIN)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(json!({"streams": [stream], "wait": true}).to_string())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }));
        }
    }
    // Swap once some pages of the first runs have committed.
    loop {
        let mut pages = 0;
        for id in &connections {
            for run in runs(&host, id).await {
                pages += run["pages"].as_u64().unwrap_or(0);
            }
        }
        if pages > 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (status, body) = activate(&host, "2.0.0", false).await;
    assert_eq!(status, 200, "same capabilities need no approval: {body}");
    for task in tasks {
        assert_eq!(task.await.expect("task").expect("request"), 200);
    }
    let mut versions_seen = BTreeMap::new();
    for id in &connections {
        for run in runs(&host, id).await {
            assert!(run["error"].is_null(), "a run failed: {run}");
            *versions_seen
                .entry(
                    run["plugin_version"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
                .or_insert(0) += 1;
        }
    }
    assert!(versions_seen.contains_key("1.0.0"), "{versions_seen:?}");

    // After the swap every run is 2.0.0, and its new cursor format re-lists each
    // stream: same records, now written by 2.0.0, none duplicated.
    for id in &connections {
        for stream in STREAMS {
            let (status, body) = sync_stream(&host, id, stream).await;
            assert_eq!(status, 200, "{body}");
            let run = &body["runs"][0];
            assert_eq!(run["plugin_version"], "2.0.0", "{run}");
            assert!(run["error"].is_null(), "{run}");
            let stored = records(&host, id, stream).await;
            assert_eq!(stored.len() as u64, PAGES * PAGE_SIZE, "{stream}");
            assert!(stored.values().all(|d| d["version"] == "2.0.0"), "{stream}");
        }
        // The stream 2.0.0 dropped keeps its records and no longer syncs.
        assert_eq!(
            records(&host, id, "extra").await.len() as u64,
            PAGE_SIZE * PAGES
        );
        let (status, _) = sync_stream(&host, id, "extra").await;
        assert_eq!(status, 404);
    }

    // 3.0.0 asks for a new host and scope: refused, listing both, then approved.
    let (status, refused) = activate(&host, "3.0.0", false).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "capabilities_not_approved");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("api.escalated.test"), "{message}");
    assert!(message.contains("accounting.contacts.read"), "{message}");
    assert_eq!(versioned(&plugins(&host).await, "2.0.0")["active"], true);
    let (status, body) = activate(&host, "3.0.0", true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["approved"], true);

    // Rollback returns to 2.0.0, then to 1.0.0; then there is nothing left.
    let back = host
        .api_ok("POST", "/api/plugins/versioned/rollback", None)
        .await;
    assert_eq!(back["version"], "2.0.0");
    let back = host
        .api_ok("POST", "/api/plugins/versioned/rollback", None)
        .await;
    assert_eq!(back["version"], "1.0.0");
    let (status, _) = host
        .api("POST", "/api/plugins/versioned/rollback", None)
        .await;
    assert_eq!(status, 409);
    let kinds: Vec<String> = host
        .api_ok("GET", "/api/events?limit=1000", None)
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("versioned "))
        })
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "plugin.activated").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "plugin.rolled_back").count(),
        2
    );
}

/// Each connection runs its pin, else the canary if its bucket is under 50, else 1.0.0.
async fn expect_versions(host: &Host, connections: &[String], pinned: &str) {
    for id in connections {
        let expected =
            if id == pinned || mooring::runtime::registry::canary_bucket("versioned", id) < 50 {
                "2.0.0"
            } else {
                "1.0.0"
            };
        let (status, body) = sync_stream(host, id, "pages-a").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["runs"][0]["plugin_version"], expected, "{id}");
    }
}

#[tokio::test]
async fn pins_and_canary_choose_versions_and_survive_a_restart() {
    let mut host = Host::start().await;
    versioned_provider(&host).await;
    upload_ok(&host, "test-versioned-v2").await;
    let connections = connect_many(&host, 6).await;
    let pinned = connections[0].clone();

    let view = host
        .api_ok(
            "PATCH",
            &format!("/api/connections/{pinned}"),
            Some(json!({"plugin_version": "2.0.0"})),
        )
        .await;
    assert_eq!(view["pinned_version"], "2.0.0");
    let (status, _) = host
        .api(
            "PATCH",
            &format!("/api/connections/{pinned}"),
            Some(json!({"plugin_version": "9.9.9"})),
        )
        .await;
    assert_eq!(status, 404, "an unknown version cannot be pinned");

    let canary = host
        .api_ok(
            "POST",
            "/api/plugins/versioned/canary",
            Some(json!({"version": "2.0.0", "percent": 50})),
        )
        .await;
    assert_eq!(canary["percent"], 50);
    expect_versions(&host, &connections, &pinned).await;

    let compiled_before = host.app().runtime.compilations();
    assert!(compiled_before > 0);
    host.restart().await;
    assert_eq!(
        host.app().runtime.compilations(),
        0,
        "a restart loads every version from the cached artifacts"
    );
    let list = plugins(&host).await;
    assert_eq!(versioned(&list, "1.0.0")["active"], true);
    assert_eq!(versioned(&list, "2.0.0")["canary_percent"], 50);
    assert_eq!(host.connection(&pinned).await["pinned_version"], "2.0.0");
    expect_versions(&host, &connections, &pinned).await;

    // Unpin and end the canary: everything follows the active version again.
    host.api_ok(
        "PATCH",
        &format!("/api/connections/{pinned}"),
        Some(json!({"plugin_version": null})),
    )
    .await;
    host.api_ok(
        "POST",
        "/api/plugins/versioned/canary",
        Some(json!({"percent": 0})),
    )
    .await;
    for id in &connections {
        let (_, body) = sync_stream(&host, id, "pages-a").await;
        assert_eq!(body["runs"][0]["plugin_version"], "1.0.0", "{id}");
    }
}

#[tokio::test]
async fn a_bad_component_in_the_plugin_directory_is_skipped_and_the_rest_served() {
    let plugins = tempfile::tempdir().expect("tmp");
    std::fs::write(plugins.path().join("a-broken.wasm"), b"not a component").expect("write");
    std::fs::write(
        plugins.path().join("b-bad-manifest.wasm"),
        component("test-bad-manifest"),
    )
    .expect("write");
    std::fs::write(
        plugins.path().join("c-good.wasm"),
        component("test-versioned-v1"),
    )
    .expect("write");
    let data = tempfile::tempdir().expect("tmp");
    let (data_dir, plugin_dir) = (
        data.path().display().to_string(),
        plugins.path().display().to_string(),
    );
    let env = move |name: &str| -> Option<String> {
        match name {
            "MOORING_DATA_DIR" => Some(data_dir.clone()),
            "MOORING_PLUGIN_DIR" => Some(plugin_dir.clone()),
            "MOORING_ADMIN_TOKEN" => Some(ADMIN.into()),
            "MOORING_ENCRYPTION_KEY" => Some("42".repeat(32)),
            _ => None,
        }
    };
    let config = mooring::config::Config::resolve(None, env).expect("config");
    let app = mooring::app::App::open(config, std::sync::Arc::new(mooring::clock::SystemClock))
        .await
        .expect("the host starts despite the bad components");
    let problems = app.plugin_problems.read().expect("lock").clone();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("a-broken.wasm"), "{problems:?}");
    assert!(problems[1].contains("banana"), "{problems:?}");
    let listed = app.plugins.list().expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].active && listed[0].approved, "{listed:?}");
}
