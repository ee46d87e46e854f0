//! What a webhook says: `{"type", "timestamp", "data"}` built from a stored event. A
//! `sync.completed` / `sync.failed` event's run report (see
//! [`Event::run_finished`](mooring_store::Event::run_finished)) becomes `data.stream`,
//! `run`, `pages`, `added`, `updated`, `deleted` and, for a failure, `error`.

use mooring_store::{ConnectionState, Event, EventKind};
use serde_json::{Map, Value, json};

use crate::clock::rfc3339;

/// The `webhook-id` of an event: the same for every endpoint and every retry.
pub fn message_id(seq: u64) -> String {
    format!("evt_{seq}")
}

/// Whether events of this kind carry a reconnect link.
pub fn wants_link(event: &Event) -> bool {
    !event.connection.is_empty()
        && matches!(
            event.kind,
            EventKind::ConnectionNeedsReauth
                | EventKind::ConnectionNeedsScope
                | EventKind::ConnectionExpiring
        )
}

/// A reconnect link as a payload shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    /// Its id.
    pub id: String,
    /// The URL the customer opens.
    pub url: String,
    /// When it stops working (ms).
    pub expires_at: u64,
}

/// The JSON body delivered for `event` (deterministic: every retry sends the same
/// bytes).
pub fn body(event: &Event, link: Option<&LinkRef>) -> Vec<u8> {
    let mut data = Map::new();
    data.insert("seq".into(), json!(event.seq));
    if !event.connection.is_empty() {
        data.insert("connection".into(), json!(event.connection));
    }
    let state = |s: Option<ConnectionState>| s.map(|s| json!(s.to_string()));
    if let Some(from) = state(event.from) {
        data.insert("from".into(), from);
    }
    if let Some(to) = state(event.to) {
        data.insert("to".into(), to);
    }
    if let Some(reason) = &event.reason {
        data.insert("reason".into(), json!(reason));
    }
    if let Some(cause) = event.cause {
        data.insert("cause".into(), json!(cause.as_str()));
    }
    if let Some(run) = &event.run {
        data.insert("stream".into(), json!(run.stream));
        data.insert("run".into(), json!(run.run));
        data.insert("pages".into(), json!(run.pages));
        data.insert("added".into(), json!(run.added));
        data.insert("updated".into(), json!(run.updated));
        data.insert("deleted".into(), json!(run.deleted));
        if let Some(error) = &run.error {
            data.insert("error".into(), json!(error));
        }
    }
    if let Some(link) = link {
        data.insert("reconnect_url".into(), json!(link.url));
        data.insert("reconnect_link_id".into(), json!(link.id));
        data.insert(
            "reconnect_url_expires_at".into(),
            json!(rfc3339(link.expires_at)),
        );
    }
    let payload = json!({
        "type": event.kind.as_str(),
        "timestamp": rfc3339(event.at),
        "data": Value::Object(data),
    });
    serde_json::to_vec(&payload).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_store::{RunStatus, SyncRun};

    fn sync_event(run: &SyncRun) -> Option<Event> {
        Event::run_finished(run)
    }

    fn run(status: RunStatus, error: Option<&str>) -> SyncRun {
        SyncRun {
            id: 12,
            connection: "conn_1".into(),
            stream: "journals".into(),
            started_at: 1_000,
            finished_at: Some(61_000),
            pages: 3,
            added: 250,
            updated: 4,
            deleted: 1,
            plugin_version: "1.0.0".into(),
            error: error.map(str::to_owned),
            status,
            last_page_at: None,
            retries: 0,
        }
    }

    #[test]
    fn sync_events_carry_their_counts() {
        let event = sync_event(&run(RunStatus::Failed, Some("timeout (run 3)"))).expect("event");
        assert_eq!(event.kind, EventKind::SyncFailed);
        let body: Value = serde_json::from_slice(&body(&event, None)).expect("json");
        assert_eq!(body["type"], "sync.failed");
        assert_eq!(body["timestamp"], "1970-01-01T00:01:01Z");
        assert_eq!(body["data"]["stream"], "journals");
        assert_eq!(body["data"]["run"], 12);
        assert_eq!(body["data"]["added"], 250);
        assert_eq!(body["data"]["deleted"], 1);
        assert_eq!(body["data"]["error"], "timeout (run 3)");
        let done = sync_event(&run(RunStatus::Succeeded, None)).expect("event");
        let json: Value = serde_json::from_slice(&super::body(&done, None)).expect("json");
        assert_eq!(json["type"], "sync.completed");
        assert_eq!(json["data"]["pages"], 3);
        assert!(json["data"].get("error").is_none());
        assert!(sync_event(&run(RunStatus::Interrupted, None)).is_none());
    }

    #[test]
    fn link_carrying_events_show_the_link() {
        let event = Event {
            seq: 9,
            at: 0,
            connection: "conn_1".into(),
            kind: EventKind::ConnectionNeedsReauth,
            from: Some(ConnectionState::Active),
            to: Some(ConnectionState::NeedsReauth),
            reason: Some("refresh token expired".into()),
            cause: Some(mooring_store::Cause::GrantFailed),
            run: None,
        };
        assert!(wants_link(&event));
        let link = LinkRef {
            id: "rcl_1".into(),
            url: "https://m.example.com/reconnect/rcl_1/sig".into(),
            expires_at: 0,
        };
        let bytes = body(&event, Some(&link));
        assert_eq!(bytes, body(&event, Some(&link)), "deterministic");
        let json: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(json["data"]["to"], "needs_reauth");
        assert_eq!(json["data"]["cause"], "grant_failed");
        assert_eq!(json["data"]["reconnect_url"], link.url);
    }
}
