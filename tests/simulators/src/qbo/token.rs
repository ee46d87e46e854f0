//! Intuit's token endpoint (oauth.platform.intuit.com) and revocation endpoint
//! (developer.api.intuit.com).
//!
//! Client authentication is `Authorization: Basic` only; credentials in the body get
//! `401 {"error":"invalid_client"}`. Every response carries `intuit_tid` (added by the
//! server middleware for all Intuit hosts).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::client_auth::{Params, basic, is_form, secret_eq};
use crate::clock::{Millis, SECOND};
use crate::control::SimControl;
use crate::counters::SUCCESS;
use crate::error::{ErrorResponse, OAuthError};
use crate::grants::{CODE_LIFETIME, QBO_PREVIOUS_RT, QBO_RT_ROLLING, RtChoice};
use crate::ids::pkce_s256;
use crate::model::{
    App, GrantRecord, GrantState, IssuedTokens, Provider, QboPreviousRt, QboRefreshValue,
    RevokeReason, RtStatus,
};
use crate::state::SimState;
use crate::xero::token::injected;

/// The token response (field order as in PROVIDERS.md B1).
#[derive(Debug, Serialize)]
pub(crate) struct TokenBody {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
    x_refresh_token_expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_refresh_token_hard_expires_in: Option<i64>,
}

fn body(issued: &IssuedTokens, g: &GrantRecord, now: Millis, hard: bool) -> TokenBody {
    TokenBody {
        access_token: issued.access_token.clone(),
        refresh_token: issued.refresh_token.clone().unwrap_or_default(),
        token_type: "bearer",
        expires_in: ((issued.at_expires_at - now) / SECOND).max(0),
        x_refresh_token_expires_in: ((g.rt_expires_at.min(g.hard_expires_at) - now) / SECOND)
            .max(0),
        id_token: issued.id_token.clone(),
        x_refresh_token_hard_expires_in: hard.then(|| ((g.hard_expires_at - now) / SECOND).max(0)),
    }
}

fn invalid_client() -> OAuthError {
    OAuthError::bare("invalid_client").with_status(StatusCode::UNAUTHORIZED)
}

/// Basic-only client authentication.
fn client(st: &SimState, headers: &HeaderMap) -> Result<App, OAuthError> {
    let Some(Ok((id, secret))) = basic(headers) else {
        return Err(invalid_client());
    };
    let app = st
        .apps
        .get(&(Provider::Quickbooks, id))
        .ok_or_else(invalid_client)?;
    match &app.client_secret {
        Some(expected) if secret_eq(expected, &secret) => Ok(app.clone()),
        _ => Err(invalid_client()),
    }
}

