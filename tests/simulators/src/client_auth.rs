//! Parsing token-endpoint requests: form bodies and client authentication.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A parsed `application/x-www-form-urlencoded` body (or query), order kept.
#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses urlencoded bytes.
    pub fn parse(bytes: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The first value of `name`, if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the request declares a form body.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        })
}

/// Client credentials as presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCredentials {
    /// Client id.
    pub client_id: String,
    /// Client secret (absent for public PKCE clients).
    pub client_secret: Option<String>,
    /// How they were sent.
    pub via: CredentialsVia,
}

/// Where client credentials came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsVia {
    /// `Authorization: Basic`.
    Basic,
    /// `client_id` / `client_secret` form fields.
    Body,
}

/// Outcome of reading client credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Nothing presented.
    None,
    /// An `Authorization` header that is not valid Basic.
    Malformed,
    /// Credentials to check.
    Presented(ClientCredentials),
}

/// Decodes `Authorization: Basic base64(id:secret)`; `None` when no Basic header.
pub fn basic(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    Some(
        STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.split_once(':').map(|(id, secret)| {
                    // RFC 6749 §2.3.1: both parts are form-urlencoded before encoding.
                    (form_decode(id), form_decode(secret))
                })
            })
            .ok_or(()),
    )
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Reads client credentials from Basic (preferred) or the body.
pub fn client_auth(headers: &HeaderMap, form: &Params) -> ClientAuth {
    match basic(headers) {
        Some(Ok((client_id, secret))) => ClientAuth::Presented(ClientCredentials {
            client_id,
            client_secret: Some(secret).filter(|s| !s.is_empty()),
            via: CredentialsVia::Basic,
        }),
        Some(Err(())) => ClientAuth::Malformed,
        None => match form.get("client_id") {
            Some(id) => ClientAuth::Presented(ClientCredentials {
                client_id: id.to_owned(),
                client_secret: form.get("client_secret").map(str::to_owned),
                via: CredentialsVia::Body,
            }),
            None => ClientAuth::None,
        },
    }
}

/// Constant-time-ish string comparison (length leak only), for secrets.
pub fn secret_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_and_body() {
        let mut h = HeaderMap::new();
        let form = Params::parse(b"client_id=abc&client_secret=s%3D1&grant_type=x");
        assert_eq!(
            client_auth(&h, &form),
            ClientAuth::Presented(ClientCredentials {
                client_id: "abc".into(),
                client_secret: Some("s=1".into()),
                via: CredentialsVia::Body
            })
        );
        let enc = STANDARD.encode("id:sec");
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {enc}")).unwrap(),
        );
        match client_auth(&h, &form) {
            ClientAuth::Presented(c) => {
                assert_eq!(c.client_id, "id");
                assert_eq!(c.via, CredentialsVia::Basic);
            }
            other => panic!("{other:?}"),
        }
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(client_auth(&h, &form), ClientAuth::Malformed);
        assert!(secret_eq("abc", "abc") && !secret_eq("abc", "abd"));
    }
}
