//! Host-neutral types: the host's own model of everything that crosses the plugin
//! boundary, independent of any WIT version.
//!
//! The rest of the host (auth, sync, api, capabilities) uses these and never a
//! generated binding. Each supported world version in [`super::wit`] converts its
//! generated types to and from these. Field and variant names, and therefore the serde
//! shapes, are those the 0.1.0 bindings had, so nothing stored changes. `Debug` of the
//! enums and variants prints `Type::Case`, as the generated types did.

use serde::{Deserialize, Serialize};

/// An ordered list of name/value pairs: HTTP headers, query or form parameters.
pub type Fields = Vec<(String, String)>;

/// Implements `Debug` as `Type::Case(payload)`, and for error types `Display` (same
/// text) and `std::error::Error`, as the generated bindings did.
macro_rules! case_debug {
    ($name:ident { $($case:ident $(($payload:ident))?),* $(,)? } $($error:ident)?) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $(Self::$case $(($payload))? => f
                        .debug_tuple(concat!(stringify!($name), "::", stringify!($case)))
                        $(.field($payload))?
                        .finish(),)*
                }
            }
        }
        $(case_debug!(@$error $name);)?
    };
    (@error $name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{self:?}")
            }
        }
        impl std::error::Error for $name {}
    };
}

/// Which secret the host attaches to an outbound request.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Credential {
    /// Nothing is attached.
    None,
    /// `Authorization: Bearer <access token>` of the grant the call works for.
    AccessToken,
    /// `Authorization: Basic` with the integration's client id and secret.
    ClientBasic,
}
case_debug!(Credential {
    None,
    AccessToken,
    ClientBasic
});

/// An outbound HTTP request a plugin asks the host to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// Absolute `http` or `https` URL.
    pub url: String,
    /// Request headers (`authorization` is reserved for the host).
    pub headers: Fields,
    /// Request body; empty for none.
    pub body: Vec<u8>,
    /// The secret the host attaches.
    pub credential: Credential,
}

/// The provider's answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers, names in lower case.
    pub headers: Fields,
    /// Response body, at most the host's body cap.
    pub body: Vec<u8>,
}

/// Why the host could not deliver a request or its response.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpError {
    /// Refused by the host.
    Denied(String),
    /// The grant cannot be used any more.
    ReauthRequired(String),
    /// Connecting or reading took too long.
    Timeout(String),
    /// Network failure.
    Transport(String),
}
case_debug!(HttpError { Denied(e), ReauthRequired(e), Timeout(e), Transport(e) } error);

/// What a token response said, without any secret in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Seconds until the access token expires, if the provider said.
    pub expires_in: Option<u64>,
    /// Seconds until the refresh token expires, if the provider said.
    pub refresh_token_expires_in: Option<u64>,
    /// The scopes the provider reports as granted.
    pub scopes: Vec<String>,
    /// Other non-secret top-level fields of the token response.
    pub extra: Fields,
}

/// A token-endpoint failure, classified from the RFC 6749 error body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenError {
    /// `invalid_grant`.
    InvalidGrant(String),
    /// `invalid_client`.
    InvalidClient(String),
    /// `invalid_scope`.
    InvalidScope(String),
    /// Any other error the endpoint returned.
    Rejected(String),
    /// The endpoint could not be reached or failed.
    Transient(String),
    /// The host refused (no grant to refresh, no flow to complete).
    Denied(String),
}
case_debug!(TokenError {
    InvalidGrant(e), InvalidClient(e), InvalidScope(e), Rejected(e), Transient(e), Denied(e)
} error);

/// How a revocation request carries the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RevokeFormat {
    /// Form body `token=<token>` (RFC 7009).
    Form,
    /// JSON body `{"token": "<token>"}`.
    Json,
}
case_debug!(RevokeFormat { Form, Json });

