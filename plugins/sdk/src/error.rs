//! Turning failures into the typed [`ConnectorError`] the host's state machine reads.
//!
//! Generic rules live here; a provider's own error bodies (Xero's `Problem`,
//! QuickBooks' `Fault`) are classified in that provider's plugin, which can fall back
//! on [`status_error`] for everything it does not recognise.
//!
//! | from | to | why |
//! |---|---|---|
//! | `HttpError::Denied` | `invalid-data("denied: …")` | the host refused the request (undeclared host, reserved header, body over the cap): a connector or configuration fault that retrying will not cure, and not the grant's fault |
//! | `HttpError::ReauthRequired` | `reauth-required` | the host says the grant is dead |
//! | `HttpError::Timeout` / `Transport` | `transient("timeout: …" / "transport: …")` | the network may recover |
//! | `TokenError::InvalidGrant` | `reauth-required` | code or refresh token expired, revoked or already used |
//! | `TokenError::InvalidClient` | `reauth-required` | client id/secret rejected: a person must fix the app credentials and reconnect |
//! | `TokenError::InvalidScope` | `forbidden` | the app may not have a requested scope |
//! | `TokenError::Rejected` | `reauth-required` | any other refusal of the token endpoint (`unauthorized_client`, ...): the grant cannot be used without a person |
//! | `TokenError::Transient` | `transient` | endpoint unreachable or 5xx |
//! | `TokenError::Denied` | `reauth-required` | the host has no grant to refresh or no flow to complete |
//! | status 401 | `reauth-required` | access token refused even after the host's refresh |
//! | status 403 | `forbidden` | scope or role missing |
//! | status 429 | `rate-limited(retry-after or 0)` | 0 means the provider named no delay: the host applies the manifest's `default-retry-after` |
//! | status 408, 5xx | `transient` | |
//! | any other status | `invalid-data` | the request or the answer is not what the connector expects |

use crate::types::{ConnectorError, HttpError, TokenError};

/// Maps an unsuccessful HTTP status to a [`ConnectorError`] by generic rules (see the
/// [module docs](self)). `retry_after` is the provider's `Retry-After` in seconds;
/// `detail` (an excerpt of the body, say) is appended to the reason.
///
/// ```
/// # use mooring_plugin_sdk::{error::status_error, types::ConnectorError};
/// assert_eq!(status_error(429, Some(30), ""), ConnectorError::RateLimited(30));
/// assert!(matches!(status_error(503, None, "maintenance"), ConnectorError::Transient(_)));
/// ```
pub fn status_error(status: u16, retry_after: Option<u32>, detail: &str) -> ConnectorError {
    let detail = detail.trim();
    let with = |what: &str| {
        if detail.is_empty() {
            format!("{what} (HTTP {status})")
        } else {
            format!("{what} (HTTP {status}): {detail}")
        }
    };
    match status {
        401 => ConnectorError::ReauthRequired(with("the provider refused the access token")),
        403 => {
            ConnectorError::Forbidden(with("the provider refused access: scope or role missing"))
        }
        429 => ConnectorError::RateLimited(retry_after.unwrap_or(0)),
        408 | 500..=599 => ConnectorError::Transient(with("the provider failed to answer")),
        400..=499 => ConnectorError::InvalidData(with("the provider rejected the request")),
        _ => ConnectorError::InvalidData(with("unexpected response status")),
    }
}

/// At most `max` characters of `body` as text (lossy UTF-8, whitespace runs folded),
/// ending in `…` when cut. For error reasons and logs: never the whole body.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut count = 0;
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        for c in word.chars() {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
        if words.peek().is_some() {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
    }
    out
}

impl From<HttpError> for ConnectorError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(m) => ConnectorError::InvalidData(format!("denied: {m}")),
            HttpError::ReauthRequired(m) => ConnectorError::ReauthRequired(m),
            HttpError::Timeout(m) => ConnectorError::Transient(format!("timeout: {m}")),
            HttpError::Transport(m) => ConnectorError::Transient(format!("transport: {m}")),
        }
    }
}

impl From<TokenError> for ConnectorError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::InvalidGrant(m) => ConnectorError::ReauthRequired(format!(
                "the provider no longer accepts this authorization (expired, revoked or already used); reconnect: {m}"
            )),
            TokenError::InvalidClient(m) => ConnectorError::ReauthRequired(format!(
                "the provider rejected the app's client id or secret; check the integration's credentials, then reconnect: {m}"
            )),
            TokenError::InvalidScope(m) => {
                ConnectorError::Forbidden(format!("the provider refused a requested scope: {m}"))
            }
            TokenError::Rejected(m) => {
                ConnectorError::ReauthRequired(format!("the provider refused the request: {m}"))
            }
            TokenError::Transient(m) => ConnectorError::Transient(format!("token endpoint: {m}")),
            TokenError::Denied(m) => {
                ConnectorError::ReauthRequired(format!("the host refused the token request: {m}"))
            }
        }
    }
}

