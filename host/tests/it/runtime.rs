//! The runtime against real components: describe, HTTP through the capability with
//! an injected credential the plugin cannot read, state isolation, and every hostile
//! behaviour ending within its limit with a typed error, the host serving the next
//! call normally afterwards.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mooring::runtime::types::ConnectorError;
use mooring::runtime::{CallContext, CallError, PluginError, Runtime, RuntimeLimits};

use crate::support::*;

/// The host still serves a normal call: the proof that a failure was contained.
async fn healthy_call_works(rt: &Runtime) {
    let plugin = load(rt, "test-well-behaved").await;
    let batch = rt
        .sync(&plugin, ctx("after-failure"), "records:3", &tenant(), None)
        .await
        .expect("a normal call after a failure");
    assert_eq!(batch.records.len(), 3);
}

/// Test limits with CPU to spare, so a memory-bound plugin meets its memory limit first.
fn roomy_cpu() -> RuntimeLimits {
    RuntimeLimits {
        cpu_millis: 10_000,
        wall_millis: 20_000,
        ..test_limits()
    }
}

#[tokio::test]
async fn describe_returns_the_validated_manifest() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    assert_eq!(plugin.info.id, "test-well-behaved");
    assert_eq!(plugin.info.version, "1.0.0");
    assert_eq!(plugin.info.sha256.len(), 64);
    let manifest = rt.describe(&plugin).await.expect("describe");
    assert!(manifest.streams.iter().any(|s| s.name == "echo"));
    assert_eq!(manifest.allowed_hosts, vec!["api.test.invalid".to_string()]);
}

#[tokio::test]
async fn http_injects_a_credential_the_plugin_cannot_see() {
    let server = TestServer::start().await;
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let batch = rt
        .sync(&plugin, ctx("conn-1"), "echo", &tenant(), None)
        .await
        .expect("echo");
    // The provider received the injected token and the plugin's own header...
    assert_eq!(
        server.state.authorizations.lock().expect("lock").as_slice(),
        [format!("Bearer {ACCESS_TOKEN}")]
    );
    assert_eq!(
        server.state.tenants.lock().expect("lock").as_slice(),
        ["tenant-1"]
    );
    // ...and everything the plugin saw (status, headers, body) lacks it.
    let seen = &batch.records[0].data;
    let seen_json: serde_json::Value = serde_json::from_str(seen).expect("json");
    assert_eq!(seen_json["status"], 200);
    assert!(seen.contains("x-seen"), "{seen}");
    assert!(
        !seen.contains(ACCESS_TOKEN) && !seen.contains("SECRET"),
        "{seen}"
    );
}