/// Log severity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Trace.
    Trace,
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
}
case_debug!(Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error
});

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientAuth {
    /// HTTP Basic `client_id:client_secret`.
    Basic,
    /// `client_id` and `client_secret` in the form body.
    RequestBody,
}
case_debug!(ClientAuth { Basic, RequestBody });

/// The provider's OAuth 2.0 endpoints and habits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// Where a person is sent to consent.
    pub authorize_url: String,
    /// Where codes and refresh tokens are exchanged.
    pub token_url: String,
    /// Where tokens are revoked, if anywhere.
    pub revoke_url: Option<String>,
    /// Scopes requested when an integration names none.
    pub default_scopes: Vec<String>,
    /// Whether authorization uses PKCE with S256.
    pub pkce: bool,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
}

/// Token lifetimes that drive refresh and keep-alive, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenPolicy {
    /// Refresh an access token when less than this remains.
    pub refresh_ahead: u64,
    /// A refresh token dies after this long unused.
    pub refresh_token_idle_lifetime: Option<u64>,
    /// Refresh idle grants once unused this long.
    pub keep_alive_after: Option<u64>,
    /// How long the previous refresh token stays valid after a rotation.
    pub grace_window: u64,
}

/// Per-tenant call budgets the host enforces on the plugin's behalf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateBudget {
    /// Calls per minute per tenant.
    pub per_minute: Option<u32>,
    /// Calls per day per tenant.
    pub per_day: Option<u32>,
    /// Requests in flight per tenant.
    pub concurrency: Option<u32>,
    /// Response header carrying the calls left this minute.
    pub minute_remaining_header: Option<String>,
    /// Response header carrying the calls left today.
    pub day_remaining_header: Option<String>,
    /// Response header carrying the app-wide calls left this minute.
    pub app_minute_remaining_header: Option<String>,
    /// Seconds to wait after a 429 without `Retry-After`.
    pub default_retry_after: u32,
}

/// One kind of record a plugin can sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// Stream name, unique within the plugin.
    pub name: String,
    /// The record field that identifies a record.
    pub primary_key: String,
    /// The record field the cursor follows, if incremental.
    pub cursor_field: Option<String>,
    /// Default seconds between syncs of this stream.
    pub interval: u32,
    /// Scopes this stream needs.
    pub scopes: Vec<String>,
}

/// What a plugin is and needs, as `describe()` returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Stable provider id (`lower-kebab`).
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Semantic version of this build.
    pub version: String,
    /// OAuth endpoints and habits.
    pub auth: AuthConfig,
    /// Hosts the plugin may call.
    pub allowed_hosts: Vec<String>,
    /// The streams it can sync.
    pub streams: Vec<StreamInfo>,
    /// Per-tenant rate budgets.
    pub rate_budget: RateBudget,
    /// Token lifetimes.
    pub token_policy: TokenPolicy,
}

/// One organisation or company a grant gives access to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// The provider's id for the tenant.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Provider facts the plugin needs again later.
    pub metadata: Fields,
}

/// One record of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRecord {
    /// The provider's id of the record.
    pub id: String,
    /// The record as JSON text.
    pub data: String,
    /// True for a tombstone.
    pub deleted: bool,
}

/// One page of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Records of this page.
    pub records: Vec<SyncRecord>,
    /// Cursor to resume after this page; none keeps the current one.
    pub next_cursor: Option<String>,
    /// Whether another page follows right away.
    pub has_more: bool,
}

/// Why a plugin operation failed, classified for the host's state machine.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectorError {
    /// The grant is dead: a person must reconnect.
    ReauthRequired(String),
    /// A scope or role is missing.
    Forbidden(String),
    /// The provider asked to wait this many seconds.
    RateLimited(u32),
    /// A passing failure.
    Transient(String),
    /// The provider sent something the plugin cannot understand.
    InvalidData(String),
}
case_debug!(ConnectorError {
    ReauthRequired(e), Forbidden(e), RateLimited(e), Transient(e), InvalidData(e)
} error);
