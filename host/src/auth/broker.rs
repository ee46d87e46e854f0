//! The runtime's view of the grant service: credentials to inject and the plugin's
//! `oauth` calls, each resolved against the call's fixed grant target (a connection's
//! working grant, or the grant staged in an OAuth flow).

use super::grants::{GrantService, RefreshWhy, info, refresh_due, store_error, token_store_error};
use super::secrets::{Slot, new_id, open};
use crate::runtime::capabilities::broker::{BoxFuture, BrokerError, GrantBroker, SecretText};
use crate::runtime::capabilities::flows::FlowFacts;
use crate::runtime::types::{Fields, RevokeFormat, TokenError, TokenInfo};
use crate::runtime::{CallContext, GrantTarget, PluginInfo};
use crate::store_io::db;

impl GrantBroker for GrantService {
    fn access_token<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<SecretText, BrokerError>> {
        Box::pin(async move {
            match &ctx.grant {
                GrantTarget::None => Err(BrokerError::Unavailable("this call has no grant".into())),
                GrantTarget::Flow(state) => {
                    let facts = self.flows.facts(state).ok_or_else(|| {
                        BrokerError::Unavailable(
                            "the authorization flow is no longer in progress".into(),
                        )
                    })?;
                    let grant = facts.staged_grant.ok_or_else(|| {
                        BrokerError::Unavailable("exchange the code before calling the API".into())
                    })?;
                    open(&self.store, Slot::Access(&grant.id), &grant.access_token)
                        .map_err(store_error)
                }
                GrantTarget::Connection(connection) => {
                    let grant_id = self.connection_grant(connection).await?;
                    let id = grant_id.clone();
                    let grant = db(&self.store, move |s| s.grant(&id))
                        .await
                        .map_err(store_error)?
                        .ok_or_else(|| {
                            BrokerError::Unavailable(format!("grant {grant_id} is missing"))
                        })?;
                    if refresh_due(
                        &grant,
                        plugin.manifest.token_policy.refresh_ahead,
                        self.now(),
                    ) {
                        return match self
                            .refresh_grant(plugin, connection, &grant_id, RefreshWhy::Ahead, &[])
                            .await
                        {
                            Ok((token, _)) => Ok(token),
                            Err(TokenError::InvalidGrant(reason)) => {
                                Err(BrokerError::ReauthRequired(reason))
                            }
                            Err(other) => {
                                Err(BrokerError::Transient(format!("refresh failed: {other:?}")))
                            }
                        };
                    }
                    open(&self.store, Slot::Access(&grant.id), &grant.access_token)
                        .map_err(store_error)
                }
            }
        })
    }

    fn after_unauthorized<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretText>, BrokerError>> {
        Box::pin(async move {
            let GrantTarget::Connection(connection) = &ctx.grant else {
                return Ok(None);
            };
            let grant_id = self.connection_grant(connection).await?;
            match self
                .refresh_grant(
                    plugin,
                    connection,
                    &grant_id,
                    RefreshWhy::Unauthorized(rejected),
                    &[],
                )
                .await
            {
                Ok((token, _)) => Ok(Some(token)),
                Err(TokenError::InvalidGrant(reason)) => Err(BrokerError::ReauthRequired(reason)),
                Err(other) => Err(BrokerError::Transient(format!("refresh failed: {other:?}"))),
            }
        })
    }

    fn client_credentials<'a>(
        &'a self,
        _plugin: &'a PluginInfo,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<(String, SecretText), BrokerError>> {
        Box::pin(async move {
            let integration = ctx
                .integration
                .as_deref()
                .ok_or_else(|| BrokerError::Unavailable("this call has no integration".into()))?;
            self.client(integration).await.map_err(store_error)
        })
    }

    fn exchange_code<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        code: String,
        extra: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>> {
        Box::pin(async move {
            let GrantTarget::Flow(state) = &ctx.grant else {
                return Err(TokenError::Denied(
                    "no authorization flow is in progress for this call".into(),
                ));
            };
            let FlowFacts {
                connection,
                redirect_uri,
                pkce,
                scopes,
                ..
            } = self.flows.facts(state).ok_or_else(|| {
                TokenError::Denied("the authorization flow is no longer in progress".into())
            })?;
            let integration = ctx.integration.clone().unwrap_or_default();
            let creds = self.credentials(&integration, plugin).await?;
            let verifier = match &pkce {
                Some(sealed) => {
                    Some(open(&self.store, Slot::Pkce(state), sealed).map_err(token_store_error)?)
                }
                None => None,
            };
            let set = self
                .tokens
                .exchange_code(
                    &creds,
                    &code,
                    &redirect_uri,
                    verifier.as_ref().map(|v| v.as_str()),
                    &extra,
                )
                .await?;
            let grant = self
                .seal_grant(&new_id("grant"), &integration, &set, plugin, &scopes)
                .map_err(token_store_error)?;
            tracing::info!(connection, grant = %grant.id, "authorization code exchanged; grant staged");
            let token_info = info(&set.facts, &scopes);
            self.flows
                .stage_grant(state, grant)
                .map_err(TokenError::Denied)?;
            Ok(token_info)
        })
    }

    fn refresh<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        extra: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>> {
        Box::pin(async move {
            let GrantTarget::Connection(connection) = &ctx.grant else {
                return Err(TokenError::Denied(
                    "only a connection's grant can be refreshed".into(),
                ));
            };
            let grant_id = self
                .connection_grant(connection)
                .await
                .map_err(|e| match e {
                    BrokerError::ReauthRequired(reason) => TokenError::InvalidGrant(reason),
                    other => TokenError::Denied(other.to_string()),
                })?;
            self.refresh_grant(plugin, connection, &grant_id, RefreshWhy::Explicit, &extra)
                .await
                .map(|(_, info)| info)
        })
    }

    fn revoke<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        format: RevokeFormat,
    ) -> BoxFuture<'a, Result<(), TokenError>> {
        Box::pin(async move {
            let revoke_url = plugin.manifest.auth.revoke_url.as_deref().ok_or_else(|| {
                TokenError::Denied("the plugin's manifest has no revoke URL".into())
            })?;
            let GrantTarget::Connection(connection) = &ctx.grant else {
                return Err(TokenError::Denied(
                    "only a connection's grant can be revoked".into(),
                ));
            };
            let id = connection.clone();
            let grant = db(&self.store, move |s| {
                let grant_id = s.connection(&id)?.and_then(|c| c.grant);
                match grant_id {
                    Some(g) => s.grant(&g),
                    None => Ok(None),
                }
            })
            .await
            .map_err(token_store_error)?
            .ok_or_else(|| TokenError::Denied("the connection has no grant to revoke".into()))?;
            let token = match &grant.refresh_token {
                Some(rt) => open(&self.store, Slot::Refresh(&grant.id), rt),
                None => open(&self.store, Slot::Access(&grant.id), &grant.access_token),
            }
            .map_err(token_store_error)?;
            let creds = self.credentials(&grant.integration, plugin).await?;
            let url = self.endpoint(revoke_url)?;
            self.tokens.revoke(&url, &creds, &token, format).await
        })
    }
}
