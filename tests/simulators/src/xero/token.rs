//! Xero's token and revocation endpoints (identity.xero.com).
//!
//! Client authentication: `Authorization: Basic` or `client_id`/`client_secret` in the
//! form (xero-python does the latter); PKCE apps send only `client_id`. Errors are the
//! bare `{"error":"..."}` bodies Xero sends, status 400.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::client_auth::{ClientAuth, Params, client_auth, is_form, secret_eq};
use crate::clock::{Millis, SECOND};
use crate::control::SimControl;
use crate::counters::SUCCESS;
use crate::error::{ErrorResponse, OAuthError};
use crate::grants::{CODE_LIFETIME, RtChoice, XERO_GRACE, XERO_RT_IDLE};
use crate::ids::pkce_s256;
use crate::model::{
    App, GrantState, IssuedTokens, Provider, RevokeReason, RtStatus, XeroGraceReuse,
};
use crate::state::SimState;

/// The token response (field order as Xero sends it).
#[derive(Debug, Serialize)]
pub(crate) struct TokenBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    access_token: String,
    expires_in: i64,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

fn body(issued: &IssuedTokens, scopes: &[String], now: Millis) -> TokenBody {
    TokenBody {
        id_token: issued.id_token.clone(),
        access_token: issued.access_token.clone(),
        expires_in: ((issued.at_expires_at - now) / SECOND).max(0),
        token_type: "Bearer",
        refresh_token: issued.refresh_token.clone(),
        scope: scopes.join(" "),
    }
}

/// A response for an injected failure.
pub(crate) fn injected(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let text = status.canonical_reason().unwrap_or("Error");
    ErrorResponse::text(
        status,
        "text/html",
        format!("<html><body><h1>{text}</h1></body></html>"),
    )
    .into_response()
}

/// `POST /identity.xero.com/connect/token`.
pub(crate) async fn token(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let now = s.now_ms();
    let form = Params::parse(&raw);
    let grant_type = form.get("grant_type").unwrap_or("").to_owned();
    let auth = client_auth(&headers, &form);
    let presented = match &auth {
        ClientAuth::Presented(c) => c.client_id.clone(),
        _ => String::new(),
    };
    let mut st = s.lock();
    if let Some(status) = st.take_injected_failure(Provider::Xero) {
        st.counters.count_token(
            Provider::Xero,
            &grant_type,
            &presented,
            &format!("injected_{status}"),
        );
        return injected(status);
    }
    let result = exchange(&mut st, now, &headers, &form, &auth, &grant_type);
    let outcome = result.as_ref().map_or_else(|e| e.error, |_| SUCCESS);
    st.counters
        .count_token(Provider::Xero, &grant_type, &presented, outcome);
    drop(st);
    match result {
        Ok(b) => (
            [
                (CACHE_CONTROL, "no-store, no-cache, max-age=0"),
                (PRAGMA, "no-cache"),
            ],
            axum::Json(b),
        )
            .into_response(),
        Err(e) => e.into_error_response(Provider::Xero).into_response(),
    }
}

fn exchange(
    st: &mut SimState,
    now: Millis,
    headers: &HeaderMap,
    form: &Params,
    auth: &ClientAuth,
    grant_type: &str,
) -> Result<TokenBody, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::bare("invalid_request"));
    }
    let app = client(st, auth)?;
    match grant_type {
        "authorization_code" => code_grant(st, now, &app, form),
        "refresh_token" => refresh_grant(st, now, &app, form),
        "client_credentials" => Err(OAuthError::bare("unauthorized_client")),
        "" => Err(OAuthError::bare("invalid_request")),
        _ => Err(OAuthError::bare("unsupported_grant_type")),
    }
}

/// Authenticates the client: a confidential app needs its current secret; a PKCE app
/// presents its id only.
fn client(st: &SimState, auth: &ClientAuth) -> Result<App, OAuthError> {
    let ClientAuth::Presented(c) = auth else {
        return Err(OAuthError::bare("invalid_client"));
    };
    let app = st
        .apps
        .get(&(Provider::Xero, c.client_id.clone()))
        .ok_or(OAuthError::bare("invalid_client"))?;
    match (&app.client_secret, &c.client_secret) {
        (Some(expected), Some(got)) if secret_eq(expected, got) => Ok(app.clone()),
        (None, None) => Ok(app.clone()),
        _ => Err(OAuthError::bare("invalid_client")),
    }
}

