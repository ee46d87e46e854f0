//! Counters and logs a test reads to assert how the host talked to the providers.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::clock::Millis;
use crate::model::Provider;

/// Outcome label of a successful token or revocation request.
pub const SUCCESS: &str = "success";

/// One bucket of token-endpoint requests.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TokenRequestKey {
    /// Provider.
    pub provider: Provider,
    /// `grant_type` as sent (empty if missing).
    pub grant_type: String,
    /// Client id as presented (empty if none).
    pub client_id: String,
    /// `success`, the OAuth error code, or `injected_<status>`.
    pub outcome: String,
}

/// A snapshot of every counter.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    /// Token-endpoint requests per bucket.
    #[serde(serialize_with = "ser_token_requests")]
    pub token_requests: BTreeMap<TokenRequestKey, u64>,
    /// Revocation requests per (provider, outcome).
    #[serde(serialize_with = "ser_pairs")]
    pub revocations: BTreeMap<(Provider, String), u64>,
    /// `GET /connections` calls (any outcome).
    pub connections_calls: u64,
    /// `DELETE /connections/{id}` calls (any outcome).
    pub connection_deletes: u64,
    /// Authorize-endpoint requests per provider.
    #[serde(serialize_with = "ser_provider_map")]
    pub authorize_requests: BTreeMap<Provider, u64>,
    /// Data/API calls that reached the bearer check, per provider.
    #[serde(serialize_with = "ser_provider_map")]
    pub api_calls: BTreeMap<Provider, u64>,
    /// Xero data calls admitted past authentication, scopes and rate limits, per tenant.
    pub xero_data_calls: BTreeMap<String, u64>,
    /// Xero data calls admitted, per tenant and endpoint path (`/Invoices`,
    /// `/Reports/TrialBalance`, ...).
    pub xero_endpoint_calls: BTreeMap<String, BTreeMap<String, u64>>,
    /// Xero 429s issued, per `X-Rate-Limit-Problem` value.
    pub xero_rate_limited: BTreeMap<String, u64>,
    /// QuickBooks data calls (query, CompanyInfo) admitted past authentication and the
    /// throttle, per realm.
    pub qbo_data_calls: BTreeMap<String, u64>,
    /// QuickBooks 429s (3001 ThrottleExceeded) issued, per realm.
    pub qbo_throttled: BTreeMap<String, u64>,
}

impl Counters {
    /// Token requests of `provider`, optionally only one `grant_type` (all outcomes).
    pub fn token_requests(&self, provider: Provider, grant_type: Option<&str>) -> u64 {
        self.sum_tokens(|k| k.provider == provider && grant_type.is_none_or(|g| k.grant_type == g))
    }

    /// Successful token requests of `provider`, optionally one `grant_type`.
    pub fn token_successes(&self, provider: Provider, grant_type: Option<&str>) -> u64 {
        self.sum_tokens(|k| {
            k.provider == provider
                && k.outcome == SUCCESS
                && grant_type.is_none_or(|g| k.grant_type == g)
        })
    }

    /// Token requests of `provider` that ended with `outcome` (e.g. `invalid_grant`).
    pub fn token_outcomes(&self, provider: Provider, outcome: &str) -> u64 {
        self.sum_tokens(|k| k.provider == provider && k.outcome == outcome)
    }

    /// Token requests matching any predicate.
    pub fn sum_tokens(&self, pred: impl Fn(&TokenRequestKey) -> bool) -> u64 {
        self.token_requests
            .iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, n)| n)
            .sum()
    }

    /// Revocation requests of `provider` (all outcomes).
    pub fn revocations(&self, provider: Provider) -> u64 {
        self.revocations
            .iter()
            .filter(|((p, _), _)| *p == provider)
            .map(|(_, n)| n)
            .sum()
    }

    /// Admitted Xero data calls on `tenant`.
    pub fn data_calls(&self, tenant: &str) -> u64 {
        self.xero_data_calls.get(tenant).copied().unwrap_or(0)
    }

    /// Admitted Xero data calls on `tenant` to the endpoint at `path` (e.g. `/Invoices`).
    pub fn endpoint_calls(&self, tenant: &str, path: &str) -> u64 {
        self.xero_endpoint_calls
            .get(tenant)
            .and_then(|paths| paths.get(path))
            .copied()
            .unwrap_or(0)
    }

    /// Xero 429s issued for `problem` (`minute`, `day`, `concurrent`, `appminute`), or
    /// all of them.
    pub fn rate_limited(&self, problem: Option<&str>) -> u64 {
        self.xero_rate_limited
            .iter()
            .filter(|(p, _)| problem.is_none_or(|want| *p == want))
            .map(|(_, n)| n)
            .sum()
    }

    /// Admitted QuickBooks data calls on `realm`.
    pub fn qbo_data_calls(&self, realm: &str) -> u64 {
        self.qbo_data_calls.get(realm).copied().unwrap_or(0)
    }

    /// QuickBooks 429s on `realm` (`None` = all realms).
    pub fn qbo_throttled(&self, realm: Option<&str>) -> u64 {
        self.qbo_throttled
            .iter()
            .filter(|(r, _)| realm.is_none_or(|want| want == r.as_str()))
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn count_token(
        &mut self,
        provider: Provider,
        grant_type: &str,
        client_id: &str,
        outcome: &str,
    ) {
        let key = TokenRequestKey {
            provider,
            grant_type: grant_type.to_owned(),
            client_id: client_id.to_owned(),
            outcome: outcome.to_owned(),
        };
        *self.token_requests.entry(key).or_default() += 1;
    }

    pub(crate) fn count_revocation(&mut self, provider: Provider, outcome: &str) {
        *self
            .revocations
            .entry((provider, outcome.to_owned()))
            .or_default() += 1;
    }
}

fn ser_token_requests<S: serde::Serializer>(
    m: &BTreeMap<TokenRequestKey, u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        key: &'a TokenRequestKey,
        count: u64,
    }
    s.collect_seq(m.iter().map(|(key, &count)| Row { key, count }))
}

fn ser_pairs<S: serde::Serializer>(
    m: &BTreeMap<(Provider, String), u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Row<'a> {
        provider: Provider,
        outcome: &'a str,
        count: u64,
    }
    s.collect_seq(m.iter().map(|((provider, outcome), &count)| Row {
        provider: *provider,
        outcome,
        count,
    }))
}

fn ser_provider_map<S: serde::Serializer>(
    m: &BTreeMap<Provider, u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(m.iter().map(|(p, n)| (p.as_str(), n)))
}

/// A request as the simulator saw it (secrets in `Authorization` redacted).
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    /// Simulated time of arrival.
    pub at: Millis,
    /// Method.
    pub method: String,
    /// Path and query, including the host prefix.
    pub uri: String,
    /// Headers; `authorization` and `cookie` values keep only their scheme.
    pub headers: Vec<(String, String)>,
    /// Response status.
    pub status: u16,
}

/// The last authorize request a provider received (its non-`sim_*` query parameters).
#[derive(Clone, Debug, Serialize)]
pub struct AuthorizeRequest {
    /// Provider.
    pub provider: Provider,
    /// Query parameters in order, without the simulator's `sim_*` ones.
    pub params: Vec<(String, String)>,
    /// Simulated time of arrival.
    pub at: Millis,
}

impl AuthorizeRequest {
    /// The first value of `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A bounded request log.
#[derive(Debug)]
pub(crate) struct RequestLog {
    pub(crate) entries: VecDeque<LoggedRequest>,
    pub(crate) capacity: usize,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity,
        }
    }

    pub(crate) fn push(&mut self, r: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(r);
    }
}
