//! The grant service: holds tokens and client secrets for plugin calls (the runtime's
//! [`GrantBroker`](crate::runtime::capabilities::GrantBroker)). Refresh is single-flight per grant, ahead of expiry, and commits a
//! rotated refresh token before anything uses it; the previous refresh token is kept
//! for the provider's grace window and tried when the current one is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mooring_store::{ConnectionState, Grant, Store, StoreError};

use super::reasons;
use super::secrets::{Slot, open, seal};
use super::tokens::{
    ClientCredentials, REFRESH_HARD_LIFETIME_FIELDS, TokenEndpoint, TokenFacts, TokenSet,
};
use crate::clock::SharedClock;
use crate::runtime::PluginInfo;
use crate::runtime::capabilities::broker::{BoxFuture, BrokerError, SecretText};
use crate::runtime::capabilities::flows::FlowsInFlight;
use crate::runtime::egress::{EgressAllow, EgressPolicy};
use crate::runtime::overrides::HostOverrides;
use crate::runtime::types::{TokenError, TokenInfo};
use crate::store_io::db;

/// Told when the token endpoint refuses a connection's grant (dead refresh token,
/// revoked client): the connection lifecycle moves the connection to `needs_reauth`,
/// unless it holds another grant by then. The grant service only reports.
pub trait GrantRefusals: Send + Sync {
    /// `grant` of `connection` was refused for `reason` (text people read).
    fn refused<'a>(
        &'a self,
        connection: &'a str,
        grant: &'a str,
        reason: &'a str,
    ) -> BoxFuture<'a, ()>;
}

/// Refusals nobody acts on (a grant service used on its own, in tests).
struct IgnoreRefusals;

impl GrantRefusals for IgnoreRefusals {
    fn refused<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// Why a refresh was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshWhy<'a> {
    /// The access token is about to expire.
    Ahead,
    /// The provider answered 401 to this access token.
    Unauthorized(&'a str),
    /// Explicitly (plugin `oauth.refresh`, keep-alive).
    Explicit,
}

/// Holds grants; implements [`GrantBroker`](crate::runtime::capabilities::GrantBroker) for the runtime.
pub struct GrantService {
    pub(crate) store: Store,
    clock: SharedClock,
    pub(crate) tokens: TokenEndpoint,
    pub(crate) overrides: HostOverrides,
    /// Egress rules for the host's own token and revoke requests.
    pub(crate) egress: EgressPolicy,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The OAuth flows being completed (shared with the runtime's state capability).
    pub(crate) flows: Arc<FlowsInFlight>,
    refusals: Arc<dyn GrantRefusals>,
}

pub(crate) fn store_error(error: StoreError) -> BrokerError {
    BrokerError::Transient(format!("storage: {error}"))
}

pub(crate) fn token_store_error(error: StoreError) -> TokenError {
    TokenError::Transient(format!("storage: {error}"))
}

pub(crate) fn info(facts: &TokenFacts, fallback_scopes: &[String]) -> TokenInfo {
    TokenInfo {
        expires_in: facts.expires_in,
        refresh_token_expires_in: facts.refresh_expires_in,
        scopes: facts
            .scopes
            .clone()
            .unwrap_or_else(|| fallback_scopes.to_vec()),
        extra: facts.extra.clone(),
    }
}

/// The largest share of an access token's lifetime that refreshing ahead may take: at
/// most half. A plugin's `refresh_ahead` longer than the tokens the provider issues
/// (say 3600 s ahead of 60 s tokens) would otherwise make every call find its token
/// "about to expire" and refresh, rotating the refresh token before every request.
const MAX_AHEAD_DIVISOR: u64 = 2;

/// How long before expiry (ms) a token that lives `lifetime_ms` is refreshed, for a
/// manifest asking `refresh_ahead_secs`: the manifest's number, clamped to half the
/// lifetime the token response reported. With no known lifetime, the manifest's number.
/// Saturating: any `u64` from a plugin or provider is safe.
pub(crate) fn refresh_ahead_millis(refresh_ahead_secs: u64, lifetime_ms: Option<u64>) -> u64 {
    let wanted = refresh_ahead_secs.saturating_mul(1000);
    match lifetime_ms {
        Some(lifetime) => wanted.min(lifetime / MAX_AHEAD_DIVISOR),
        None => wanted,
    }
}

/// The OAuth class of a token error (a fixed word, for metrics).
pub(crate) fn error_class(error: &TokenError) -> &'static str {
    match error {
        TokenError::InvalidGrant(_) => "invalid_grant",
        TokenError::InvalidClient(_) => "invalid_client",
        TokenError::InvalidScope(_) => "invalid_scope",
        TokenError::Rejected(_) => "rejected",
        TokenError::Transient(_) => "transient",
        TokenError::Denied(_) => "denied",
    }
}

/// Whether `grant`'s access token should be refreshed ahead of expiry at `now` (ms).
///
/// The token's lifetime is the span from its issue (`last_refreshed_at`, written with
/// `access_expires_at` from the same token response) to its expiry.
pub(crate) fn refresh_due(grant: &Grant, refresh_ahead_secs: u64, now: u64) -> bool {
    let Some(expires_at) = grant.access_expires_at else {
        return false;
    };
    let lifetime = grant
        .last_refreshed_at
        .map(|issued| expires_at.saturating_sub(issued));
    expires_at <= now.saturating_add(refresh_ahead_millis(refresh_ahead_secs, lifetime))
}

impl GrantService {
    /// A grant service over `store`, requesting tokens through `tokens`.
    pub fn new(
        store: Store,
        clock: SharedClock,
        tokens: TokenEndpoint,
        overrides: HostOverrides,
    ) -> Self {
        Self {
            store,
            clock,
            tokens,
            egress: EgressPolicy::new(overrides.clone(), EgressAllow::default()),
            overrides,
            locks: Mutex::new(HashMap::new()),
            flows: Arc::default(),
            refusals: Arc::new(IgnoreRefusals),
        }
    }

