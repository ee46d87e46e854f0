//! The control handle: everything a test (or the `/_sim` routes) can do to the world.

use std::sync::{Mutex, MutexGuard};

use crate::api_auth::ApiDenial;
use crate::authorize::{self, Redirect};
use crate::clock::{Clock, Millis};
use crate::counters::{AuthorizeRequest, Counters, LoggedRequest};
use crate::error::SimError;
use crate::model::{
    App, AppSpec, Connection, Grant, GrantInfo, GrantState, Modes, Org, Provider, ScopeModel,
};
use crate::state::SimState;

/// Shared state of a running simulator plus its clock. [`crate::Simulator`] derefs to
/// it; handlers get it as axum state (`Arc<SimControl>`).
#[derive(Debug)]
pub struct SimControl {
    state: Mutex<SimState>,
    clock: Clock,
}

impl SimControl {
    pub(crate) fn new(
        clock: Clock,
        modes: Modes,
        log_capacity: usize,
        limits: crate::xero::ratelimit::RateLimits,
        qbo_limits: crate::qbo::ratelimit::QboRateLimits,
    ) -> Self {
        Self {
            state: Mutex::new(SimState::new(modes, log_capacity, limits, qbo_limits)),
            clock,
        }
    }

    /// Locks the world (poisoning is ignored: a panicking handler leaves consistent data).
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The injectable clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The simulated time now.
    pub fn now_ms(&self) -> Millis {
        self.clock.now_ms()
    }

    // ---- apps -------------------------------------------------------------------------

    /// Registers an OAuth client.
    pub fn add_app(&self, spec: AppSpec) -> Result<(), SimError> {
        let now = self.now_ms();
        self.lock().add_app(spec, now)
    }

    /// A registered app (with its current secret).
    pub fn app(&self, provider: Provider, client_id: &str) -> Result<App, SimError> {
        self.lock().app(provider, client_id).cloned()
    }

    /// Every registered app.
    pub fn apps(&self) -> Vec<App> {
        let mut apps: Vec<App> = self.lock().apps.values().cloned().collect();
        apps.sort_by(|a, b| (a.provider, &a.client_id).cmp(&(b.provider, &b.client_id)));
        apps
    }

    /// Replaces the client secret; the old one now gets `invalid_client`. Returns the new.
    pub fn rotate_client_secret(
        &self,
        provider: Provider,
        client_id: &str,
    ) -> Result<String, SimError> {
        self.lock().rotate_client_secret(provider, client_id)
    }

    /// Switches an app's Xero scope model.
    pub fn set_scope_model(
        &self,
        provider: Provider,
        client_id: &str,
        model: ScopeModel,
    ) -> Result<(), SimError> {
        self.lock().app_mut(provider, client_id)?.scope_model = model;
        Ok(())
    }

    /// Grants or withdraws premium `/Journals` access (read by the data endpoints).
    pub fn set_journals_premium(
        &self,
        provider: Provider,
        client_id: &str,
        on: bool,
    ) -> Result<(), SimError> {
        self.lock().app_mut(provider, client_id)?.journals_premium = on;
        Ok(())
    }

    // ---- users and organisations -----------------------------------------------------

    /// Adds a user who can sign in at `provider`; returns the provider's user id.
    pub fn add_user(&self, provider: Provider, username: &str) -> Result<String, SimError> {
        self.lock().add_user(provider, username)
    }

    /// Adds a Xero organisation (UUID tenant id) or QuickBooks company (numeric realm id);
    /// returns the tenant id.
    pub fn add_org(&self, provider: Provider, name: &str) -> String {
        let now = self.now_ms();
        self.lock().add_org(provider, name, now)
    }

    /// Every organisation / company.
    pub fn orgs(&self) -> Vec<Org> {
        self.lock().orgs.clone()
    }

    /// Gives `username` access to a tenant (the provider is the tenant's).
    pub fn grant_user_access(&self, username: &str, tenant_id: &str) -> Result<(), SimError> {
        self.lock().grant_user_access(username, tenant_id)
    }

