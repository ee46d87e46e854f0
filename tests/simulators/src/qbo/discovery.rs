//! Intuit's OpenID discovery documents (developer.api.intuit.com/.well-known/...).
//!
//! They name the real endpoints; a client remaps hosts exactly as for every other URL.

use axum::Json;
use serde_json::{Value, json};

fn document(userinfo: &str) -> Value {
    json!({
        "issuer": "https://oauth.platform.intuit.com/op/v1",
        "authorization_endpoint": "https://appcenter.intuit.com/connect/oauth2",
        "token_endpoint": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": userinfo,
        "revocation_endpoint": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        "jwks_uri": "https://oauth.platform.intuit.com/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"]
    })
}

/// `GET /developer.api.intuit.com/.well-known/openid_configuration`.
pub(crate) async fn production() -> Json<Value> {
    Json(document(
        "https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
    ))
}

/// `GET /developer.api.intuit.com/.well-known/openid_sandbox_configuration`.
pub(crate) async fn sandbox() -> Json<Value> {
    Json(document(
        "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo",
    ))
}
