//! Completing a consent in `/oauth/callback`: exchange the code through the plugin,
//! then bind the tenant (one → active, several → a choice) or, on a reconnect, swap
//! the staged grant in only when it covers the connection's own tenant.

use crate::store_io::db;
use mooring_store::{Cause, Connection, ConnectionState, EventKind, FlowKind, Grant};

use super::machine::{self, Transition};
use super::reasons;
use super::{CallbackOutcome, ConnectionService, LifecycleError, call_failure, tenant_ref};
use crate::runtime::capabilities::flows::{FlowInFlight, StagedWrite};
use crate::runtime::types::Tenant;
use crate::runtime::{CallContext, GrantTarget};

/// What a code exchange staged: the grant and the plugin's state writes.
struct Staged {
    grant: Grant,
    state_writes: Vec<StagedWrite>,
}

impl ConnectionService {
    /// Handle `/oauth/callback` with its query parameters.
    pub async fn callback(
        &self,
        params: Vec<(String, String)>,
    ) -> Result<CallbackOutcome, LifecycleError> {
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let state = param("state")
            .ok_or_else(|| LifecycleError::Invalid("the callback has no state parameter".into()))?;
        if state.len() > crate::validate::MAX_STATE_BYTES {
            return Err(LifecycleError::Invalid(
                "unknown, expired or already used state: start the connection again".into(),
            ));
        }
        let key = state.clone();
        // Look up in a read transaction first: a flood of forged or stale states never
        // takes the write lock that sync pages commit under. Only a known state is
        // taken (removed) in a write, which stays the single-use check.
        let flow = db(&self.store, move |s| match s.flow(&key)? {
            Some(_) => s.take_flow(&key),
            None => Ok(None),
        })
        .await?
        .ok_or_else(|| {
            LifecycleError::Invalid(
                "unknown, expired or already used state: start the connection again".into(),
            )
        })?;
        let now = self.now();
        if flow.expires_at <= now {
            return Err(LifecycleError::Invalid(
                "this authorization expired (10 minutes): start the connection again".into(),
            ));
        }
        let connection = self.connection(&flow.connection).await?;
        if let Some(error) = param("error") {
            let description = param("error_description").unwrap_or_default();
            let refusal = reasons::ProviderRefusal::new(&error, &description);
            let kind = if refusal.declined() {
                EventKind::ConnectionAuthorizationDenied
            } else {
                EventKind::ConnectionAuthorizationFailed
            };
            let reason = refusal.reason();
            self.note(&connection.id, kind, &reason).await;
            return Ok(CallbackOutcome::Denied {
                connection: connection.id,
                declined: refusal.declined(),
                reason,
            });
        }
        let integration = self.integration(&connection.integration).await?;
        let plugin = self.plugin_for(&integration.provider, Some(&connection))?;
        let kind = flow.kind;
        let flows = self.grants.flows_in_flight();
        flows.begin(FlowInFlight::new(flow, integration.redirect_uri.clone()));
        let ctx = CallContext {
            integration: Some(integration.id.clone()),
            connection: Some(connection.id.clone()),
            grant: GrantTarget::Flow(state.clone()),
            tenant: None,
        };
        let result = self
            .runtime
            .complete_authorization(&plugin, ctx, &params)
            .await;
        // Always end the flow, so nothing it staged outlives it.
        let flight = flows.end(&state);
        let outcome = async {
            let tenants = result.map_err(call_failure)?;
            let staged = flight
                .and_then(|f| {
                    Some(Staged {
                        grant: f.staged_grant?,
                        state_writes: f.state_writes,
                    })
                })
                .ok_or_else(|| {
                    LifecycleError::Failed(
                        "the connector finished without exchanging the code".into(),
                    )
                })?;
            if tenants.is_empty() {
                return Err(LifecycleError::Failed(
                    "the provider granted access to no organisation".into(),
                ));
            }
            match kind {
                FlowKind::Connect => {
                    self.finish_connect(connection.clone(), tenants, staged)
                        .await
                }
                FlowKind::Reconnect => {
                    self.finish_reconnect(connection.clone(), tenants, staged)
                        .await
                }
            }
        }
        .await;
        if let Err(error) = &outcome {
            self.note(
                &connection.id,
                EventKind::ConnectionAuthorizationFailed,
                &error.to_string(),
            )
            .await;
        }
        outcome
    }

    /// Record an event that is not a transition.
    async fn note(&self, connection: &str, kind: EventKind, reason: &str) {
        let (id, reason, now) = (connection.to_owned(), reason.to_owned(), self.now());
        let store = self.store.clone();
        let written = tokio::task::spawn_blocking(move || {
            machine::in_write(&store, |tx| machine::note(tx, &id, kind, &reason, now))
        })
        .await;
        if !matches!(written, Ok(Ok(_))) {
            tracing::error!(connection, "cannot record an event");
        }
    }

