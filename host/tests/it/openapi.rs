//! The admin API described and complete: `GET /api/openapi.json` covers every route of
//! the router (read from `host/src/api/mod.rs`), every error under `/api` is JSON,
//! lists page with cursors, deleted connections stay readable, and schemathesis finds
//! nothing against a live host.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{ADMIN, Host};

const ROUTER_SOURCE: &str = include_str!("../../src/api/mod.rs");

/// The (path, method) pairs `router()` registers, read from its source: routes inside
/// `let api = …;` get the `/api` prefix.
fn router_routes() -> BTreeSet<(String, String)> {
    let api_start = ROUTER_SOURCE.find("let api = ").expect("the /api router");
    let api_end = api_start + ROUTER_SOURCE[api_start..].find(';').expect("its end");
    let mut routes = BTreeSet::new();
    let mut at = 0;
    while let Some(found) = ROUTER_SOURCE[at..].find(".route(") {
        let start = at + found + ".route(".len();
        let rest = &ROUTER_SOURCE[start..];
        let open = rest.find('"').expect("a path literal");
        let close = open + 1 + rest[open + 1..].find('"').expect("its end");
        let path = &rest[open + 1..close];
        let end = [
            ".route(",
            ".fallback(",
            ".merge(",
            ".nest(",
            ".method_not_allowed",
        ]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
        let handlers = &rest[close..end];
        let prefix = if (api_start..api_end).contains(&start) {
            "/api"
        } else {
            ""
        };
        for method in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{method}(");
            let mut from = 0;
            while let Some(i) = handlers[from..].find(&needle) {
                let i = from + i;
                let before = handlers[..i].chars().last().unwrap_or(' ');
                if !(before.is_alphanumeric() || before == '_') {
                    routes.insert((format!("{prefix}{path}"), method.to_owned()));
                }
                from = i + needle.len();
            }
        }
        at = start;
    }
    routes
}

async fn document(host: &Host) -> Value {
    let response = reqwest::get(format!("{}/api/openapi.json", host.base))
        .await
        .expect("document");
    assert_eq!(response.status(), 200, "the document needs no token");
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test]
async fn the_document_covers_every_route_of_the_router() {
    let host = Host::start().await;
    let doc = document(&host).await;
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let routes = router_routes();
    assert!(routes.len() > 20, "the route parser found {routes:?}");
    let mut missing = Vec::new();
    for (path, method) in &routes {
        let documented =
            path.starts_with("/api/") || path == "/healthz" || path == "/oauth/callback";
        if documented && doc["paths"][path.as_str()][method.as_str()].is_null() {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from /api/openapi.json (add #[utoipa::path] to the handler and list it in host/src/api/openapi.rs): {missing:?}"
    );
    // And every documented operation is served (not the router's 404 or 405).
    let client = reqwest::Client::new();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for method in item.as_object().expect("item").keys() {
            let url = format!("{}{}", host.base, path.replace('{', "x").replace('}', ""));
            let method_ =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = client
                .request(method_, &url)
                .bearer_auth(ADMIN)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            assert!(
                status != 405 && !body.contains("no such API route"),
                "{method} {path}: {status} {body}"
            );
        }
    }
    for schema in [
        "ConnectionState",
        "EventKind",
        "Cause",
        "RunStatus",
        "ErrorBody",
    ] {
        assert!(
            !doc["components"]["schemas"][schema].is_null(),
            "{schema} is not in the document"
        );
    }
    let kinds = doc["components"]["schemas"]["EventKind"].to_string();
    assert!(kinds.contains("connection.active") && kinds.contains("plugin.activated"));
}

/// (status, headers, JSON body) of one call.
async fn call(
    host: &Host,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Option<String>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            format!("{}{path}", host.base),
        )
        .bearer_auth(ADMIN);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// method, path, content type, body, expected status, expected code.
type Case<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<String>,
    u16,
    &'a str,
);

