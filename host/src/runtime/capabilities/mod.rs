//! What the host gives a plugin: one module per WIT import, each backed by a small
//! trait so it can be implemented (and tested) on its own.
//!
//! These modules know no WIT version: each adds neutral methods on
//! [`HostState`](crate::runtime::HostState) over [`crate::runtime::types`]
//! (`http_send`, `oauth_*`, `state_*`, `log_emit`, `clock_now_millis`), and each world
//! version's module in [`crate::runtime::wit`] implements its generated host traits as
//! adapters over them.
//!
//! | import | module | backend |
//! |---|---|---|
//! | `http` | [`http`] | [`http::HttpCapability`] (reqwest) + [`GrantBroker`] for credentials |
//! | `oauth` | [`oauth`] | [`GrantBroker`] |
//! | `state` | [`state`] | [`StateBackend`] |
//! | `log` | [`log`] | tracing |
//! | `clock` | [`clock`] | [`crate::clock::Clock`] |

pub mod broker;
pub mod budget;
pub mod clock;
pub mod flows;
pub mod http;
pub mod log;
pub mod oauth;
pub mod state;

use std::sync::Arc;

pub use broker::{BrokerError, GrantBroker, NoGrants};
pub use state::{MemoryState, StateBackend, StateError};

use crate::clock::SharedClock;

/// The backends behind every capability, shared by all calls of a runtime.
#[derive(Clone)]
pub struct Capabilities {
    /// Outbound HTTP: allow-lists, overrides, credentials, caps.
    pub http: Arc<http::HttpCapability>,
    /// Tokens and client credentials.
    pub grants: Arc<dyn GrantBroker>,
    /// Per-connection key-value state.
    pub state: Arc<dyn StateBackend>,
    /// Wall-clock time.
    pub clock: SharedClock,
    /// Per-tenant rate budgets.
    pub budgets: Arc<budget::RateBudgets>,
    /// The OAuth flows being completed: their staged grants and state writes.
    pub flows: Arc<flows::FlowsInFlight>,
    /// Log lines per connection across calls (a sync run spans many calls).
    pub logs: Arc<log::LogBudgets>,
}

impl Capabilities {
    /// Replace the rate budgets with ones that apply per-provider overrides.
    pub fn with_budget_overrides(
        mut self,
        overrides: std::collections::HashMap<String, budget::BudgetOverride>,
    ) -> Self {
        self.budgets = Arc::new(budget::RateBudgets::with_overrides(overrides));
        self
    }

    /// Stage OAuth flows' state writes into `flows`: the table the grant service stages
    /// their grants into, so each flow in flight is one record.
    pub fn with_flows(mut self, flows: Arc<flows::FlowsInFlight>) -> Self {
        self.flows = flows;
        self
    }

    /// Capabilities over these backends, with fresh rate budgets.
    pub fn new(
        http: Arc<http::HttpCapability>,
        grants: Arc<dyn GrantBroker>,
        state: Arc<dyn StateBackend>,
        clock: SharedClock,
    ) -> Self {
        Self {
            http,
            grants,
            state,
            clock,
            budgets: Arc::default(),
            flows: Arc::default(),
            logs: Arc::default(),
        }
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").finish_non_exhaustive()
    }
}
