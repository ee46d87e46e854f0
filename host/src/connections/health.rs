//! What failures mean for a connection: a dead grant moves it to `needs_reauth`, a
//! missing scope or role to `needs_scope`; passing failures leave it as it is. Each
//! transition carries the plugin's (or the token endpoint's) reason, and applies only
//! while the connection still holds the grant that failed: an `invalid_grant` on a grant
//! a reconnect has replaced changes nothing.

use std::sync::Arc;

use mooring_store::{Cause, ConnectionState, Store};

use super::ConnectionService;
use super::machine::{Applied, Transition, TransitionError};
use crate::auth::grants::GrantRefusals;
use crate::clock::SharedClock;
use crate::runtime::CallError;
use crate::runtime::capabilities::broker::BoxFuture;
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

/// Log the outcome of a failure's transition; returns the new state if it moved.
fn settled(connection: &str, result: Result<Applied, TransitionError>) -> Option<ConnectionState> {
    match result {
        Ok(Applied::Moved { connection, .. }) => Some(connection.state),
        Ok(Applied::Unchanged(_)) => None,
        Err(error) if error.is_moot() => None,
        Err(error) => {
            tracing::error!(%error, connection, "cannot record a connection state change");
            None
        }
    }
}

impl ConnectionService {
    /// Apply the consequence of `error` to `connection`, if it still holds `grant` (the
    /// grant the call used; `None`: whatever it holds). Returns the new state if it moved.
    pub async fn record_call_error(
        &self,
        connection: &str,
        grant: Option<&str>,
        error: &CallError,
    ) -> Option<ConnectionState> {
        let (to, reason) = consequence(error)?;
        let mut transition =
            Transition::new(connection, to, Cause::CallFailed, self.now()).because(reason);
        transition.if_grant = grant.map(str::to_owned);
        settled(connection, self.transition(transition).await)
    }
}

/// Moves a connection whose grant the token endpoint refused to `needs_reauth` (the
/// grant service's [`GrantRefusals`]).
pub struct RefusedGrants {
    store: Store,
    clock: SharedClock,
}

impl RefusedGrants {
    /// Over the connections in `store`.
    pub fn new(store: Store, clock: SharedClock) -> Arc<Self> {
        Arc::new(Self { store, clock })
    }
}

impl GrantRefusals for RefusedGrants {
    fn refused<'a>(
        &'a self,
        connection: &'a str,
        grant: &'a str,
        reason: &'a str,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let transition = Transition::new(
                connection,
                ConnectionState::NeedsReauth,
                Cause::GrantFailed,
                self.clock.now_millis(),
            )
            .because(reason)
            .if_grant(grant);
            let result = super::transit(&self.store, transition, |_, _| Ok(())).await;
            settled(connection, result);
        })
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