fn code_grant(
    st: &mut SimState,
    now: Millis,
    app: &App,
    form: &Params,
) -> Result<TokenBody, OAuthError> {
    let invalid = OAuthError::bare("invalid_grant");
    let code = form.get("code").ok_or(invalid.clone())?;
    // Single use: a presented code is burnt whatever happens next.
    let rec = st.codes.remove(code).ok_or(invalid.clone())?;
    if rec.provider != Provider::Xero
        || rec.client_id != app.client_id
        || now >= rec.issued_at + CODE_LIFETIME
        || form.get("redirect_uri") != Some(rec.redirect_uri.as_str())
    {
        return Err(invalid);
    }
    if let Some(challenge) = &rec.code_challenge {
        let verifier = form.get("code_verifier").ok_or(invalid.clone())?;
        if pkce_s256(verifier) != *challenge {
            return Err(invalid);
        }
    }
    let gid = st.create_grant(&rec, now);
    let rt = if rec.scopes.iter().any(|s| s == "offline_access") {
        RtChoice::New
    } else {
        RtChoice::Omit
    };
    let issued = st.issue_tokens(gid, now, rt).ok_or(invalid)?;
    Ok(body(&issued, &rec.scopes, now))
}

fn refresh_grant(
    st: &mut SimState,
    now: Millis,
    app: &App,
    form: &Params,
) -> Result<TokenBody, OAuthError> {
    let invalid = OAuthError::bare("invalid_grant");
    let rt = form
        .get("refresh_token")
        .ok_or(OAuthError::bare("invalid_request"))?;
    let rec = st.refresh_tokens.get(rt).cloned().ok_or(invalid.clone())?;
    let g = st
        .grants
        .get(&rec.grant_id)
        .cloned()
        .ok_or(invalid.clone())?;
    if g.provider != Provider::Xero || g.client_id != app.client_id || g.state != GrantState::Active
    {
        return Err(invalid);
    }
    if now >= rec.issued_at + XERO_RT_IDLE {
        st.kill_rt(rt);
        return Err(invalid);
    }
    match rec.status {
        RtStatus::Dead => Err(invalid),
        RtStatus::Current => {
            let issued = st.issue_tokens(g.id, now, RtChoice::New).ok_or(invalid)?;
            st.supersede(rt, now, &issued);
            Ok(body(&issued, &g.scopes, now))
        }
        RtStatus::Superseded { at, successor } => {
            if now >= at + XERO_GRACE {
                st.kill_rt(rt);
                return Err(invalid);
            }
            match st.modes.xero_grace {
                XeroGraceReuse::SamePair => Ok(body(&successor, &g.scopes, now)),
                XeroGraceReuse::FreshPair => {
                    let issued = st.issue_tokens(g.id, now, RtChoice::New).ok_or(invalid)?;
                    if let Some(current) = g.current_rt.as_deref().filter(|c| *c != rt) {
                        st.supersede(current, now, &issued);
                    }
                    Ok(body(&issued, &g.scopes, now))
                }
            }
        }
    }
}

/// `POST /identity.xero.com/connect/revocation`: `token=<refresh_token>`, Basic or body
/// client credentials → `200` with an empty body (also for unknown tokens, RFC 7009).
/// Revoking a refresh token revokes its grant (access tokens included) and removes
/// all of that user's connections to the app.
pub(crate) async fn revocation(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let form = Params::parse(&raw);
    let auth = client_auth(&headers, &form);
    let mut st = s.lock();
    let result = revoke(&mut st, &headers, &form, &auth);
    let outcome = result.as_ref().map_or_else(|e| e.error, |_| SUCCESS);
    st.counters.count_revocation(Provider::Xero, outcome);
    drop(st);
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_error_response(Provider::Xero).into_response(),
    }
}

fn revoke(
    st: &mut SimState,
    headers: &HeaderMap,
    form: &Params,
    auth: &ClientAuth,
) -> Result<(), OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::bare("invalid_request"));
    }
    let app = client(st, auth)?;
    let token = form
        .get("token")
        .ok_or(OAuthError::bare("invalid_request"))?;
    let Some(grant_id) = st.refresh_tokens.get(token).map(|r| r.grant_id) else {
        return Ok(());
    };
    let Some(g) = st.grants.get(&grant_id).cloned() else {
        return Ok(());
    };
    if g.client_id != app.client_id || g.provider != Provider::Xero {
        return Ok(());
    }
    st.revoke_grant(grant_id, RevokeReason::Revoked);
    st.connections
        .retain(|c| !(c.client_id == g.client_id && c.username == g.username));
    Ok(())
}
