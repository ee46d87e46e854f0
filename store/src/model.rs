//! The records the store keeps. Times are milliseconds since the Unix epoch, supplied by
//! the caller's clock. Secrets appear only as [`Sealed`] values.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;

/// An uploaded connector component, addressed by the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginRecord {
    /// Lowercase hex SHA-256 of the component bytes.
    pub sha256: String,
    /// Provider id from the manifest (`xero`), shared by all versions.
    pub id: String,
    /// Semantic version from the manifest.
    pub version: String,
    /// Name shown to people.
    pub name: String,
    /// Component size in bytes.
    pub size: u64,
    /// When it was uploaded.
    pub added_at: u64,
}

/// What a plugin version may reach once approved: the hosts it calls, its OAuth
/// endpoints and the scopes it asks for. Each list is sorted and without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginCapabilities {
    /// Host names or `*.domain` patterns from `allowed-hosts`.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Authorize, token and revoke URLs.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Default scopes plus every stream's scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A share of a provider's connections running a candidate version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canary {
    /// The candidate component's SHA-256.
    pub sha256: String,
    /// Percentage of connections (1-100) that run it.
    pub percent: u8,
}

/// The operator's decisions about one provider's versions: the active one, the ones
/// active before it (for rollback), a canary, and the approved capabilities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderPlugins {
    /// Provider id.
    pub provider: String,
    /// The active component's SHA-256 (mirrored in the active-pointer table).
    #[serde(default)]
    pub active: Option<String>,
    /// Previously active components, oldest first; rollback pops the last.
    #[serde(default)]
    pub history: Vec<String>,
    /// The running canary, if any.
    #[serde(default)]
    pub canary: Option<Canary>,
    /// Everything the operator has approved for this provider so far.
    #[serde(default)]
    pub approved: PluginCapabilities,
    /// When this was last changed.
    #[serde(default)]
    pub updated_at: u64,
}

/// A provider plus the OAuth app credentials used with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// Integration id.
    pub id: String,
    /// Provider id (matches [`PluginRecord::id`]).
    pub provider: String,
    /// OAuth client id (not secret).
    pub client_id: String,
    /// OAuth client secret, sealed with [`crate::crypto::aad::client_secret`].
    pub client_secret: Sealed,
    /// Scopes requested on connect (empty: the plugin's defaults).
    pub scopes: Vec<String>,
    /// Redirect URI registered with the provider.
    pub redirect_uri: String,
    /// When it was created.
    pub created_at: u64,
}

/// Where a connection is in its life cycle. Serialised in `snake_case`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Created; consent not finished.
    Pending,
    /// Consent finished; a person must pick one of several tenants.
    AwaitingTenant,
    /// Working.
    Active,
    /// Working with failures (rate limits, transient errors).
    Degraded,
    /// The grant is dead; a person must reconnect.
    NeedsReauth,
    /// A scope or role is missing; a person must reconnect with more access.
    NeedsScope,
    /// Switched off by a person.
    Disabled,
    /// Removed (kept for history).
    Deleted,
}

impl ConnectionState {
    /// Every state, in life-cycle order.
    pub const ALL: [ConnectionState; 8] = [
        ConnectionState::Pending,
        ConnectionState::AwaitingTenant,
        ConnectionState::Active,
        ConnectionState::Degraded,
        ConnectionState::NeedsReauth,
        ConnectionState::NeedsScope,
        ConnectionState::Disabled,
        ConnectionState::Deleted,
    ];

    /// The `snake_case` name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Pending => "pending",
            ConnectionState::AwaitingTenant => "awaiting_tenant",
            ConnectionState::Active => "active",
            ConnectionState::Degraded => "degraded",
            ConnectionState::NeedsReauth => "needs_reauth",
            ConnectionState::NeedsScope => "needs_scope",
            ConnectionState::Disabled => "disabled",
            ConnectionState::Deleted => "deleted",
        }
    }
}

impl std::fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ConnectionState {
    type Err = crate::StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnectionState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                crate::StoreError::InvalidInput(format!("unknown connection state {s:?}"))
            })
    }
}

/// One tenant (Xero organisation, QuickBooks company) a grant covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRef {
    /// The provider's tenant id.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Provider facts the plugin needs again later.
    pub metadata: Vec<(String, String)>,
}

/// One tenant of one integration, with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Connection id.
    pub id: String,
    /// The integration it belongs to.
    pub integration: String,
    /// Optional label set by a person.
    pub label: Option<String>,
    /// Current state.
    pub state: ConnectionState,
    /// Why it is in a non-active state, in words a person can act on.
    pub reason: Option<String>,
    /// The tenant it is bound to, once known.
    pub tenant: Option<TenantRef>,
    /// Tenants to choose from while [`ConnectionState::AwaitingTenant`].
    pub tenant_choices: Vec<TenantRef>,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Plugin version pinned for this connection, if any.
    pub pinned_version: Option<String>,
    /// Id of its current grant.
    pub grant: Option<String>,
    /// When it was created.
    pub created_at: u64,
    /// When it last changed.
    pub updated_at: u64,
    /// When a sync last finished.
    pub last_sync_at: Option<u64>,
}

