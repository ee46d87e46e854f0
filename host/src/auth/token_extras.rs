//! Extra parameters a plugin passes with a token request (`oauth.exchange-code` and
//! `oauth.refresh`). An entry named `header:<name>` becomes a request header (some
//! providers return extra response fields only when a request header opts in); every
//! other entry is a form field. Headers that carry credentials or framing stay the
//! host's.

use oauth2::http::{HeaderName, HeaderValue};

use crate::runtime::types::TokenError;

/// The prefix that turns an extra parameter into a request header.
pub const HEADER_PREFIX: &str = "header:";

/// Headers a plugin may not set on a token request.
const RESERVED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
];

/// A plugin's extra parameters, split into headers and form fields.
#[derive(Debug, Default)]
pub struct TokenExtras {
    /// Request headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Form fields.
    pub params: Vec<(String, String)>,
}

/// Split `extra` into headers and form fields, refusing reserved or malformed headers.
pub fn split(extra: &[(String, String)]) -> Result<TokenExtras, TokenError> {
    let mut out = TokenExtras::default();
    for (name, value) in extra {
        let Some(header) = name.strip_prefix(HEADER_PREFIX) else {
            out.params.push((name.clone(), value.clone()));
            continue;
        };
        let lower = header.trim().to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) {
            return Err(TokenError::Denied(format!(
                "header {lower:?} on a token request is reserved for the host"
            )));
        }
        let name = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| TokenError::Denied(format!("{header:?} is not a header name")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| TokenError::Denied(format!("header {name} has an invalid value")))?;
        out.headers.push((name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn headers_and_params_are_split() {
        let extras = split(&pairs(&[
            ("header:X-Include-Extra", "true"),
            ("audience", "api"),
        ]))
        .expect("valid");
        assert_eq!(extras.headers.len(), 1);
        assert_eq!(extras.headers[0].0.as_str(), "x-include-extra");
        assert_eq!(extras.params, pairs(&[("audience", "api")]));
    }

    #[test]
    fn reserved_and_malformed_headers_are_refused() {
        for (name, value) in [
            ("header:Authorization", "Basic x"),
            ("header:content-type", "text/plain"),
            ("header:bad name", "x"),
            ("header:x-ok", "line\nbreak"),
        ] {
            assert!(split(&pairs(&[(name, value)])).is_err(), "{name}");
        }
    }
}
