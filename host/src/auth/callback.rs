//! Completing a consent in `/oauth/callback`: exchange the code through the plugin,
//! then bind the tenant (one → active, several → a choice) or, on a reconnect, swap
//! the staged grant in only when it covers the connection's own tenant.

use mooring_store::{Connection, ConnectionState, FlowKind};

use super::connections::{
    CallbackOutcome, ConnectionService, LifecycleError, call_failure, tenant_ref,
};
use super::grants::{FlowInFlight, StagedGrant, db};
use super::reasons;
use crate::runtime::types::Tenant;
use crate::runtime::{CallContext, GrantTarget};

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
            self.note(
                &connection.id,
                "authorization_denied",
                format!("{error} {description}").trim(),
            )
            .await;
            return Ok(CallbackOutcome::Denied {
                connection: connection.id,
            });
        }
        let integration = self.integration(&connection.integration).await?;
        let plugin = self.plugin_for(&integration.provider, Some(&connection))?;
        let kind = flow.kind;
        self.grants.begin_flow(FlowInFlight {
            flow,
            redirect_uri: integration.redirect_uri.clone(),
            staged: None,
        });
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
        let flight = self.grants.end_flow(&state);
        // Always take the flow's staged state writes, so none outlive the flow.
        let state_writes = self.runtime.capabilities().staging.take(&state);
        let outcome = async {
            let tenants = result.map_err(call_failure)?;
            let mut staged = flight.and_then(|f| f.staged).ok_or_else(|| {
                LifecycleError::Failed("the connector finished without exchanging the code".into())
            })?;
            if tenants.is_empty() {
                return Err(LifecycleError::Failed(
                    "the provider granted access to no organisation".into(),
                ));
            }
            staged.state_writes = state_writes;
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
            self.note(&connection.id, "authorization_failed", &error.to_string())
                .await;
        }
        outcome
    }

    /// Record an event that is not a transition.
    async fn note(&self, connection: &str, kind: &str, reason: &str) {
        let event = mooring_store::Event {
            seq: 0,
            at: self.now(),
            connection: connection.to_owned(),
            kind: kind.to_owned(),
            from: None,
            to: None,
            reason: Some(reason.to_owned()),
        };
        if let Err(error) = db(&self.store, move |s| s.append_event(&event)).await {
            tracing::error!(%error, "cannot record an event");
        }
    }

    /// Another live connection of the same integration bound to `tenant`, if any.
    pub(crate) async fn bound_elsewhere(
        &self,
        connection: &Connection,
        tenant: &str,
    ) -> Result<Option<String>, LifecycleError> {
        let (integration, me, tenant) = (
            connection.integration.clone(),
            connection.id.clone(),
            tenant.to_owned(),
        );
        Ok(db(&self.store, move |s| {
            Ok(s.list_connections()?
                .into_iter()
                .find(|c| {
                    c.id != me
                        && c.integration == integration
                        && c.state != ConnectionState::Deleted
                        && c.tenant.as_ref().is_some_and(|t| t.id == tenant)
                })
                .map(|c| c.id))
        })
        .await?)
    }

    /// Scopes requested but not granted.
    fn missing_scopes(requested: &[String], granted: &[String]) -> Vec<String> {
        requested
            .iter()
            .filter(|s| !granted.contains(s))
            .cloned()
            .collect()
    }

    async fn finish_connect(
        &self,
        mut connection: Connection,
        tenants: Vec<Tenant>,
        staged: StagedGrant,
    ) -> Result<CallbackOutcome, LifecycleError> {
        if let [only] = tenants.as_slice() {
            if let Some(other) = self.bound_elsewhere(&connection, &only.id).await? {
                return Err(LifecycleError::Conflict(format!(
                    "organisation '{}' is already connected as connection {other} of this integration",
                    only.name
                )));
            }
            connection.tenant = Some(tenant_ref(only));
            let missing = Self::missing_scopes(&connection.scopes, &staged.grant.scopes);
            let (state, reason) = if missing.is_empty() {
                (ConnectionState::Active, None)
            } else {
                (
                    ConnectionState::NeedsScope,
                    Some(reasons::missing_scopes(&missing)),
                )
            };
            let name = only.name.clone();
            let id = connection.id.clone();
            self.commit(connection, staged, None, state, reason, "connected")
                .await?;
            self.queue.push(&id);
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
            None,
            ConnectionState::AwaitingTenant,
            reason,
            "tenant_choice",
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
        staged: StagedGrant,
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
        let missing = Self::missing_scopes(&connection.scopes, &staged.grant.scopes);
        let (state, reason) = if missing.is_empty() {
            (ConnectionState::Active, None)
        } else {
            (
                ConnectionState::NeedsScope,
                Some(reasons::missing_scopes(&missing)),
            )
        };
        let old = connection.grant.clone();
        let (id, name) = (connection.id.clone(), matching.name.clone());
        self.commit(connection, staged, old, state, reason, "reconnected")
            .await?;
        self.queue.push(&id);
        Ok(CallbackOutcome::Connected {
            connection: id,
            tenant: name,
            state,
        })
    }

    /// In one transaction: store the staged grant and the plugin state written during
    /// the flow, point the connection at the grant, drop `old_grant`, and move the
    /// connection to `state` with an event.
    async fn commit(
        &self,
        mut connection: Connection,
        staged: StagedGrant,
        old_grant: Option<String>,
        state: ConnectionState,
        reason: Option<String>,
        kind: &'static str,
    ) -> Result<(), LifecycleError> {
        let now = self.now();
        let StagedGrant {
            grant,
            state_writes,
            ..
        } = staged;
        connection.grant = Some(grant.id.clone());
        db(&self.store, move |s| {
            s.write(|tx| {
                tx.put_grant(&grant)?;
                tx.put_connection(&connection)?;
                for (key, value) in &state_writes {
                    match value {
                        Some(value) => tx.state_set(&connection.id, key, value)?,
                        None => {
                            tx.state_delete(&connection.id, key)?;
                        }
                    }
                }
                if let Some(old) = old_grant.filter(|o| *o != grant.id) {
                    tx.delete_grant(&old)?;
                }
                tx.transition_connection(&connection.id, state, reason.as_deref(), kind, now)?;
                Ok(())
            })
        })
        .await?;
        Ok(())
    }
}
