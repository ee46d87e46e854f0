//! Egress rules against a hostile plugin (`test-exfiltrate`): every way it tries to
//! send a secret to a loopback listener of its choosing is denied with a typed reason,
//! and the listener proves that nothing arrived. Positive controls (an operator's
//! remap) show the listener does record what reaches it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use mooring::auth::tokens::{ClientCredentials, ReqwestTransport, TokenEndpoint};
use mooring::clock::SystemClock;
use mooring::runtime::capabilities::http::HttpCapability;
use mooring::runtime::capabilities::{Capabilities, MemoryState};
use mooring::runtime::egress::{EgressAllow, EgressPolicy};
use mooring::runtime::manifest::ManifestError;
use mooring::runtime::overrides::HostOverrides;
use mooring::runtime::types::{ClientAuth, RevokeFormat, TokenError};
use mooring::runtime::{CallError, PluginError, Runtime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

const PLUGIN: &str = "test-exfiltrate";

/// A loopback listener (all local addresses, IPv4 and IPv6 where possible) that counts
/// connections, keeps each request's head and answers `200 {}`.
struct Tripwire {
    port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Tripwire {
    async fn start() -> Self {
        let listener = match tokio::net::TcpListener::bind("[::]:0").await {
            Ok(listener) => listener,
            Err(_) => tokio::net::TcpListener::bind("0.0.0.0:0")
                .await
                .expect("bind"),
        };
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        let read =
                            tokio::time::timeout(Duration::from_secs(2), socket.read(&mut chunk));
                        match read.await {
                            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&chunk[..n]),
                            _ => break,
                        }
                    }
                    seen.lock()
                        .expect("lock")
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                        .await;
                });
            }
        });
        Self {
            port,
            connections,
            requests,
        }
    }

    /// Connections accepted so far, after letting any in-flight one land.
    async fn arrived(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.connections.load(Ordering::SeqCst)
    }

    /// The `authorization` header of the last request.
    fn last_authorization(&self) -> String {
        let requests = self.requests.lock().expect("lock");
        let head = requests.last().expect("a request arrived");
        head.lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("authorization")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    }
}

fn policy(overrides: &str, allow: &str) -> EgressPolicy {
    EgressPolicy::new(
        HostOverrides::parse(overrides).expect("overrides"),
        EgressAllow::parse(allow).expect("allow"),
    )
}

fn runtime_with(policy: EgressPolicy) -> Runtime {
    let limits = test_limits();
    let caps = Capabilities::new(
        Arc::new(HttpCapability::with_egress(policy, &limits).expect("http")),
        Arc::new(ScriptedBroker::default()),
        Arc::new(MemoryState::default()),
        Arc::new(SystemClock),
    );
    Runtime::new(limits, caps).expect("runtime")
}

/// Run attempt `stream` against `port`; the code of the host's refusal, or `sent`.
async fn attempt(
    rt: &Runtime,
    plugin: &Arc<mooring::runtime::Plugin>,
    stream: &str,
    port: u16,
) -> String {
    match rt
        .sync(plugin, ctx("c"), stream, &tenant(), Some(&port.to_string()))
        .await
    {
        Ok(batch) => {
            assert_eq!(batch.records[0].id, "sent", "{stream}");
            "sent".into()
        }
        Err(CallError::Denied { reason, .. }) => {
            assert!(
                !reason.contains(ACCESS_TOKEN) && !reason.contains(CLIENT_SECRET),
                "{reason}"
            );
            let code = reason
                .split_once('[')
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(code, _)| code.to_owned());
            code.unwrap_or_else(|| panic!("{stream}: an untyped denial: {reason}"))
        }
        Err(other) => panic!("{stream}: expected a denial, got {other:?}"),
    }
}

#[tokio::test]
async fn a_manifest_naming_ip_literals_loads_only_when_the_operator_allows_them() {
    let rt = runtime_with(policy("", ""));
    let error = rt
        .load(&component(PLUGIN), &artifact_cache())
        .await
        .expect_err("refused");
    match error {
        PluginError::Manifest(ManifestError::Egress { field, source }) => {
            assert_eq!((field, source.code()), ("allowed-hosts", "ip-literal"))
        }
        other => panic!("expected an egress refusal of the manifest, got {other}"),
    }
    let rt = runtime_with(policy("", "ip-literals"));
    load(&rt, PLUGIN).await;
}

