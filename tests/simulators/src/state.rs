//! The simulators' shared mutable state and the control operations on it.
//!
//! Everything lives behind one mutex ([`crate::SimControl`]); handlers lock it, do their
//! work without awaiting, and unlock. Data-endpoint modules added later keep their
//! per-tenant datasets in new fields here, keyed by tenant id.

use std::collections::{BTreeMap, HashMap};

use crate::clock::Millis;
use crate::counters::{AuthorizeRequest, Counters, RequestLog};
use crate::error::SimError;
use crate::ids::{random_b64url, random_hex, realm_id, uuid_v4};
use crate::model::{
    AccessTokenRecord, App, AppSpec, AuthCode, Connection, GrantRecord, GrantState, Modes, Org,
    Provider, RefreshTokenRecord, RevokeReason, User,
};
use crate::qbo::data::QboCompanyData;
use crate::qbo::ratelimit::{QboRateLimits, QboRateState};
use crate::scopes::default_scope_model;
use crate::xero::data::OrgData;
use crate::xero::ratelimit::{RateLimits, RateState};

/// The whole simulated world.
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) apps: HashMap<(Provider, String), App>,
    pub(crate) users: HashMap<(Provider, String), User>,
    /// Organisations / companies in creation order.
    pub(crate) orgs: Vec<Org>,
    pub(crate) codes: HashMap<String, AuthCode>,
    pub(crate) grants: BTreeMap<u64, GrantRecord>,
    pub(crate) next_grant_id: u64,
    pub(crate) refresh_tokens: HashMap<String, RefreshTokenRecord>,
    pub(crate) access_tokens: HashMap<String, AccessTokenRecord>,
    /// Xero connections in creation order.
    pub(crate) connections: Vec<Connection>,
    /// First `createdDateUtc` per (client id, user, tenant), kept after deletion.
    pub(crate) connection_history: HashMap<(String, String, String), i64>,
    pub(crate) counters: Counters,
    pub(crate) last_authorize: Option<AuthorizeRequest>,
    pub(crate) requests: RequestLog,
    pub(crate) modes: Modes,
    /// Injected token-endpoint failures: (remaining count, HTTP status).
    pub(crate) fail_next: HashMap<Provider, (u32, u16)>,
    /// Xero rate-limit windows (per app and tenant, and app-wide).
    pub(crate) xero_rate: RateState,
    /// Xero organisations' accounting data, by tenant id (created on first use).
    pub(crate) xero_data: HashMap<String, OrgData>,
    /// Extra time every admitted Xero data call takes (to make calls overlap).
    pub(crate) xero_latency_ms: u64,
    /// Simulated-clock time each Xero data request and its answer spend on the way,
    /// taken in turn (see `SimControl::set_xero_transit`), and the next one's index.
    pub(crate) xero_transit: (Vec<u64>, usize),
    /// After this many more admitted Xero data calls, every Xero access token expires.
    pub(crate) xero_expire_after: Option<u64>,
    /// Injected Xero data-call failures: (remaining count, HTTP status).
    pub(crate) xero_api_fail_next: Option<(u32, u16)>,
    /// QuickBooks companies' data, by realm id (generated on first use).
    pub(crate) qbo_data: HashMap<String, QboCompanyData>,
    /// QuickBooks throttle windows (per realm).
    pub(crate) qbo_rate: QboRateState,
}

impl SimState {
    pub(crate) fn new(
        modes: Modes,
        log_capacity: usize,
        limits: RateLimits,
        qbo_limits: QboRateLimits,
    ) -> Self {
        Self {
            apps: HashMap::new(),
            users: HashMap::new(),
            orgs: Vec::new(),
            codes: HashMap::new(),
            grants: BTreeMap::new(),
            next_grant_id: 1,
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            connections: Vec::new(),
            connection_history: HashMap::new(),
            counters: Counters::default(),
            last_authorize: None,
            requests: RequestLog::new(log_capacity),
            modes,
            fail_next: HashMap::new(),
            xero_rate: RateState::new(limits),
            xero_data: HashMap::new(),
            xero_latency_ms: 0,
            xero_transit: (Vec::new(), 0),
            xero_expire_after: None,
            xero_api_fail_next: None,
            qbo_data: HashMap::new(),
            qbo_rate: QboRateState::new(qbo_limits),
        }
    }

    // ---- apps -------------------------------------------------------------------------