    /// Report refused grants to `refusals` (the connection lifecycle).
    pub fn with_refusals(mut self, refusals: Arc<dyn GrantRefusals>) -> Self {
        self.refusals = refusals;
        self
    }

    /// The OAuth flows being completed; the runtime's state capability must stage into
    /// this same table ([`Capabilities::with_flows`](crate::runtime::capabilities::Capabilities::with_flows)).
    pub fn flows_in_flight(&self) -> Arc<FlowsInFlight> {
        self.flows.clone()
    }

    /// Use `egress` (the deployment's policy, with the operator's allowances) for token
    /// and revoke requests; its overrides replace the ones given to [`new`](Self::new).
    pub fn with_egress(mut self, egress: EgressPolicy) -> Self {
        self.overrides = egress.overrides().clone();
        self.egress = egress;
        self
    }

    /// Where to send one of the host's own credentialed requests (`url` from the
    /// manifest): through the egress rules, overrides applied.
    pub(crate) fn endpoint(&self, url: &str) -> Result<String, TokenError> {
        self.egress
            .host_request(url)
            .map(String::from)
            .map_err(|e| TokenError::Denied(e.to_string()))
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    fn lock_for(&self, grant_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(grant_id.to_owned()).or_default().clone()
    }

    /// The integration's client id and secret.
    pub(crate) async fn client(
        &self,
        integration: &str,
    ) -> Result<(String, SecretText), StoreError> {
        let id = integration.to_owned();
        db(&self.store, move |store| {
            let integration = store.integration(&id)?.ok_or_else(|| {
                StoreError::InvalidInput(format!("integration {id} does not exist"))
            })?;
            let secret = open(
                store,
                Slot::ClientSecret(&integration.id),
                &integration.client_secret,
            )?;
            Ok((integration.client_id, secret))
        })
        .await
    }

    /// Everything a token request of `integration` under `plugin` needs: the client id
    /// and secret, the token URL (checked by the egress rules and remapped by host
    /// overrides) and the auth style.
    pub(crate) async fn credentials(
        &self,
        integration: &str,
        plugin: &PluginInfo,
    ) -> Result<ClientCredentials, TokenError> {
        let token_url = self.endpoint(&plugin.manifest.auth.token_url)?;
        let (client_id, client_secret) =
            self.client(integration).await.map_err(token_store_error)?;
        Ok(ClientCredentials {
            token_url,
            client_id,
            client_secret,
            auth: plugin.manifest.auth.client_auth,
        })
    }

    /// Seal a token response into a grant record `id` (for `integration`).
    pub(crate) fn seal_grant(
        &self,
        id: &str,
        integration: &str,
        set: &TokenSet,
        plugin: &PluginInfo,
        requested: &[String],
    ) -> Result<Grant, StoreError> {
        let now = self.now();
        let policy = &plugin.manifest.token_policy;
        Ok(Grant {
            id: id.to_owned(),
            integration: integration.to_owned(),
            access_token: seal(&self.store, Slot::Access(id), &set.access_token)?,
            refresh_token: match &set.refresh_token {
                Some(rt) => Some(seal(&self.store, Slot::Refresh(id), rt)?),
                None => None,
            },
            previous_refresh_token: None,
            previous_rotated_at: None,
            access_expires_at: set
                .facts
                .expires_in
                .map(|s| now.saturating_add(s.saturating_mul(1000))),
            refresh_expires_at: set
                .facts
                .refresh_expires_in
                .or(policy.refresh_token_idle_lifetime)
                .map(|s| now.saturating_add(s.saturating_mul(1000))),
            refresh_hard_expires_at: set
                .facts
                .extra
                .iter()
                .find(|(name, _)| REFRESH_HARD_LIFETIME_FIELDS.contains(&name.as_str()))
                .and_then(|(_, value)| value.trim().parse::<u64>().ok())
                .map(|s| now.saturating_add(s.saturating_mul(1000))),
            last_refreshed_at: Some(now),
            last_used_at: Some(now),
            scopes: set
                .facts
                .scopes
                .clone()
                .unwrap_or_else(|| requested.to_vec()),
            extra: set.facts.extra.clone(),
        })
    }

    /// The connection's grant id, refusing connections that cannot use one.
    pub(crate) async fn connection_grant(&self, connection: &str) -> Result<String, BrokerError> {
        let id = connection.to_owned();
        let connection = db(&self.store, move |s| s.connection(&id))
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                BrokerError::Unavailable(format!("connection {connection} does not exist"))
            })?;
        match connection.state {
            ConnectionState::NeedsReauth => Err(BrokerError::ReauthRequired(
                connection
                    .reason
                    .unwrap_or_else(|| "the connection needs to be reconnected".into()),
            )),
            ConnectionState::Deleted | ConnectionState::Disabled => Err(BrokerError::Unavailable(
                format!("connection {} is {}", connection.id, connection.state),
            )),
            _ => connection.grant.ok_or_else(|| {
                BrokerError::Unavailable(format!("connection {} has no grant yet", connection.id))
            }),
        }
    }

