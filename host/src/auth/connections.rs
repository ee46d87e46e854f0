//! The connection lifecycle: start a connection, complete the consent in the callback,
//! pick a tenant, reconnect (staged: the new grant replaces the old one only when it
//! covers the connection's tenant), delete, and keep idle grants alive.

use std::sync::Arc;

use mooring_store::{
    Connection, ConnectionState, FlowKind, Integration, Store, StoreError, TenantRef,
};

use super::flows;
use super::grants::{GrantService, RefreshWhy, db};
use super::secrets::new_id;
use crate::clock::SharedClock;
use crate::runtime::overrides::HostOverrides;
use crate::runtime::types::{ConnectorError, Tenant};
use crate::runtime::{CallContext, CallError, GrantTarget, Plugin, PluginRegistry, Runtime};

/// Why a lifecycle operation failed; each maps to an API error.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The connection, integration or flow does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed or not allowed in the connection's state.
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with another connection.
    #[error("{0}")]
    Conflict(String),
    /// The provider's plugin is not loaded.
    #[error("{0}")]
    Unavailable(String),
    /// The consent could not be completed (the text says why; nothing was changed).
    #[error("{0}")]
    Failed(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a callback ended, for the page shown to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Connected (or reconnected) to `tenant`.
    Connected {
        /// The connection.
        connection: String,
        /// The tenant's name.
        tenant: String,
        /// The state it ended in (`active` or `needs_scope`).
        state: ConnectionState,
    },
    /// Several tenants: a choice is needed.
    ChooseTenant {
        /// The connection.
        connection: String,
        /// The tenants to choose from.
        choices: Vec<String>,
    },
    /// The person declined at the provider.
    Denied {
        /// The connection (unchanged).
        connection: String,
    },
}

/// The lifecycle operations, over the store, the runtime and the grant service.
#[derive(Clone)]
pub struct ConnectionService {
    pub(crate) store: Store,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) registry: Arc<PluginRegistry>,
    pub(crate) grants: Arc<GrantService>,
    pub(crate) clock: SharedClock,
    pub(crate) overrides: HostOverrides,
    /// Where connections that became active are queued for a sync.
    pub(crate) queue: crate::sync::SyncQueue,
}

pub(crate) fn tenant_ref(t: &Tenant) -> TenantRef {
    TenantRef {
        id: t.id.clone(),
        name: t.name.clone(),
        metadata: t.metadata.clone(),
    }
}

/// A tenant record for plugin calls.
pub fn tenant_of(t: &TenantRef) -> Tenant {
    Tenant {
        id: t.id.clone(),
        name: t.name.clone(),
        metadata: t.metadata.clone(),
    }
}

pub(crate) fn call_failure(error: CallError) -> LifecycleError {
    let text = match error {
        CallError::Connector(e)
        | CallError::Denied {
            plugin_error: e, ..
        } => format!("{e:?}"),
        other => other.to_string(),
    };
    LifecycleError::Failed(format!(
        "the provider's connector could not complete the authorization: {text}"
    ))
}

impl ConnectionService {
    pub(crate) fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    pub(crate) async fn integration(&self, id: &str) -> Result<Integration, LifecycleError> {
        let key = id.to_owned();
        db(&self.store, move |s| s.integration(&key))
            .await?
            .ok_or_else(|| LifecycleError::NotFound(format!("integration {id:?} does not exist")))
    }

    /// The connection `id`, or NotFound.
    pub async fn connection(&self, id: &str) -> Result<Connection, LifecycleError> {
        let key = id.to_owned();
        db(&self.store, move |s| s.connection(&key))
            .await?
            .filter(|c| c.state != ConnectionState::Deleted)
            .ok_or_else(|| LifecycleError::NotFound(format!("connection {id:?} does not exist")))
    }

    /// The plugin version a connection uses: its pin, else the provider's canary when
    /// the connection falls in its share, else the active version (the active one for
    /// a connection not yet created).
    pub fn plugin_for(
        &self,
        provider: &str,
        connection: Option<&Connection>,
    ) -> Result<Arc<Plugin>, LifecycleError> {
        let resolved = match connection {
            Some(c) => self
                .registry
                .resolve_for(provider, c.pinned_version.as_deref(), &c.id)
                .map(|r| r.plugin),
            None => self.registry.resolve(provider, None),
        };
        resolved.map_err(|e| {
            LifecycleError::Unavailable(format!("{e}; load the provider's plugin first"))
        })
    }

