//! Admission of an Accounting API call, in Xero's order: bearer token (401), then
//! `xero-tenant-id` (403 `AuthenticationUnsuccessful`), then the endpoint's scope (401
//! `AuthorizationUnsuccessful`), then the rate limits (429). Admitted calls carry the
//! `X-DayLimit-Remaining`, `X-MinLimit-Remaining`, `X-AppMinLimit-Remaining` and
//! `Xero-Correlation-Id` headers and hold a concurrency slot until they are answered.
//!
//! Missing scope → **401** `AuthorizationUnsuccessful`, not 403: Xero-NetStandard#178
//! (Accounts without `accounting.settings` → 401), xero-ruby-oauth2-app#82 (reports
//! without their scope → 401 body), Xero-NetStandard#298; the 403 reports in
//! PROVIDERS.md A4 trace back to wrong tenant ids. `/Journals` also needs premium access
//! for apps under the granular scope model (created on/after 2026-03-02); older (Mixed)
//! apps are grandfathered. Without it: the same 401 (Xero's real answer is undocumented).

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api_auth::bearer_from_headers;
use crate::clock::Millis;
use crate::control::SimControl;
use crate::ids::uuid_v4;
use crate::model::{Grant, Provider, ScopeModel};
use crate::scopes::xero_broad_end;
use crate::state::SimState;
use crate::xero::data::{GenerateOptions, OrgData, OrgSize, generate::generate};
use crate::xero::errors;
use crate::xero::ratelimit::{Decision, Remaining};

/// The data endpoints, for scope checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `GET /Organisation`.
    Organisation,
    /// `GET /Accounts`.
    Accounts,
    /// `GET /TrackingCategories`.
    TrackingCategories,
    /// `GET /Contacts`.
    Contacts,
    /// `GET /Invoices`.
    Invoices,
    /// `GET /BankTransactions`.
    BankTransactions,
    /// `GET /ManualJournals`.
    ManualJournals,
    /// `GET /Journals`.
    Journals,
    /// `GET /Reports/TrialBalance`.
    TrialBalance,
    /// `GET /Reports/ProfitAndLoss`.
    ProfitAndLoss,
    /// `GET /Reports/BalanceSheet`.
    BalanceSheet,
    /// `GET /Payments`.
    Payments,
    /// `GET /CreditNotes`.
    CreditNotes,
}

impl Endpoint {
    /// The endpoint's path under `/api.xro/2.0` (the key of the per-endpoint counters).
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Organisation => "/Organisation",
            Self::Accounts => "/Accounts",
            Self::TrackingCategories => "/TrackingCategories",
            Self::Contacts => "/Contacts",
            Self::Invoices => "/Invoices",
            Self::BankTransactions => "/BankTransactions",
            Self::ManualJournals => "/ManualJournals",
            Self::Journals => "/Journals",
            Self::TrialBalance => "/Reports/TrialBalance",
            Self::ProfitAndLoss => "/Reports/ProfitAndLoss",
            Self::BalanceSheet => "/Reports/BalanceSheet",
            Self::Payments => "/Payments",
            Self::CreditNotes => "/CreditNotes",
        }
    }
}

fn any(scopes: &[String], wanted: &[&str]) -> bool {
    scopes.iter().any(|s| wanted.contains(&s.as_str()))
}

impl Endpoint {
    /// Whether the granted scopes (and the app's premium access) allow this endpoint.
    /// Broad scopes count only until 2027-09-13.
    fn allowed(self, st: &SimState, g: &Grant, now: Millis) -> bool {
        let s = &g.scopes;
        let broad = now < xero_broad_end();
        let transactions = broad
            && any(
                s,
                &["accounting.transactions", "accounting.transactions.read"],
            );
        match self {
            Self::Organisation | Self::Accounts | Self::TrackingCategories => {
                any(s, &["accounting.settings", "accounting.settings.read"])
            }
            Self::Contacts => any(s, &["accounting.contacts", "accounting.contacts.read"]),
            Self::Invoices => {
                transactions || any(s, &["accounting.invoices", "accounting.invoices.read"])
            }
            Self::BankTransactions => {
                transactions
                    || any(
                        s,
                        &[
                            "accounting.banktransactions",
                            "accounting.banktransactions.read",
                        ],
                    )
            }
            Self::ManualJournals => {
                transactions
                    || any(
                        s,
                        &[
                            "accounting.manualjournals",
                            "accounting.manualjournals.read",
                        ],
                    )
            }
            Self::Journals => {
                let premium = st
                    .apps
                    .get(&(Provider::Xero, g.client_id.clone()))
                    .is_some_and(|a| a.journals_premium || a.scope_model == ScopeModel::Mixed);
                premium && any(s, &["accounting.journals.read"])
            }
            Self::TrialBalance => {
                any(s, &["accounting.reports.trialbalance.read"])
                    || (broad && any(s, &["accounting.reports.read"]))
            }
            Self::ProfitAndLoss => {
                any(s, &["accounting.reports.profitandloss.read"])
                    || (broad && any(s, &["accounting.reports.read"]))
            }
            Self::BalanceSheet => {
                any(s, &["accounting.reports.balancesheet.read"])
                    || (broad && any(s, &["accounting.reports.read"]))
            }
            Self::Payments => {
                transactions || any(s, &["accounting.payments", "accounting.payments.read"])
            }
            Self::CreditNotes => {
                transactions || any(s, &["accounting.invoices", "accounting.invoices.read"])
            }
        }
    }
}