    /// Refresh `grant_id` of `connection` once, however many callers ask at the same time.
    pub async fn refresh_grant(
        &self,
        plugin: &PluginInfo,
        connection: &str,
        grant_id: &str,
        why: RefreshWhy<'_>,
        extra: &[(String, String)],
    ) -> Result<(SecretText, TokenInfo), TokenError> {
        let lock = self.lock_for(grant_id);
        let _held = lock.lock().await;
        let id = grant_id.to_owned();
        let grant = db(&self.store, move |s| s.grant(&id))
            .await
            .map_err(token_store_error)?
            .ok_or_else(|| {
                TokenError::Denied(format!(
                    "grant {grant_id} no longer exists (reconnected or deleted)"
                ))
            })?;
        let current = open(&self.store, Slot::Access(&grant.id), &grant.access_token)
            .map_err(token_store_error)?;
        let now = self.now();
        let still_fresh = !refresh_due(&grant, plugin.manifest.token_policy.refresh_ahead, now);
        let done_by_another = match why {
            RefreshWhy::Ahead => still_fresh,
            RefreshWhy::Unauthorized(rejected) => current.as_str() != rejected,
            RefreshWhy::Explicit => false,
        };
        if done_by_another {
            let facts = TokenFacts {
                expires_in: grant
                    .access_expires_at
                    .map(|at| at.saturating_sub(now) / 1000),
                scopes: Some(grant.scopes.clone()),
                extra: grant.extra.clone(),
                ..TokenFacts::default()
            };
            return Ok((current, info(&facts, &grant.scopes)));
        }
        let Some(sealed_rt) = &grant.refresh_token else {
            return Err(TokenError::InvalidGrant(
                "the grant has no refresh token; reconnect".into(),
            ));
        };
        let refresh_token =
            open(&self.store, Slot::Refresh(&grant.id), sealed_rt).map_err(token_store_error)?;
        let creds = self.credentials(&grant.integration, plugin).await?;
        let mut outcome = self.tokens.refresh(&creds, &refresh_token, extra).await;
        if matches!(outcome, Err(TokenError::InvalidGrant(_)))
            && let Some(previous) = self.previous_within_grace(&grant, plugin)
        {
            tracing::warn!(grant = %grant.id, "current refresh token refused; retrying with the previous one inside the grace window");
            outcome = self.tokens.refresh(&creds, &previous, extra).await;
        }
        match outcome {
            Ok(set) => {
                let updated = self
                    .rotated(&grant, &refresh_token, &set, plugin)
                    .map_err(token_store_error)?;
                let access = set.access_token.clone();
                let (owner, id) = (connection.to_owned(), grant.id.clone());
                let committed = db(&self.store, move |s| {
                    s.write(|tx| {
                        // Compare and swap: only the connection's current grant, still
                        // stored, takes the new tokens. A refresh that ends after a
                        // reconnect or a deletion must not bring tokens back.
                        let current = tx.connection(&owner)?.is_some_and(|c| {
                            c.grant.as_deref() == Some(id.as_str())
                                && c.state != ConnectionState::Deleted
                        });
                        if !current || tx.grant(&id)?.is_none() {
                            return Ok(false);
                        }
                        tx.put_grant(&updated)?;
                        Ok(true)
                    })
                })
                .await
                .map_err(token_store_error)?;
                crate::metrics::token_refresh(if committed { "ok" } else { "discarded" });
                if !committed {
                    tracing::info!(grant = %grant.id, connection, "refresh discarded: the grant was replaced or deleted meanwhile");
                    return Err(TokenError::Denied(format!(
                        "grant {grant_id} was replaced or deleted while it was being refreshed"
                    )));
                }
                tracing::info!(grant = %grant.id, connection, "refreshed");
                Ok((access, info(&set.facts, &grant.scopes)))
            }
            Err(error) => {
                crate::metrics::token_refresh("failed");
                crate::metrics::token_error(error_class(&error));
                let reason = match &error {
                    TokenError::InvalidGrant(detail) => Some(reasons::invalid_grant(
                        grant.last_refreshed_at.unwrap_or(0),
                        now,
                        &plugin.manifest.token_policy,
                        detail,
                    )),
                    TokenError::InvalidClient(detail) => Some(reasons::invalid_client(detail)),
                    _ => None,
                };
                if let Some(reason) = reason {
                    self.refusals.refused(connection, &grant.id, &reason).await;
                    return Err(TokenError::InvalidGrant(reason));
                }
                Err(error)
            }
        }
    }

