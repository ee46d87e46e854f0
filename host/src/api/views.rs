//! What the admin API answers, as view types: each derives its OpenAPI schema
//! (`utoipa::ToSchema`) and is what the handlers serialise, so the document and the
//! answers cannot drift apart. They mirror the store's and the registry's types field
//! for field (same names, same JSON), converted with `From`.

use mooring_store::{Cause, Connection, ConnectionState, Event, EventKind, RunStatus, SyncRun};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{CauseSchema, ConnectionStateSchema, EventKindSchema, RunStatusSchema};
use crate::auth::integrations::IntegrationView as IntegrationRecordView;
use crate::runtime::registry::{PluginSummary, StreamSummary};

/// A connection as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = Connection)]
pub struct ConnectionView {
    /// Id.
    pub id: String,
    /// Integration id.
    pub integration: String,
    /// Label given at creation or by `PATCH`.
    pub label: Option<String>,
    /// Lifecycle state.
    #[schema(value_type = ConnectionStateSchema)]
    pub state: ConnectionState,
    /// Why it is in a non-active state, for a person.
    pub reason: Option<String>,
    /// The bound tenant.
    pub tenant: Option<TenantView>,
    /// Tenants to choose from (`awaiting_tenant`).
    pub tenant_choices: Vec<TenantView>,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// Pinned plugin version.
    pub pinned_version: Option<String>,
    /// Last successful sync (ms since epoch).
    pub last_sync_at: Option<u64>,
    /// Creation time (ms since epoch).
    pub created_at: u64,
    /// Last change (ms since epoch).
    pub updated_at: u64,
    /// When the refresh token dies unless used (ms since epoch); detail view only.
    #[serde(default)]
    pub refresh_token_expires_at: Option<u64>,
    /// When the refresh token dies whatever its use, if the provider said; detail view
    /// only.
    #[serde(default)]
    pub refresh_token_hard_expires_at: Option<u64>,
}

/// A tenant as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = Tenant)]
pub struct TenantView {
    /// Provider's tenant id.
    pub id: String,
    /// Tenant name.
    pub name: String,
}

impl From<&Connection> for ConnectionView {
    fn from(c: &Connection) -> Self {
        let tenant = |t: &mooring_store::TenantRef| TenantView {
            id: t.id.clone(),
            name: t.name.clone(),
        };
        Self {
            id: c.id.clone(),
            integration: c.integration.clone(),
            label: c.label.clone(),
            state: c.state,
            reason: c.reason.clone(),
            tenant: c.tenant.as_ref().map(tenant),
            tenant_choices: c.tenant_choices.iter().map(tenant).collect(),
            scopes: c.scopes.clone(),
            pinned_version: c.pinned_version.clone(),
            last_sync_at: c.last_sync_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            refresh_token_expires_at: None,
            refresh_token_hard_expires_at: None,
        }
    }
}

/// Answer of `POST /api/connections`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Started {
    /// New connection id.
    pub id: String,
    /// Always `pending`.
    #[schema(value_type = ConnectionStateSchema)]
    pub state: ConnectionState,
    /// Where to send the person to consent.
    pub authorize_url: String,
}

/// Answer of `POST /api/connections/{id}/reconnect`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorizeUrl {
    /// Where to send the person to consent again.
    pub authorize_url: String,
}

/// Answer of `DELETE /api/connections/{id}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Deleted {
    /// The connection.
    pub id: String,
    /// Always `deleted`.
    #[schema(value_type = ConnectionStateSchema)]
    pub state: ConnectionState,
    /// Whether its records were purged.
    pub purged: bool,
    /// Why the grant may still be alive at the provider, if it could not be revoked.
    pub warning: Option<String>,
}

/// Something that happened: a connection's transition, a plugin lifecycle change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    /// Global sequence number.
    pub seq: u64,
    /// When it happened (ms since epoch).
    pub at: u64,
    /// The connection concerned (for plugin events, the provider).
    pub connection: String,
    /// What happened, as a stable string.
    #[schema(value_type = EventKindSchema)]
    pub kind: EventKind,
    /// State before, for transitions.
    #[schema(value_type = Option<ConnectionStateSchema>)]
    pub from: Option<ConnectionState>,
    /// State after, for transitions.
    #[schema(value_type = Option<ConnectionStateSchema>)]
    pub to: Option<ConnectionState>,
    /// Reason given for it.
    pub reason: Option<String>,
    /// For a transition, why the connection moved (absent in events of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<CauseSchema>)]
    pub cause: Option<Cause>,
    /// For `sync.completed` / `sync.failed`, what the run did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunReportView>,
}

/// What a `sync.*` event reports of its run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = RunReport)]
pub struct RunReportView {
    /// The run's id.
    pub run: u64,
    /// The stream.
    pub stream: String,
    /// Pages committed.
    pub pages: u64,
    /// Records seen for the first time.
    pub added: u64,
    /// Records that changed.
    pub updated: u64,
    /// Records deleted.
    pub deleted: u64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<mooring_store::RunReport> for RunReportView {
    fn from(r: mooring_store::RunReport) -> Self {
        Self {
            run: r.run,
            stream: r.stream,
            pages: r.pages,
            added: r.added,
            updated: r.updated,
            deleted: r.deleted,
            error: r.error,
        }
    }
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            seq: e.seq,
            at: e.at,
            connection: e.connection,
            kind: e.kind,
            from: e.from,
            to: e.to,
            reason: e.reason,
            cause: e.cause,
            run: e.run.map(RunReportView::from),
        }
    }
}

