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

use crate::runtime::bindings::types::{ClientAuth, RevokeFormat, TokenError};
use crate::runtime::capabilities::broker::{BoxFuture, SecretText};

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
                .map_err(|e| TransportError(e.without_url().to_string()))?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            builder
                .body(body.to_vec())
                .map_err(|e| TransportError(e.to_string()))
        })
    }
}

/// The oauth2 crate's view of a [`TokenTransport`].
struct OAuthHttp(Arc<dyn TokenTransport>);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = TransportError;
    type Future = BoxFuture<'c, Result<HttpResponse, TransportError>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        self.0.send(request)
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

    fn http(&self) -> OAuthHttp {
        OAuthHttp(self.transport.clone())
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
        for (name, value) in extra {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let response = request
            .request_async(&self.http())
            .await
            .map_err(classify)?;
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
        for (name, value) in extra {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let response = request
            .request_async(&self.http())
            .await
            .map_err(classify)?;
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
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    creds.client_id,
                    creds.client_secret.as_str()
                ));
                builder = builder.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
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
        let response = self
            .call(request)
            .await
            .map_err(|e| TokenError::Transient(e.0))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => Ok(()),
            500..=599 => Err(TokenError::Transient(format!(
                "revocation endpoint answered {status}"
            ))),
            _ => Err(error_from_body(status, response.body())),
        }
    }
}

fn error_from_body(status: u16, body: &[u8]) -> TokenError {
    let parsed: Option<BasicErrorResponse> = serde_json::from_slice(body).ok();
    match parsed {
        Some(error) => server_error(&error),
        None => TokenError::Rejected(format!("the endpoint answered {status}")),
    }
}

fn server_error(error: &BasicErrorResponse) -> TokenError {
    let description = error.error_description().cloned().unwrap_or_default();
    let text = |code: &str| {
        if description.is_empty() {
            code.to_owned()
        } else {
            format!("{code}: {description}")
        }
    };
    match error.error() {
        BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant(text("invalid_grant")),
        BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
            TokenError::InvalidClient(text("invalid_client"))
        }
        BasicErrorResponseType::InvalidScope => TokenError::InvalidScope(text("invalid_scope")),
        other => TokenError::Rejected(text(other.as_ref())),
    }
}

fn classify(error: RequestTokenError<TransportError, BasicErrorResponse>) -> TokenError {
    match error {
        RequestTokenError::ServerResponse(error) => server_error(&error),
        RequestTokenError::Request(error) => {
            TokenError::Transient(format!("token endpoint unreachable: {error}"))
        }
        RequestTokenError::Parse(_, body) => {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(120).collect();
            TokenError::Transient(format!(
                "token endpoint sent an unreadable answer: {excerpt}"
            ))
        }
        RequestTokenError::Other(message) => TokenError::Transient(message),
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
            refresh_expires_in = refresh_expires_in.or(value.as_u64());
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
            expires_in: response.expires_in().map(|d| d.as_secs()),
            refresh_expires_in,
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
            extra,
        },
    }
}

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
        let body = br#"{"error":"invalid_grant"}"#;
        assert!(matches!(
            error_from_body(400, body),
            TokenError::InvalidGrant(_)
        ));
        let body = br#"{"error":"invalid_client","error_description":"bad secret"}"#;
        assert_eq!(
            error_from_body(401, body),
            TokenError::InvalidClient("invalid_client: bad secret".into())
        );
        assert!(matches!(
            error_from_body(400, b"<html>"),
            TokenError::Rejected(_)
        ));
    }
}
