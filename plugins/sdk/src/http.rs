//! Outbound HTTP through the host.
//!
//! [`send`] is the raw `http.send` import. [`Request`] builds the same request with
//! less noise and [`Response`] gains a few readers:
//!
//! ```ignore
//! let invoices: Invoices = Request::get("https://api.xero.com/api.xro/2.0/Invoices")
//!     .query("page", "2")
//!     .header("xero-tenant-id", &tenant.id)
//!     .accept_json()
//!     .bearer()                // the host attaches the grant's access token
//!     .send()?                 // HttpError -> ConnectorError through `?`
//!     .error_for_status()?     // generic 401/403/429/5xx mapping
//!     .json()?;                // InvalidData with a body excerpt on failure
//! ```
//!
//! The plugin never sees a token: `bearer()` / `client_basic()` only name the
//! credential the host injects, and an `authorization` header set by the plugin is
//! refused by the host (`HttpError::Denied`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{excerpt, status_error};
use crate::types::ConnectorError;

pub use crate::bindings::mooring::connector::http::send;
pub use crate::types::{Credential, HttpError, Response};

/// How many characters of a body go into an error reason.
pub const EXCERPT_CHARS: usize = 200;

/// A request under construction. Finish with [`Request::send`] (or
/// [`Request::into_wire`] to get the WIT record).
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a Request does nothing until it is sent"]
pub struct Request {
    method: String,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    credential: Credential,
    problem: Option<String>,
}

impl Request {
    /// A request with any method (upper-cased) to an absolute URL. No credential.
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            credential: Credential::None,
            problem: None,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new("POST", url)
    }

    /// `PUT url`.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new("PUT", url)
    }

    /// `PATCH url`.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new("PATCH", url)
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new("DELETE", url)
    }

    /// Adds one query parameter, percent-encoded when the URL is built (space as
    /// `%20`, see [`crate::url`]). Parameters already in the URL are kept.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter only when `value` is `Some`.
    pub fn query_opt(self, name: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a header. Names are lower-cased; a second value for the same name is
    /// added, not replaced (use [`Request::set_header`] to replace).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .push((name.into().to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets a header, replacing any value it had.
    pub fn set_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into().to_ascii_lowercase();
        self.headers.retain(|(k, _)| *k != name);
        self.headers.push((name, value.into()));
        self
    }

    /// `accept: application/json` (Xero answers XML without it).
    pub fn accept_json(self) -> Self {
        self.set_header("accept", "application/json")
    }

    /// Asks the host to attach the grant's access token (`Authorization: Bearer`).
    pub fn bearer(self) -> Self {
        self.credential(Credential::AccessToken)
    }

    /// Asks the host to attach the integration's client id and secret
    /// (`Authorization: Basic`), for token-style endpoints.
    pub fn client_basic(self) -> Self {
        self.credential(Credential::ClientBasic)
    }

    /// Sets the credential the host attaches.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = credential;
        self
    }

    /// Sets a raw body and its `content-type`.
    pub fn body(self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut this = self.set_header("content-type", content_type);
        this.body = body.into();
        this
    }

    /// Sets a JSON body (`content-type: application/json`). A value that cannot be
    /// serialised (a map with non-string keys, say) makes [`Request::send`] fail with
    /// `HttpError::Denied` without reaching the host.
    pub fn json_body<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body("application/json", bytes),
            Err(e) => {
                let mut this = self;
                this.problem = Some(format!("request body could not be serialised: {e}"));
                this
            }
        }
    }

    /// Sets an `application/x-www-form-urlencoded` body from name/value pairs.
    pub fn form_body<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        self.body(
            "application/x-www-form-urlencoded",
            crate::url::form_encode(pairs),
        )
    }

    /// The URL with the query parameters added.
    pub fn full_url(&self) -> String {
        crate::url::url_with_query(&self.url, &self.query)
    }

    /// The WIT record the host receives.
    pub fn into_wire(self) -> Result<crate::types::Request, HttpError> {
        if let Some(problem) = self.problem {
            return Err(HttpError::Denied(problem));
        }
        let url = self.full_url();
        Ok(crate::types::Request {
            method: self.method,
            url,
            headers: self.headers,
            body: self.body,
            credential: self.credential,
        })
    }

    /// Sends the request through the host and waits for the whole response. Any
    /// status comes back as `Ok`; see [`Response::error_for_status`].
    pub fn send(self) -> Result<Response, HttpError> {
        send(&self.into_wire()?)
    }
}

