//! The grant broker: the host side that holds tokens and client secrets. The runtime
//! asks it for credentials to inject and forwards the plugin's `oauth` calls to it;
//! the plugin only ever sees [`TokenInfo`].

use std::future::Future;
use std::pin::Pin;

use zeroize::Zeroizing;

use crate::runtime::context::CallContext;
use crate::runtime::plugin::PluginInfo;
use crate::runtime::types::{Fields, RevokeFormat, TokenError, TokenInfo};

/// A boxed, sendable future (the broker is used as a trait object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A secret string, wiped from memory when dropped.
pub type SecretText = Zeroizing<String>;

/// The `Authorization` value for HTTP Basic client authentication, per RFC 6749
/// §2.3.1: the client id and secret are each form-urlencoded
/// (`application/x-www-form-urlencoded`) before being joined by `:` and base64-encoded.
/// The one place this header is built: `client-basic` plugin requests and revocation
/// use it, and it matches what the `oauth2` crate sends on token requests.
pub fn client_basic(client_id: &str, client_secret: &str) -> SecretText {
    use base64::Engine as _;
    let id: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let secret =
        SecretText::new(url::form_urlencoded::byte_serialize(client_secret.as_bytes()).collect());
    let joined = SecretText::new(format!("{id}:{}", secret.as_str()));
    SecretText::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined.as_bytes())
    ))
}

/// Why the broker cannot provide a credential.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BrokerError {
    /// The call has no grant or integration to draw on.
    #[error("no credential is available for this call: {0}")]
    Unavailable(String),
    /// The grant is dead; a person must reconnect.
    #[error("reauthorisation required: {0}")]
    ReauthRequired(String),
    /// A passing failure (token endpoint unreachable, storage busy).
    #[error("temporary failure: {0}")]
    Transient(String),
}

/// Holds grants and client credentials on behalf of plugin calls.
pub trait GrantBroker: Send + Sync + 'static {
    /// The access token to inject for `ctx`, refreshed first if it is about to expire.
    fn access_token<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<SecretText, BrokerError>>;

    /// The provider rejected `rejected` with a 401: refresh once (single-flight) and
    /// return the token to retry with, or `None` when no retry makes sense.
    fn after_unauthorized<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretText>, BrokerError>>;

    /// The integration's client id and secret, for `client-basic`.
    fn client_credentials<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<(String, SecretText), BrokerError>>;

    /// `oauth.exchange-code`: exchange the flow's code and stage the grant.
    fn exchange_code<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        code: String,
        extra: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>>;

    /// `oauth.refresh`: refresh the call's grant, committing the rotated token.
    fn refresh<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        extra: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>>;

    /// `oauth.revoke`: revoke the call's refresh token.
    fn revoke<'a>(
        &'a self,
        plugin: &'a PluginInfo,
        ctx: &'a CallContext,
        format: RevokeFormat,
    ) -> BoxFuture<'a, Result<(), TokenError>>;
}

/// A broker with no grants at all: every credential and token call is refused.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGrants;

impl GrantBroker for NoGrants {
    fn access_token<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
    ) -> BoxFuture<'a, Result<SecretText, BrokerError>> {
        Box::pin(async { Err(BrokerError::Unavailable("no grants are configured".into())) })
    }

    fn after_unauthorized<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        _: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretText>, BrokerError>> {
        Box::pin(async { Ok(None) })
    }

    fn client_credentials<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
    ) -> BoxFuture<'a, Result<(String, SecretText), BrokerError>> {
        Box::pin(async {
            Err(BrokerError::Unavailable(
                "no integration is configured".into(),
            ))
        })
    }

    fn exchange_code<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        _: String,
        _: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>> {
        Box::pin(async {
            Err(TokenError::Denied(
                "no authorization flow is in progress".into(),
            ))
        })
    }

    fn refresh<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        _: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>> {
        Box::pin(async { Err(TokenError::Denied("no grant to refresh".into())) })
    }

    fn revoke<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        _: RevokeFormat,
    ) -> BoxFuture<'a, Result<(), TokenError>> {
        Box::pin(async { Err(TokenError::Denied("no grant to revoke".into())) })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    #[test]
    fn client_basic_form_encodes_id_and_secret() {
        let header = super::client_basic("id:1", "s+e%c:r t");
        let encoded = header.strip_prefix("Basic ").expect("basic");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        assert_eq!(decoded, b"id%3A1:s%2Be%25c%3Ar+t");
    }
}