    /// The previous refresh token, if it was rotated out within the grace window.
    fn previous_within_grace(&self, grant: &Grant, plugin: &PluginInfo) -> Option<SecretText> {
        let rotated_at = grant.previous_rotated_at?;
        let grace_ms = plugin
            .manifest
            .token_policy
            .grace_window
            .saturating_mul(1000);
        if self.now() > rotated_at.saturating_add(grace_ms) {
            return None;
        }
        open(
            &self.store,
            Slot::PreviousRefresh(&grant.id),
            grant.previous_refresh_token.as_ref()?,
        )
        .ok()
    }

    /// The grant after a successful refresh: new tokens, the old refresh token kept as
    /// the previous one when the provider rotated it.
    fn rotated(
        &self,
        grant: &Grant,
        used_rt: &str,
        set: &TokenSet,
        plugin: &PluginInfo,
    ) -> Result<Grant, StoreError> {
        let mut next =
            self.seal_grant(&grant.id, &grant.integration, set, plugin, &grant.scopes)?;
        // A refresh that does not restate the absolute limit keeps the known one.
        next.refresh_hard_expires_at = next
            .refresh_hard_expires_at
            .or(grant.refresh_hard_expires_at);
        match &set.refresh_token {
            Some(new_rt) if new_rt.as_str() != used_rt => {
                next.previous_refresh_token = Some(seal(
                    &self.store,
                    Slot::PreviousRefresh(&grant.id),
                    used_rt,
                )?);
                next.previous_rotated_at = Some(self.now());
            }
            Some(_) => {
                next.previous_refresh_token = grant.previous_refresh_token.clone();
                next.previous_rotated_at = grant.previous_rotated_at;
            }
            None => {
                // No new refresh token: the old one stays valid.
                next.refresh_token = grant.refresh_token.clone();
                next.previous_refresh_token = grant.previous_refresh_token.clone();
                next.previous_rotated_at = grant.previous_rotated_at;
            }
        }
        if set.facts.scopes.is_none() {
            next.scopes = grant.scopes.clone();
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(issued: u64, lifetime_secs: u64) -> Grant {
        let sealed: mooring_store::Sealed =
            serde_json::from_str(r#"{"v":1,"nonce":"","ct":""}"#).expect("sealed");
        Grant {
            id: "g".into(),
            integration: "i".into(),
            access_token: sealed,
            refresh_token: None,
            previous_refresh_token: None,
            previous_rotated_at: None,
            access_expires_at: Some(issued + lifetime_secs * 1000),
            refresh_expires_at: None,
            refresh_hard_expires_at: None,
            last_refreshed_at: Some(issued),
            last_used_at: Some(issued),
            scopes: vec![],
            extra: vec![],
        }
    }

    #[test]
    fn refresh_ahead_is_clamped_to_half_the_reported_lifetime() {
        assert_eq!(refresh_ahead_millis(300, Some(1_800_000)), 300_000);
        assert_eq!(refresh_ahead_millis(3_600, Some(60_000)), 30_000);
        assert_eq!(refresh_ahead_millis(3_600, None), 3_600_000);
        assert_eq!(refresh_ahead_millis(3_600, Some(0)), 0);
        assert_eq!(refresh_ahead_millis(u64::MAX, None), u64::MAX);
        assert_eq!(refresh_ahead_millis(u64::MAX, Some(u64::MAX)), u64::MAX / 2);
        let mut odd = grant(u64::MAX - 5, 0);
        odd.access_expires_at = Some(u64::MAX);
        assert!(!refresh_due(&odd, u64::MAX, 0));
        assert!(refresh_due(&odd, u64::MAX, u64::MAX));
        odd.last_refreshed_at = None;
        assert!(
            refresh_due(&odd, u64::MAX, 0),
            "unknown lifetime: unclamped"
        );
    }

    /// Calls every `every` ms for `span` ms on tokens of `lifetime_secs`: how many
    /// refreshes the ahead-of-expiry rule causes.
    fn refreshes(refresh_ahead: u64, lifetime_secs: u64, every: u64, span: u64) -> u32 {
        let mut current = grant(0, lifetime_secs);
        let mut count = 0;
        for now in (0..span).step_by(every as usize) {
            if refresh_due(&current, refresh_ahead, now) {
                count += 1;
                current = grant(now, lifetime_secs);
            }
        }
        count
    }

    #[test]
    fn a_long_refresh_ahead_does_not_refresh_before_every_call() {
        // A 3-page sync, one page every 10 s, right after connecting with 60 s tokens.
        assert_eq!(refreshes(3_600, 60, 10_000, 30_000), 0);
        // Over ten minutes: one refresh per half lifetime, not one per call (60).
        assert_eq!(refreshes(3_600, 60, 10_000, 600_000), 19);
        // An honest refresh_ahead keeps its meaning.
        assert_eq!(refreshes(300, 1_800, 60_000, 3_600_000), 2);
    }
}
