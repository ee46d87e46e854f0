//! Signed webhooks end to end (issue 10, item 2): a loopback receiver checks every
//! Standard Webhooks signature; a `needs_reauth` transition arrives with a working
//! reconnect link; 500s are retried with backoff on the injectable clock; an endpoint
//! that stays dead is disabled with an event; redelivery; `sync.completed` counts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use mooring::webhooks::signing::SigningSecret;
use mooring_simulators::Provider;
use serde_json::{Value, json};

use crate::harness::{Host, USER};

/// One message the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: u64,
    /// `webhook-signature`.
    pub signature: String,
    /// The JSON body.
    pub body: Value,
    /// The raw body.
    pub raw: Vec<u8>,
}

#[derive(Default)]
struct Inbox {
    got: Mutex<Vec<Received>>,
    /// Statuses to answer, in order; 200 when empty (or `fallback`).
    script: Mutex<VecDeque<u16>>,
    fallback: Mutex<u16>,
}

/// A loopback webhook receiver.
pub struct Receiver {
    inbox: Arc<Inbox>,
    /// Its URL.
    pub url: String,
}

impl Receiver {
    /// Listen on loopback, answering 200 unless scripted.
    pub async fn start() -> Receiver {
        let inbox = Arc::new(Inbox::default());
        *inbox.fallback.lock().expect("lock") = 200;
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes| async move {
                        let text = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        inbox.got.lock().expect("lock").push(Received {
                            id: text("webhook-id"),
                            timestamp: text("webhook-timestamp").parse().unwrap_or(0),
                            signature: text("webhook-signature"),
                            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                            raw: body.to_vec(),
                        });
                        let fallback = *inbox.fallback.lock().expect("lock");
                        let code = inbox
                            .script
                            .lock()
                            .expect("lock")
                            .pop_front()
                            .unwrap_or(fallback);
                        StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
                    },
                ),
            )
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { inbox, url }
    }

    /// Answer these statuses next.
    pub fn script(&self, codes: &[u16]) {
        self.inbox.script.lock().expect("lock").extend(codes);
    }

    /// Answer this status when nothing is scripted.
    pub fn always(&self, code: u16) {
        *self.inbox.fallback.lock().expect("lock") = code;
    }

    /// Everything received so far.
    pub fn got(&self) -> Vec<Received> {
        self.inbox.got.lock().expect("lock").clone()
    }
}

/// Register `receiver` for `types`; returns (endpoint id, secret).
pub async fn subscribe(host: &Host, receiver: &Receiver, types: &[&str]) -> (String, String) {
    let created = host
        .api_ok(
            "POST",
            "/api/webhooks",
            Some(json!({"url": receiver.url, "event_types": types, "description": "tests"})),
        )
        .await;
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    (created["id"].as_str().expect("id").to_owned(), secret)
}

/// Check a received message's signature as a receiver would.
fn verify(host: &Host, secret: &str, message: &Received) {
    let secret = SigningSecret::parse(secret).expect("secret");
    let now = host.app().clock.now_millis() / 1000;
    secret
        .verify(
            &message.id,
            message.timestamp,
            &message.raw,
            &message.signature,
            now,
        )
        .expect("signature verifies");
    let forged = SigningSecret::generate();
    assert!(
        forged
            .verify(
                &message.id,
                message.timestamp,
                &message.raw,
                &message.signature,
                now
            )
            .is_err()
    );
}

async fn break_grant(host: &Host, id: &str) {
    host.sim
        .change_password(Provider::Xero, USER)
        .expect("password change");
    host.probe(id, "organisation").await.expect_err("broken");
    assert_eq!(host.connection(id).await["state"], "needs_reauth");
}

