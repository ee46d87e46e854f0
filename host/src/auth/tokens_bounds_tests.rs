//! Bounds on what token endpoints send: the response size cap and extreme numbers.

use std::sync::Arc;

use oauth2::{HttpRequest, HttpResponse};

use super::*;
use crate::runtime::capabilities::broker::BoxFuture;

/// A loopback server answering every connection with `head` then `body_len` bytes
/// of `X`, then closing.
async fn oversized_server(head: String, body_len: usize) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let head = head.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&vec![b'X'; body_len]).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}/token")
}

#[tokio::test]
async fn oversized_token_responses_are_refused_unquoted() {
    let len = MAX_TOKEN_RESPONSE_BYTES + 1;
    let heads = [
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        ),
        // No length: the cap applies while reading.
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".to_owned(),
    ];
    for head in heads {
        let url = oversized_server(head, len).await;
        let endpoint = TokenEndpoint::new(Arc::new(ReqwestTransport(reqwest::Client::new())));
        let creds = ClientCredentials {
            token_url: url,
            client_id: "id".into(),
            client_secret: SecretText::new("secret".into()),
            auth: ClientAuth::Basic,
        };
        let error = match endpoint.refresh(&creds, "rt", &[]).await {
            Err(error) => error,
            Ok(_) => panic!("an oversized response was accepted"),
        };
        let shown = format!("{error:?}");
        assert!(
            shown.contains(&format!("larger than {MAX_TOKEN_RESPONSE_BYTES} bytes")),
            "{shown}"
        );
        assert!(!shown.contains("XXXX"), "the body is quoted: {shown}");
    }
}

/// Answers every request with a fixed status and body.
struct Fixed(u16, String);

impl TokenTransport for Fixed {
    fn send(&self, _: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let (status, body) = (self.0, self.1.clone());
        Box::pin(async move {
            http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .map_err(|e| TransportError(e.to_string()))
        })
    }
}

/// Extreme numbers in token responses (and manifests' policies) never panic, in
/// debug builds either, and lifetimes come out clamped.
#[tokio::test]
async fn extreme_numbers_from_providers_do_not_panic() {
    let extremes = [
        "0",
        "1",
        "-1",
        "\"-1\"",
        "18446744073709551615",
        "18446744073709551616",
        "1e308",
        "-9223372036854775808",
        "\"abc\"",
        "null",
        "3.5",
    ];
    let creds = ClientCredentials {
        token_url: "https://auth.example.com/token".into(),
        client_id: "id".into(),
        client_secret: SecretText::new("s".into()),
        auth: ClientAuth::Basic,
    };
    for value in extremes {
        for field in [
            "expires_in",
            "x_refresh_token_expires_in",
            "refresh_token_expires_in",
        ] {
            let body = format!(r#"{{"access_token":"a","token_type":"bearer","{field}":{value}}}"#);
            let endpoint = TokenEndpoint::new(Arc::new(Fixed(200, body)));
            if let Ok(set) = endpoint.refresh(&creds, "rt", &[]).await {
                for secs in [set.facts.expires_in, set.facts.refresh_expires_in]
                    .into_iter()
                    .flatten()
                {
                    assert!(secs <= MAX_LIFETIME_SECS, "{field}={value}: {secs}");
                    // What the grant code does with it: a deadline in ms.
                    let _ = u64::MAX.saturating_add(secs.saturating_mul(1000));
                    let _ = (1_700_000_000_000u64) + secs * 1000;
                }
            }
        }
    }
    let mut manifest = crate::runtime::plugin::empty_manifest();
    manifest.auth.authorize_url = "https://login.example.com/authorize".into();
    manifest.auth.token_url = "https://login.example.com/token".into();
    manifest.allowed_hosts = vec!["login.example.com".into()];
    manifest.id = "acme".into();
    manifest.version = "1.0.0".into();
    for seconds in [0, 1, crate::runtime::manifest::MAX_POLICY_SECS, u64::MAX] {
        let mut m = manifest.clone();
        m.token_policy.refresh_ahead = seconds;
        m.token_policy.grace_window = seconds;
        m.token_policy.keep_alive_after = Some(seconds);
        m.token_policy.refresh_token_idle_lifetime = Some(seconds);
        let verdict = crate::runtime::manifest::validate(&m);
        if seconds > crate::runtime::manifest::MAX_POLICY_SECS {
            let error = verdict.expect_err("absurd policy refused").to_string();
            assert!(error.contains("token-policy"), "{error}");
        } else {
            verdict.expect("sane policy accepted");
            let _ = 1_700_000_000_000u64 + seconds * 1000;
        }
    }
}
