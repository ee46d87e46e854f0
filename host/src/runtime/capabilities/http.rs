//! The `http` import: outbound requests on a plugin's behalf.
//!
//! Order of checks for every request: method, body size, the egress rules on the URL as
//! the plugin wrote it (scheme, userinfo, approved host, client credentials never to the
//! token or revoke endpoint, https for credentials, port, IP literal and address; see
//! [`crate::runtime::egress`]) which also apply the deployment's host overrides, then
//! reserved headers and credential injection. The client's DNS resolver refuses
//! non-public addresses. Redirects are never followed, and the response body is read up
//! to a cap.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::broker::{BrokerError, SecretText, client_basic};
use super::budget::Outcome;
use crate::runtime::RuntimeError;
use crate::runtime::egress::{self, EgressAllow, EgressPolicy, PluginRequest};
use crate::runtime::host_state::HostState;
use crate::runtime::limits::RuntimeLimits;
use crate::runtime::overrides::HostOverrides;
use crate::runtime::types::{Credential, HttpError, Request, Response};

/// Longest `Retry-After` the host waits out itself before retrying; longer ones (a
/// spent daily limit) are passed to the plugin as the 429 they are.
const MAX_TRANSPARENT_WAIT: Duration = Duration::from_secs(65);
/// How many short 429s in a row the host waits out for one request.
const MAX_429_RETRIES: u32 = 20;

/// Headers only the host may set.
const RESERVED_HEADERS: &[&str] = &["authorization", "proxy-authorization", "host", "cookie"];

/// The shared HTTP client plus the deployment's egress policy and caps.
#[derive(Debug)]
pub struct HttpCapability {
    client: reqwest::Client,
    egress: EgressPolicy,
    max_response: usize,
    max_request: usize,
}

impl HttpCapability {
    /// [`with_egress`](Self::with_egress) with `overrides` and no egress allowances.
    pub fn new(overrides: HostOverrides, limits: &RuntimeLimits) -> Result<Self, RuntimeError> {
        Self::with_egress(EgressPolicy::new(overrides, EgressAllow::default()), limits)
    }

