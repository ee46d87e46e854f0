//! What an [`Event`](crate::Event) says happened: [`EventKind`], serialised as a
//! stable dotted string (`connection.active`, `plugin.activated`, …) that webhooks
//! publish and API clients match on, and, for a connection's transitions, the
//! [`Cause`] that moved it.
//!
//! A connection transition's kind names the state it entered
//! ([`EventKind::entered`]); why it entered it is the cause. Kinds written by older
//! versions (`connected`, `grant_failed`, …) read back as [`EventKind::Other`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{ConnectionState, Event, RunStatus, SyncRun};

/// The kind of an event, as a stable string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A connection was created (`pending`, waiting for consent).
    ConnectionCreated,
    /// Consent covered several tenants: one must be chosen.
    ConnectionAwaitingTenant,
    /// The connection is usable.
    ConnectionActive,
    /// Syncing is paused until a resume time (rate limit, failing runs).
    ConnectionDegraded,
    /// The grant is dead: someone must reconnect.
    ConnectionNeedsReauth,
    /// A scope or role is missing: someone must reconnect with it.
    ConnectionNeedsScope,
    /// An operator disabled it: no syncing, no refreshing.
    ConnectionDisabled,
    /// It was deleted.
    ConnectionDeleted,
    /// The person declined at the provider (`error=access_denied`); nothing changed.
    ConnectionAuthorizationDenied,
    /// A consent could not be completed (the reason says why); nothing changed.
    ConnectionAuthorizationFailed,
    /// The connection was pinned to a plugin version (or unpinned).
    ConnectionPluginPinned,
    /// The refresh token will die soon and keep-alive cannot save it.
    ConnectionExpiring,
    /// A sync run completed.
    SyncCompleted,
    /// A sync run failed.
    SyncFailed,
    /// A plugin version was uploaded.
    PluginUploaded,
    /// A plugin version became its provider's active one.
    PluginActivated,
    /// A provider went back to its previous version.
    PluginRolledBack,
    /// A provider's canary started, changed or ended.
    PluginCanary,
    /// Something the host notes that is none of the above.
    HostNote,
    /// A webhook endpoint stayed unreachable and was disabled.
    WebhookEndpointDisabled,
    /// A kind this version does not know (written by an older or newer one).
    Other(String),
}

impl EventKind {
    /// Every known kind (not [`Other`](Self::Other)).
    pub const KNOWN: [EventKind; 20] = [
        EventKind::ConnectionCreated,
        EventKind::ConnectionAwaitingTenant,
        EventKind::ConnectionActive,
        EventKind::ConnectionDegraded,
        EventKind::ConnectionNeedsReauth,
        EventKind::ConnectionNeedsScope,
        EventKind::ConnectionDisabled,
        EventKind::ConnectionDeleted,
        EventKind::ConnectionAuthorizationDenied,
        EventKind::ConnectionAuthorizationFailed,
        EventKind::ConnectionPluginPinned,
        EventKind::ConnectionExpiring,
        EventKind::SyncCompleted,
        EventKind::SyncFailed,
        EventKind::PluginUploaded,
        EventKind::PluginActivated,
        EventKind::PluginRolledBack,
        EventKind::PluginCanary,
        EventKind::HostNote,
        EventKind::WebhookEndpointDisabled,
    ];

    /// The stable string.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::ConnectionCreated => "connection.created",
            EventKind::ConnectionAwaitingTenant => "connection.awaiting_tenant",
            EventKind::ConnectionActive => "connection.active",
            EventKind::ConnectionDegraded => "connection.degraded",
            EventKind::ConnectionNeedsReauth => "connection.needs_reauth",
            EventKind::ConnectionNeedsScope => "connection.needs_scope",
            EventKind::ConnectionDisabled => "connection.disabled",
            EventKind::ConnectionDeleted => "connection.deleted",
            EventKind::ConnectionAuthorizationDenied => "connection.authorization_denied",
            EventKind::ConnectionAuthorizationFailed => "connection.authorization_failed",
            EventKind::ConnectionPluginPinned => "connection.plugin_pinned",
            EventKind::ConnectionExpiring => "connection.expiring",
            EventKind::SyncCompleted => "sync.completed",
            EventKind::SyncFailed => "sync.failed",
            EventKind::PluginUploaded => "plugin.uploaded",
            EventKind::PluginActivated => "plugin.activated",
            EventKind::PluginRolledBack => "plugin.rolled_back",
            EventKind::PluginCanary => "plugin.canary",
            EventKind::HostNote => "host.note",
            EventKind::WebhookEndpointDisabled => "webhook.endpoint_disabled",
            EventKind::Other(kind) => kind,
        }
    }

    /// The kind of a transition into `state`.
    pub fn entered(state: ConnectionState) -> EventKind {
        match state {
            ConnectionState::Pending => EventKind::ConnectionCreated,
            ConnectionState::AwaitingTenant => EventKind::ConnectionAwaitingTenant,
            ConnectionState::Active => EventKind::ConnectionActive,
            ConnectionState::Degraded => EventKind::ConnectionDegraded,
            ConnectionState::NeedsReauth => EventKind::ConnectionNeedsReauth,
            ConnectionState::NeedsScope => EventKind::ConnectionNeedsScope,
            ConnectionState::Disabled => EventKind::ConnectionDisabled,
            ConnectionState::Deleted => EventKind::ConnectionDeleted,
        }
    }

    /// Whether this kind records a change of a connection's state.
    pub fn is_transition(&self) -> bool {
        ConnectionState::ALL
            .into_iter()
            .any(|state| EventKind::entered(state) == *self)
    }
}

