//! Token-endpoint requests, performed by the host with the secrets it holds: code
//! exchange and refresh through the `oauth2` crate, revocation per RFC 7009 (form or
//! JSON body). Responses are parsed here; only non-secret facts leave this module
//! in [`TokenFacts`].

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::runtime::capabilities::broker::{BoxFuture, SecretText, client_basic};
use crate::runtime::types::{ClientAuth, RevokeFormat, TokenError};

/// Every top-level field of a token response beyond the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllExtraFields {
    /// Field name to JSON value.
    #[serde(flatten)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl ExtraTokenFields for AllExtraFields {}

type Tokens = StandardTokenResponse<AllExtraFields, BasicTokenType>;
type Client = oauth2::Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Extra response fields never handed to plugins (secrets or identity tokens).
const WITHHELD_FIELDS: &[&str] = &["id_token", "access_token", "refresh_token"];
/// Extension fields some providers use for the refresh token's lifetime, in seconds.
const REFRESH_LIFETIME_FIELDS: &[&str] =
    &["refresh_token_expires_in", "x_refresh_token_expires_in"];

/// Extension fields some providers use for the refresh token's absolute lifetime (the
/// limit no rotation extends), in seconds.
pub(crate) const REFRESH_HARD_LIFETIME_FIELDS: &[&str] = &[
    "refresh_token_hard_expires_in",
    "x_refresh_token_hard_expires_in",
];

/// Longest token lifetime taken from a token response, in seconds (10 years): larger
/// values (up to `u64::MAX` from a broken or hostile endpoint) are clamped, so deadlines
/// computed from them cannot overflow.
pub const MAX_LIFETIME_SECS: u64 = 10 * 365 * 86_400;

/// A token response: the secrets (for the store) and the facts (for the plugin).
pub struct TokenSet {
    /// The new access token.
    pub access_token: SecretText,
    /// The new refresh token, when the provider sent one.
    pub refresh_token: Option<SecretText>,
    /// Non-secret facts.
    pub facts: TokenFacts,
}

/// What a token response said, without secrets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenFacts {
    /// Seconds until the access token expires.
    pub expires_in: Option<u64>,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: Option<u64>,
    /// Granted scopes, when the provider reported them.
    pub scopes: Option<Vec<String>>,
    /// Other non-secret fields as text, plus `access_token_claims` for JWT tokens.
    pub extra: Vec<(String, String)>,
}

/// One HTTP exchange with a token endpoint; swappable so tests can lose responses.
pub trait TokenTransport: Send + Sync + 'static {
    /// Send `request` and return the whole response.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// The token endpoint could not be reached or its answer was lost.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// The default transport: reqwest, no redirects.
pub struct ReqwestTransport(pub reqwest::Client);

impl TokenTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| match crate::runtime::egress::denial_in(&e) {
                    Some(denied) => TransportError(denied.to_string()),
                    None => TransportError(e.without_url().to_string()),
                })?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = read_capped(response, MAX_TOKEN_RESPONSE_BYTES).await?;
            builder
                .body(body)
                .map_err(|e| TransportError(e.to_string()))
        })
    }
}

/// Largest token-endpoint response body read, in bytes. A token response is a few
/// hundred bytes; anything past this is refused unread and never quoted.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 64 << 10;