/// One sync of one stream of one connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = SyncRun)]
pub struct RunView {
    /// Run id (global, increasing).
    pub id: u64,
    /// The connection synced.
    pub connection: String,
    /// The stream synced.
    pub stream: String,
    /// When it started (ms since epoch).
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
    /// How it ended, or that it is still running.
    #[schema(value_type = RunStatusSchema)]
    pub status: RunStatus,
    /// When its last page was committed, if one was.
    pub last_page_at: Option<u64>,
    /// Failed page calls retried within the run.
    pub retries: u32,
}

impl From<SyncRun> for RunView {
    fn from(r: SyncRun) -> Self {
        Self {
            id: r.id,
            connection: r.connection,
            stream: r.stream,
            started_at: r.started_at,
            finished_at: r.finished_at,
            pages: r.pages,
            added: r.added,
            updated: r.updated,
            deleted: r.deleted,
            plugin_version: r.plugin_version,
            error: r.error,
            status: r.status,
            last_page_at: r.last_page_at,
            retries: r.retries,
        }
    }
}

/// An integration as the API shows it (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = Integration)]
pub struct IntegrationView {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider: String,
    /// OAuth client id.
    pub client_id: String,
    /// Scopes requested by default.
    pub scopes: Vec<String>,
    /// Redirect URI.
    pub redirect_uri: String,
    /// Creation time (ms since epoch).
    pub created_at: u64,
}

impl From<IntegrationRecordView> for IntegrationView {
    fn from(i: IntegrationRecordView) -> Self {
        Self {
            id: i.id,
            provider: i.provider,
            client_id: i.client_id,
            scopes: i.scopes,
            redirect_uri: i.redirect_uri,
            created_at: i.created_at,
        }
    }
}

/// What a plugin version may reach once approved.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = PluginCapabilities)]
pub struct CapabilitiesView {
    /// Host names or `*.domain` patterns it calls.
    pub allowed_hosts: Vec<String>,
    /// Its authorize, token and revoke URLs.
    pub endpoints: Vec<String>,
    /// Default scopes plus every stream's scopes.
    pub scopes: Vec<String>,
}

/// A stream of a plugin version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = PluginStream)]
pub struct StreamView {
    /// Stream name.
    pub name: String,
    /// The record field that identifies a record.
    pub primary_key: String,
    /// The cursor format; a version that changes it re-lists the stream.
    pub cursor_field: Option<String>,
    /// Default seconds between syncs.
    pub interval: u32,
}

/// One loaded plugin version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[schema(as = Plugin)]
pub struct PluginView {
    /// Provider id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Semver version.
    pub version: String,
    /// sha256 of the component (lowercase hex).
    pub sha256: String,
    /// Component size in bytes.
    pub size: u64,
    /// Whether this version is the provider's active one.
    pub active: bool,
    /// Whether everything it asks for is within the provider's approved set.
    pub approved: bool,
    /// What it asks for: hosts, OAuth endpoints, scopes.
    pub capabilities: CapabilitiesView,
    /// Its share of connections as a canary, if it is one.
    pub canary_percent: Option<u8>,
    /// The WIT world version it implements.
    pub world: String,
    /// Its streams.
    pub streams: Vec<StreamView>,
}

impl From<PluginSummary> for PluginView {
    fn from(p: PluginSummary) -> Self {
        let stream = |s: StreamSummary| StreamView {
            name: s.name,
            primary_key: s.primary_key,
            cursor_field: s.cursor_field,
            interval: s.interval,
        };
        Self {
            id: p.id,
            name: p.name,
            version: p.version,
            sha256: p.sha256,
            size: u64::try_from(p.size).unwrap_or(u64::MAX),
            active: p.active,
            approved: p.approved,
            capabilities: CapabilitiesView {
                allowed_hosts: p.capabilities.allowed_hosts,
                endpoints: p.capabilities.endpoints,
                scopes: p.capabilities.scopes,
            },
            canary_percent: p.canary_percent,
            world: p.world,
            streams: p.streams.into_iter().map(stream).collect(),
        }
    }
}

/// Answer of `POST /api/plugins/{provider}/canary`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Canary)]
pub struct CanaryView {
    /// Provider id.
    pub provider: String,
    /// The candidate version (none once ended).
    pub version: Option<String>,
    /// Share of connections on it; 0 when ended.
    pub percent: u32,
}

/// One record of the change feed.
#[derive(Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct FeedRecord {
    /// The provider's id.
    pub id: String,
    /// The record as the provider sent it (JSON; text when it was not JSON).
    #[schema(schema_with = super::schema::any_json)]
    pub data: serde_json::Value,
    /// Whether it is a tombstone.
    pub deleted: bool,
    /// Change sequence number.
    pub seq: u64,
}

/// A page of the change feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Feed {
    /// Records changed after the position asked for, in change order.
    pub records: Vec<FeedRecord>,
    /// The `after` for the next page; null when caught up.
    pub next: Option<u64>,
    /// The `cursor` for the next page; null when caught up.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// Answer of `POST /api/connections/{id}/sync` when the runs were waited for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncRuns {
    /// The runs, one per stream synced.
    pub runs: Vec<RunView>,
}

/// Answer of `POST /api/connections/{id}/sync` when the sync was queued.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Queued {
    /// Always true.
    pub queued: bool,
}

/// Answer of `GET /healthz`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}