impl From<&str> for EventKind {
    fn from(s: &str) -> Self {
        EventKind::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| EventKind::Other(s.to_owned()))
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(EventKind::from(text.as_str()))
    }
}

/// Why a connection changed state (the event's `cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Created by `POST /api/connections`.
    Created,
    /// The first consent completed with one tenant.
    Connected,
    /// The first consent completed with several tenants.
    TenantChoice,
    /// A tenant was chosen from the choices.
    TenantSelected,
    /// A reconnect's consent completed with the connection's tenant.
    Reconnected,
    /// A plugin call failed in a way that needs a person (dead grant, missing scope).
    CallFailed,
    /// The token endpoint refused the grant or the client.
    GrantFailed,
    /// The provider's call limit for the tenant is spent.
    RateLimited,
    /// Several sync runs in a row failed.
    RunsFailing,
    /// A run succeeded after the connection was degraded.
    Recovered,
    /// An operator disabled it.
    Disabled,
    /// An operator enabled it again.
    Enabled,
    /// An operator deleted it.
    Deleted,
}

impl Cause {
    /// The `snake_case` name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Created => "created",
            Cause::Connected => "connected",
            Cause::TenantChoice => "tenant_choice",
            Cause::TenantSelected => "tenant_selected",
            Cause::Reconnected => "reconnected",
            Cause::CallFailed => "call_failed",
            Cause::GrantFailed => "grant_failed",
            Cause::RateLimited => "rate_limited",
            Cause::RunsFailing => "runs_failing",
            Cause::Recovered => "recovered",
            Cause::Disabled => "disabled",
            Cause::Enabled => "enabled",
            Cause::Deleted => "deleted",
        }
    }
}

/// What a `sync.completed` or `sync.failed` event reports of its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
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

impl Event {
    /// The event recording the end of `run` (`sync.completed` or `sync.failed`, with
    /// its counts), or `None` for a run that did not finish (running, interrupted).
    pub fn run_finished(run: &SyncRun) -> Option<Event> {
        let (kind, word) = match run.status {
            RunStatus::Succeeded => (EventKind::SyncCompleted, "completed"),
            RunStatus::Failed => (EventKind::SyncFailed, "failed"),
            RunStatus::Running | RunStatus::Interrupted => return None,
        };
        let error = match run.status {
            RunStatus::Failed => run.error.clone(),
            _ => None,
        };
        let mut reason = format!(
            "sync of {} {word}: {} pages, {} added, {} updated, {} deleted",
            run.stream, run.pages, run.added, run.updated, run.deleted
        );
        if let Some(error) = &error {
            reason.push_str(" (");
            reason.push_str(error);
            reason.push(')');
        }
        Some(Event {
            seq: 0,
            at: run.finished_at.unwrap_or(run.started_at),
            connection: run.connection.clone(),
            kind,
            from: None,
            to: None,
            reason: Some(reason),
            cause: None,
            run: Some(RunReport {
                run: run.id,
                stream: run.stream.clone(),
                pages: run.pages,
                added: run.added,
                updated: run.updated,
                deleted: run.deleted,
                error,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_as_stable_strings() {
        for kind in EventKind::KNOWN {
            let json = serde_json::to_string(&kind).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            let back: EventKind = serde_json::from_str(&json).expect("parse");
            assert_eq!(back, kind);
        }
        let legacy: EventKind = serde_json::from_str("\"grant_failed\"").expect("parse");
        assert_eq!(legacy, EventKind::Other("grant_failed".into()));
        assert_eq!(
            serde_json::to_string(&legacy).expect("serialise"),
            "\"grant_failed\""
        );
    }

    #[test]
    fn each_state_has_its_transition_kind() {
        for state in ConnectionState::ALL {
            let kind = EventKind::entered(state);
            assert!(kind.is_transition());
            assert!(kind.as_str().starts_with("connection."));
        }
        assert_eq!(
            EventKind::entered(ConnectionState::NeedsReauth),
            "connection.needs_reauth"
        );
        assert!(!EventKind::PluginActivated.is_transition());
        assert!(!EventKind::ConnectionAuthorizationDenied.is_transition());
        assert_eq!(
            EventKind::from("webhook.endpoint_disabled"),
            EventKind::WebhookEndpointDisabled
        );
        assert!(!EventKind::WebhookEndpointDisabled.is_transition());
    }
}
