//! The simulated world: providers, apps, users, organisations, connections and grants.

use std::collections::BTreeSet;
use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::clock::Millis;

/// Which provider a simulated object belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Xero (identity.xero.com, login.xero.com, api.xero.com).
    Xero,
    /// QuickBooks Online (Intuit).
    Quickbooks,
}

impl Provider {
    /// `"xero"` or `"quickbooks"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xero => "xero",
            Self::Quickbooks => "quickbooks",
        }
    }

    /// Parses `xero`, `quickbooks`, `qbo` or `intuit` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "xero" => Some(Self::Xero),
            "quickbooks" | "qbo" | "intuit" => Some(Self::Quickbooks),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which Xero scopes an app may request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeModel {
    /// Apps created before 2 March 2026: broad and granular scopes both accepted (broad
    /// ones until 13 September 2027).
    Mixed,
    /// Apps created on/after 2 March 2026: broad scopes (`accounting.transactions*`,
    /// `accounting.reports.read`) are rejected with `invalid_scope`.
    Granular,
}

/// What to register as an OAuth client (an "app" in the provider's developer portal).
#[derive(Clone, Debug)]
pub struct AppSpec {
    /// Provider.
    pub provider: Provider,
    /// Client id.
    pub client_id: String,
    /// Client secret; `None` is a Xero PKCE (public) app, which must use PKCE.
    pub client_secret: Option<String>,
    /// Registered redirect URIs (exact match; https, or http on `localhost`).
    pub redirect_uris: Vec<String>,
    /// Xero scope model; `None` derives it from `created_at`.
    pub scope_model: Option<ScopeModel>,
    /// When the app was created; `None` means "now" on the simulator clock.
    pub created_at: Option<SystemTime>,
    /// Whether the app has premium access to Xero `/Journals` (stored; enforced by the
    /// data endpoints).
    pub journals_premium: bool,
}

impl AppSpec {
    /// A confidential app (client id + secret).
    pub fn new(
        provider: Provider,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            provider,
            client_id: client_id.into(),
            client_secret: Some(client_secret.into()),
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            scope_model: None,
            created_at: None,
            journals_premium: false,
        }
    }

    /// A public PKCE app (no secret; PKCE S256 mandatory).
    pub fn pkce(
        provider: Provider,
        client_id: impl Into<String>,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let mut spec = Self::new(provider, client_id, "", redirect_uris);
        spec.client_secret = None;
        spec
    }

    /// Sets the Xero scope model explicitly.
    pub fn scope_model(mut self, model: ScopeModel) -> Self {
        self.scope_model = Some(model);
        self
    }

    /// Sets the creation time (drives the default Xero scope model).
    pub fn created_at(mut self, at: SystemTime) -> Self {
        self.created_at = Some(at);
        self
    }

    /// Sets the premium `/Journals` flag.
    pub fn journals_premium(mut self, on: bool) -> Self {
        self.journals_premium = on;
        self
    }
}

/// A registered OAuth client.
#[derive(Clone, Debug, Serialize)]
pub struct App {
    /// Provider.
    pub provider: Provider,
    /// Client id.
    pub client_id: String,
    /// Current client secret (`None` for PKCE apps).
    pub client_secret: Option<String>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Scope model (meaningful for Xero).
    pub scope_model: ScopeModel,
    /// Creation time.
    pub created_at: Millis,
    /// Premium `/Journals` access.
    pub journals_premium: bool,
}

/// A person who can sign in at a provider.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    /// Provider.
    pub provider: Provider,
    /// Sign-in name (the key used by the control API).
    pub username: String,
    /// Xero `xero_userid` / Intuit user id (a UUID).
    pub user_id: String,
    /// Xero's opaque `sub` claim (32 hex).
    pub sub: String,
    /// `global_session_id`, renewed on password change.
    pub session_id: String,
    /// E-mail.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
}

/// A Xero organisation or a QuickBooks company.
#[derive(Clone, Debug, Serialize)]
pub struct Org {
    /// Provider.
    pub provider: Provider,
    /// Xero `tenantId` (UUID) / QuickBooks `realmId` (decimal string).
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// Users with access.
    pub members: BTreeSet<String>,
    /// Creation time.
    pub created_at: Millis,
}

/// A Xero connection: one tenant authorised for one (user, app), from one auth event.
#[derive(Clone, Debug, Serialize)]
pub struct Connection {
    /// Connection id (for `DELETE /connections/{id}`).
    pub id: String,
    /// App.
    pub client_id: String,
    /// User who connected it.
    pub username: String,
    /// Tenant.
    pub tenant_id: String,
    /// The consent that created (or last refreshed) it.
    pub auth_event_id: String,
    /// `createdDateUtc`, microseconds since the epoch.
    pub created_us: i64,
    /// `updatedDateUtc`, microseconds since the epoch.
    pub updated_us: i64,
}

/// Why a grant stopped working.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// Revoked through the revocation endpoint.
    Revoked,
    /// The user changed their password.
    PasswordChanged,
    /// The app was disconnected in the provider's UI.
    AppDisconnected,
}

/// A grant's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum GrantState {
    /// Usable.
    Active,
    /// No longer usable.
    Revoked(RevokeReason),
}

/// A token set as returned by a token endpoint.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    /// Access token.
    pub access_token: String,
    /// Refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// ID token, if `openid` was granted.
    pub id_token: Option<String>,
    /// Access-token expiry.
    pub at_expires_at: Millis,
}