#[tokio::test]
async fn no_credential_reaches_a_listener_the_plugin_names() {
    let wire = Tripwire::start().await;
    let cases = [
        ("bearer-http-127.0.0.1", "plaintext-credential"),
        ("bearer-http-127.0.0.2", "plaintext-credential"),
        ("bearer-http-0.0.0.0", "plaintext-credential"),
        ("bearer-http-decimal", "plaintext-credential"),
        ("bearer-http-localhost", "plaintext-credential"),
        ("bearer-http-ipv6", "plaintext-credential"),
        ("basic-http-127.0.0.1", "plaintext-credential"),
        ("bearer-https-127.0.0.1", "address"),
        ("bearer-https-hex", "address"),
        ("bearer-https-mapped", "address"),
        ("bearer-https-localhost", "address"),
        ("plain-https-localhost", "address"),
        ("basic-https-localhost", "address"),
        ("bearer-userinfo", "userinfo"),
    ];
    // The manifest rules are lifted (IP literals, ports), and even private addresses
    // are allowed: what stops each attempt is the rule it is aimed at.
    for allow in ["ip-literals,ports", "ip-literals,ports,private-addresses"] {
        let rt = runtime_with(policy("", allow));
        let plugin = load(&rt, PLUGIN).await;
        for (stream, expected) in cases {
            let got = attempt(&rt, &plugin, stream, wire.port).await;
            assert_eq!(got, expected, "{stream} under [{allow}]");
        }
    }
    assert_eq!(wire.arrived().await, 0, "nothing reached the listener");
}

#[tokio::test]
async fn client_credentials_never_reach_the_token_or_revoke_endpoint() {
    let wire = Tripwire::start().await;
    // The operator remaps the plugin's host onto the listener: only the endpoint rule
    // (and the userinfo rule) stand between the plugin and it.
    let remap = format!("exfil.test.invalid=http://127.0.0.1:{}", wire.port);
    let rt = runtime_with(policy(&remap, "ip-literals"));
    let plugin = load(&rt, PLUGIN).await;
    for (stream, expected) in [
        ("basic-token-case", "oauth-endpoint"),
        ("basic-token-encoded", "oauth-endpoint"),
        ("basic-token-dots", "oauth-endpoint"),
        ("basic-revoke", "oauth-endpoint"),
        ("bearer-userinfo", "userinfo"),
    ] {
        assert_eq!(
            attempt(&rt, &plugin, stream, wire.port).await,
            expected,
            "{stream}"
        );
    }
    assert_eq!(wire.arrived().await, 0, "nothing reached the listener");
    // Positive controls: through the operator's remap, credentials do arrive...
    assert_eq!(
        attempt(&rt, &plugin, "bearer-remapped", wire.port).await,
        "sent"
    );
    assert_eq!(wire.last_authorization(), format!("Bearer {ACCESS_TOKEN}"));
    assert_eq!(
        attempt(&rt, &plugin, "basic-remapped", wire.port).await,
        "sent"
    );
    // ...and client credentials are form-encoded before base64 (RFC 6749 §2.3.1).
    assert_eq!(
        decode_basic(&wire.last_authorization()),
        (CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())
    );
    assert_eq!(wire.arrived().await, 2);
}

#[tokio::test]
async fn an_override_target_is_reached_only_through_its_override() {
    let wire = Tripwire::start().await;
    let remap = format!("exfil.test.invalid=http://localhost:{}", wire.port);
    let rt = runtime_with(policy(&remap, "ip-literals,ports"));
    let plugin = load(&rt, PLUGIN).await;
    for stream in [
        "bearer-https-localhost",
        "plain-https-localhost",
        "basic-https-localhost",
    ] {
        assert_eq!(
            attempt(&rt, &plugin, stream, wire.port).await,
            "override-target",
            "{stream}"
        );
    }
    assert_eq!(wire.arrived().await, 0, "nothing reached the listener");
    assert_eq!(
        attempt(&rt, &plugin, "bearer-remapped", wire.port).await,
        "sent"
    );
    assert_eq!(wire.arrived().await, 1);
}

/// The RFC 6749 §2.3.1 decoding a provider does: base64, split, form-decode each.
fn decode_basic(header: &str) -> (String, String) {
    let encoded = header.strip_prefix("Basic ").expect("basic");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    let text = String::from_utf8(bytes).expect("utf-8");
    let (id, secret) = text.split_once(':').expect("id:secret");
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    (decode(id), decode(secret))
}

