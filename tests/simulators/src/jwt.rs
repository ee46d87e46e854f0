//! Token strings shaped like the real ones: Xero's RS256 JWTs (with a fake signature) and
//! QuickBooks' opaque JWE access tokens and `RT1-` refresh tokens.
//!
//! The simulator never trusts what is inside a token: it looks every token up by value.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::clock::{Millis, SECOND};
use crate::ids::{random_b64url, random_digits, random_hex, random_lower_alnum};

/// Xero's issuer.
pub const XERO_ISSUER: &str = "https://identity.xero.com";
/// Xero's access-token audience.
pub const XERO_AUDIENCE: &str = "https://identity.xero.com/resources";
/// Intuit's issuer.
pub const INTUIT_ISSUER: &str = "https://oauth.platform.intuit.com/op/v1";

/// A JWT with a real-looking RS256 header and a random (unverifiable) signature.
pub fn fake_rs256(claims: &Value) -> String {
    let header = json!({
        "alg": "RS256",
        "kid": "1CAF8E66772D6DC028D6726FD0261581570EFC19",
        "typ": "JWT",
        "x5t": "HK-OZncLbcAo1nJv0CYVgVcO_Bk"
    });
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        random_b64url(256)
    )
}

/// Decodes the claims of a JWT without checking anything (for tests and tooling).
pub fn decode_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Inputs of a Xero access token.
pub struct XeroAccessClaims<'a> {
    /// Issue time.
    pub now: Millis,
    /// Lifetime.
    pub lifetime: Millis,
    /// App.
    pub client_id: &'a str,
    /// Opaque subject.
    pub sub: &'a str,
    /// `xero_userid`.
    pub xero_userid: &'a str,
    /// `global_session_id`.
    pub global_session_id: &'a str,
    /// `authentication_event_id`.
    pub auth_event_id: &'a str,
    /// `auth_time`.
    pub auth_time: Millis,
    /// Granted scopes.
    pub scopes: &'a [String],
}

/// A Xero access token (30 minutes in production).
pub fn xero_access_token(c: &XeroAccessClaims<'_>) -> String {
    let nbf = c.now / SECOND;
    fake_rs256(&json!({
        "nbf": nbf,
        "exp": nbf + c.lifetime / SECOND,
        "iss": XERO_ISSUER,
        "aud": XERO_AUDIENCE,
        "client_id": c.client_id,
        "sub": c.sub,
        "auth_time": c.auth_time / SECOND,
        "xero_userid": c.xero_userid,
        "global_session_id": c.global_session_id,
        "sid": c.global_session_id,
        "jti": random_hex(16).to_uppercase(),
        "authentication_event_id": c.auth_event_id,
        "scope": c.scopes,
    }))
}

/// Inputs of an ID token.
pub struct IdTokenClaims<'a> {
    /// Issuer.
    pub issuer: &'a str,
    /// Issue time.
    pub now: Millis,
    /// App (audience).
    pub client_id: &'a str,
    /// Subject.
    pub sub: &'a str,
    /// Provider user id.
    pub user_id: &'a str,
    /// Session id.
    pub session_id: &'a str,
    /// `auth_time`.
    pub auth_time: Millis,
    /// E-mail.
    pub email: &'a str,
    /// Given name.
    pub given_name: &'a str,
    /// Family name.
    pub family_name: &'a str,
    /// QuickBooks realm, if any.
    pub realm_id: Option<&'a str>,
}

/// A Xero ID token (5 minutes).
pub fn xero_id_token(c: &IdTokenClaims<'_>) -> String {
    let iat = c.now / SECOND;
    fake_rs256(&json!({
        "nbf": iat,
        "exp": iat + 300,
        "iss": c.issuer,
        "aud": c.client_id,
        "iat": iat,
        "at_hash": random_b64url(16),
        "sid": c.session_id,
        "sub": c.sub,
        "auth_time": c.auth_time / SECOND,
        "xero_userid": c.user_id,
        "global_session_id": c.session_id,
        "preferred_username": c.email,
        "email": c.email,
        "given_name": c.given_name,
        "family_name": c.family_name,
        "name": format!("{} {}", c.given_name, c.family_name),
        "amr": ["pwd"],
    }))
}

/// An Intuit ID token.
pub fn intuit_id_token(c: &IdTokenClaims<'_>) -> String {
    let iat = c.now / SECOND;
    fake_rs256(&json!({
        "sub": c.user_id,
        "aud": [c.client_id],
        "realmid": c.realm_id,
        "auth_time": c.auth_time / SECOND,
        "iss": c.issuer,
        "exp": iat + 3600,
        "iat": iat,
    }))
}

/// An opaque Intuit access token: a compact JWE with an empty key segment
/// (`eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..iv.ciphertext.tag`).
pub fn intuit_access_token() -> String {
    format!(
        "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..{}.{}.{}",
        random_b64url(16),
        random_b64url(600),
        random_b64url(16)
    )
}

/// An Intuit refresh token like `RT1-39-H3-1785429816rcysb9dns1ofreknypnm`
/// (the digits are the expiry in Unix seconds).
pub fn intuit_refresh_token(expires_at: Millis) -> String {
    format!(
        "RT1-{}-H0-{}{}",
        random_digits(2),
        expires_at / SECOND,
        random_lower_alnum(20)
    )
}

/// A Xero refresh token (64 hex, as IdentityServer reference tokens look).
pub fn xero_refresh_token() -> String {
    random_hex(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xero_token_claims_decode() {
        let scopes = vec!["openid".to_owned(), "accounting.settings".to_owned()];
        let t = xero_access_token(&XeroAccessClaims {
            now: 1_000_000,
            lifetime: 1_800_000,
            client_id: "cid",
            sub: "s",
            xero_userid: "u",
            global_session_id: "g",
            auth_event_id: "e",
            auth_time: 1_000_000,
            scopes: &scopes,
        });
        let c = decode_claims(&t).expect("claims");
        assert_eq!(
            c["exp"].as_i64().unwrap() - c["nbf"].as_i64().unwrap(),
            1800
        );
        assert_eq!(c["scope"][1], "accounting.settings");
        assert_eq!(c["authentication_event_id"], "e");
    }

    #[test]
    fn intuit_shapes() {
        assert_eq!(intuit_access_token().split('.').count(), 5);
        assert!(intuit_refresh_token(1_785_429_816_000).contains("-H0-1785429816"));
    }
}
