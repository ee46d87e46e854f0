//! Loopback simulators of Xero and QuickBooks Online for Mooring's tests and demo.
//!
//! One axum server serves every provider host under a path prefix named after the real
//! host (`https://identity.xero.com/connect/token` ⇒
//! `http://127.0.0.1:PORT/identity.xero.com/connect/token`), so the host's
//! `MOORING_HOST_OVERRIDES` can remap each host (see [`Simulator::host_overrides`]).
//!
//! The simulators are deliberately strict: rotating refresh tokens with grace windows,
//! single-use 5-minute codes bound to client, redirect URI and PKCE, the providers' real
//! error bodies, and an injectable [`Clock`] that drives every expiry.
//!
//! Xero's Accounting API (`/api.xero.com/api.xro/2.0/...`) serves deterministic generated
//! organisations ([`OrgSize`], [`SimControl::generate_xero_org`]) with Xero's envelope,
//! paging, `If-Modified-Since`, journals, trial balance, tenant/scope checks and rate
//! limits ([`RateLimits`]); QuickBooks' query API (`/v3/company/{realm}/query`) serves
//! generated charts of accounts ([`SimControl::generate_qbo_accounts`]) or whole
//! companies with a double-entry ledger ([`SimControl::generate_qbo_company`]: name
//! lists, eleven transaction types, CDC, TrialBalance/ProfitAndLoss/BalanceSheet/
//! GeneralLedger reports and a truth API) with QuickBooks' paging, faults and per-realm
//! throttle ([`QboRateLimits`]). tests/simulators/README.md and QBO_LEDGER.md document
//! the exact semantics.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mooring_simulators::SimError> {
//! use mooring_simulators::{AppSpec, Provider, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! sim.add_app(AppSpec::new(Provider::Xero, "CID", "SECRET", ["http://localhost:8080/cb"]))?;
//! sim.add_user(Provider::Xero, "alice@example.com")?;
//! let org = sim.add_org(Provider::Xero, "UK Ltd");
//! sim.grant_user_access("alice@example.com", &org)?;
//! let url = sim.authorize_url(Provider::Xero, &[
//!     ("response_type", "code"), ("client_id", "CID"),
//!     ("redirect_uri", "http://localhost:8080/cb"),
//!     ("scope", "offline_access accounting.settings.read"), ("state", "xyz")]);
//! let redirect = sim.authorize(&url, "alice@example.com", &[org.as_str()], true)?;
//! assert!(redirect.param("code").is_some());
//! # Ok(()) }
//! ```

pub mod api_auth;
mod authorize;
pub mod client_auth;
pub mod clock;
mod consent_page;
mod control;
mod control_routes;
pub mod counters;
pub mod error;
mod grants;
pub mod ids;
pub mod jwt;
pub mod model;
pub mod qbo;
pub mod scopes;
mod server;
mod sim;
mod state;
pub mod timefmt;
pub mod xero;

pub use api_auth::{ApiDenial, accepts_json, bearer_from_headers};
pub use authorize::Redirect;
pub use clock::{Clock, Millis};
pub use control::SimControl;
pub use counters::{AuthorizeRequest, Counters, LoggedRequest, TokenRequestKey};
pub use error::{ErrorBody, ErrorResponse, OAuthError, SimError};
pub use grants::{
    CODE_LIFETIME, QBO_AT_LIFETIME, QBO_PREVIOUS_RT, QBO_RT_HARD, QBO_RT_ROLLING, XERO_AT_LIFETIME,
    XERO_GRACE, XERO_RT_IDLE,
};
pub use model::{
    App, AppSpec, Connection, Grant, GrantInfo, GrantState, Modes, Org, Provider, QboPreviousRt,
    QboRefreshValue, RevokeReason, ScopeModel, User, XeroGraceReuse, XeroReconsent,
};
pub use qbo::data::{QboAccount, QboCompanyData, QboSummary};
pub use qbo::ledger::totals::{BalanceRow, MonthTotal};
pub use qbo::ledger::{EntityKind, LedgerSummary, QboSize};
pub use qbo::ledger_control::{EntitiesTruth, EntityTruth, QboCompanySummary};
pub use qbo::ratelimit::{QboRateLimits, RealmUsage};
pub use sim::{HOSTS, SimConfig, Simulator};
pub use xero::data::{
    Country, DataSummary, GenerateOptions, NewInvoice, OrgData, OrgSize, XeroTruth,
};
pub use xero::ratelimit::{RateLimits, RateProblem, TenantUsage};