/// The body of `response`, or an error (that does not quote it) once it passes `cap`.
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, TransportError> {
    let too_large = || {
        TransportError(format!(
            "the response is larger than {cap} bytes (not read further, not shown)"
        ))
    };
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| TransportError(e.without_url().to_string()))?
    {
        if body.len().saturating_add(chunk.len()) > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The oauth2 crate's view of a [`TokenTransport`]; the third field records the
/// status of the last response, so errors can name it without quoting the body.
struct OAuthHttp(
    Arc<dyn TokenTransport>,
    Vec<(oauth2::http::HeaderName, oauth2::http::HeaderValue)>,
    std::sync::atomic::AtomicU16,
);

impl OAuthHttp {
    /// The status of the last response (0 before one arrived).
    fn status(&self) -> u16 {
        self.2.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = TransportError;
    type Future = BoxFuture<'c, Result<HttpResponse, TransportError>>;

    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        for (name, value) in &self.1 {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let sent = self.0.send(request);
        Box::pin(async move {
            let response = sent.await?;
            self.2.store(
                response.status().as_u16(),
                std::sync::atomic::Ordering::Relaxed,
            );
            Ok(response)
        })
    }
}

/// The client side of one token request.
pub struct ClientCredentials {
    /// Token endpoint URL, already remapped by host overrides.
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretText,
    /// How the client authenticates.
    pub auth: ClientAuth,
}

/// Performs token requests over a [`TokenTransport`].
#[derive(Clone)]
pub struct TokenEndpoint {
    transport: Arc<dyn TokenTransport>,
}

impl TokenEndpoint {
    /// Token requests over `transport`.
    pub fn new(transport: Arc<dyn TokenTransport>) -> Self {
        Self { transport }
    }

    fn client(&self, creds: &ClientCredentials) -> Result<Client, TokenError> {
        let token_url = TokenUrl::new(creds.token_url.to_owned()).map_err(|e| {
            TokenError::Denied(format!("token URL {:?} is invalid: {e}", creds.token_url))
        })?;
        Ok(
            oauth2::Client::new(ClientId::new(creds.client_id.to_owned()))
                .set_client_secret(ClientSecret::new(creds.client_secret.as_str().to_owned()))
                .set_token_uri(token_url)
                .set_auth_type(match creds.auth {
                    ClientAuth::Basic => AuthType::BasicAuth,
                    ClientAuth::RequestBody => AuthType::RequestBody,
                }),
        )
    }

    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.transport.send(request).await
    }

    fn http(&self, extras: super::token_extras::TokenExtras) -> OAuthHttp {
        OAuthHttp(self.transport.clone(), extras.headers, Default::default())
    }

    /// Exchange an authorization code (with the PKCE verifier when the flow has one).
    pub async fn exchange_code(
        &self,
        creds: &ClientCredentials,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<TokenSet, TokenError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| TokenError::Denied(format!("redirect URI: {e}")))?;
        let client = self.client(creds)?.set_redirect_uri(redirect);
        let mut request = client.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(verifier) = pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        }
        let mut extras = super::token_extras::split(extra)?;
        for (name, value) in std::mem::take(&mut extras.params) {
            request = request.add_extra_param(name, value);
        }
        let http = self.http(extras);
        let response = request
            .request_async(&http)
            .await
            .map_err(|e| classify(e, http.status()))?;
        Ok(token_set(response))
    }

    /// Refresh with `refresh_token`.
    pub async fn refresh(
        &self,
        creds: &ClientCredentials,
        refresh_token: &str,
        extra: &[(String, String)],
    ) -> Result<TokenSet, TokenError> {
        let client = self.client(creds)?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let mut request = client.exchange_refresh_token(&token);
        let mut extras = super::token_extras::split(extra)?;
        for (name, value) in std::mem::take(&mut extras.params) {
            request = request.add_extra_param(name, value);
        }
        let http = self.http(extras);
        let response = request
            .request_async(&http)
            .await
            .map_err(|e| classify(e, http.status()))?;
        Ok(token_set(response))
    }

    /// Revoke `token` at `revoke_url` (RFC 7009), body as form or JSON.
    pub async fn revoke(
        &self,
        revoke_url: &str,
        creds: &ClientCredentials,
        token: &str,
        format: RevokeFormat,
    ) -> Result<(), TokenError> {
        let mut form: Vec<(&str, &str)> =
            vec![("token", token), ("token_type_hint", "refresh_token")];
        let mut builder = http::Request::builder()
            .method(http::Method::POST)
            .uri(revoke_url)
            .header(http::header::ACCEPT, "application/json");
        match creds.auth {
            ClientAuth::Basic => {
                let basic = client_basic(&creds.client_id, &creds.client_secret);
                let mut value = http::HeaderValue::from_str(&basic).map_err(|_| {
                    TokenError::Denied("the client credentials are not a valid header".into())
                })?;
                value.set_sensitive(true);
                builder = builder.header(http::header::AUTHORIZATION, value);
            }
            ClientAuth::RequestBody => {
                form.push(("client_id", &creds.client_id));
                form.push(("client_secret", creds.client_secret.as_str()));
            }
        }
        let (content_type, body) = match format {
            RevokeFormat::Form => (
                "application/x-www-form-urlencoded",
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&form)
                    .finish()
                    .into_bytes(),
            ),
            RevokeFormat::Json => {
                let map: BTreeMap<&str, &str> = form
                    .into_iter()
                    .filter(|(k, _)| *k != "token_type_hint")
                    .collect();
                (
                    "application/json",
                    serde_json::to_vec(&map).unwrap_or_default(),
                )
            }
        };
        let request = builder
            .header(http::header::CONTENT_TYPE, content_type)
            .body(body)
            .map_err(|e| TokenError::Denied(format!("revoke request: {e}")))?;
        let response = self.call(request).await.map_err(|e| {
            TokenError::Transient(format!("revocation endpoint unreachable: {}", e.0))
        })?;
        let status = response.status().as_u16();
        match status {
            200..=299 => Ok(()),
            500..=599 => Err(TokenError::Transient(format!(
                "revocation endpoint answered {status}"
            ))),
            _ => Err(error_from_body(
                "revocation endpoint",
                status,
                response.body(),
            )),
        }
    }
}