/// An admitted call: release its concurrency slot by dropping it (after answering).
pub(crate) struct Admitted {
    control: Arc<SimControl>,
    /// The grant behind the token.
    pub(crate) grant: Grant,
    /// The tenant (lower-case).
    pub(crate) tenant: String,
    remaining: Remaining,
    latency_ms: u64,
}

impl Admitted {
    /// Waits the configured artificial latency (while holding the concurrency slot).
    pub(crate) async fn pause(&self) {
        if self.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.latency_ms)).await;
        }
    }

    /// Adds the limit headers to the answer (and frees the slot when `self` drops).
    pub(crate) fn finish(self, mut resp: Response) -> Response {
        limit_headers(resp.headers_mut(), &self.remaining);
        resp
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let client = self.grant.client_id.clone();
        self.control.lock().xero_rate.release(&client, &self.tenant);
    }
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

fn limit_headers(h: &mut HeaderMap, r: &Remaining) {
    set(h, "x-daylimit-remaining", &r.day.to_string());
    set(h, "x-minlimit-remaining", &r.minute.to_string());
    set(h, "x-appminlimit-remaining", &r.app_minute.to_string());
    set(h, "xero-correlation-id", &uuid_v4());
}

/// The tenant header, trimmed and lower-cased (tenant ids are GUIDs).
fn tenant_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

/// A stable seed for an organisation that was never generated explicitly.
fn tenant_seed(tenant: &str) -> u64 {
    tenant.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl SimState {
    /// The organisation's data, created empty (chart of accounts only) on first use.
    pub(crate) fn xero_org_data(&mut self, tenant: &str, now: Millis) -> Option<&mut OrgData> {
        if !self.xero_data.contains_key(tenant) {
            let org = self.orgs.iter().find(|o| o.tenant_id == tenant)?;
            let opts = GenerateOptions::new(OrgSize::empty(), tenant_seed(tenant));
            let data = generate(tenant, &org.name, &opts, now)?;
            self.xero_data.insert(tenant.to_owned(), data);
        }
        self.xero_data.get_mut(tenant)
    }

    /// Makes every Xero access token issued so far expire now.
    pub(crate) fn expire_xero_access_tokens(&mut self, now: Millis) {
        let grants = &self.grants;
        for rec in self.access_tokens.values_mut() {
            let xero = grants
                .get(&rec.grant_id)
                .is_some_and(|g| g.provider == Provider::Xero);
            if xero && rec.expires_at > now {
                rec.expires_at = now;
            }
        }
    }
}

/// Runs every check for a call on `endpoint`; `Err` is the complete refusal (boxed:
/// responses are large).
pub(crate) fn admit(
    s: &Arc<SimControl>,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<Admitted, Box<Response>> {
    let now = s.now_ms();
    let tenant = tenant_header(headers);
    let mut st = s.lock();
    let grant = st
        .authorize_api_call(
            Provider::Xero,
            bearer_from_headers(headers),
            tenant.as_deref(),
            now,
        )
        .map_err(|d| Box::new(d.response(true).into_response()))?;
    if let Some((left, status)) = st.xero_api_fail_next {
        st.xero_api_fail_next = left.checked_sub(1).filter(|n| *n > 0).map(|n| (n, status));
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return Err(Box::new(status.into_response()));
    }
    let tenant = grant.tenant_id.clone().unwrap_or_default();
    if !endpoint.allowed(&st, &grant, now) {
        return Err(Box::new(errors::unauthorized().into_response()));
    }
    let anchor = st
        .orgs
        .iter()
        .find(|o| o.tenant_id == tenant)
        .map_or(0, |o| o.created_at);
    if st.xero_org_data(&tenant, now).is_none() {
        return Err(Box::new(errors::forbidden().into_response()));
    }
    match st.xero_rate.admit(&grant.client_id, &tenant, anchor, now) {
        Decision::Reject {
            problem,
            retry_after,
            remaining,
        } => {
            *st.counters
                .xero_rate_limited
                .entry(problem.as_str().to_owned())
                .or_default() += 1;
            let mut resp = StatusCode::TOO_MANY_REQUESTS.into_response();
            let h = resp.headers_mut();
            limit_headers(h, &remaining);
            set(h, "x-rate-limit-problem", problem.as_str());
            if let Some(secs) = retry_after {
                set(h, "retry-after", &secs.to_string());
            }
            Err(Box::new(resp))
        }
        Decision::Admit(remaining) => {
            *st.counters
                .xero_data_calls
                .entry(tenant.clone())
                .or_default() += 1;
            *st.counters
                .xero_endpoint_calls
                .entry(tenant.clone())
                .or_default()
                .entry(endpoint.path().to_owned())
                .or_default() += 1;
            if let Some(n) = st.xero_expire_after {
                if n <= 1 {
                    st.xero_expire_after = None;
                    st.expire_xero_access_tokens(now);
                } else {
                    st.xero_expire_after = Some(n - 1);
                }
            }
            let latency_ms = st.xero_latency_ms;
            drop(st);
            Ok(Admitted {
                control: s.clone(),
                grant,
                tenant,
                remaining,
                latency_ms,
            })
        }
    }
}
