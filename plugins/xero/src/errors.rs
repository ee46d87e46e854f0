//! Classifying Xero's error answers into the host's [`ConnectorError`]. Pure.
//!
//! The host has already refreshed the token and retried once on a 401, and honours
//! 429 `Retry-After` itself, so what reaches this module is what is left.
//!
//! | status | body | error |
//! |---|---|---|
//! | 401 or 403 | any, when the stream's scope is known not to be granted | `forbidden("missing scope <scope> …")` |
//! | 401 or 403 | any, while `/connections` (same token) still lists the organisation | `forbidden` naming the scope: the grant and the organisation are fine, this endpoint is refused (role, plan, or Xero's premium tier for `/Journals`) |
//! | 401 | `Detail: "TokenExpired: …"` | `reauth-required` (still expired after the host's refresh) |
//! | 401 | `Detail: "AuthorizationUnsuccessful"` or other | `reauth-required` (authorisation revoked) |
//! | 403 | `AuthenticationUnsuccessful`, otherwise | `reauth-required("Xero refused organisation '<name>' (AuthenticationUnsuccessful): …")` |
//!
//! Xero answers a missing scope with 401 `AuthorizationUnsuccessful` (Xero-NetStandard#178,
//! the simulator follows it) or 403 (PROVIDERS.md A4), and a premium-gated `/Journals`
//! the same way, so after a 401/403 that the granted scopes do not explain, the caller
//! asks `/connections` with the same token ([`ErrorContext::tenant_connected`]): a
//! working token that still lists the organisation means the refusal is this
//! endpoint's, not a dead grant's.
//! | 429 | — | `rate-limited(Retry-After, else 60)` |
//! | 408, 5xx | — | `transient` |
//! | 400 | `Type: "ValidationException"` | `invalid-data` with Xero's messages |
//! | 400, 404, other | — | `invalid-data` with Xero's `Message`/`Detail` or a body excerpt |

use mooring_plugin_sdk::error::excerpt;
use mooring_plugin_sdk::serde_json::{self, Value};
use mooring_plugin_sdk::types::ConnectorError;

use crate::scopes;

/// Seconds to wait after a 429 without `Retry-After` (the manifest's default too).
pub const DEFAULT_RETRY_AFTER: u32 = 60;

/// What the classifier knows besides the response.
#[derive(Debug, Default)]
pub struct ErrorContext<'a> {
    /// The organisation's name, for reasons a person reads.
    pub tenant_name: &'a str,
    /// The scope the failed request needed, if it belongs to a stream.
    pub required_scope: Option<&'a str>,
    /// The scopes granted at authorization, if known.
    pub granted_scopes: Option<&'a [String]>,
    /// Whether `/connections`, asked with the same token after a 401/403, still lists
    /// the organisation (`None`: not asked, or it could not say).
    pub tenant_connected: Option<bool>,
}

impl ErrorContext<'_> {
    /// The required scope, when it is known not to be granted.
    pub fn missing_scope(&self) -> Option<&str> {
        let required = self.required_scope?;
        let granted = self.granted_scopes?;
        (!scopes::covers(granted, required)).then_some(required)
    }
}

/// The parts of a Xero error body this module reads (problem `Detail`/`Title` for
/// 401/403, `Type`/`Message`/`Elements` for validation errors).
#[derive(Debug, Default, PartialEq)]
pub struct XeroProblem {
    /// `Detail` (`TokenExpired: …`, `AuthorizationUnsuccessful`, …).
    pub detail: Option<String>,
    /// `Type` (`ValidationException`, …).
    pub kind: Option<String>,
    /// `Message`, then every `Elements[].ValidationErrors[].Message`, without repeats.
    pub messages: Vec<String>,
}

/// Reads a Xero error body; anything unreadable gives an empty problem.
pub fn parse_problem(body: &[u8]) -> XeroProblem {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return XeroProblem::default();
    };
    let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let mut messages: Vec<String> = Vec::new();
    let mut push = |m: &str| {
        let m = m.trim();
        if !m.is_empty() && !messages.iter().any(|x| x == m) {
            messages.push(m.to_string());
        }
    };
    if let Some(m) = v.get("Message").and_then(Value::as_str) {
        push(m);
    }
    for element in v
        .get("Elements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let errors = element.get("ValidationErrors").and_then(Value::as_array);
        for e in errors.into_iter().flatten() {
            if let Some(m) = e.get("Message").and_then(Value::as_str) {
                push(m);
            }
        }
    }
    XeroProblem {
        detail: text("Detail"),
        kind: text("Type"),
        messages,
    }
}

/// Classifies an unsuccessful Xero response (see the [module docs](self)).
pub fn classify(
    status: u16,
    retry_after: Option<u32>,
    body: &[u8],
    ctx: &ErrorContext<'_>,
) -> ConnectorError {
    let problem = parse_problem(body);
    let detail = problem.detail.clone().unwrap_or_else(|| excerpt(body, 200));
    match status {
        401 | 403 if ctx.missing_scope().is_some() => {
            let scope = ctx.missing_scope().unwrap_or_default();
            ConnectorError::Forbidden(format!(
                "missing scope {scope}: Xero answered {status} ({detail}); reconnect granting it"
            ))
        }
        401 | 403 if ctx.tenant_connected == Some(true) => ConnectorError::Forbidden(format!(
            "Xero refused {} for organisation '{}' (HTTP {status} {}) although the \
             authorisation works and the organisation is connected: the scope is not \
             effective, the user's role does not allow it, or the app lacks Xero's premium \
             access (needed for Journals by apps created on or after 2 March 2026)",
            ctx.required_scope
                .map_or_else(|| "this request".to_string(), |s| format!("scope {s}")),
            ctx.tenant_name,
            non_empty(&detail, "Forbidden")
        )),
        401 if detail.starts_with("TokenExpired") => ConnectorError::ReauthRequired(format!(
            "Xero still reports the access token as expired after a refresh ({detail}); reconnect"
        )),
        401 => ConnectorError::ReauthRequired(format!(
            "Xero refused the authorisation ({}): it was revoked, the user's password \
             changed or the app was disconnected; reconnect",
            non_empty(&detail, "401 Unauthorized")
        )),
        403 => ConnectorError::ReauthRequired(format!(
            "Xero refused organisation '{}' ({}): the organisation was disconnected or the \
             user lost access",
            ctx.tenant_name,
            non_empty(&detail, "AuthenticationUnsuccessful")
        )),
        429 => ConnectorError::RateLimited(retry_after.unwrap_or(DEFAULT_RETRY_AFTER)),
        408 | 500..=599 => ConnectorError::Transient(format!(
            "Xero failed to answer (HTTP {status}): {}",
            non_empty(&detail, "no details")
        )),
        _ => {
            let what = match problem.kind.as_deref() {
                Some(kind) => format!("Xero rejected the request (HTTP {status} {kind})"),
                None => format!("Xero rejected the request (HTTP {status})"),
            };
            let said = if problem.messages.is_empty() {
                detail
            } else {
                problem.messages.join("; ")
            };
            ConnectorError::InvalidData(if said.is_empty() {
                what
            } else {
                format!("{what}: {said}")
            })
        }
    }
}

fn non_empty<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    if text.trim().is_empty() {
        fallback
    } else {
        text
    }
}

#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;
