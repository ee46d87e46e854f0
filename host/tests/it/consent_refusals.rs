//! A callback with `error=` instead of a code: the person declining is told apart
//! from the provider refusing, on the page, in the connection's reason and in the event.

use serde_json::json;

use crate::harness::Host;

/// Start a connection; returns its id and the `state` of its authorize URL.
async fn start(host: &Host) -> (String, String, String) {
    let started = host
        .api_ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero"})),
        )
        .await;
    let url = started["authorize_url"].as_str().expect("url").to_owned();
    let state = url::Url::parse(&url)
        .expect("authorize url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    (started["id"].as_str().expect("id").to_owned(), state, url)
}

async fn last_event_kind(host: &Host, id: &str) -> String {
    let events = host
        .api_ok("GET", &format!("/api/connections/{id}/events"), None)
        .await;
    events
        .as_array()
        .and_then(|list| list.first())
        .and_then(|e| e["kind"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn declining_and_provider_errors_read_differently() {
    let host = Host::start().await;

    let (declined, _, url) = start(&host).await;
    let (status, page) = host.consent(&url, &[&host.uk], false).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Access was not granted"), "{page}");
    let connection = host.connection(&declined).await;
    assert_eq!(connection["state"], "pending");
    let reason = connection["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("the person declined"), "{reason}");
    assert_eq!(
        last_event_kind(&host, &declined).await,
        "connection.authorization_denied"
    );

    let (refused, state, _) = start(&host).await;
    let (status, page) = host
        .browse(&format!(
            "{}/oauth/callback?state={state}&error=invalid_scope&error_description=unknown+scope+accounting.everything",
            host.base
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("The provider refused the request"), "{page}");
    assert!(!page.contains("declined"), "{page}");
    let reason = host.connection(&refused).await["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.contains("refused the requested scopes") && reason.contains("accounting.everything"),
        "{reason}"
    );
    assert_eq!(
        last_event_kind(&host, &refused).await,
        "connection.authorization_failed"
    );
}