#[tokio::test]
async fn a_plugin_cannot_set_its_own_authorization_header() {
    let server = TestServer::start().await;
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let error = rt
        .sync(&plugin, ctx("conn-1"), "try-auth-header", &tenant(), None)
        .await
        .expect_err("refused");
    match error {
        CallError::Denied { reason, .. } => assert!(reason.contains("reserved"), "{reason}"),
        other => panic!("expected Denied, got {other:?}"),
    }
    assert_eq!(
        server.state.hits.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_401_causes_one_refresh_and_one_retry() {
    let server = TestServer::start().await;
    *server.state.reject_token.lock().expect("lock") = Some(ACCESS_TOKEN.into());
    let broker = Arc::new(ScriptedBroker::default());
    let rt = runtime(test_limits(), Some(&server), broker.clone());
    let plugin = load(&rt, "test-well-behaved").await;
    let batch = rt
        .sync(&plugin, ctx("conn-1"), "echo", &tenant(), None)
        .await
        .expect("echo after retry");
    assert!(batch.records[0].data.contains("\"status\":200"));
    assert_eq!(broker.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        server.state.authorizations.lock().expect("lock").as_slice(),
        [
            format!("Bearer {ACCESS_TOKEN}"),
            format!("Bearer {FRESH_TOKEN}")
        ]
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried_without_the_plugin_seeing_it() {
    let server = TestServer::start().await;
    server.state.throttle.store(1, Ordering::SeqCst);
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let started = Instant::now();
    let batch = rt
        .sync(&plugin, ctx("conn-1"), "echo", &tenant(), None)
        .await
        .expect("echo");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert!(
        batch.records[0].data.contains("\"status\":200"),
        "{}",
        batch.records[0].data
    );
    assert_eq!(server.state.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = TestServer::start().await;
    let elsewhere = TestServer::start().await;
    *server.state.redirect_to.lock().expect("lock") =
        Some(format!("http://{}/echo", elsewhere.addr));
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let batch = rt
        .sync(&plugin, ctx("conn-1"), "echo", &tenant(), None)
        .await
        .expect("echo");
    let seen: serde_json::Value = serde_json::from_str(&batch.records[0].data).expect("json");
    assert_eq!(seen["status"], 302, "the plugin sees the redirect itself");
    assert_eq!(
        elsewhere.state.hits.load(Ordering::SeqCst),
        0,
        "and the host did not follow it"
    );
}

#[tokio::test]
async fn state_is_scoped_to_one_connection() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let count = |conn: &'static str| {
        let (rt, plugin) = (&rt, plugin.clone());
        async move {
            let batch = rt
                .sync(&plugin, ctx(conn), "state", &tenant(), None)
                .await
                .expect("state");
            batch.records[0].data.clone()
        }
    };
    assert_eq!(count("conn-a").await, r#"{"counter":1}"#);
    assert_eq!(count("conn-a").await, r#"{"counter":2}"#);
    assert_eq!(
        count("conn-b").await,
        r#"{"counter":1}"#,
        "another connection starts fresh"
    );
    assert_eq!(count("conn-a").await, r#"{"counter":3}"#);
}

#[tokio::test]
async fn token_calls_go_through_the_broker() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let params = vec![
        ("code".to_string(), "good-code".to_string()),
        ("state".into(), "s".into()),
    ];
    let tenants = rt
        .complete_authorization(&plugin, ctx("conn-1"), &params)
        .await
        .expect("complete");
    assert_eq!(tenants[0].id, "t-1");
    let bad = vec![("code".to_string(), "bad".to_string())];
    let error = rt
        .complete_authorization(&plugin, ctx("conn-1"), &bad)
        .await
        .expect_err("bad code");
    assert!(
        matches!(
            error,
            CallError::Connector(ConnectorError::ReauthRequired(_))
        ),
        "{error:?}"
    );
    let error = rt
        .refresh(&plugin, ctx("conn-1"))
        .await
        .expect_err("refresh fails");
    assert!(
        matches!(
            error,
            CallError::Connector(ConnectorError::ReauthRequired(_))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_endless_loop_hits_the_cpu_budget() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-endless-loop").await;
    let started = Instant::now();
    let error = rt
        .sync(&plugin, ctx("c"), "any", &tenant(), None)
        .await
        .expect_err("loops");
    assert_eq!(error, CallError::CpuLimit { budget_millis: 300 });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    healthy_call_works(&rt).await;
}

#[tokio::test]
async fn a_memory_hog_hits_the_memory_limit() {
    let rt = runtime(roomy_cpu(), None, Arc::default());
    let plugin = load(&rt, "test-memory-hog").await;
    let error = rt
        .sync(&plugin, ctx("c"), "any", &tenant(), None)
        .await
        .expect_err("hogs");
    assert_eq!(
        error,
        CallError::MemoryLimit {
            limit_bytes: 128 << 20
        }
    );
    healthy_call_works(&rt).await;
}

#[tokio::test]
async fn a_huge_http_response_is_capped() {
    let server = TestServer::start().await;
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-huge-response").await;
    let error = rt
        .sync(&plugin, ctx("c"), "http", &tenant(), None)
        .await
        .expect_err("capped");
    match error {
        CallError::Denied { reason, .. } => {
            assert!(reason.contains("cap of 1048576 bytes"), "{reason}")
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    healthy_call_works(&rt).await;
}

#[tokio::test]
async fn a_huge_batch_is_refused() {
    let rt = runtime(roomy_cpu(), None, Arc::default());
    let plugin = load(&rt, "test-huge-response").await;
    let error = rt
        .sync(&plugin, ctx("c"), "batch", &tenant(), None)
        .await
        .expect_err("too big");
    match error {
        // Stopped by hostcall fuel (16 MiB) while copying out of the guest.
        CallError::OutputTooLarge { limit_bytes } => assert_eq!(limit_bytes, 16 << 20),
        other => panic!("expected OutputTooLarge, got {other:?}"),
    }
    healthy_call_works(&rt).await;
}

#[tokio::test]
async fn an_undeclared_host_is_denied_before_any_lookup() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-undeclared-host").await;
    let error = rt
        .sync(&plugin, ctx("c"), "any", &tenant(), None)
        .await
        .expect_err("denied");
    match error {
        // A transport error would mean a lookup or connection was attempted.
        CallError::Denied { reason, .. } => {
            assert!(
                reason.contains("not-declared.example.org") && reason.contains("allowed hosts"),
                "{reason}"
            )
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    healthy_call_works(&rt).await;
}

#[tokio::test]
async fn a_panic_is_reported_with_its_message() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-panics").await;
    let error = rt
        .sync(&plugin, ctx("c"), "any", &tenant(), None)
        .await
        .expect_err("panics");
    match error {
        CallError::Panic { message } => assert!(
            message.contains("connector exploded: test panic"),
            "{message}"
        ),
        other => panic!("expected Panic, got {other:?}"),
    }
    healthy_call_works(&rt).await;
}

#[tokio::test]
async fn a_slow_provider_hits_the_wall_clock_limit() {
    let server = TestServer::start().await;
    *server.state.delay.lock().expect("lock") = Duration::from_secs(30);
    let limits = RuntimeLimits {
        wall_millis: 400,
        ..test_limits()
    };
    let rt = runtime(limits, Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let started = Instant::now();
    let error = rt
        .sync(&plugin, ctx("c"), "echo", &tenant(), None)
        .await
        .expect_err("slow");
    assert_eq!(error, CallError::WallTimeout { limit_millis: 400 });
    assert!(started.elapsed() < Duration::from_secs(3));
    // Time spent waiting on the host does not count against the CPU budget (300 ms):
    // a call that waits 600 ms on the provider under a larger wall limit succeeds.
    *server.state.delay.lock().expect("lock") = Duration::from_millis(600);
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    rt.sync(&plugin, ctx("c"), "echo", &tenant(), None)
        .await
        .expect("slow but within limits");
}

#[tokio::test]
async fn credentials_need_a_connection() {
    let server = TestServer::start().await;
    let rt = runtime(test_limits(), Some(&server), Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    let error = rt
        .sync(&plugin, CallContext::detached(), "echo", &tenant(), None)
        .await
        .expect_err("no grant");
    assert!(matches!(error, CallError::Denied { .. }), "{error:?}");
    assert_eq!(server.state.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bytes_that_are_not_a_component_are_refused() {
    let rt = runtime(test_limits(), None, Arc::default());
    let cache = artifact_cache();
    for bytes in [b"not wasm at all".to_vec(), b"\0asm\x01\0\0\0".to_vec()] {
        let error = rt.load(&bytes, &cache).await.expect_err("refused");
        assert!(matches!(error, PluginError::Invalid(_)), "{error}");
    }
}

#[tokio::test]
async fn concurrent_calls_each_get_a_fresh_instance() {
    let rt = Arc::new(runtime(test_limits(), None, Arc::default()));
    let plugin = load(&rt, "test-well-behaved").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (rt, plugin) = (rt.clone(), plugin.clone());
        tasks.push(tokio::spawn(async move {
            let stream = format!("records:{}", i + 1);
            rt.sync(&plugin, ctx("c"), &stream, &tenant(), None)
                .await
                .map(|b| b.records.len())
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.expect("join").expect("call"), i + 1);
    }
}

#[tokio::test]
async fn a_no_std_component_without_wasi_runs() {
    // `test-minimal` is `#![no_std]` with zero WASI imports: it links and runs
    // against the same linker as the std plugins.
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-minimal").await;
    assert_eq!(plugin.info.id, "test-minimal");
    assert_eq!(plugin.info.version, "1.0.0");
    let params = rt
        .authorize_params(&plugin, ctx("c"), &["openid".to_string()])
        .await
        .expect("authorize-params");
    assert_eq!(params, vec![("prompt".to_string(), "consent".to_string())]);
    let manifest = rt.describe(&plugin).await.expect("describe");
    assert_eq!(manifest.id, "test-minimal");
    assert_eq!(manifest.allowed_hosts, vec!["api.test.invalid".to_string()]);
    assert_eq!(manifest.auth.token_url, "https://api.test.invalid/token");
    assert_eq!(
        manifest.auth.authorize_url,
        "https://login.test.invalid/authorize"
    );
    let batch = rt
        .sync(&plugin, ctx("c"), "anything", &tenant(), None)
        .await
        .expect("sync");
    assert!(batch.records.is_empty() && !batch.has_more);
}
