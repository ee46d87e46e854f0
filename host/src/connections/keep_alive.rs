//! Keep-alive: a refresh token dies after a provider's idle lifetime (60 or 100 days
//! unused), so grants unused for longer than their plugin's `keep_alive_after` are
//! refreshed before that happens.

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
    pub async fn live_grants(&self) -> Vec<LiveGrant> {
        let connections = match db(&self.store, |s| s.list_connections()).await {
            Ok(list) => list,
            Err(error) => {
                tracing::error!(%error, "cannot list connections");
                return vec![];
            }
        };
        let mut live = Vec::new();
        for connection in connections {
            if !matches!(
                connection.state,
                ConnectionState::Active | ConnectionState::Degraded | ConnectionState::NeedsScope
            ) {
                continue;
            }
            let Some(grant_id) = connection.grant.clone() else {
                continue;
            };
            let Ok(integration) = self.integration(&connection.integration).await else {
                continue;
            };
            let Ok(plugin) = self.plugin_for(&integration.provider, Some(&connection)) else {
                continue;
            };
            let Ok(Some(grant)) = db(&self.store, move |s| s.grant(&grant_id)).await else {
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