/// OAuth tokens of a connection, sealed with the [`crate::crypto::aad`] helpers for
/// this grant's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Grant id.
    pub id: String,
    /// The integration whose client issued it.
    pub integration: String,
    /// Access token ([`crate::crypto::aad::grant_access`]).
    pub access_token: Sealed,
    /// Refresh token ([`crate::crypto::aad::grant_refresh`]).
    pub refresh_token: Option<Sealed>,
    /// The refresh token before the last rotation
    /// ([`crate::crypto::aad::grant_previous_refresh`]), kept for the grace window.
    pub previous_refresh_token: Option<Sealed>,
    /// When the refresh token was last rotated.
    pub previous_rotated_at: Option<u64>,
    /// When the access token expires.
    pub access_expires_at: Option<u64>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<u64>,
    /// When the refresh token dies whatever its use (a provider's absolute limit on
    /// a chain of rotations), if the token response said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_hard_expires_at: Option<u64>,
    /// When it was last refreshed (or issued).
    pub last_refreshed_at: Option<u64>,
    /// When the access token was last used.
    pub last_used_at: Option<u64>,
    /// Scopes the provider reported as granted.
    pub scopes: Vec<String>,
    /// Non-secret extra fields of the token response.
    pub extra: Vec<(String, String)>,
}

/// Why an OAuth flow was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// First consent for a new connection.
    Connect,
    /// New consent for an existing connection; its grant is staged until checked.
    Reconnect,
}

/// An OAuth authorization in progress, keyed by its random `state` parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// The random `state` parameter (the key).
    pub state: String,
    /// The connection being connected or reconnected.
    pub connection: String,
    /// Connect or reconnect.
    pub kind: FlowKind,
    /// PKCE verifier ([`crate::crypto::aad::pkce_verifier`]).
    pub pkce_verifier: Option<Sealed>,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// When it started.
    pub created_at: u64,
    /// When it stops being accepted.
    pub expires_at: u64,
}

/// A record as a plugin returned it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingRecord {
    /// The provider's id (the stream's primary key). Must not be empty.
    pub id: String,
    /// The record as JSON text.
    pub data: String,
    /// Whether the provider reports it deleted.
    pub deleted: bool,
}

/// A stored record (or tombstone) of one connection and stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// JSON text: the record, or for a tombstone the deletion payload or the last data seen.
    pub data: String,
    /// Lowercase hex SHA-256 of `data` followed by one byte `deleted`.
    pub hash: String,
    /// Whether it is a tombstone.
    pub deleted: bool,
    /// Change sequence number: rises each time the record changes.
    pub seq: u64,
}

/// What one committed page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStats {
    /// Records seen for the first time.
    pub added: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records that became (or changed as) tombstones.
    pub deleted: u64,
    /// Records identical to what was stored.
    pub unchanged: u64,
}

impl std::ops::AddAssign for PageStats {
    fn add_assign(&mut self, other: PageStats) {
        self.added += other.added;
        self.updated += other.updated;
        self.deleted += other.deleted;
        self.unchanged += other.unchanged;
    }
}

/// Counters of one connection's stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStats {
    /// Records that are not tombstones.
    pub live: u64,
    /// Tombstones.
    pub tombstones: u64,
    /// The highest change sequence number handed out (survives purges).
    pub last_seq: u64,
}

/// One sync of one stream of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    /// Run id, assigned by the store (global, increasing).
    pub id: u64,
    /// The connection synced.
    pub connection: String,
    /// The stream synced.
    pub stream: String,
    /// When it started.
    pub started_at: u64,
    /// When it finished, if it has.
    pub finished_at: Option<u64>,
    /// Pages committed.
    pub pages: u64,
    /// Records added.
    pub added: u64,
    /// Records updated.
    pub updated: u64,
    /// Records deleted.
    pub deleted: u64,
    /// Plugin version that ran it.
    pub plugin_version: String,
    /// Why it failed or stopped, if it did.
    pub error: Option<String>,
    /// How it ended (or that it is still running). Files written before this field
    /// existed read as `running` and are corrected from `finished_at`/`error` when read.
    #[serde(default)]
    pub status: RunStatus,
    /// When its last page was committed, if one was.
    #[serde(default)]
    pub last_page_at: Option<u64>,
    /// Failed page calls retried within the run (transient failures).
    #[serde(default)]
    pub retries: u32,
}

/// How a [`SyncRun`] ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going (`finished_at` is `None`).
    #[default]
    Running,
    /// Every page was fetched and committed.
    Succeeded,
    /// A page failed (see `error`); the committed pages stay.
    Failed,
    /// The host stopped before the run ended: a crash (closed at the next start) or a
    /// shutdown. The committed pages stay; the next run resumes from their cursor.
    Interrupted,
}

impl SyncRun {
    /// Repairs the status of a run stored before `status` existed: a finished run that
    /// reads as `running` succeeded or failed according to its `error`.
    pub fn normalise_legacy(mut self) -> Self {
        if self.finished_at.is_some() && self.status == RunStatus::Running {
            self.status = if self.error.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Succeeded
            };
        }
        self
    }
}

/// Something that happened to a connection; kept in the outbox for webhooks and the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Global sequence number, assigned by the store.
    pub seq: u64,
    /// When it happened.
    pub at: u64,
    /// The connection concerned.
    pub connection: String,
    /// What happened (`connection.active`, `plugin.activated`, …).
    pub kind: crate::EventKind,
    /// State before, for transitions.
    pub from: Option<ConnectionState>,
    /// State after, for transitions.
    pub to: Option<ConnectionState>,
    /// Reason given for it.
    pub reason: Option<String>,
    /// For a transition, why the connection moved (absent in events of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<crate::Cause>,
    /// For `sync.completed` / `sync.failed`, what the run did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<crate::RunReport>,
}