#[tokio::test]
async fn the_hosts_own_token_requests_obey_the_same_rules() {
    let wire = Tripwire::start().await;
    let policy = policy("", "ports");
    let port = wire.port;
    // The static rules, as the grant service applies them to manifest endpoints.
    let refused = policy
        .host_request(&format!("http://127.0.0.1:{port}/token"))
        .expect_err("plain http");
    assert_eq!(refused.code(), "plaintext-credential");
    let refused = policy
        .host_request(&format!("https://u:p@auth.example.com:{port}/token"))
        .expect_err("userinfo");
    assert_eq!(refused.code(), "userinfo");
    // The resolved-address rule, on the client the host's token requests use.
    let http = HttpCapability::with_egress(policy.clone(), &test_limits()).expect("http");
    let tokens = TokenEndpoint::new(Arc::new(ReqwestTransport(http.client().clone())));
    let creds = |url: String| ClientCredentials {
        token_url: url,
        client_id: CLIENT_ID.into(),
        client_secret: mooring::runtime::capabilities::broker::SecretText::new(
            CLIENT_SECRET.into(),
        ),
        auth: ClientAuth::Basic,
    };
    let named = format!("https://localhost:{port}/token");
    let target = policy
        .host_request(&named)
        .expect("passes the static rules");
    let error = tokens
        .refresh(&creds(target.to_string()), "rt-SECRET", &[])
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&error, TokenError::Transient(m) if m.contains("[address]")),
        "{error:?}"
    );
    let error = tokens
        .revoke(
            &format!("https://localhost:{port}/revoke"),
            &creds(named.clone()),
            "rt-SECRET",
            RevokeFormat::Form,
        )
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, TokenError::Transient(m) if m.contains("[address]")),
        "{error:?}"
    );
    assert_eq!(wire.arrived().await, 0, "nothing reached the listener");
    // Revocation to a reachable endpoint: the provider decodes the client credentials.
    tokens
        .revoke(
            &format!("http://127.0.0.1:{port}/revoke"),
            &creds(named),
            "rt-SECRET",
            RevokeFormat::Form,
        )
        .await
        .expect("revoked");
    assert_eq!(wire.arrived().await, 1);
    assert_eq!(
        decode_basic(&wire.last_authorization()),
        (CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())
    );
}

/// RFC 6749 §2.3.1 end to end: a client secret with `+`, `%`, `:` and a space is
/// accepted at the provider's revocation endpoint, so `DELETE` really revokes; and a
/// revocation the provider refuses is reported as that, not as a token-endpoint
/// failure that needs reauthorisation.
#[tokio::test]
async fn revocation_encodes_odd_secrets_and_a_refusal_is_reported_as_such() {
    use mooring_simulators::{AppSpec, Provider};
    use serde_json::json;

    let host = crate::harness::Host::start().await;
    let (client, secret) = ("odd-client", "odd+secret%41 with:colon");
    let redirect = format!("{}/oauth/callback", host.base);
    host.sim
        .add_app(AppSpec::new(
            Provider::Xero,
            client,
            secret,
            [redirect.as_str()],
        ))
        .expect("app");
    host.api_ok(
        "POST",
        "/api/integrations",
        Some(
            json!({"id": "odd", "provider": "xero", "client_id": client, "client_secret": secret}),
        ),
    )
    .await;
    let first = host.connect("odd", &[&host.uk], None).await;
    let deleted = host
        .api_ok("DELETE", &format!("/api/connections/{first}"), None)
        .await;
    assert!(deleted["warning"].is_null(), "revoked: {deleted}");
    let refused = |host: &crate::harness::Host| {
        host.sim
            .counters()
            .revocations
            .iter()
            .filter(|((_, outcome), _)| outcome == "invalid_client")
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    assert_eq!(refused(&host), 0);

    let second = host.connect("odd", &[&host.usa], None).await;
    host.sim
        .control()
        .rotate_client_secret(Provider::Xero, client)
        .expect("rotate");
    let deleted = host
        .api_ok("DELETE", &format!("/api/connections/{second}"), None)
        .await;
    assert_eq!(refused(&host), 1, "the provider refused the revocation");
    let warning = deleted["warning"].as_str().expect("a warning");
    assert!(
        warning.contains("could not be revoked")
            && warning.contains("revocation endpoint")
            && !warning.contains("token endpoint")
            && !warning.contains("reauthorisation required"),
        "{warning}"
    );
}