/// `POST /oauth.platform.intuit.com/oauth2/v1/tokens/bearer`.
pub(crate) async fn token(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let now = s.now_ms();
    let form = Params::parse(&raw);
    let grant_type = form.get("grant_type").unwrap_or("").to_owned();
    let presented = match basic(&headers) {
        Some(Ok((id, _))) => id,
        _ => form.get("client_id").unwrap_or("").to_owned(),
    };
    let hard = headers
        .get("x-include-refresh-token-hard-expires-in")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut st = s.lock();
    if let Some(status) = st.take_injected_failure(Provider::Quickbooks) {
        st.counters.count_token(
            Provider::Quickbooks,
            &grant_type,
            &presented,
            &format!("injected_{status}"),
        );
        return injected(status);
    }
    let result = exchange(&mut st, now, &headers, &form, &grant_type, hard);
    let outcome = result.as_ref().map_or_else(|e| e.error, |_| SUCCESS);
    st.counters
        .count_token(Provider::Quickbooks, &grant_type, &presented, outcome);
    drop(st);
    match result {
        Ok(b) => (
            [
                (CONTENT_TYPE, "application/json;charset=UTF-8"),
                (CACHE_CONTROL, "no-cache, no-store"),
                (PRAGMA, "no-cache"),
            ],
            serde_json::to_string(&b).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => e.into_error_response(Provider::Quickbooks).into_response(),
    }
}

fn exchange(
    st: &mut SimState,
    now: Millis,
    headers: &HeaderMap,
    form: &Params,
    grant_type: &str,
    hard: bool,
) -> Result<TokenBody, OAuthError> {
    let app = client(st, headers)?;
    if !is_form(headers) {
        return Err(OAuthError::bare("invalid_request"));
    }
    match grant_type {
        "authorization_code" => code_grant(st, now, &app, form, hard),
        "refresh_token" => refresh_grant(st, now, &app, form, hard),
        "" => Err(OAuthError::bare("invalid_request")),
        _ => Err(OAuthError::bare("unsupported_grant_type")),
    }
}

fn code_grant(
    st: &mut SimState,
    now: Millis,
    app: &App,
    form: &Params,
    hard: bool,
) -> Result<TokenBody, OAuthError> {
    let invalid = OAuthError::bare("invalid_grant");
    let code = form
        .get("code")
        .ok_or(OAuthError::bare("invalid_request"))?;
    let rec = st.codes.remove(code).ok_or(invalid.clone())?;
    if rec.provider != Provider::Quickbooks
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
    let issued = st
        .issue_tokens(gid, now, RtChoice::New)
        .ok_or(invalid.clone())?;
    let g = st.grants.get(&gid).ok_or(invalid)?;
    Ok(body(&issued, g, now, hard))
}

fn refresh_grant(
    st: &mut SimState,
    now: Millis,
    app: &App,
    form: &Params,
    hard: bool,
) -> Result<TokenBody, OAuthError> {
    let invalid = OAuthError::described("invalid_grant", "Incorrect or invalid refresh token");
    let rt = form
        .get("refresh_token")
        .ok_or(OAuthError::bare("invalid_request"))?;
    let rec = st.refresh_tokens.get(rt).cloned().ok_or(invalid.clone())?;
    let g = st
        .grants
        .get(&rec.grant_id)
        .cloned()
        .ok_or(invalid.clone())?;
    if g.provider != Provider::Quickbooks || g.client_id != app.client_id {
        return Err(invalid);
    }
    if g.state != GrantState::Active {
        return Err(OAuthError::described("invalid_grant", "Token invalid"));
    }
    if now >= g.hard_expires_at {
        st.kill_rt(rt);
        return Err(invalid);
    }
    match rec.status {
        RtStatus::Dead => Err(invalid),
        RtStatus::Current => {
            if now >= g.rt_expires_at {
                st.kill_rt(rt);
                return Err(invalid);
            }
            let keep = st.modes.qbo_refresh_value == QboRefreshValue::KeepWithin24h
                && now - rec.issued_at < QBO_PREVIOUS_RT;
            let choice = if keep { RtChoice::Keep } else { RtChoice::New };
            let issued = st.issue_tokens(g.id, now, choice).ok_or(invalid.clone())?;
            if !keep {
                st.supersede(rt, now, &issued);
            }
            let gm = st.grants.get_mut(&g.id).ok_or(invalid)?;
            gm.rt_expires_at = now + QBO_RT_ROLLING;
            Ok(body(&issued, gm, now, hard))
        }
        RtStatus::Superseded { at, .. } => {
            let answer = st.modes.qbo_previous_rt == QboPreviousRt::CurrentPairWithin24h
                && now < at + QBO_PREVIOUS_RT;
            match (answer, &g.latest) {
                (true, Some(latest)) if now < g.rt_expires_at => Ok(body(latest, &g, now, hard)),
                _ => {
                    if now >= at + QBO_PREVIOUS_RT {
                        st.kill_rt(rt);
                    }
                    Err(invalid)
                }
            }
        }
    }
}

/// `POST /developer.api.intuit.com/v2/oauth2/tokens/revoke` with JSON `{"token": ...}`
/// (refresh or access token) and Basic auth → `200` empty; unknown token → `400`.
/// Revoking disconnects the app from that company: the grant is revoked and the app's
/// other grants for the same company are marked disconnected.
pub(crate) async fn revoke(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let mut st = s.lock();
    let result = revoke_inner(&mut st, &headers, &raw);
    let outcome = result.as_ref().map_or_else(|e| e.error, |_| SUCCESS);
    st.counters.count_revocation(Provider::Quickbooks, outcome);
    drop(st);
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            e.into_error_response(Provider::Quickbooks).into_response()
        }
        Err(e) => ErrorResponse::empty(e.status).into_response(),
    }
}

fn revoke_inner(st: &mut SimState, headers: &HeaderMap, raw: &[u8]) -> Result<(), OAuthError> {
    let app = client(st, headers)?;
    let json_body = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !json_body {
        return Err(OAuthError::bare("invalid_request"));
    }
    let token: String = serde_json::from_slice::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| v.get("token")?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty())
        .ok_or(OAuthError::bare("invalid_request"))?;
    let grant_id = st
        .refresh_tokens
        .get(&token)
        .map(|r| r.grant_id)
        .or_else(|| st.access_tokens.get(&token).map(|a| a.grant_id))
        .ok_or(OAuthError::bare("invalid_token"))?;
    let g = st
        .grants
        .get(&grant_id)
        .cloned()
        .filter(|g| g.provider == Provider::Quickbooks && g.client_id == app.client_id)
        .ok_or(OAuthError::bare("invalid_token"))?;
    st.revoke_grant(grant_id, RevokeReason::Revoked);
    if let Some(realm) = g.realm_id.as_deref() {
        let others = st.active_grants_where(|o| {
            o.provider == Provider::Quickbooks
                && o.client_id == g.client_id
                && o.realm_id.as_deref() == Some(realm)
        });
        for id in others {
            st.revoke_grant(id, RevokeReason::AppDisconnected);
        }
    }
    Ok(())
}