    /// Removes `username` from a tenant. Xero: the user's connections to it are deleted
    /// (no longer listed; data calls 403 `AuthenticationUnsuccessful`), the grant keeps
    /// working for other tenants. QuickBooks: refresh keeps working, data calls get 403
    /// code 3100.
    pub fn remove_user_from_org(&self, username: &str, tenant_id: &str) -> Result<(), SimError> {
        self.lock().remove_user_from_org(username, tenant_id)
    }

    /// The user changes their password: every grant of theirs is revoked (refresh →
    /// `invalid_grant`, API → 401). Returns how many grants were revoked.
    pub fn change_password(&self, provider: Provider, username: &str) -> Result<usize, SimError> {
        self.lock().change_password(provider, username)
    }

    /// The app is disconnected from the tenant in the provider's UI. Xero: its
    /// connections to the tenant are deleted and grants left without any connection are
    /// revoked; QuickBooks: the app's grants for the company are revoked (refresh →
    /// `invalid_grant`, API → 403 code 3100). Returns how many grants were revoked.
    pub fn disconnect_app_provider_side(
        &self,
        client_id: &str,
        tenant_id: &str,
    ) -> Result<usize, SimError> {
        self.lock().disconnect_app(client_id, tenant_id)
    }

    // ---- modes and fault injection ---------------------------------------------------

    /// Current behaviour switches.
    pub fn modes(&self) -> Modes {
        self.lock().modes
    }

    /// Replaces the behaviour switches.
    pub fn set_modes(&self, modes: Modes) {
        self.lock().modes = modes;
    }

    /// The next `count` token-endpoint requests of `provider` fail with `status` (e.g.
    /// 503) before any processing; they are counted with outcome `injected_<status>`.
    pub fn fail_next_token_requests(&self, provider: Provider, count: u32, status: u16) {
        self.lock().fail_next.insert(provider, (count, status));
    }

    // ---- observability ---------------------------------------------------------------

    /// A snapshot of every counter.
    pub fn counters(&self) -> Counters {
        self.lock().counters.clone()
    }

    /// Zeroes every counter.
    pub fn reset_counters(&self) {
        self.lock().counters = Counters::default();
    }

    /// Every grant ever issued (no token values).
    pub fn grants(&self) -> Vec<GrantInfo> {
        self.lock().grant_infos()
    }

    /// Grants still usable.
    pub fn live_grants(&self) -> Vec<GrantInfo> {
        self.grants()
            .into_iter()
            .filter(|g| g.state == GrantState::Active)
            .collect()
    }

    /// Every Xero connection (all apps and users), in creation order.
    pub fn connections(&self) -> Vec<Connection> {
        self.lock().connections.clone()
    }

    /// The last authorize request received (its non-`sim_*` parameters).
    pub fn last_authorize_request(&self) -> Option<AuthorizeRequest> {
        self.lock().last_authorize.clone()
    }

    /// Logged requests, oldest first (bounded; `/_sim` routes are not logged).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().requests.entries.iter().cloned().collect()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.lock().requests.entries.clear();
    }

    // ---- hooks for endpoints -----------------------------------------------------------

    /// Checks a bearer token for an API call on `tenant` (Xero: the `xero-tenant-id`
    /// header value; QuickBooks: the realm id in the path). Data endpoints call this
    /// first and answer `Err` with [`ApiDenial::response`].
    pub fn authorize_api_call(
        &self,
        provider: Provider,
        bearer: Option<&str>,
        tenant: Option<&str>,
    ) -> Result<Grant, ApiDenial> {
        let now = self.now_ms();
        self.lock()
            .authorize_api_call(provider, bearer, tenant, now)
    }

    /// Plays the user at the consent screen for an authorize URL, without HTTP: the same
    /// code path as `GET .../authorize?...&sim_user=..&sim_orgs=..&sim_decision=..`.
    /// `url` may use the real host (`https://login.xero.com/...`) or the simulator's
    /// base. `orgs` are tenant ids or names. A redirect (code or `error=`) is `Ok`; an
    /// error page (bad client, unregistered redirect URI, unknown user) is
    /// [`SimError::AuthorizeFailed`].
    pub fn authorize(
        &self,
        url: &str,
        user: &str,
        orgs: &[&str],
        approve: bool,
    ) -> Result<Redirect, SimError> {
        authorize::drive(self, url, user, orgs, approve)
    }
}
