//! Bearer-token checks for the providers' APIs, answered with the providers' real bodies.
//!
//! Data endpoints call [`crate::SimControl::authorize_api_call`]; `/connections` calls
//! `SimState::authenticate` (it needs no tenant).

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, AUTHORIZATION};

use crate::clock::Millis;
use crate::error::ErrorResponse;
use crate::model::{Grant, GrantRecord, GrantState, Provider, RevokeReason};
use crate::state::SimState;
use crate::{qbo, xero};

/// Why an API call was refused. Render it with [`ApiDenial::response`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiDenial {
    /// No bearer token, or one the provider never issued → 401.
    Unauthenticated(Provider),
    /// The access token expired → 401 (`TokenExpired` / code 3200 "Token expired").
    Expired {
        /// Provider.
        provider: Provider,
        /// When it expired.
        expired_at: Millis,
        /// The token (QuickBooks echoes it in `detail`).
        token: String,
    },
    /// The grant was revoked (revocation, password change) → 401.
    Revoked(Provider),
    /// Valid token, but not for this tenant (missing/unknown `xero-tenant-id`, tenant
    /// disconnected, user removed, QuickBooks realm mismatch or app disconnected) → 403.
    Forbidden(Provider),
}

impl ApiDenial {
    /// The provider's response. `accept_json` matters for QuickBooks only, whose
    /// gateway answers auth failures as XML (code 100) when JSON was not asked for.
    pub fn response(&self, accept_json: bool) -> ErrorResponse {
        match self {
            Self::Unauthenticated(Provider::Xero) | Self::Revoked(Provider::Xero) => {
                xero::errors::unauthorized()
            }
            Self::Expired {
                provider: Provider::Xero,
                expired_at,
                ..
            } => xero::errors::token_expired(*expired_at),
            Self::Forbidden(Provider::Xero) => xero::errors::forbidden(),
            Self::Unauthenticated(Provider::Quickbooks) | Self::Revoked(Provider::Quickbooks) => {
                qbo::errors::authentication_failed(None, accept_json)
            }
            Self::Expired {
                provider: Provider::Quickbooks,
                token,
                ..
            } => qbo::errors::authentication_failed(
                Some(&format!("Token expired: {token}")),
                accept_json,
            ),
            Self::Forbidden(Provider::Quickbooks) => qbo::errors::authorization_failed(),
        }
    }

    /// HTTP status of the response (401 or 403).
    pub fn status(&self) -> u16 {
        match self {
            Self::Forbidden(_) => 403,
            _ => 401,
        }
    }
}

impl From<ApiDenial> for ErrorResponse {
    fn from(d: ApiDenial) -> Self {
        d.response(true)
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_from_headers(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Whether the `Accept` header asks for JSON.
pub fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

impl SimState {
    /// Checks a bearer token without a tenant (Xero `/connections`).
    pub(crate) fn authenticate(
        &self,
        provider: Provider,
        bearer: Option<&str>,
        now: Millis,
    ) -> Result<&GrantRecord, ApiDenial> {
        let token = bearer.ok_or(ApiDenial::Unauthenticated(provider))?;
        let rec = self
            .access_tokens
            .get(token)
            .ok_or(ApiDenial::Unauthenticated(provider))?;
        let g = self
            .grants
            .get(&rec.grant_id)
            .filter(|g| g.provider == provider)
            .ok_or(ApiDenial::Unauthenticated(provider))?;
        if rec.expires_at <= now {
            return Err(ApiDenial::Expired {
                provider,
                expired_at: rec.expires_at,
                token: token.to_owned(),
            });
        }
        match (g.state, provider) {
            (GrantState::Active, _) => Ok(g),
            (GrantState::Revoked(RevokeReason::AppDisconnected), Provider::Quickbooks) => {
                Err(ApiDenial::Forbidden(provider))
            }
            (GrantState::Revoked(_), _) => Err(ApiDenial::Revoked(provider)),
        }
    }

    /// Checks a bearer token for a call on `tenant` (Xero: the `xero-tenant-id` header;
    /// QuickBooks: the realm in the path). `None` is a missing tenant → 403.
    pub(crate) fn authorize_api_call(
        &mut self,
        provider: Provider,
        bearer: Option<&str>,
        tenant: Option<&str>,
        now: Millis,
    ) -> Result<Grant, ApiDenial> {
        *self.counters.api_calls.entry(provider).or_default() += 1;
        let g = self.authenticate(provider, bearer, now)?;
        let tenant = tenant.ok_or(ApiDenial::Forbidden(provider))?;
        let reachable = match provider {
            Provider::Xero => self
                .xero_live_tenants(&g.client_id, &g.username)
                .iter()
                .any(|t| t == tenant),
            Provider::Quickbooks => {
                g.realm_id.as_deref() == Some(tenant) && self.qbo_realm_reachable(g)
            }
        };
        if !reachable {
            return Err(ApiDenial::Forbidden(provider));
        }
        Ok(Grant {
            grant_id: g.id,
            provider,
            client_id: g.client_id.clone(),
            username: g.username.clone(),
            scopes: g.scopes.clone(),
            auth_event_id: g.auth_event_id.clone(),
            tenant_id: Some(tenant.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_from_headers(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer_from_headers(&h), Some("abc"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_from_headers(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_from_headers(&h), None);
    }
}