    pub(crate) fn add_app(&mut self, spec: AppSpec, now: Millis) -> Result<(), SimError> {
        let key = (spec.provider, spec.client_id.clone());
        if spec.client_id.is_empty() {
            return Err(SimError::InvalidArgument("empty client id".into()));
        }
        if self.apps.contains_key(&key) {
            return Err(SimError::Duplicate(format!(
                "{} app {}",
                spec.provider, spec.client_id
            )));
        }
        if spec.redirect_uris.len() > 50 {
            return Err(SimError::InvalidArgument(
                "at most 50 redirect URIs per app".into(),
            ));
        }
        for uri in &spec.redirect_uris {
            check_redirect_uri(uri)?;
        }
        if spec.client_secret.is_none() && spec.provider == Provider::Quickbooks {
            return Err(SimError::InvalidArgument(
                "QuickBooks apps always have a client secret".into(),
            ));
        }
        let created_at = spec.created_at.map_or(now, crate::clock::system_to_ms);
        let app = App {
            provider: spec.provider,
            client_id: spec.client_id,
            client_secret: spec.client_secret,
            redirect_uris: spec.redirect_uris,
            scope_model: spec
                .scope_model
                .unwrap_or_else(|| default_scope_model(created_at)),
            created_at,
            journals_premium: spec.journals_premium,
        };
        self.apps.insert(key, app);
        Ok(())
    }

    pub(crate) fn app(&self, provider: Provider, client_id: &str) -> Result<&App, SimError> {
        self.apps
            .get(&(provider, client_id.to_owned()))
            .ok_or_else(|| SimError::UnknownApp {
                provider,
                client_id: client_id.to_owned(),
            })
    }

    pub(crate) fn app_mut(
        &mut self,
        provider: Provider,
        client_id: &str,
    ) -> Result<&mut App, SimError> {
        self.apps
            .get_mut(&(provider, client_id.to_owned()))
            .ok_or_else(|| SimError::UnknownApp {
                provider,
                client_id: client_id.to_owned(),
            })
    }

    pub(crate) fn rotate_client_secret(
        &mut self,
        provider: Provider,
        client_id: &str,
    ) -> Result<String, SimError> {
        let app = self.app_mut(provider, client_id)?;
        if app.client_secret.is_none() {
            return Err(SimError::InvalidArgument(
                "a PKCE app has no client secret".into(),
            ));
        }
        let secret = new_client_secret(provider);
        app.client_secret = Some(secret.clone());
        Ok(secret)
    }

    // ---- users and organisations -----------------------------------------------------

    pub(crate) fn add_user(
        &mut self,
        provider: Provider,
        username: &str,
    ) -> Result<String, SimError> {
        let key = (provider, username.to_owned());
        if username.is_empty() {
            return Err(SimError::InvalidArgument("empty user name".into()));
        }
        if self.users.contains_key(&key) {
            return Err(SimError::Duplicate(format!("{provider} user {username}")));
        }
        let local = username.split('@').next().unwrap_or(username);
        let mut given = local.to_owned();
        if let Some(first) = given.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let user = User {
            provider,
            username: username.to_owned(),
            user_id: uuid_v4(),
            sub: random_hex(16),
            session_id: random_hex(16),
            email: if username.contains('@') {
                username.to_owned()
            } else {
                format!("{username}@example.com")
            },
            given_name: given,
            family_name: "Tester".to_owned(),
        };
        let id = user.user_id.clone();
        self.users.insert(key, user);
        Ok(id)
    }

    pub(crate) fn user(&self, provider: Provider, username: &str) -> Result<&User, SimError> {
        self.users
            .get(&(provider, username.to_owned()))
            .ok_or_else(|| SimError::UnknownUser {
                provider,
                user: username.to_owned(),
            })
    }

    pub(crate) fn add_org(&mut self, provider: Provider, name: &str, now: Millis) -> String {
        let tenant_id = match provider {
            Provider::Xero => uuid_v4(),
            Provider::Quickbooks => realm_id(),
        };
        self.orgs.push(Org {
            provider,
            tenant_id: tenant_id.clone(),
            name: name.to_owned(),
            members: Default::default(),
            created_at: now,
        });
        tenant_id
    }

    pub(crate) fn org(&self, tenant_id: &str) -> Result<&Org, SimError> {
        self.orgs
            .iter()
            .find(|o| o.tenant_id == tenant_id)
            .ok_or_else(|| SimError::UnknownTenant(tenant_id.to_owned()))
    }

    fn org_mut(&mut self, tenant_id: &str) -> Result<&mut Org, SimError> {
        self.orgs
            .iter_mut()
            .find(|o| o.tenant_id == tenant_id)
            .ok_or_else(|| SimError::UnknownTenant(tenant_id.to_owned()))
    }

    pub(crate) fn grant_user_access(
        &mut self,
        username: &str,
        tenant_id: &str,
    ) -> Result<(), SimError> {
        let provider = self.org(tenant_id)?.provider;
        self.user(provider, username)?;
        self.org_mut(tenant_id)?.members.insert(username.to_owned());
        Ok(())
    }

    /// Removes a member. Xero: that user's connections to the tenant are deleted (for
    /// every app), so `/connections` stops listing it and data calls get 403; the grant
    /// itself stays valid for the user's other tenants. QuickBooks: grants for that
    /// company stay refreshable but data calls get 403 (code 3100).
    pub(crate) fn remove_user_from_org(
        &mut self,
        username: &str,
        tenant_id: &str,
    ) -> Result<(), SimError> {
        let provider = self.org(tenant_id)?.provider;
        self.user(provider, username)?;
        self.org_mut(tenant_id)?.members.remove(username);
        self.connections
            .retain(|c| !(c.username == username && c.tenant_id == tenant_id));
        Ok(())
    }