    /// The state a consent leaves a connection in: `active`, or `needs_scope` with the
    /// scopes it requested and was not granted.
    fn scope_state(requested: &[String], granted: &[String]) -> (ConnectionState, Option<String>) {
        let missing: Vec<String> = requested
            .iter()
            .filter(|s| !granted.contains(s))
            .cloned()
            .collect();
        if missing.is_empty() {
            (ConnectionState::Active, None)
        } else {
            (
                ConnectionState::NeedsScope,
                Some(reasons::missing_scopes(&missing)),
            )
        }
    }

    async fn finish_connect(
        &self,
        mut connection: Connection,
        tenants: Vec<Tenant>,
        staged: Staged,
    ) -> Result<CallbackOutcome, LifecycleError> {
        if let [only] = tenants.as_slice() {
            connection.tenant = Some(tenant_ref(only));
            let (state, reason) = Self::scope_state(&connection.scopes, &staged.grant.scopes);
            let name = only.name.clone();
            let id = connection.id.clone();
            self.commit(connection, staged, state, reason, Cause::Connected)
                .await?;
            (self.ready)(&id);
            return Ok(CallbackOutcome::Connected {
                connection: id,
                tenant: name,
                state,
            });
        }
        connection.tenant_choices = tenants.iter().map(tenant_ref).collect();
        let choices = tenants.iter().map(|t| t.name.clone()).collect();
        let id = connection.id.clone();
        let reason = Some("several organisations were authorised: choose one".to_owned());
        self.commit(
            connection,
            staged,
            ConnectionState::AwaitingTenant,
            reason,
            Cause::TenantChoice,
        )
        .await?;
        Ok(CallbackOutcome::ChooseTenant {
            connection: id,
            choices,
        })
    }

    async fn finish_reconnect(
        &self,
        mut connection: Connection,
        tenants: Vec<Tenant>,
        staged: Staged,
    ) -> Result<CallbackOutcome, LifecycleError> {
        let original = connection.tenant.clone().ok_or_else(|| {
            LifecycleError::Invalid("the connection has no tenant to reconnect".into())
        })?;
        let Some(matching) = tenants.iter().find(|t| t.id == original.id) else {
            let names: Vec<String> = tenants.iter().map(|t| t.name.clone()).collect();
            return Err(LifecycleError::Failed(reasons::wrong_tenant(
                &names,
                &original.name,
            )));
        };
        connection.tenant = Some(tenant_ref(matching));
        let flow_scopes = staged.grant.scopes.clone();
        for scope in &flow_scopes {
            if !connection.scopes.contains(scope) {
                connection.scopes.push(scope.clone());
            }
        }
        let (state, reason) = Self::scope_state(&connection.scopes, &staged.grant.scopes);
        let (id, name) = (connection.id.clone(), matching.name.clone());
        self.commit(connection, staged, state, reason, Cause::Reconnected)
            .await?;
        (self.ready)(&id);
        Ok(CallbackOutcome::Connected {
            connection: id,
            tenant: name,
            state,
        })
    }

    /// In one transaction, through the state machine: check that no other live
    /// connection of the integration holds the tenant, store the staged grant and the
    /// plugin state written during the flow, point the connection at the grant (with the
    /// tenant, choices and scopes the consent settled), drop the grant it replaces, and
    /// move it to `state` with its event.
    async fn commit(
        &self,
        settled: Connection,
        staged: Staged,
        state: ConnectionState,
        reason: Option<String>,
        cause: Cause,
    ) -> Result<(), LifecycleError> {
        let Staged {
            grant,
            state_writes,
        } = staged;
        let transition = Transition::new(&settled.id, state, cause, self.now()).reason(reason);
        self.transition_with(transition, move |tx, connection| {
            if let Some(tenant) = &settled.tenant {
                machine::ensure_tenant_free(tx, connection, &tenant.id, &tenant.name)?;
            }
            tx.put_grant(&grant)?;
            for (key, value) in &state_writes {
                match value {
                    Some(value) => tx.state_set(&connection.id, key, value)?,
                    None => {
                        tx.state_delete(&connection.id, key)?;
                    }
                }
            }
            if let Some(old) = connection.grant.take().filter(|old| *old != grant.id) {
                tx.delete_grant(&old)?;
            }
            connection.grant = Some(grant.id.clone());
            connection.tenant = settled.tenant;
            connection.tenant_choices = settled.tenant_choices;
            connection.scopes = settled.scopes;
            Ok(())
        })
        .await?;
        Ok(())
    }
}