/// A refusal from `endpoint` (named in the message, so it is not mistaken for another).
fn error_from_body(endpoint: &str, status: u16, body: &[u8]) -> TokenError {
    let parsed: Option<BasicErrorResponse> = serde_json::from_slice(body).ok();
    match parsed.as_ref().map(server_error) {
        Some(TokenError::InvalidGrant(m)) => TokenError::InvalidGrant(format!("{endpoint}: {m}")),
        Some(TokenError::InvalidClient(m)) => TokenError::InvalidClient(format!("{endpoint}: {m}")),
        Some(TokenError::InvalidScope(m)) => TokenError::InvalidScope(format!("{endpoint}: {m}")),
        Some(other) => other,
        None => TokenError::Rejected(format!("the {endpoint} answered {status}")),
    }
}

/// An error response as its RFC 6749 error code only. Text the endpoint wrote
/// (`error_description`, a nonstandard code) is never quoted: a broken or hostile
/// endpoint may echo tokens there, and errors reach logs, events and run history.
fn server_error(error: &BasicErrorResponse) -> TokenError {
    match error.error() {
        BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant("invalid_grant".into()),
        BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
            TokenError::InvalidClient("invalid_client".into())
        }
        BasicErrorResponseType::InvalidScope => TokenError::InvalidScope("invalid_scope".into()),
        BasicErrorResponseType::Extension(_) => {
            TokenError::Rejected("a nonstandard error code".into())
        }
        other => TokenError::Rejected(other.as_ref().to_owned()),
    }
}

/// A failed token request as the response status and a classification; nothing the
/// endpoint sent (body, headers) is quoted.
fn classify(
    error: RequestTokenError<TransportError, BasicErrorResponse>,
    status: u16,
) -> TokenError {
    match error {
        RequestTokenError::ServerResponse(error) => server_error(&error),
        RequestTokenError::Request(error) => {
            TokenError::Transient(format!("token endpoint unreachable: {error}"))
        }
        RequestTokenError::Parse(_, body) => TokenError::Transient(format!(
            "token endpoint answered {status} with a body that is not a token response \
             ({} bytes, not shown)",
            body.len()
        )),
        RequestTokenError::Other(_) => TokenError::Transient(format!(
            "token endpoint answered {status} with an unexpected response (not shown)"
        )),
    }
}

/// The JSON claims of a JWT access token, if it is one (claims are not the secret: the
/// signed token is).
fn jwt_claims(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then(|| value.to_string())
}