#[tokio::test]
async fn every_error_under_api_is_json_and_quotes_no_value() {
    let host = Host::start().await;
    let json_ct = Some("application/json");
    let secret_as_number = r#"{"provider": "xero", "client_id": "c", "client_secret": 918273645}"#;
    let cases: Vec<Case> = vec![
        (
            "DELETE",
            "/api/events",
            None,
            None,
            405,
            "method_not_allowed",
        ),
        (
            "PUT",
            "/api/connections",
            None,
            None,
            405,
            "method_not_allowed",
        ),
        (
            "POST",
            "/api/openapi.json",
            None,
            None,
            405,
            "method_not_allowed",
        ),
        ("GET", "/api/nothing/here", None, None, 404, "not_found"),
        (
            "POST",
            "/api/integrations",
            Some("text/plain"),
            Some("{}".into()),
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/api/integrations",
            json_ct,
            Some("{".into()),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/api/integrations",
            json_ct,
            Some(secret_as_number.into()),
            422,
            "invalid_body",
        ),
        (
            "POST",
            "/api/integrations",
            json_ct,
            Some(format!("{{\"x\": \"{}\"}}", "a".repeat(3 << 20))),
            413,
            "too_large",
        ),
        (
            "GET",
            "/api/events?limit=abc",
            None,
            None,
            400,
            "invalid_query",
        ),
        (
            "GET",
            "/api/events?limit=5000",
            None,
            None,
            400,
            "bad_request",
        ),
        (
            "GET",
            "/api/events?cursor=zzz",
            None,
            None,
            400,
            "invalid_cursor",
        ),
        (
            "GET",
            "/api/connections?state=sleeping",
            None,
            None,
            400,
            "invalid_query",
        ),
        (
            "POST",
            "/api/integrations",
            json_ct,
            Some(r#"{"provider": "nope", "client_id": "c", "client_secret": "s"}"#.into()),
            404,
            "unknown_provider",
        ),
    ];
    for (method, path, content_type, body, status, code) in cases {
        let (got, headers, answer) = call(&host, method, path, content_type, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{method} {path}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
        assert!(!answer.to_string().contains("918273645"), "{answer}");
        if status == 405 {
            assert!(headers.contains_key("allow"), "{method} {path}: no Allow");
        }
    }
}

#[tokio::test]
async fn connections_change_page_and_stay_readable_after_deletion() {
    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let other = host.connect("qbo", &[&host.qbo_company], None).await;
    let runs = host
        .api_ok(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"wait": true})),
        )
        .await;
    let stream = runs["runs"][0]["stream"]
        .as_str()
        .expect("a stream")
        .to_owned();

    // PATCH: label, disable, enable.
    let patched = host
        .api_ok(
            "PATCH",
            &format!("/api/connections/{id}"),
            Some(json!({"label": "UK books"})),
        )
        .await;
    assert_eq!(patched["label"], "UK books");
    let (status, answer) = host
        .api(
            "PATCH",
            &format!("/api/connections/{id}"),
            Some(json!({"label": "x".repeat(201)})),
        )
        .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("bad_request"))
    );
    let disabled = host
        .api_ok(
            "PATCH",
            &format!("/api/connections/{id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled["state"], "disabled");
    let enabled = host
        .api_ok(
            "PATCH",
            &format!("/api/connections/{id}"),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(enabled["state"], "active");
    assert_eq!(enabled["label"], "UK books");

    // Pagination: arrays with X-Next-Cursor, absent on the last page.
    let mut seen = Vec::new();
    let mut path = "/api/connections?limit=1".to_owned();
    loop {
        let (status, headers, page) = call(&host, "GET", &path, None, None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page.as_array()
                .expect("array")
                .iter()
                .map(|c| c["id"].clone()),
        );
        match headers.get("x-next-cursor").and_then(|v| v.to_str().ok()) {
            Some(cursor) => path = format!("/api/connections?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.contains(&json!(id)) && seen.contains(&json!(other)));
    let (_, headers, events) = call(&host, "GET", "/api/events?limit=2", None, None).await;
    assert_eq!(events.as_array().map(Vec::len), Some(2));
    let cursor = headers["x-next-cursor"]
        .to_str()
        .expect("cursor")
        .to_owned();
    let (_, _, next) = call(
        &host,
        "GET",
        &format!("/api/events?limit=2&cursor={cursor}"),
        None,
        None,
    )
    .await;
    assert!(
        next[0]["seq"].as_u64() > events[1]["seq"].as_u64(),
        "{next}"
    );

    // Records: known streams page with next_cursor; unknown ones are 404.
    let feed = host
        .api_ok(
            "GET",
            &format!("/api/connections/{id}/records/{stream}?limit=1"),
            None,
        )
        .await;
    assert!(feed.get("next_cursor").is_some(), "{feed}");
    let (status, answer) = host
        .api(
            "GET",
            &format!("/api/connections/{id}/records/no_such_stream"),
            None,
        )
        .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("unknown_stream"))
    );

    // Deleted: still readable, with its records; not changeable.
    host.api_ok("DELETE", &format!("/api/connections/{id}"), None)
        .await;
    let gone = host.connection(&id).await;
    assert_eq!(gone["state"], "deleted");
    let feed = host
        .api_ok(
            "GET",
            &format!("/api/connections/{id}/records/{stream}"),
            None,
        )
        .await;
    assert!(
        !feed["records"].as_array().expect("records").is_empty(),
        "{feed}"
    );
    host.api_ok("GET", &format!("/api/connections/{id}/runs"), None)
        .await;
    host.api_ok("GET", &format!("/api/connections/{id}/events"), None)
        .await;
    let (status, _) = host
        .api(
            "PATCH",
            &format!("/api/connections/{id}"),
            Some(json!({"label": "x"})),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_callback_page_has_the_operator_pages_security_headers() {
    let host = Host::start().await;
    let response = reqwest::get(format!("{}/oauth/callback?state=forged&code=x", host.base))
        .await
        .expect("callback");
    assert_eq!(response.status(), 400);
    let headers = response.headers();
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
}

/// Every check on (what `--checks all` does; given here because a check named on the
/// command line would override the per-operation settings below), except
/// "schema-valid input must be accepted" on the operations that refuse some
/// well-formed input by design: an upload must be a real component, which no schema
/// can say; the OAuth callback is a browser page that refuses a `state` it did not hand
/// out; choosing a tenant, reconnecting, disabling and starting a canary without a
/// version are refused (400) in states or combinations that do not allow them.
const SCHEMATHESIS_CONFIG: &str = r#"
[checks]
enabled = true

[[operations]]
include-path = "/api/plugins"
include-method = "POST"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/oauth/callback"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/connections/{id}/tenant"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/connections/{id}/reconnect"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/connections/{id}"
include-method = "PATCH"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/plugins/{provider}/canary"
checks.positive_data_acceptance.enabled = false
"#;

/// The schemathesis command: `MOORING_SCHEMATHESIS`, else the one `cargo xtask test`
/// installs in `target/schemathesis`, else `st` on the PATH.
fn schemathesis() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOORING_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join("target/schemathesis/bin/st");
    if venv.exists() {
        return Some(venv);
    }
    let on_path = std::process::Command::new("st").arg("--version").output();
    match on_path {
        Ok(out) if out.status.success() => Some(PathBuf::from("st")),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let Some(st) = schemathesis() else {
        panic!(
            "schemathesis is not installed: run `cargo xtask test` (it installs it into \
             target/schemathesis), or set MOORING_SCHEMATHESIS to an `st` executable"
        );
    };
    let host = Host::start().await;
    // Something to read: a connection with synced records.
    let id = host.connect("xero", &[&host.uk], None).await;
    host.api_ok(
        "POST",
        &format!("/api/connections/{id}/sync"),
        Some(json!({"wait": true})),
    )
    .await;
    let reports = tempfile::tempdir().expect("tmp");
    let config = reports.path().join("schemathesis.toml");
    std::fs::write(&config, SCHEMATHESIS_CONFIG).expect("config");
    let mut command = tokio::process::Command::new(&st);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/openapi.json", host.base))
        .args(["--header", &format!("Authorization: Bearer {ADMIN}")])
        // One worker: CPython 3.11 before 3.11.8 can raise a spurious "AST constructor
        // recursion depth mismatch" when several threads compile at once (gh-106905).
        .args(["--max-examples", "8", "--seed", "1", "--workers", "1"])
        .args(["--generation-codec", "ascii", "--no-shrink", "--no-color"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-time", "50", "--request-timeout", "20"])
        .arg("--report-dir")
        .arg(reports.path())
        .kill_on_drop(true);
    let run = tokio::time::timeout(Duration::from_secs(170), command.output())
        .await
        .expect("schemathesis finishes within its time budget")
        .expect("schemathesis starts");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "schemathesis found problems ({}):\n{out}\n{err}",
        run.status
    );
}
