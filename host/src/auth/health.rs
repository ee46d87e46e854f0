//! What a failed plugin call means for its connection: a dead grant moves it to
//! `needs_reauth`, a missing scope or role to `needs_scope`; passing failures leave it
//! as it is. Each transition carries the plugin's reason.

use mooring_store::ConnectionState;

use super::connections::ConnectionService;
use super::grants::db;
use crate::runtime::CallError;
use crate::runtime::types::ConnectorError;

/// The state a call error moves a connection to, with the reason, if any.
pub fn consequence(error: &CallError) -> Option<(ConnectionState, String)> {
    let plugin_error = match error {
        CallError::Connector(e) => e,
        CallError::Denied { plugin_error, .. } => plugin_error,
        _ => return None,
    };
    match plugin_error {
        ConnectorError::ReauthRequired(reason) => {
            Some((ConnectionState::NeedsReauth, reason.clone()))
        }
        ConnectorError::Forbidden(reason) => Some((ConnectionState::NeedsScope, reason.clone())),
        _ => None,
    }
}

impl ConnectionService {
    /// Apply the consequence of `error` to `connection`; returns the new state if it moved.
    pub async fn record_call_error(
        &self,
        connection: &str,
        error: &CallError,
    ) -> Option<ConnectionState> {
        let (to, reason) = consequence(error)?;
        let (id, now) = (connection.to_owned(), self.clock.now_millis());
        let moved = db(&self.store, move |s| {
            let Some(current) = s.connection(&id)? else {
                return Ok(false);
            };
            let movable = matches!(
                current.state,
                ConnectionState::Active | ConnectionState::Degraded | ConnectionState::NeedsScope
            );
            if !movable
                || (current.state == to && current.reason.as_deref() == Some(reason.as_str()))
            {
                return Ok(false);
            }
            s.transition_connection(&id, to, Some(&reason), "call_failed", now)?;
            Ok(true)
        })
        .await;
        match moved {
            Ok(true) => Some(to),
            Ok(false) => None,
            Err(error) => {
                tracing::error!(%error, connection, "cannot record a connection state change");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classified_errors_map_to_states() {
        let reauth = CallError::Connector(ConnectorError::ReauthRequired("gone".into()));
        assert_eq!(
            consequence(&reauth),
            Some((ConnectionState::NeedsReauth, "gone".into()))
        );
        let scope = CallError::Connector(ConnectorError::Forbidden("missing scope x".into()));
        assert_eq!(
            consequence(&scope),
            Some((ConnectionState::NeedsScope, "missing scope x".into()))
        );
        assert_eq!(
            consequence(&CallError::Connector(ConnectorError::Transient("x".into()))),
            None
        );
        assert_eq!(consequence(&CallError::CpuLimit { budget_millis: 1 }), None);
    }
}