fn token_set(response: Tokens) -> TokenSet {
    let access = response.access_token().secret().clone();
    let mut extra = Vec::new();
    let mut refresh_expires_in = None;
    for (name, value) in &response.extra_fields().fields {
        if WITHHELD_FIELDS.contains(&name.as_str()) {
            continue;
        }
        if REFRESH_LIFETIME_FIELDS.contains(&name.as_str()) {
            refresh_expires_in =
                refresh_expires_in.or(value.as_u64().map(|s| s.min(MAX_LIFETIME_SECS)));
        }
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        extra.push((name.clone(), text));
    }
    if let Some(claims) = jwt_claims(&access) {
        extra.push(("access_token_claims".into(), claims));
    }
    extra.push((
        "token_type".into(),
        format!("{:?}", response.token_type()).to_ascii_lowercase(),
    ));
    TokenSet {
        access_token: SecretText::new(access),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretText::new(t.secret().clone())),
        facts: TokenFacts {
            expires_in: response
                .expires_in()
                .map(|d| d.as_secs().min(MAX_LIFETIME_SECS)),
            refresh_expires_in,
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
            extra,
        },
    }
}

#[cfg(test)]
#[path = "tokens_bounds_tests.rs"]
mod bounds_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_claims_are_extracted_and_opaque_tokens_ignored() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"authentication_event_id":"e1","exp":1}"#);
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
        assert_eq!(
            jwt_claims(&token).as_deref(),
            Some(r#"{"authentication_event_id":"e1","exp":1}"#)
        );
        assert_eq!(jwt_claims("opaque-token"), None);
        assert_eq!(jwt_claims("a.b.c.d"), None);
        assert_eq!(jwt_claims("a.!!!.c"), None);
    }

    #[test]
    fn token_errors_are_classified() {
        let at = "revocation endpoint";
        let body = br#"{"error":"invalid_grant"}"#;
        assert!(matches!(
            error_from_body(at, 400, body),
            TokenError::InvalidGrant(_)
        ));
        let body = br#"{"error":"invalid_client","error_description":"bad secret"}"#;
        assert_eq!(
            error_from_body(at, 401, body),
            TokenError::InvalidClient("revocation endpoint: invalid_client".into())
        );
        let body = br#"{"error":"SECRET-CODE-at-1","error_description":"SECRET-at-2"}"#;
        let shown = format!("{:?}", error_from_body(at, 400, body));
        assert!(!shown.contains("SECRET"), "{shown}");
        assert_eq!(
            error_from_body(at, 401, b"<html>"),
            TokenError::Rejected("the revocation endpoint answered 401".into())
        );
    }

    /// Records each request's `Authorization` header and answers a fixed token.
    #[derive(Default)]
    struct Capture(std::sync::Mutex<Vec<String>>);

    impl TokenTransport for Capture {
        fn send(
            &self,
            request: HttpRequest,
        ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
            let auth = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if let Ok(mut seen) = self.0.lock() {
                seen.push(auth);
            }
            Box::pin(async {
                http::Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(br#"{"access_token":"a","token_type":"bearer"}"#.to_vec())
                    .map_err(|e| TransportError(e.to_string()))
            })
        }
    }

    #[tokio::test]
    async fn token_and_revoke_requests_build_the_same_basic_header() {
        let capture = Arc::new(Capture::default());
        let endpoint = TokenEndpoint::new(capture.clone());
        let creds = ClientCredentials {
            token_url: "https://auth.example.com/token".into(),
            client_id: "id:1".into(),
            client_secret: SecretText::new("s+e%c:r t".into()),
            auth: ClientAuth::Basic,
        };
        endpoint.refresh(&creds, "rt", &[]).await.expect("refresh");
        endpoint
            .revoke(
                "https://auth.example.com/revoke",
                &creds,
                "rt",
                RevokeFormat::Form,
            )
            .await
            .expect("revoke");
        let expected = client_basic("id:1", "s+e%c:r t");
        let seen = capture.0.lock().expect("lock").clone();
        assert_eq!(seen, vec![expected.to_string(), expected.to_string()]);
    }
}
