//! A tiny loopback webhook receiver: it keeps every delivery and checks it the way a
//! customer's receiver would (Standard Webhooks: HMAC-SHA256 over
//! `{webhook-id}.{webhook-timestamp}.{body}` with the key after `whsec_`, timestamps
//! within 5 minutes).

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `webhook-id` (`evt_<seq>`, the same for every retry).
    pub id: String,
    /// `webhook-timestamp` (unix seconds of the attempt).
    pub timestamp: i64,
    /// `webhook-signature` (`v1,<base64>`, space-separated when several).
    pub signature: String,
    /// The raw body, as signed.
    pub raw: Vec<u8>,
    /// The body as JSON.
    pub body: Value,
    /// When it arrived (unix seconds).
    pub received_at: i64,
}

type Inbox = Arc<Mutex<Vec<Delivery>>>;

/// The receiver: its URL and what it got.
pub struct Receiver {
    /// Where the host POSTs.
    pub url: String,
    inbox: Inbox,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let delivery = Delivery {
        id: text("webhook-id"),
        timestamp: text("webhook-timestamp").parse().unwrap_or(0),
        signature: text("webhook-signature"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw: body.to_vec(),
        received_at: unix_now(),
    };
    inbox
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(delivery);
    StatusCode::NO_CONTENT
}

impl Receiver {
    /// Listen on a free loopback port.
    pub async fn start() -> Result<Receiver> {
        let inbox = Inbox::default();
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind the webhook receiver")?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { url, inbox })
    }

    /// Every delivery so far.
    pub fn got(&self) -> Vec<Delivery> {
        self.inbox.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// HMAC-SHA256 (RFC 2104) over SHA-256's 64-byte blocks.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Check `delivery` against the endpoint's `whsec_` secret, as a receiver must.
pub fn verify(secret: &str, delivery: &Delivery) -> Result<()> {
    let key = secret
        .strip_prefix("whsec_")
        .context("the secret does not start with whsec_")?;
    let key = STANDARD
        .decode(key)
        .context("the secret is not base64 after whsec_")?;
    ensure!(
        delivery.timestamp.abs_diff(delivery.received_at) <= 300,
        "{}: webhook-timestamp {} is more than 5 minutes off",
        delivery.id,
        delivery.timestamp
    );
    let mut message = format!("{}.{}.", delivery.id, delivery.timestamp).into_bytes();
    message.extend_from_slice(&delivery.raw);
    let expected = STANDARD.encode(hmac_sha256(&key, &message));
    let matches = delivery
        .signature
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|s| constant_time_eq(s.as_bytes(), expected.as_bytes()));
    if !matches {
        bail!("{}: the signature does not verify", delivery.id);
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
