//! `/metrics` and structured logs: they describe a host that connected, synced and
//! refreshed, and neither holds a secret.

use std::time::Duration;

use mooring_store::crypto::aad;

use crate::harness::{ADMIN, Host, XERO_CLIENT};

/// Every token of every grant, opened.
fn plaintext_tokens(host: &Host) -> Vec<String> {
    let store = &host.app().store;
    let mut tokens = Vec::new();
    for grant in store.list_grants().expect("grants") {
        let access = store
            .cipher()
            .open(&grant.access_token, &aad::grant_access(&grant.id))
            .expect("access token");
        tokens.push(access.expose().to_owned());
        if let Some(refresh) = &grant.refresh_token {
            let refresh = store
                .cipher()
                .open(refresh, &aad::grant_refresh(&grant.id))
                .expect("refresh token");
            tokens.push(refresh.expose().to_owned());
        }
    }
    tokens
}

#[tokio::test]
async fn metrics_and_json_logs_describe_the_host_without_a_secret() {
    let logs = crate::support::CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let host = Host::start().await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let mut secrets = plaintext_tokens(&host);
    host.app()
        .sync
        .sync_connection(&id, Some(vec!["accounts".into()]))
        .await
        .expect("sync");
    // Past the access token's life: the next call refreshes (new tokens to look for).
    host.advance(Duration::from_secs(31 * 60));
    host.probe(&id, "organisation")
        .await
        .expect("refreshed call");
    secrets.extend(plaintext_tokens(&host));
    secrets.push(XERO_CLIENT.1.to_owned());
    secrets.push(ADMIN.to_owned());
    assert!(secrets.len() >= 6, "{} secrets", secrets.len());

    let response = reqwest::get(format!("{}/metrics", host.base))
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    let metrics = response.text().await.expect("text");
    for needle in [
        "mooring_connections{state=\"active\"}",
        "mooring_sync_pages_total",
        "mooring_sync_records_total{change=\"added\"}",
        "mooring_sync_run_duration_seconds_bucket",
        "mooring_token_refreshes_total{result=\"ok\"}",
        "mooring_plugin_call_duration_seconds_bucket{export=\"sync\"",
    ] {
        assert!(metrics.contains(needle), "{needle} missing:\n{metrics}");
    }

    let logged = logs.text();
    let lines: Vec<serde_json::Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).expect("each log line is JSON"))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "refreshed"),
        "the refresh was logged"
    );
    for secret in &secrets {
        assert!(!metrics.contains(secret.as_str()), "metrics hold a secret");
        assert!(!logged.contains(secret.as_str()), "logs hold a secret");
    }
}
