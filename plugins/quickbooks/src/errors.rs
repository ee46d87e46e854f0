//! Classifying QuickBooks answers into the host's [`ConnectorError`]. Pure.
//!
//! The fault code decides first (QuickBooks sends the same code under different
//! statuses: the throttle came as 403 before it came as 429), then the status. The host
//! has already refreshed and retried once on a 401.
//!
//! | code (any status) | error | why |
//! |---|---|---|
//! | 3001 ThrottleExceeded | `rate-limited(Retry-After, else 60)` | QuickBooks documents no `Retry-After`; 60 s is its advice |
//! | 3200 AuthenticationFailed, 100 General Authentication Error | `reauth-required` | the token is refused even after a refresh: revoked, expired or another app's |
//! | 3100 ApplicationAuthorizationFailed | `reauth-required` | the app is no longer authorised for this company (disconnected, or production/sandbox keys mixed): only a reconnect fixes it |
//! | 120 AuthorizationFailure | `forbidden` | the grant is alive but the connecting user lacks the role (or lost access): a permission problem, fixed by an admin restoring the user's access or by reconnecting as an admin |
//! | 500, 610, 2000–2999, 4000–4999, 5010, 6000–6999 | `invalid-data` | the request or the data was refused (unsupported operation, object not found or inactive, validation, stale object, business rule incl. 6190 Invalid Company Status) |
//!
//! | status, no code above | error |
//! |---|---|
//! | 401 | `reauth-required` |
//! | 403 | `forbidden` |
//! | 429 | `rate-limited(Retry-After, else 60)` |
//! | 408, 5xx | `transient` |
//! | other (incl. a 200 carrying a fault) | `invalid-data` |

use mooring_plugin_sdk::error::excerpt;
use mooring_plugin_sdk::types::ConnectorError;

use crate::faults::{self, Fault};

/// Seconds to wait after a throttle: QuickBooks sends no `Retry-After`.
pub const DEFAULT_RETRY_AFTER: u32 = 60;

/// Classifies an unsuccessful (or faulted) QuickBooks answer (see the
/// [module docs](self)).
pub fn classify(status: u16, retry_after: Option<u32>, body: &[u8]) -> ConnectorError {
    let fault = faults::parse(body).unwrap_or_default();
    classify_fault(status, retry_after, &fault, body)
}

/// Like [`classify`] with the fault already read (`body` only feeds excerpts).
pub fn classify_fault(
    status: u16,
    retry_after: Option<u32>,
    fault: &Fault,
    body: &[u8],
) -> ConnectorError {
    let said = match fault.describe() {
        d if d.is_empty() => excerpt(body, 200),
        d => d,
    };
    // What QuickBooks said, in parentheses after the main phrase (nothing if silent).
    let quoted = if said.is_empty() {
        String::new()
    } else {
        format!(" ({said})")
    };
    let wait = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
    match fault.first_code() {
        Some(3001) => return ConnectorError::RateLimited(wait),
        Some(3200 | 100) => {
            return ConnectorError::ReauthRequired(format!(
                "QuickBooks refused the access token even after a refresh{quoted}: the \
                 authorisation was revoked or expired; reconnect"
            ));
        }
        Some(3100) => {
            return ConnectorError::ReauthRequired(format!(
                "the app is no longer authorised for this company (disconnected, or \
                 production/sandbox keys mixed){quoted}; reconnect"
            ));
        }
        Some(120) => {
            return ConnectorError::Forbidden(format!(
                "the QuickBooks user who connected lacks permission in this company{quoted}: \
                 ask a company admin to restore their access, or reconnect as an admin"
            ));
        }
        Some(500 | 610 | 2000..=2999 | 4000..=4999 | 5010 | 6000..=6999) => {
            return ConnectorError::InvalidData(format!(
                "QuickBooks rejected the request (HTTP {status}){quoted}"
            ));
        }
        _ => {}
    }
    match status {
        401 => ConnectorError::ReauthRequired(format!(
            "QuickBooks refused the access token even after a refresh{quoted}; reconnect"
        )),
        403 => ConnectorError::Forbidden(format!(
            "QuickBooks refused access to this company{quoted}: a permission is missing"
        )),
        429 => ConnectorError::RateLimited(wait),
        408 | 500..=599 => ConnectorError::Transient(format!(
            "QuickBooks failed to answer (HTTP {status}){quoted}"
        )),
        _ => ConnectorError::InvalidData(format!(
            "QuickBooks rejected the request (HTTP {status}){quoted}"
        )),
    }
}

/// The log line of a failed call: status, QuickBooks' `intuit_tid` (the transaction id
/// its support asks for; `-` when absent) and the classified error.
pub fn log_line(status: u16, intuit_tid: Option<&str>, error: &ConnectorError) -> String {
    format!(
        "QuickBooks answered HTTP {status} (intuit_tid {}): {}",
        intuit_tid.filter(|t| !t.is_empty()).unwrap_or("-"),
        error.reason()
    )
}

#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;