    /// Open a flow for `connection` and build the authorize URL.
    async fn open_flow(
        &self,
        integration: &Integration,
        plugin: &Plugin,
        connection: &Connection,
        kind: FlowKind,
        scopes: Vec<String>,
    ) -> Result<String, LifecycleError> {
        let (flow, verifier) = flows::new_flow(
            &self.store,
            &connection.id,
            kind,
            &scopes,
            plugin.info.manifest.auth.pkce,
            self.now(),
        )?;
        let ctx = CallContext {
            integration: Some(integration.id.clone()),
            connection: Some(connection.id.clone()),
            grant: GrantTarget::None,
            tenant: None,
        };
        let extra = self
            .runtime
            .authorize_params(plugin, ctx, &scopes)
            .await
            .map_err(call_failure)?;
        let url = flows::authorize_url(
            &plugin.info,
            integration,
            &flow,
            verifier.as_deref(),
            extra,
            &self.overrides,
        );
        db(&self.store, move |s| s.put_flow(&flow)).await?;
        Ok(url)
    }

    /// Create a pending connection for `integration` and return it with its authorize URL.
    pub async fn start(
        &self,
        integration_id: &str,
        label: Option<String>,
        scopes: Option<Vec<String>>,
    ) -> Result<(Connection, String), LifecycleError> {
        let integration = self.integration(integration_id).await?;
        let plugin = self.plugin_for(&integration.provider, None)?;
        let scopes = scopes
            .filter(|s| !s.is_empty())
            .or_else(|| (!integration.scopes.is_empty()).then(|| integration.scopes.clone()))
            .unwrap_or_else(|| plugin.info.manifest.auth.default_scopes.clone());
        let now = self.now();
        let connection = Connection {
            id: new_id("conn"),
            integration: integration.id.clone(),
            label,
            state: ConnectionState::Pending,
            reason: Some("waiting for consent at the provider".into()),
            tenant: None,
            tenant_choices: vec![],
            scopes: scopes.clone(),
            pinned_version: None,
            grant: None,
            created_at: now,
            updated_at: now,
            last_sync_at: None,
        };
        let record = connection.clone();
        db(&self.store, move |s| {
            s.write(|tx| {
                tx.put_connection(&record)?;
                tx.append_event(&mooring_store::Event {
                    seq: 0,
                    at: now,
                    connection: record.id.clone(),
                    kind: "created".into(),
                    from: None,
                    to: Some(ConnectionState::Pending),
                    reason: None,
                })?;
                Ok(())
            })
        })
        .await?;
        let url = self
            .open_flow(
                &integration,
                &plugin,
                &connection,
                FlowKind::Connect,
                scopes,
            )
            .await?;
        Ok((connection, url))
    }