/// One OAuth grant: the family of tokens issued from one code exchange.
#[derive(Clone, Debug)]
pub struct GrantRecord {
    /// Sequential id.
    pub id: u64,
    /// Provider.
    pub provider: Provider,
    /// App.
    pub client_id: String,
    /// User.
    pub username: String,
    /// Granted scopes, in request order.
    pub scopes: Vec<String>,
    /// Xero `authentication_event_id` (also set for QuickBooks, unused there).
    pub auth_event_id: String,
    /// QuickBooks company of this grant.
    pub realm_id: Option<String>,
    /// When the code was exchanged.
    pub created_at: Millis,
    /// When the user signed in for the consent.
    pub auth_time: Millis,
    /// State.
    pub state: GrantState,
    /// The refresh token currently valid without grace.
    pub current_rt: Option<String>,
    /// The most recently issued token set.
    pub latest: Option<IssuedTokens>,
    /// QuickBooks rolling refresh-token expiry (100 days from last use).
    pub rt_expires_at: Millis,
    /// QuickBooks 5-year hard expiry.
    pub hard_expires_at: Millis,
}

/// What became of a refresh token value.
#[derive(Clone, Debug)]
pub enum RtStatus {
    /// The grant's current refresh token.
    Current,
    /// Replaced at `at` by `successor` (usable during the grace window).
    Superseded {
        /// When it was replaced.
        at: Millis,
        /// The token set that replaced it.
        successor: IssuedTokens,
    },
    /// Unusable (grant revoked, idle-expired, or grace over).
    Dead,
}

/// A refresh-token value and its history.
#[derive(Clone, Debug)]
pub struct RefreshTokenRecord {
    /// Owning grant.
    pub grant_id: u64,
    /// When this value was issued.
    pub issued_at: Millis,
    /// Status.
    pub status: RtStatus,
}

/// An issued access token.
#[derive(Clone, Debug)]
pub struct AccessTokenRecord {
    /// Owning grant.
    pub grant_id: u64,
    /// Expiry.
    pub expires_at: Millis,
}

/// An authorization code awaiting exchange (single use, 5 minutes).
#[derive(Clone, Debug)]
pub struct AuthCode {
    /// Provider.
    pub provider: Provider,
    /// App it was issued to.
    pub client_id: String,
    /// Redirect URI it was issued for.
    pub redirect_uri: String,
    /// PKCE S256 challenge, if the request carried one.
    pub code_challenge: Option<String>,
    /// Consenting user.
    pub username: String,
    /// Chosen tenants.
    pub tenants: Vec<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The consent's auth event id.
    pub auth_event_id: String,
    /// Issue time.
    pub issued_at: Millis,
}

/// How re-presenting a superseded Xero refresh token inside the 30-minute grace window
/// is answered (PROVIDERS.md A1 leaves it open).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XeroGraceReuse {
    /// The same token set the first refresh returned.
    #[default]
    SamePair,
    /// A freshly minted token set (which becomes the current one).
    FreshPair,
}

/// Whether a QuickBooks refresh returns a new refresh-token value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QboRefreshValue {
    /// Every refresh returns a new value.
    #[default]
    RotateEveryRefresh,
    /// The same value is returned while it is less than 24 hours old.
    KeepWithin24h,
}

/// How a superseded QuickBooks refresh token is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QboPreviousRt {
    /// Within 24 hours of its replacement it returns the grant's current token set
    /// ("previous refresh tokens expire 24 hours after you receive a new one").
    #[default]
    CurrentPairWithin24h,
    /// Always `invalid_grant` (the strict "concurrent refresh" behaviour).
    InvalidGrant,
}

/// What a Xero re-consent to an already-connected tenant does to `/connections`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XeroReconsent {
    /// A new connection entry (new id, new authEventId, `createdDateUtc` of the first
    /// connection, `updatedDateUtc` now); the older entry lingers until deleted.
    #[default]
    NewEntryKeepOld,
    /// The newest existing entry is updated in place (new authEventId and update date).
    UpdateInPlace,
}

/// Behaviour switches for the places where the providers' behaviour is uncertain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Modes {
    /// Xero grace-window re-presentation.
    pub xero_grace: XeroGraceReuse,
    /// Xero re-consent.
    pub xero_reconsent: XeroReconsent,
    /// QuickBooks refresh-token value rotation.
    pub qbo_refresh_value: QboRefreshValue,
    /// QuickBooks previous refresh token.
    pub qbo_previous_rt: QboPreviousRt,
}

/// What a data endpoint learns from a valid access token: the grant behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// Grant id.
    pub grant_id: u64,
    /// Provider.
    pub provider: Provider,
    /// App.
    pub client_id: String,
    /// User.
    pub username: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Auth event id.
    pub auth_event_id: String,
    /// The tenant the call was authorised for, if one was asked.
    pub tenant_id: Option<String>,
}

impl Grant {
    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A grant as listed by [`crate::SimControl::grants`] (no token values).
#[derive(Clone, Debug, Serialize)]
pub struct GrantInfo {
    /// Grant id.
    pub id: u64,
    /// Provider.
    pub provider: Provider,
    /// App.
    pub client_id: String,
    /// User.
    pub username: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Auth event id.
    pub auth_event_id: String,
    /// QuickBooks realm.
    pub realm_id: Option<String>,
    /// Tenants currently reachable with this grant.
    pub tenants: Vec<String>,
    /// State.
    pub state: GrantState,
    /// Creation time.
    pub created_at: Millis,
}
