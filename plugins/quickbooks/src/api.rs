//! Requests to the QuickBooks Online accounting API through the host, with
//! QuickBooks' error classification applied to their answers.

use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::Value;

use crate::errors;
use crate::faults;

/// Production API base.
pub const PRODUCTION: &str = "https://quickbooks.api.intuit.com";
/// Sandbox API base (development keys).
pub const SANDBOX: &str = "https://sandbox-quickbooks.api.intuit.com";
/// Every request asks for minor version 75 (lower ones are ignored since 2025-08-01).
pub const MINOR_VERSION: &str = "75";
/// Tenant metadata: `production` or `sandbox`, the API the company answered on.
pub const META_ENVIRONMENT: &str = "environment";

/// Which API a company lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// `quickbooks.api.intuit.com`.
    Production,
    /// `sandbox-quickbooks.api.intuit.com`.
    Sandbox,
}

impl Environment {
    /// The API base URL.
    pub fn base(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION,
            Environment::Sandbox => SANDBOX,
        }
    }

    /// The metadata value.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
        }
    }

    /// The environment recorded on `tenant` (production when absent).
    pub fn of(tenant: &Tenant) -> Environment {
        match tenant.metadata(META_ENVIRONMENT) {
            Some("sandbox") => Environment::Sandbox,
            _ => Environment::Production,
        }
    }
}

/// GET `{base}/v3/company/{realm}{path}?{query}&minorversion=75` as JSON. A non-2xx
/// answer, or a 2xx carrying a `Fault`, is classified by [`errors`].
pub fn get(
    env: Environment,
    realm: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Value, ConnectorError> {
    let url = format!(
        "{}/v3/company/{}{path}",
        env.base(),
        url::encode_component(realm)
    );
    let mut request = Request::get(url);
    for (name, value) in query {
        request = request.query(*name, *value);
    }
    let response = request
        .query("minorversion", MINOR_VERSION)
        .accept_json()
        .bearer()
        .send()?;
    if !response.is_success() {
        return Err(failure(&response, None));
    }
    let body: Value = response.json()?;
    match faults::from_json(&body) {
        Some(fault) => Err(failure(&response, Some(&fault))),
        None => Ok(body),
    }
}

fn failure(response: &Response, fault: Option<&faults::Fault>) -> ConnectorError {
    let error = match fault {
        Some(f) => {
            errors::classify_fault(response.status(), response.retry_after(), f, &response.body)
        }
        None => errors::classify(response.status(), response.retry_after(), &response.body),
    };
    log::warn!(
        "{}",
        errors::log_line(response.status(), response.header("intuit_tid"), &error)
    );
    error
}

/// `GET /v3/company/{realm}/companyinfo/{realm}`.
pub fn company_info(env: Environment, realm: &str) -> Result<Value, ConnectorError> {
    let path = format!("/companyinfo/{}", url::encode_component(realm));
    get(env, realm, &path, &[])
}

/// `GET /v3/company/{realm}/query?query=<statement>`.
pub fn query(env: Environment, realm: &str, statement: &str) -> Result<Value, ConnectorError> {
    get(env, realm, "/query", &[("query", statement)])
}

/// `GET /v3/company/{realm}/preferences`.
pub fn preferences(env: Environment, realm: &str) -> Result<Value, ConnectorError> {
    get(env, realm, "/preferences", &[])
}

/// `GET /v3/company/{realm}/cdc?entities={entity}&changedSince={since}`.
pub fn cdc(
    env: Environment,
    realm: &str,
    entity: &str,
    since: i64,
) -> Result<Value, ConnectorError> {
    let since = crate::query::qbo_time(since);
    get(
        env,
        realm,
        "/cdc",
        &[("entities", entity), ("changedSince", since.as_str())],
    )
}

/// `GET /v3/company/{realm}/reports/{name}?{params}`.
pub fn report(
    env: Environment,
    realm: &str,
    name: &str,
    params: &[(&str, &str)],
) -> Result<Value, ConnectorError> {
    get(env, realm, &format!("/reports/{name}"), params)
}