    /// Start a reconnect of `id`, optionally adding scopes; the connection is unchanged
    /// until the consent completes with the right tenant.
    pub async fn reconnect(
        &self,
        id: &str,
        extra_scopes: Vec<String>,
    ) -> Result<String, LifecycleError> {
        let connection = self.connection(id).await?;
        if connection.tenant.is_none() {
            return Err(LifecycleError::Invalid(format!(
                "connection {id} has no tenant yet (state {}); finish connecting it first",
                connection.state
            )));
        }
        let integration = self.integration(&connection.integration).await?;
        let plugin = self.plugin_for(&integration.provider, Some(&connection))?;
        let mut scopes = connection.scopes.clone();
        for scope in extra_scopes {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        self.open_flow(
            &integration,
            &plugin,
            &connection,
            FlowKind::Reconnect,
            scopes,
        )
        .await
    }

    /// Complete an `awaiting_tenant` connection with `tenant_id` from its choices.
    pub async fn select_tenant(
        &self,
        id: &str,
        tenant_id: &str,
    ) -> Result<Connection, LifecycleError> {
        let mut connection = self.connection(id).await?;
        if connection.state != ConnectionState::AwaitingTenant {
            return Err(LifecycleError::Invalid(format!(
                "connection {id} is {}, not awaiting_tenant",
                connection.state
            )));
        }
        let chosen = connection
            .tenant_choices
            .iter()
            .find(|t| t.id == tenant_id)
            .cloned()
            .ok_or_else(|| {
                LifecycleError::Invalid(format!(
                    "tenant {tenant_id:?} is not among this connection's choices"
                ))
            })?;
        if let Some(other) = self.bound_elsewhere(&connection, tenant_id).await? {
            return Err(LifecycleError::Conflict(format!(
                "organisation '{}' is already connected as connection {other} of this integration",
                chosen.name
            )));
        }
        connection.tenant = Some(chosen);
        connection.tenant_choices.clear();
        let now = self.now();
        let record = connection.clone();
        let (updated, _) = db(&self.store, move |s| {
            s.write(|tx| {
                tx.put_connection(&record)?;
                tx.transition_connection(
                    &record.id,
                    ConnectionState::Active,
                    None,
                    "tenant_selected",
                    now,
                )
            })
        })
        .await?;
        self.queue.push(&updated.id);
        Ok(updated)
    }

    /// Revoke at the provider (through the plugin), remove the tokens and plugin state,
    /// purge the records if asked, and mark the connection deleted. A provider that
    /// cannot be reached does not block the deletion; its error is returned as a warning.
    pub async fn delete(&self, id: &str, purge: bool) -> Result<Option<String>, LifecycleError> {
        let connection = self.connection(id).await?;
        let mut warning = None;
        if let (Some(tenant), Some(_)) = (&connection.tenant, &connection.grant) {
            let integration = self.integration(&connection.integration).await?;
            match self.plugin_for(&integration.provider, Some(&connection)) {
                Ok(plugin) => {
                    let ctx = CallContext::for_connection(&integration.id, &connection.id);
                    if let Err(error) = self
                        .runtime
                        .disconnect(&plugin, ctx, &tenant_of(tenant))
                        .await
                    {
                        // Not a reason to reconnect: the connection is going away.
                        let reason = match &error {
                            CallError::Connector(
                                ConnectorError::ReauthRequired(m)
                                | ConnectorError::Forbidden(m)
                                | ConnectorError::Transient(m)
                                | ConnectorError::InvalidData(m),
                            ) => m.clone(),
                            other => other.to_string(),
                        };
                        warning = Some(format!(
                            "the grant could not be revoked at the provider; the connection is deleted here, revoke the app's access at the provider if needed: {reason}"
                        ));
                    }
                }
                Err(error) => warning = Some(error.to_string()),
            }
        }
        let now = self.now();
        let record = connection.clone();
        let reason = warning.clone();
        db(&self.store, move |s| {
            s.write(|tx| {
                if let Some(grant) = &record.grant {
                    tx.delete_grant(grant)?;
                }
                tx.state_clear(&record.id)?;
                let mut cleared = record.clone();
                cleared.grant = None;
                tx.put_connection(&cleared)?;
                tx.transition_connection(
                    &record.id,
                    ConnectionState::Deleted,
                    reason.as_deref(),
                    "deleted",
                    now,
                )?;
                Ok(())
            })?;
            if purge {
                s.purge_records(&record.id)?;
            }
            Ok(())
        })
        .await?;
        Ok(warning)
    }

    /// Refresh every grant unused for longer than its plugin's keep-alive period.
    /// Returns how many were refreshed.
    pub async fn keep_alive_pass(&self) -> usize {
        let now = self.now();
        let connections = match db(&self.store, |s| s.list_connections()).await {
            Ok(list) => list,
            Err(error) => {
                tracing::error!(%error, "keep-alive cannot list connections");
                return 0;
            }
        };
        let mut refreshed = 0;
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
            let Some(after) = plugin.info.manifest.token_policy.keep_alive_after else {
                continue;
            };
            let key = grant_id.clone();
            let Ok(Some(grant)) = db(&self.store, move |s| s.grant(&key)).await else {
                continue;
            };
            if now.saturating_sub(grant.last_refreshed_at.unwrap_or(0)) < after * 1000 {
                continue;
            }
            match self
                .grants
                .refresh_grant(
                    &plugin.info,
                    &connection.id,
                    &grant_id,
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