impl From<serde_json::Error> for ConnectorError {
    /// JSON that does not parse or does not fit: `invalid-data`.
    fn from(e: serde_json::Error) -> Self {
        ConnectorError::InvalidData(format!("invalid JSON: {e}"))
    }
}

impl ConnectorError {
    /// The human reason carried by the error (`rate-limited` renders its seconds).
    pub fn reason(&self) -> String {
        match self {
            ConnectorError::ReauthRequired(m)
            | ConnectorError::Forbidden(m)
            | ConnectorError::Transient(m)
            | ConnectorError::InvalidData(m) => m.clone(),
            ConnectorError::RateLimited(s) => format!("rate limited: retry after {s} s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        assert!(matches!(
            status_error(401, None, ""),
            ConnectorError::ReauthRequired(_)
        ));
        assert!(matches!(
            status_error(403, None, ""),
            ConnectorError::Forbidden(_)
        ));
        assert_eq!(
            status_error(429, Some(59), "x"),
            ConnectorError::RateLimited(59)
        );
        assert_eq!(status_error(429, None, "x"), ConnectorError::RateLimited(0));
        for s in [408, 500, 502, 503, 504, 599] {
            assert!(
                matches!(status_error(s, None, ""), ConnectorError::Transient(_)),
                "{s}"
            );
        }
        for s in [400, 404, 409, 410, 422, 302, 200] {
            assert!(
                matches!(status_error(s, None, ""), ConnectorError::InvalidData(_)),
                "{s}"
            );
        }
    }

    #[test]
    fn status_reason_carries_detail() {
        assert_eq!(
            status_error(404, None, " not found "),
            ConnectorError::InvalidData(
                "the provider rejected the request (HTTP 404): not found".into()
            )
        );
        assert_eq!(
            status_error(503, None, ""),
            ConnectorError::Transient("the provider failed to answer (HTTP 503)".into())
        );
    }

    #[test]
    fn http_error_mapping() {
        assert_eq!(
            ConnectorError::from(HttpError::Denied("host not allowed".into())),
            ConnectorError::InvalidData("denied: host not allowed".into())
        );
        assert_eq!(
            ConnectorError::from(HttpError::ReauthRequired("grant revoked".into())),
            ConnectorError::ReauthRequired("grant revoked".into())
        );
        assert!(
            matches!(ConnectorError::from(HttpError::Timeout("t".into())), ConnectorError::Transient(m) if m == "timeout: t")
        );
        assert!(
            matches!(ConnectorError::from(HttpError::Transport("r".into())), ConnectorError::Transient(m) if m == "transport: r")
        );
    }

    #[test]
    fn token_error_mapping() {
        let reauth = |e| matches!(ConnectorError::from(e), ConnectorError::ReauthRequired(_));
        assert!(reauth(TokenError::InvalidGrant("g".into())));
        assert!(reauth(TokenError::InvalidClient("c".into())));
        assert!(reauth(TokenError::Rejected("r".into())));
        assert!(reauth(TokenError::Denied("d".into())));
        assert!(
            matches!(ConnectorError::from(TokenError::InvalidScope("s".into())), ConnectorError::Forbidden(m) if m.ends_with(": s"))
        );
        assert!(matches!(
            ConnectorError::from(TokenError::Transient("t".into())),
            ConnectorError::Transient(_)
        ));
        match ConnectorError::from(TokenError::InvalidGrant("refresh token expired".into())) {
            ConnectorError::ReauthRequired(m) => {
                assert!(m.contains("reconnect") && m.ends_with("refresh token expired"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn excerpts() {
        assert_eq!(excerpt(b"  {\"a\":\n\n 1}  ", 100), "{\"a\": 1}");
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(b"abc", 3), "abc");
        assert_eq!(excerpt(b"ab cd", 2), "ab…");
        assert_eq!(excerpt("ééé".as_bytes(), 2), "éé…");
        assert_eq!(excerpt(&[0xff, b'a'], 10), "\u{FFFD}a");
        assert_eq!(excerpt(b"", 10), "");
    }

    #[test]
    fn json_error_and_reason() {
        let e: ConnectorError = serde_json::from_str::<u64>("x").unwrap_err().into();
        assert!(matches!(e, ConnectorError::InvalidData(_)));
        assert_eq!(
            ConnectorError::RateLimited(5).reason(),
            "rate limited: retry after 5 s"
        );
        assert_eq!(ConnectorError::Forbidden("f".into()).reason(), "f");
    }
}