    /// Revokes every grant of the user (refresh → `invalid_grant`, API calls → 401) and
    /// ends their sessions. Returns how many grants were revoked.
    pub(crate) fn change_password(
        &mut self,
        provider: Provider,
        username: &str,
    ) -> Result<usize, SimError> {
        self.user(provider, username)?;
        if let Some(u) = self.users.get_mut(&(provider, username.to_owned())) {
            u.session_id = random_hex(16);
        }
        let ids: Vec<u64> = self
            .grants
            .values()
            .filter(|g| {
                g.provider == provider && g.username == username && g.state == GrantState::Active
            })
            .map(|g| g.id)
            .collect();
        for id in &ids {
            self.revoke_grant(*id, RevokeReason::PasswordChanged);
        }
        Ok(ids.len())
    }

    /// The app is removed from the tenant in the provider's UI.
    ///
    /// Xero: every connection of that app to the tenant is deleted; a grant whose user
    /// is left with no connection to the app is revoked (refresh → `invalid_grant`).
    /// QuickBooks: every grant of the app for that company is revoked as
    /// `AppDisconnected` (refresh → `invalid_grant`, API calls → 403 code 3100).
    /// Returns how many grants were revoked.
    pub(crate) fn disconnect_app(
        &mut self,
        client_id: &str,
        tenant_id: &str,
    ) -> Result<usize, SimError> {
        let provider = self.org(tenant_id)?.provider;
        self.app(provider, client_id)?;
        let mut revoke = Vec::new();
        match provider {
            Provider::Xero => {
                let mut users: Vec<String> = Vec::new();
                self.connections.retain(|c| {
                    let hit = c.client_id == client_id && c.tenant_id == tenant_id;
                    if hit && !users.contains(&c.username) {
                        users.push(c.username.clone());
                    }
                    !hit
                });
                for user in users {
                    let left = self
                        .connections
                        .iter()
                        .any(|c| c.client_id == client_id && c.username == user);
                    if !left {
                        revoke.extend(self.active_grants_where(|g| {
                            g.client_id == client_id && g.username == user
                        }));
                    }
                }
            }
            Provider::Quickbooks => {
                revoke = self.active_grants_where(|g| {
                    g.provider == Provider::Quickbooks
                        && g.client_id == client_id
                        && g.realm_id.as_deref() == Some(tenant_id)
                });
            }
        }
        for id in &revoke {
            self.revoke_grant(*id, RevokeReason::AppDisconnected);
        }
        Ok(revoke.len())
    }

    pub(crate) fn active_grants_where(&self, pred: impl Fn(&GrantRecord) -> bool) -> Vec<u64> {
        self.grants
            .values()
            .filter(|g| g.state == GrantState::Active && pred(g))
            .map(|g| g.id)
            .collect()
    }

    /// Marks a grant revoked: its refresh tokens and access tokens stop working.
    pub(crate) fn revoke_grant(&mut self, grant_id: u64, reason: RevokeReason) {
        if let Some(g) = self.grants.get_mut(&grant_id)
            && g.state == GrantState::Active
        {
            g.state = GrantState::Revoked(reason);
        }
    }

    /// Takes one injected token-endpoint failure for `provider`, if any is pending.
    pub(crate) fn take_injected_failure(&mut self, provider: Provider) -> Option<u16> {
        let entry = self.fail_next.get_mut(&provider)?;
        if entry.0 == 0 {
            return None;
        }
        entry.0 -= 1;
        Some(entry.1)
    }
}

/// Refuses redirect URIs the providers refuse to register: not https (except
/// `http://localhost`), wildcards, fragments, unparsable.
fn check_redirect_uri(uri: &str) -> Result<(), SimError> {
    let bad = |reason| SimError::InvalidRedirectUri {
        uri: uri.to_owned(),
        reason,
    };
    let parsed = url::Url::parse(uri).map_err(|_| bad("not an absolute URL"))?;
    if uri.contains('*') {
        return Err(bad("wildcards are not allowed"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("fragments are not allowed"));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if parsed.host_str() == Some("localhost") => Ok(()),
        "http" => Err(bad(
            "http is only allowed for localhost (http://127.0.0.1 is refused)",
        )),
        _ => Err(bad("scheme must be https")),
    }
}

fn new_client_secret(provider: Provider) -> String {
    match provider {
        Provider::Xero => random_b64url(36),
        Provider::Quickbooks => crate::ids::random_from(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            40,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        assert!(check_redirect_uri("https://app.example.com/cb").is_ok());
        assert!(check_redirect_uri("http://localhost:8080/oauth/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8080/oauth/callback").is_err());
        assert!(check_redirect_uri("https://*.example.com/cb").is_err());
        assert!(check_redirect_uri("https://a.example.com/cb#x").is_err());
        assert!(check_redirect_uri("not a url").is_err());
    }
}
