//! Who a plugin call works for. The host fixes this; the plugin cannot change it.

use serde::Serialize;

/// Which grant the `access-token` credential and the `oauth` calls refer to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum GrantTarget {
    /// No grant: credentialed requests and token calls are refused.
    #[default]
    None,
    /// The working grant of this connection.
    Connection(String),
    /// The grant being authorised in this OAuth flow (keyed by the flow's `state`),
    /// staged until the host accepts the tenants it covers.
    Flow(String),
}

/// The fixed context of one plugin call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallContext {
    /// The integration (provider + OAuth app) the call works for.
    pub integration: Option<String>,
    /// The connection the call works for; plugin state is scoped to it.
    pub connection: Option<String>,
    /// The grant credentials come from.
    pub grant: GrantTarget,
    /// The tenant the call targets, for per-tenant rate budgets.
    pub tenant: Option<String>,
}

impl CallContext {
    /// A context with no integration, connection or grant (for `describe`).
    pub fn detached() -> Self {
        Self::default()
    }

    /// A context working for `connection` of `integration` with the connection's grant.
    pub fn for_connection(integration: &str, connection: &str) -> Self {
        Self {
            integration: Some(integration.to_owned()),
            connection: Some(connection.to_owned()),
            grant: GrantTarget::Connection(connection.to_owned()),
            tenant: None,
        }
    }
}
