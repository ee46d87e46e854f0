//! The connection lifecycle, and the only code that changes a connection's state.
//!
//! - [`machine`]: the states, the moves allowed between them and [`machine::apply`],
//!   the single entry point that reads, checks and writes a state with its event in one
//!   write transaction. Every module below (and `sync`) goes through it.
//! - this module: the [`ConnectionService`]: start a connection, reconnect (staged:
//!   the new grant replaces the old one only when it covers the connection's tenant),
//!   choose a tenant, disable, delete;
//! - [`callback`]: completing a consent in `/oauth/callback`;
//! - [`health`]: what a failed plugin call or a refused grant means for a connection
//!   ([`reasons`]: the texts a person reads);
//!   [`keep_alive`]: refreshing idle grants before their refresh token dies.
//!
//! OAuth itself (tokens, grants, flows, integrations, secrets) is `crate::auth`'s.

pub mod callback;
pub mod health;
pub mod keep_alive;
pub mod machine;
pub mod reasons;

use std::sync::Arc;

use mooring_store::{
    Cause, Connection, ConnectionState, FlowKind, Integration, Store, StoreError, TenantRef,
};

use crate::auth::flows;
use crate::auth::grants::GrantService;
use crate::auth::secrets::new_id;
use crate::clock::SharedClock;
use crate::runtime::overrides::HostOverrides;
use crate::runtime::types::{ConnectorError, Tenant};
use crate::runtime::{CallContext, CallError, GrantTarget, Plugin, PluginRegistry, Runtime};
use crate::store_io::db;
pub use machine::{Applied, Transition, TransitionError};

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

impl From<TransitionError> for LifecycleError {
    fn from(error: TransitionError) -> Self {
        match error {
            TransitionError::NotFound(_) => LifecycleError::NotFound(error.to_string()),
            TransitionError::TenantTaken(text) => LifecycleError::Conflict(text),
            TransitionError::StaleGrant(_) => LifecycleError::Conflict(error.to_string()),
            TransitionError::NotAllowed { .. } | TransitionError::Refused(_) => {
                LifecycleError::Invalid(error.to_string())
            }
            TransitionError::Store(error) => LifecycleError::Store(error),
        }
    }
}

/// Apply `transition` with `edit` (see [`machine::apply`]) in one write transaction
/// of `store`, on the blocking pool.
pub(crate) async fn transit(
    store: &Store,
    transition: Transition,
    edit: impl FnOnce(&mooring_store::WriteTx<'_>, &mut Connection) -> Result<(), TransitionError>
    + Send
    + 'static,
) -> Result<Applied, TransitionError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        machine::in_write(&store, |tx| machine::apply(tx, &transition, edit))
    })
    .await
    .map_err(|e| TransitionError::Refused(format!("store task failed: {e}")))?
}

/// Called with a connection that just became usable (connected, reconnected, tenant
/// chosen): the sync service queues its first sync.
pub type ReadyHook = Arc<dyn Fn(&str) + Send + Sync>;

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
    /// The provider sent `error=` instead of a code: the person declined
    /// (`access_denied`) or the provider refused (`invalid_scope`, `server_error`, …).
    Denied {
        /// The connection (its state unchanged).
        connection: String,
        /// `true` for `access_denied`: the person said no.
        declined: bool,
        /// What happened and what to do, for the page and the connection's reason.
        reason: String,
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
    /// Told about connections that became usable.
    pub(crate) ready: ReadyHook,
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

    /// Apply `transition` with `edit` (see [`machine::apply`]) in one write transaction.
    pub async fn transition_with(
        &self,
        transition: Transition,
        edit: impl FnOnce(&mooring_store::WriteTx<'_>, &mut Connection) -> Result<(), TransitionError>
        + Send
        + 'static,
    ) -> Result<Applied, TransitionError> {
        transit(&self.store, transition, edit).await
    }

    /// Apply `transition` (see [`machine::apply`]) in one write transaction.
    pub async fn transition(&self, transition: Transition) -> Result<Applied, TransitionError> {
        self.transition_with(transition, |_, _| Ok(())).await
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
        let (record, store) = (connection.clone(), self.store.clone());
        tokio::task::spawn_blocking(move || {
            machine::in_write(&store, |tx| machine::create(tx, &record))
        })
        .await
        .map_err(|e| LifecycleError::Failed(format!("store task failed: {e}")))??;
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
        let connection = self.connection(id).await?;
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
        let (tenant, name) = (chosen.id.clone(), chosen.name.clone());
        let applied = self
            .transition_with(
                Transition::new(
                    id,
                    ConnectionState::Active,
                    Cause::TenantSelected,
                    self.now(),
                ),
                move |tx, connection| {
                    if connection.state != ConnectionState::AwaitingTenant {
                        return Err(TransitionError::Refused(format!(
                            "connection {} is {}, not awaiting_tenant",
                            connection.id, connection.state
                        )));
                    }
                    machine::ensure_tenant_free(tx, connection, &tenant, &name)?;
                    connection.tenant = Some(chosen);
                    connection.tenant_choices.clear();
                    Ok(())
                },
            )
            .await?;
        let updated = applied.connection().clone();
        (self.ready)(&updated.id);
        Ok(updated)
    }

    /// Set (or with `None` remove) the label of connection `id`: reads and writes only
    /// that connection's row, in one write transaction. Deleted connections are
    /// NotFound. The caller validates the label.
    pub async fn set_label(
        &self,
        id: &str,
        label: Option<String>,
    ) -> Result<Connection, LifecycleError> {
        let key = id.to_owned();
        let now = self.now();
        db(&self.store, move |s| {
            s.write(|tx| {
                let Some(mut connection) = tx
                    .connection(&key)?
                    .filter(|c| c.state != ConnectionState::Deleted)
                else {
                    return Ok(None);
                };
                if connection.label != label {
                    connection.label = label;
                    connection.updated_at = now;
                    tx.put_connection(&connection)?;
                }
                Ok(Some(connection))
            })
        })
        .await?
        .ok_or_else(|| LifecycleError::NotFound(format!("connection {id:?} does not exist")))
    }

    /// Disable connection `id` (`true`: it stops syncing and refreshing, its grant
    /// kept) or enable it again (`false`: it becomes `active`, and its next call finds
    /// out whether the grant still works). Asking for the state it is in changes nothing.
    pub async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
    ) -> Result<Connection, LifecycleError> {
        let connection = self.connection(id).await?;
        if disabled == (connection.state == ConnectionState::Disabled) {
            return Ok(connection);
        }
        let transition = if disabled {
            Transition::new(id, ConnectionState::Disabled, Cause::Disabled, self.now())
                .because("disabled by an operator")
        } else {
            Transition::new(id, ConnectionState::Active, Cause::Enabled, self.now())
        };
        let applied = self.transition(transition).await?;
        let connection = applied.connection().clone();
        if !disabled {
            (self.ready)(&connection.id);
        }
        Ok(connection)
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
        let transition = Transition::new(id, ConnectionState::Deleted, Cause::Deleted, self.now())
            .reason(warning.clone());
        self.transition_with(transition, |tx, connection| {
            if let Some(grant) = connection.grant.take() {
                tx.delete_grant(&grant)?;
            }
            tx.state_clear(&connection.id)?;
            tx.remove_stream_schedule(&connection.id)?;
            Ok(())
        })
        .await?;
        if purge {
            let key = id.to_owned();
            db(&self.store, move |s| s.purge_records(&key)).await?;
        }
        Ok(warning)
    }
}