    /// Build the client: rustls, no redirects, the egress DNS resolver, connect and
    /// read timeouts from `limits`.
    pub fn with_egress(egress: EgressPolicy, limits: &RuntimeLimits) -> Result<Self, RuntimeError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(egress.resolver())
            .connect_timeout(Duration::from_millis(limits.connect_timeout_millis))
            .read_timeout(Duration::from_millis(limits.read_timeout_millis))
            .user_agent(concat!("mooring/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RuntimeError::Engine(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            egress,
            max_response: limits.response_body_bytes,
            max_request: limits.request_body_bytes,
        })
    }

    /// The deployment's host overrides.
    pub fn overrides(&self) -> &HostOverrides {
        self.egress.overrides()
    }

    /// The deployment's egress policy (manifests are checked against it at load).
    pub fn egress(&self) -> &EgressPolicy {
        &self.egress
    }

    /// The underlying client, whose resolver refuses non-public addresses (the host's
    /// own token requests reuse it).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Send one prepared request and read the response within the body cap.
    async fn execute(
        &self,
        method: reqwest::Method,
        url: &Url,
        headers: &HeaderMap,
        body: &[u8],
        authorization: Option<&str>,
    ) -> Result<Response, HttpError> {
        let mut builder = self
            .client
            .request(method, url.clone())
            .headers(headers.clone());
        if let Some(value) = authorization {
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                HttpError::Denied("the credential is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        if !body.is_empty() {
            builder = builder.body(body.to_vec());
        }
        let mut response = builder.send().await.map_err(classify)?;
        if let Some(length) = response.content_length()
            && length > self.max_response as u64
        {
            return Err(too_large(self.max_response));
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_response {
                return Err(too_large(self.max_response));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn too_large(cap: usize) -> HttpError {
    HttpError::Denied(format!(
        "response body exceeds the host's cap of {cap} bytes"
    ))
}

fn classify(error: reqwest::Error) -> HttpError {
    if let Some(denied) = egress::denial_in(&error) {
        return HttpError::Denied(denied.to_string());
    }
    let timeout = error.is_timeout();
    let text = error.without_url().to_string();
    if timeout {
        HttpError::Timeout(text)
    } else {
        HttpError::Transport(text)
    }
}

fn broker_error(error: BrokerError) -> HttpError {
    match error {
        BrokerError::ReauthRequired(reason) => HttpError::ReauthRequired(reason),
        BrokerError::Unavailable(reason) => HttpError::Denied(reason),
        BrokerError::Transient(reason) => HttpError::Transport(reason),
    }
}

fn bearer(token: &SecretText) -> SecretText {
    SecretText::new(format!("Bearer {}", token.as_str()))
}

/// `d` in whole milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn retry_after(response: &Response, default: u32) -> Duration {
    let seconds = response
        .headers
        .iter()
        .find(|(n, _)| n == "retry-after")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .unwrap_or(default as u64);
    Duration::from_secs(seconds)
}

/// Wait until the app-wide budget lets a call without a tenant start, and count it.
async fn app_turn(app: &super::budget::AppBudget, key: &str, clock: &crate::clock::SharedClock) {
    while let Some(until) = app.try_take(key, clock.now_millis()) {
        let nap = until.saturating_sub(clock.now_millis());
        tokio::time::sleep(Duration::from_millis(nap).min(Duration::from_millis(250))).await;
    }
}

/// A 429 the host answers itself when a tenant's day budget is spent.
fn day_spent(resume_at: u64, now: u64) -> Response {
    let seconds = resume_at.saturating_sub(now).div_ceil(1000).max(1);
    Response {
        status: 429,
        headers: vec![
            ("retry-after".into(), seconds.to_string()),
            ("x-mooring-budget".into(), "day".into()),
        ],
        body: b"{\"error\":\"the tenant's daily call budget is spent\"}".to_vec(),
    }
}

impl HostState {
    /// One request under the tenant's rate budget (when the call targets a tenant):
    /// wait for the minute budget, refuse a spent day, learn from the remaining-count
    /// headers; and for every request, wait out short 429s and retry.
    async fn budgeted(
        &mut self,
        method: &reqwest::Method,
        url: &Url,
        headers: &HeaderMap,
        body: &[u8],
        authorization: Option<&str>,
    ) -> Result<Response, HttpError> {
        let http = self.caps.http.clone();
        let clock = self.caps.clock.clone();
        let manifest_budget = &self.plugin.manifest.rate_budget;
        let budget = self.ctx.tenant.as_ref().map(|tenant| {
            self.caps
                .budgets
                .tenant(&self.plugin.id, tenant, manifest_budget, clock.now_millis())
        });
        // The integration's app-wide budget: a tenant's budget consults it; a call
        // without a tenant (tenant discovery) asks it directly.
        let app = self.ctx.integration.as_ref().and_then(|integration| {
            self.caps
                .budgets
                .app(&self.plugin.id, integration, manifest_budget)
        });
        if let (Some(budget), Some(app)) = (&budget, &app) {
            budget.attach_app(app.clone());
        }
        let turn_key = self.ctx.connection.clone().unwrap_or_default();
        let mut retries = 0;
        loop {
            // Waiting on the budget (including a pause a 429 set) moves the call's wall
            // deadline: the host chose to wait, the plugin did not stall.
            let waiting = std::time::Instant::now();
            let ticket = match (&budget, &app) {
                (Some(budget), _) => self.excused(budget.acquire(&clock)).await.map(Some),
                (None, Some(app)) => {
                    self.excused(app_turn(app, &turn_key, &clock)).await;
                    Ok(None)
                }
                (None, None) => Ok(None),
            };
            let waited = waiting.elapsed();
            if waited >= crate::metrics::NOTABLE_WAIT {
                crate::metrics::rate_limit_wait(waited);
            }
            let ticket = match ticket {
                Ok(ticket) => ticket,
                Err(spent) => return Ok(day_spent(spent.resume_at, clock.now_millis())),
            };
            let result = http
                .execute(method.clone(), url, headers, body, authorization)
                .await;
            // The call leaves the tenant's minute a minute after its answer (or its
            // failure: it may have reached the provider), at once when refused.
            if let (Some(budget), Some(ticket)) = (&budget, ticket) {
                let sent = ticket.sent();
                let outcome = match &result {
                    Ok(response) if response.status == 429 => Outcome::Refused,
                    _ => Outcome::Answered,
                };
                budget.settle(ticket, outcome, &clock);
                if let Ok(response) = &result {
                    budget.observe(&response.headers, sent, &clock);
                }
            }
            let response = result?;
            if let Some(app) = &app {
                app.observe(&response.headers, clock.now_millis());
            }
            if response.status != 429 {
                return Ok(response);
            }
            crate::metrics::provider_throttled();
            let wait = retry_after(&response, manifest_budget.default_retry_after);
            // A 429 while the app-level header says nothing is left is the app-wide
            // limit: every tenant of the integration waits, not this tenant's day.
            let app_spent = app
                .as_ref()
                .filter(|app| app.reported(&response.headers) == Some(0));
            if let Some(app) = app_spent {
                app.pause_until(clock.now_millis().saturating_add(millis(wait)));
            }
            if wait > MAX_TRANSPARENT_WAIT || retries >= MAX_429_RETRIES {
                if let (Some(budget), None) = (&budget, app_spent) {
                    budget.day_refused(clock.now_millis().saturating_add(millis(wait)));
                }
                return Ok(response);
            }
            retries += 1;
            tracing::info!(plugin = %self.plugin.id, tenant = self.ctx.tenant.as_deref().unwrap_or("-"),
                seconds = wait.as_secs(), "provider asked to wait (429); retrying");
            match (&budget, app_spent) {
                // The app budget's pause holds the retry (and every other tenant).
                (_, Some(_)) => {}
                (Some(budget), None) => budget.pause(wait, &clock),
                (None, None) => self.excused(tokio::time::sleep(wait)).await,
            }
        }
    }

    /// Everything `http.send` does, as a plain result.
    async fn send_request(&mut self, request: Request) -> Result<Response, HttpError> {
        let http = self.caps.http.clone();
        let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| {
                HttpError::Denied(format!("{:?} is not an HTTP method", request.method))
            })?;
        if request.body.len() > http.max_request {
            return Err(HttpError::Denied(format!(
                "request body of {} bytes exceeds the host's cap of {} bytes",
                request.body.len(),
                http.max_request
            )));
        }
        let auth = &self.plugin.manifest.auth;
        let url = http
            .egress
            .plugin_request(&PluginRequest {
                url: &request.url,
                credential: request.credential,
                approved: &self.plugin.allowed,
                token_url: &auth.token_url,
                revoke_url: auth.revoke_url.as_deref(),
            })
            .map_err(|e| HttpError::Denied(e.to_string()))?;
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(HttpError::Denied(format!(
                    "header {name:?} is reserved for the host"
                )));
            }
            let name = HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| HttpError::Denied(format!("{name:?} is not a valid header name")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| HttpError::Denied(format!("header {name} has an invalid value")))?;
            headers.append(name, value);
        }
        let plugin = self.plugin.clone();
        let grants = self.caps.grants.clone();
        match request.credential {
            Credential::None => {
                self.budgeted(&method, &url, &headers, &request.body, None)
                    .await
            }
            Credential::ClientBasic => {
                let (id, secret) = grants
                    .client_credentials(&plugin, &self.ctx)
                    .await
                    .map_err(broker_error)?;
                let basic = client_basic(&id, &secret);
                self.budgeted(&method, &url, &headers, &request.body, Some(&basic))
                    .await
            }
            Credential::AccessToken => {
                let token = grants
                    .access_token(&plugin, &self.ctx)
                    .await
                    .map_err(broker_error)?;
                let response = self
                    .budgeted(
                        &method,
                        &url,
                        &headers,
                        &request.body,
                        Some(&bearer(&token)),
                    )
                    .await?;
                if response.status != 401 {
                    return Ok(response);
                }
                match grants
                    .after_unauthorized(&plugin, &self.ctx, &token)
                    .await
                    .map_err(broker_error)?
                {
                    Some(fresh) => {
                        self.budgeted(
                            &method,
                            &url,
                            &headers,
                            &request.body,
                            Some(&bearer(&fresh)),
                        )
                        .await
                    }
                    None => Ok(response),
                }
            }
        }
    }
}

impl HostState {
    /// The `http.send` import: one request on the plugin's behalf, timed as host time;
    /// a denial is logged and remembered for the call's error.
    pub(crate) async fn http_send(&mut self, request: Request) -> Result<Response, HttpError> {
        let started = Instant::now();
        let result = self.send_request(request).await;
        self.host_time += started.elapsed();
        if let Err(HttpError::Denied(reason)) = &result {
            tracing::warn!(plugin = %self.plugin.id, version = %self.plugin.version,
                connection = self.ctx.connection.as_deref().unwrap_or("-"),
                "denied a plugin request: {reason}");
            self.denials.push(reason.clone());
        }
        result
    }
}
