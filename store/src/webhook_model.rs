//! Record types of outgoing webhooks and reconnect links: the endpoints events are
//! delivered to (with their sealed signing secrets), the delivery of one event to one
//! endpoint with its log of attempts, and the links an operator sends a customer to
//! reconnect one connection.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;

/// The associated data of webhook endpoint `id`'s sealed signing secret.
pub fn webhook_secret_aad(id: &str) -> Vec<u8> {
    format!("webhook:{id}:secret").into_bytes()
}

/// Where a webhook endpoint was configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointSource {
    /// Created through `POST /api/webhooks`.
    Api,
    /// Named in the host's configuration (re-applied at every start).
    Config,
}

/// A URL events are delivered to, signed with the endpoint's own secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    /// Id (`whep_…`, or the id given in the configuration).
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// What it is for, for people.
    #[serde(default)]
    pub description: Option<String>,
    /// The signing secret (`whsec_…`), sealed for this endpoint.
    pub secret: Sealed,
    /// Event types delivered (`connection.needs_reauth`, `connection.*`); empty: all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Whether events are delivered to it.
    pub enabled: bool,
    /// Why it was disabled (by an operator, or because it stayed unreachable).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Where it was configured.
    pub source: EndpointSource,
    /// When the first failed attempt since its last success was made (ms); `None` while
    /// it answers.
    #[serde(default)]
    pub failing_since: Option<u64>,
    /// Deliveries that used up their retries since the last success.
    #[serde(default)]
    pub exhausted_in_a_row: u32,
    /// Created (ms).
    pub created_at: u64,
    /// Last changed (ms).
    pub updated_at: u64,
}

impl WebhookEndpoint {
    /// Whether the endpoint wants events of `kind` (exact, `prefix.*`, or all when its
    /// list is empty).
    pub fn wants(&self, kind: &str) -> bool {
        self.event_types.is_empty()
            || self.event_types.iter().any(|t| {
                t == kind
                    || t == "*"
                    || t.strip_suffix(".*").is_some_and(|prefix| {
                        kind.strip_prefix(prefix)
                            .is_some_and(|r| r.starts_with('.'))
                    })
            })
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Every attempt failed within the retry window; no more attempts.
    Failed,
    /// The endpoint was disabled or deleted before it succeeded.
    Cancelled,
}

/// One try at delivering an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// When it started (ms).
    pub at: u64,
    /// The HTTP status the endpoint answered, if it answered.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// What went wrong (transport error, timeout, non-2xx), if anything.
    #[serde(default)]
    pub error: Option<String>,
    /// How long it took (ms).
    pub duration_ms: u64,
}

/// The delivery of one event to one endpoint, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The endpoint.
    pub endpoint: String,
    /// The event's sequence number.
    pub event: u64,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// The attempts so far, oldest first (the newest few hundred are kept).
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next attempt is due (ms), while pending.
    #[serde(default)]
    pub next_attempt_at: Option<u64>,
    /// When the current series of attempts started (ms): retries stop once the retry
    /// window after it has passed. A redelivery starts a new series.
    pub window_start: u64,
    /// Attempts in the current series.
    #[serde(default)]
    pub series_attempts: u32,
    /// The reconnect link the payload carries, if any.
    #[serde(default)]
    pub link: Option<String>,
    /// Created (ms).
    pub created_at: u64,
}

/// A link a customer opens to reconnect one connection, without an admin token.
///
/// No secret is stored: the URL carries an HMAC over the link's fields under a key
/// derived from the store's encryption key ([`crate::Store::link_mac`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectLink {
    /// Id (`rcl_…`).
    pub id: String,
    /// The one connection it reconnects.
    pub connection: String,
    /// Scopes to add to the connection's on reconnect.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The key id of the MAC in its URL.
    pub key_id: u32,
    /// Created (ms).
    pub created_at: u64,
    /// After this (ms) it no longer works.
    pub expires_at: u64,
    /// When it was first opened (ms).
    #[serde(default)]
    pub opened_at: Option<u64>,
    /// How many times it was opened.
    #[serde(default)]
    pub opens: u32,
    /// When a reconnect it started completed (ms): it no longer works.
    #[serde(default)]
    pub used_at: Option<u64>,
    /// When an operator revoked it (ms).
    #[serde(default)]
    pub revoked_at: Option<u64>,
    /// Why it was made (`api`, or the event seq of a webhook that carries it).
    #[serde(default)]
    pub origin: Option<String>,
}