impl Response {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::fields::get_ignore_case(&self.headers, name)
    }

    /// Every value of header `name`, compared case-insensitively.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced with U+FFFD).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON into `T`. On failure: `invalid-data` naming the status,
    /// the parse error and a short excerpt of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ConnectorError::InvalidData(format!(
                "HTTP {} body is not the expected JSON ({e}): {}",
                self.status,
                self.excerpt()
            ))
        })
    }

    /// `Retry-After` in seconds, when given as a number of seconds.
    pub fn retry_after(&self) -> Option<u32> {
        self.header("retry-after")?.trim().parse().ok()
    }

    /// A short excerpt of the body for messages ([`EXCERPT_CHARS`] characters).
    pub fn excerpt(&self) -> String {
        excerpt(&self.body, EXCERPT_CHARS)
    }

    /// `Ok(self)` for 2xx; otherwise the generic [`status_error`] mapping with the
    /// `Retry-After` header and a body excerpt. Classify provider-specific error
    /// bodies before calling this.
    pub fn error_for_status(self) -> Result<Self, ConnectorError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(status_error(
                self.status,
                self.retry_after(),
                &self.excerpt(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn builds_get_with_query_and_headers() {
        let wire = Request::get("https://api.test.invalid/Invoices?where=x")
            .query("page", "2")
            .query("order", "UpdatedDateUTC DESC")
            .query_opt("skip", None::<String>)
            .query_opt("unitdp", Some("4"))
            .header("Xero-Tenant-Id", "t-1")
            .accept_json()
            .bearer()
            .into_wire()
            .unwrap();
        assert_eq!(wire.method, "GET");
        assert_eq!(
            wire.url,
            "https://api.test.invalid/Invoices?where=x&page=2&order=UpdatedDateUTC%20DESC&unitdp=4"
        );
        assert_eq!(
            wire.headers,
            vec![
                ("xero-tenant-id".to_string(), "t-1".to_string()),
                ("accept".to_string(), "application/json".to_string()),
            ]
        );
        assert_eq!(wire.credential, Credential::AccessToken);
        assert!(wire.body.is_empty());
    }

    #[test]
    fn builds_bodies() {
        let wire = Request::post("https://h/token")
            .client_basic()
            .form_body(&[("grant_type", "authorization_code"), ("code", "a b")])
            .into_wire()
            .unwrap();
        assert_eq!(wire.body, b"grant_type=authorization_code&code=a%20b");
        assert_eq!(wire.credential, Credential::ClientBasic);
        assert_eq!(
            wire.headers,
            vec![(
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string()
            )]
        );

        let wire = Request::new("put", "https://h/x")
            .header("content-type", "text/plain")
            .json_body(&serde_json::json!({"token": "t"}))
            .into_wire()
            .unwrap();
        assert_eq!(wire.method, "PUT");
        assert_eq!(wire.body, br#"{"token":"t"}"#);
        assert_eq!(
            wire.headers,
            vec![("content-type".to_string(), "application/json".to_string())]
        );
    }

    #[test]
    fn unserialisable_json_body_is_refused_before_sending() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(vec![1u8], 1);
        let err = Request::post("https://h/x")
            .json_body(&map)
            .into_wire()
            .unwrap_err();
        assert!(matches!(err, HttpError::Denied(m) if m.contains("serialised")));
    }

    #[test]
    fn response_readers() {
        let r = response(
            200,
            &[
                ("content-type", "application/json"),
                ("x-n", "1"),
                ("X-N", "2"),
            ],
            r#"{"a": [1, 2]}"#,
        );
        assert_eq!(r.status(), 200);
        assert!(r.is_success());
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("missing"), None);
        assert_eq!(r.header_all("x-n").collect::<Vec<_>>(), vec!["1", "2"]);
        assert_eq!(r.text(), r#"{"a": [1, 2]}"#);
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["a"][1], 2);
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct A {
            a: Vec<u8>,
        }
        assert_eq!(r.json::<A>().unwrap().a, vec![1, 2]);
    }

    #[test]
    fn json_failure_carries_an_excerpt() {
        let body = format!("<html>{}</html>", "x".repeat(1000));
        let r = response(200, &[], &body);
        match r.json::<serde_json::Value>() {
            Err(ConnectorError::InvalidData(m)) => {
                assert!(
                    m.starts_with("HTTP 200 body is not the expected JSON"),
                    "{m}"
                );
                assert!(m.contains("<html>xxx"));
                assert!(m.ends_with('…'));
                assert!(m.len() < 400);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_for_status_uses_retry_after() {
        let r = response(429, &[("retry-after", " 17 ")], "slow down");
        assert_eq!(r.retry_after(), Some(17));
        assert_eq!(
            r.error_for_status().unwrap_err(),
            ConnectorError::RateLimited(17)
        );
        let r = response(500, &[], "boom");
        assert!(
            matches!(r.error_for_status(), Err(ConnectorError::Transient(m)) if m.ends_with("boom"))
        );
        let r = response(204, &[], "");
        assert!(r.error_for_status().is_ok());
        let r = response(429, &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], "");
        assert_eq!(r.retry_after(), None);
    }
}