#[tokio::test]
async fn a_needs_reauth_transition_arrives_signed_with_a_working_reconnect_link() {
    let host = Host::start().await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) = subscribe(&host, &receiver, &["connection.*"]).await;
    let id = host.connect("xero", &[&host.usa], None).await;
    break_grant(&host, &id).await;
    let report = host.app().webhooks.run_once().await;
    assert!(report.succeeded >= 3, "{report:?}");
    let got = receiver.got();
    let kinds: Vec<&str> = got.iter().filter_map(|m| m.body["type"].as_str()).collect();
    assert!(
        kinds.contains(&"connection.created")
            && kinds.contains(&"connection.active")
            && kinds.contains(&"connection.needs_reauth"),
        "{kinds:?}"
    );
    for message in &got {
        verify(&host, &secret, message);
        assert!(message.id.starts_with("evt_"), "{}", message.id);
        assert!(
            message.body["timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }
    let reauth = got
        .iter()
        .find(|m| m.body["type"] == "connection.needs_reauth")
        .expect("needs_reauth");
    assert_eq!(reauth.body["data"]["connection"], id.as_str());
    assert_eq!(reauth.body["data"]["to"], "needs_reauth");
    let link = reauth.body["data"]["reconnect_url"]
        .as_str()
        .expect("reconnect_url");
    assert!(
        link.starts_with(&format!("{}/reconnect/", host.base)),
        "{link}"
    );
    // The customer follows it (no admin token) through the consent back to active.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let opened = client.get(link).send().await.expect("open link");
    assert_eq!(opened.status().as_u16(), 303);
    let consent = opened.headers()["location"].to_str().expect("location");
    let (status, page) = host.consent(consent, &[&host.usa], true).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(host.connection(&id).await["state"], "active");
    // The secret is shown once: never in listings, logs of deliveries or events.
    let shown = [
        host.api_ok("GET", "/api/webhooks", None).await,
        host.api_ok("GET", &format!("/api/webhooks/{endpoint}"), None)
            .await,
        host.api_ok("GET", &format!("/api/webhooks/{endpoint}/deliveries"), None)
            .await,
        host.api_ok("GET", "/api/events", None).await,
    ];
    for value in shown {
        assert!(
            !value.to_string().contains(&secret[6..]),
            "secret leaked: {value}"
        );
    }
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff_and_logged() {
    let host = Host::start().await;
    let receiver = Receiver::start().await;
    receiver.script(&[500, 503]);
    let (endpoint, secret) = subscribe(&host, &receiver, &["connection.active"]).await;
    host.connect("xero", &[&host.uk], None).await;
    let first = host.app().webhooks.run_once().await;
    assert_eq!((first.attempted, first.succeeded), (1, 0), "{first:?}");
    let idle = host.app().webhooks.run_once().await;
    assert_eq!(idle.attempted, 0, "not due before its backoff");
    host.advance(Duration::from_secs(13));
    let second = host.app().webhooks.run_once().await;
    assert_eq!((second.attempted, second.succeeded), (1, 0), "{second:?}");
    host.advance(Duration::from_secs(10));
    assert_eq!(host.app().webhooks.run_once().await.attempted, 0);
    host.advance(Duration::from_secs(16));
    let third = host.app().webhooks.run_once().await;
    assert_eq!((third.attempted, third.succeeded), (1, 1), "{third:?}");
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| m.id == got[0].id), "one message id");
    assert!(got[1].timestamp > got[0].timestamp && got[2].timestamp > got[1].timestamp);
    for message in &got {
        verify(&host, &secret, message);
    }
    let log = host
        .api_ok("GET", &format!("/api/webhooks/{endpoint}/deliveries"), None)
        .await;
    let delivery = &log[0];
    assert_eq!(delivery["status"], "succeeded", "{log}");
    let codes: Vec<u64> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter_map(|a| a["status_code"].as_u64())
        .collect();
    assert_eq!(codes, vec![500, 503, 200]);
    assert!(delivery["attempts"][0]["error"].as_str().is_some());
    assert!(delivery["attempts"][2]["duration_ms"].as_u64().is_some());
    let seq = delivery["event"].as_u64().expect("seq");
    let by_event = host
        .api_ok("GET", &format!("/api/events/{seq}/deliveries"), None)
        .await;
    assert_eq!(by_event.as_array().map(Vec::len), Some(1), "{by_event}");
}

#[tokio::test]
async fn an_endpoint_that_stays_dead_is_disabled_and_redelivery_works_once_enabled() {
    let host = Host::start().await;
    let receiver = Receiver::start().await;
    receiver.always(500);
    let (endpoint, _) = subscribe(&host, &receiver, &["connection.active"]).await;
    host.connect("xero", &[&host.uk], None).await;
    let mut passes = 0;
    loop {
        host.app().webhooks.run_once().await;
        let view = host
            .api_ok("GET", &format!("/api/webhooks/{endpoint}"), None)
            .await;
        if view["enabled"] == false {
            assert!(
                view["disabled_reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("every attempt failed")),
                "{view}"
            );
            break;
        }
        passes += 1;
        assert!(passes < 40, "never disabled: {view}");
        host.advance(Duration::from_secs(3 * 3600));
    }
    let attempts = receiver.got().len();
    assert!((8..=30).contains(&attempts), "{attempts} attempts");
    let events = host.api_ok("GET", "/api/events", None).await;
    let disabled = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "webhook.endpoint_disabled")
        .expect("a webhook.endpoint_disabled event");
    assert!(
        disabled["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&endpoint))
    );
    let log = host
        .api_ok("GET", &format!("/api/webhooks/{endpoint}/deliveries"), None)
        .await;
    assert_ne!(log[0]["status"], "pending", "{log}");
    let seq = log[0]["event"].as_u64().expect("seq");
    // Nothing more goes to a disabled endpoint.
    host.advance(Duration::from_secs(3 * 3600));
    host.app().webhooks.run_once().await;
    assert_eq!(receiver.got().len(), attempts);
    let (status, _) = host
        .api(
            "POST",
            &format!("/api/events/{seq}/redeliver"),
            Some(json!({"endpoint": endpoint})),
        )
        .await;
    assert_eq!(status, 400, "a disabled endpoint is not redelivered to");
    // Enabled again and answering: a redelivery gets through.
    receiver.always(204);
    host.api_ok(
        "PATCH",
        &format!("/api/webhooks/{endpoint}"),
        Some(json!({"enabled": true})),
    )
    .await;
    let redelivered = host
        .api_ok("POST", &format!("/api/events/{seq}/redeliver"), None)
        .await;
    assert_eq!(redelivered[0]["status"], "pending", "{redelivered}");
    let report = host.app().webhooks.run_once().await;
    assert_eq!(report.succeeded, 1, "{report:?}");
    let log = host
        .api_ok("GET", &format!("/api/events/{seq}/deliveries"), None)
        .await;
    assert_eq!(log[0]["status"], "succeeded", "{log}");
    let (status, _) = host.api("POST", "/api/events/999999/redeliver", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sync_runs_publish_completed_events_with_counts() {
    let host = Host::start().await;
    let receiver = Receiver::start().await;
    subscribe(&host, &receiver, &["sync.*"]).await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.api_ok(
        "POST",
        &format!("/api/connections/{id}/sync"),
        Some(json!({"wait": true})),
    )
    .await;
    host.app().webhooks.run_once().await;
    let got = receiver.got();
    let completed: Vec<&Value> = got
        .iter()
        .map(|m| &m.body)
        .filter(|b| b["type"] == "sync.completed")
        .collect();
    assert!(!completed.is_empty(), "{got:?}");
    for body in &completed {
        assert_eq!(body["data"]["connection"], id.as_str());
        assert!(body["data"]["stream"].as_str().is_some(), "{body}");
        assert!(body["data"]["added"].as_u64().is_some(), "{body}");
        assert!(body["data"]["pages"].as_u64().is_some(), "{body}");
    }
    assert!(got.iter().all(|m| {
        m.body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("sync."))
    }));
}

#[tokio::test]
async fn endpoints_are_validated_and_managed() {
    let host = Host::start().await;
    for bad in [
        json!({"url": "ftp://example.com/x"}),
        json!({"url": "https://user:pw@example.com/x"}),
        json!({"url": "https://example.com/x", "event_types": ["Bad Type"]}),
    ] {
        let (status, body) = host.api("POST", "/api/webhooks", Some(bad)).await;
        assert_eq!(status, 400, "{body}");
    }
    let receiver = Receiver::start().await;
    let (endpoint, _) = subscribe(&host, &receiver, &[]).await;
    let patched = host
        .api_ok(
            "PATCH",
            &format!("/api/webhooks/{endpoint}"),
            Some(json!({"event_types": ["plugin.*"], "description": null})),
        )
        .await;
    assert_eq!(patched["event_types"], json!(["plugin.*"]));
    assert!(patched["description"].is_null());
    host.api_ok("DELETE", &format!("/api/webhooks/{endpoint}"), None)
        .await;
    let (status, _) = host
        .api("GET", &format!("/api/webhooks/{endpoint}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_refresh_token_keep_alive_cannot_save_is_warned_about_once_per_threshold() {
    let host = Host::start().await;
    let receiver = Receiver::start().await;
    subscribe(&host, &receiver, &["connection.expiring"]).await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let store = host.app().store.clone();
    let grant_id = store
        .connection(&id)
        .expect("store")
        .expect("connection")
        .grant
        .expect("grant");
    let mut grant = store.grant(&grant_id).expect("store").expect("grant");
    let day = 86_400_000;
    // A hard limit three days away: refreshing cannot extend it.
    grant.refresh_hard_expires_at = Some(host.app().clock.now_millis() + 3 * day);
    store.put_grant(&grant).expect("put");
    assert_eq!(host.app().webhooks.expiry_pass().await, 1, "7-day warning");
    assert_eq!(host.app().webhooks.expiry_pass().await, 0, "only once");
    host.advance(Duration::from_secs(2 * 86_400 + 3_600));
    assert_eq!(host.app().webhooks.expiry_pass().await, 1, "1-day warning");
    assert_eq!(host.app().webhooks.expiry_pass().await, 0, "only once");
    host.app().webhooks.run_once().await;
    let got = receiver.got();
    assert_eq!(got.len(), 2, "{got:?}");
    for message in &got {
        assert_eq!(message.body["type"], "connection.expiring");
        assert_eq!(message.body["data"]["connection"], id.as_str());
        assert!(
            message.body["data"]["reconnect_url"]
                .as_str()
                .is_some_and(|u| u.contains("/reconnect/")),
            "{}",
            message.body
        );
    }
    for threshold in ["within 7 days", "within 1 day)"] {
        assert!(
            got.iter().any(|m| m.body["data"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains(threshold))),
            "{threshold}: {got:?}"
        );
    }
}

#[tokio::test]
async fn a_configured_endpoint_signs_with_its_configured_secret() {
    let receiver = Receiver::start().await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let spec = json!([{"id": "ops", "url": receiver.url, "secret": secret,
        "event_types": ["connection.active"]}])
    .to_string();
    let host = Host::start_with(&[("MOORING_WEBHOOKS", spec.as_str())]).await;
    let view = host.api_ok("GET", "/api/webhooks/ops", None).await;
    assert_eq!(view["source"], "config", "{view}");
    assert!(!view.to_string().contains("MfKQ9r8"), "{view}");
    host.connect("xero", &[&host.uk], None).await;
    host.app().webhooks.run_once().await;
    let got = receiver.got();
    assert_eq!(got.len(), 1, "{got:?}");
    verify(&host, secret, &got[0]);
}
