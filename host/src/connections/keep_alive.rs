//! Keep-alive: a refresh token dies after a provider's idle lifetime (60 or 100 days
//! unused), so grants unused for longer than their plugin's `keep_alive_after` are
//! refreshed before that happens.

use std::collections::HashMap;
use std::sync::Arc;

use mooring_store::{Connection, ConnectionState, Grant};

use super::ConnectionService;
use crate::auth::grants::RefreshWhy;
use crate::runtime::Plugin;
use crate::store_io::db;

/// A connection whose grant is in use (`active`, `degraded` or `needs_scope`), with its
/// grant and the plugin version it runs.
pub struct LiveGrant {
    /// The connection.
    pub connection: Connection,
    /// Its grant.
    pub grant: Grant,
    /// The plugin it runs (its manifest's token policy).
    pub plugin: Arc<Plugin>,
}

impl ConnectionService {
    /// Every connection whose grant is in use, with its grant and plugin (those whose
    /// integration, plugin or grant cannot be read are skipped).
    ///
    /// One read of the store for the whole scan (connections, grants and integrations
    /// together), then in-memory lookups: a pass over 10,000 connections costs one
    /// blocking task and a few milliseconds, not three store reads per connection.
    pub async fn live_grants(&self) -> Vec<LiveGrant> {
        let read = db(&self.store, |s| {
            let connections: Vec<Connection> = s
                .list_connections()?
                .into_iter()
                .filter(|c| {
                    matches!(
                        c.state,
                        ConnectionState::Active
                            | ConnectionState::Degraded
                            | ConnectionState::NeedsScope
                    ) && c.grant.is_some()
                })
                .collect();
            if connections.is_empty() {
                return Ok((connections, HashMap::new(), HashMap::new()));
            }
            let grants: HashMap<String, Grant> = s
                .list_grants()?
                .into_iter()
                .map(|g| (g.id.clone(), g))
                .collect();
            let mut providers: HashMap<String, String> = HashMap::new();
            for c in &connections {
                if !providers.contains_key(&c.integration)
                    && let Some(integration) = s.integration(&c.integration)?
                {
                    providers.insert(c.integration.clone(), integration.provider);
                }
            }
            Ok((connections, grants, providers))
        })
        .await;
        let (connections, mut grants, providers) = match read {
            Ok(read) => read,
            Err(error) => {
                tracing::error!(%error, "cannot list connections");
                return vec![];
            }
        };
        let mut live = Vec::with_capacity(connections.len());
        for connection in connections {
            let Some(grant) = connection.grant.as_ref().and_then(|g| grants.remove(g)) else {
                continue;
            };
            let Some(provider) = providers.get(&connection.integration) else {
                continue;
            };
            let Ok(plugin) = self.plugin_for(provider, Some(&connection)) else {
                continue;
            };
            live.push(LiveGrant {
                connection,
                grant,
                plugin,
            });
        }
        live
    }

    /// Refresh every grant unused for longer than its plugin's keep-alive period.
    /// Returns how many were refreshed.
    pub async fn keep_alive_pass(&self) -> usize {
        let now = self.now();
        let mut refreshed = 0;
        for LiveGrant {
            connection,
            grant,
            plugin,
        } in self.live_grants().await
        {
            let Some(after) = plugin.info.manifest.token_policy.keep_alive_after else {
                continue;
            };
            let idle = now.saturating_sub(grant.last_refreshed_at.unwrap_or(0));
            if idle < after.saturating_mul(1000) {
                continue;
            }
            match self
                .grants
                .refresh_grant(
                    &plugin.info,
                    &connection.id,
                    &grant.id,
                    RefreshWhy::Explicit,
                    &[],
                )
                .await
            {
                Ok(_) => refreshed += 1,
                Err(error) => {
                    tracing::warn!(connection = %connection.id, ?error, "keep-alive refresh failed")
                }
            }
        }
        refreshed
    }
}
