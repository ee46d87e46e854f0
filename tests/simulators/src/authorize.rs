//! The browser-facing authorize endpoints of both providers.
//!
//! `GET` without `sim_*` parameters shows a consent page (HTML form). With
//! `sim_user`, `sim_orgs` (comma-separated or repeated; tenant ids or names) and
//! `sim_decision=approve|deny` it plays the user's choice and redirects to the client.
//! A bad `client_id` or an unregistered `redirect_uri` never redirects: it shows an
//! error page, as the providers do.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::client_auth::Params;
use crate::clock::Millis;
use crate::consent_page;
use crate::control::SimControl;
use crate::counters::AuthorizeRequest;
use crate::error::SimError;
use crate::ids::{random_b64url, random_hex, random_lower_alnum, uuid_v4};
use crate::model::{App, AuthCode, Provider};
use crate::scopes;
use crate::state::SimState;

/// A redirect back to the client's `redirect_uri`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redirect {
    /// HTTP status (302).
    pub status: u16,
    /// The full `Location`.
    pub location: String,
    /// The query parameters of `location`, decoded, in order.
    pub params: Vec<(String, String)>,
}

impl Redirect {
    fn new(location: String) -> Self {
        let params = url::Url::parse(&location)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        Self {
            status: 302,
            location,
            params,
        }
    }

    /// The first value of `name` in the redirect's query.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the authorize endpoint answers.
pub(crate) enum Outcome {
    /// An HTML page (consent form or error page).
    Page(StatusCode, String),
    /// A redirect to the client.
    Redirect(String),
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Self::Page(status, html) => (status, Html(html)).into_response(),
            Self::Redirect(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        }
    }
}

/// `GET /login.xero.com/identity/connect/authorize`.
pub(crate) async fn xero(State(s): State<Arc<SimControl>>, RawQuery(q): RawQuery) -> Outcome {
    run(
        &s,
        Provider::Xero,
        &Params::parse(q.unwrap_or_default().as_bytes()),
    )
}

/// `GET /appcenter.intuit.com/connect/oauth2`.
pub(crate) async fn qbo(State(s): State<Arc<SimControl>>, RawQuery(q): RawQuery) -> Outcome {
    run(
        &s,
        Provider::Quickbooks,
        &Params::parse(q.unwrap_or_default().as_bytes()),
    )
}

fn run(s: &SimControl, provider: Provider, all: &Params) -> Outcome {
    let now = s.now_ms();
    let (sim, oauth): (Vec<_>, Vec<_>) = all
        .0
        .iter()
        .cloned()
        .partition(|(k, _)| k.starts_with("sim_"));
    let (sim, oauth) = (Params(sim), Params(oauth));
    let mut st = s.lock();
    *st.counters.authorize_requests.entry(provider).or_default() += 1;
    st.last_authorize = Some(AuthorizeRequest {
        provider,
        params: oauth.0.clone(),
        at: now,
    });
    decide(&mut st, provider, now, &oauth, &sim)
}

/// The control-API version of a browser visit (see [`SimControl::authorize`]).
pub(crate) fn drive(
    s: &SimControl,
    url: &str,
    user: &str,
    orgs: &[&str],
    approve: bool,
) -> Result<Redirect, SimError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| SimError::InvalidArgument(format!("authorize URL {url:?}: {e}")))?;
    let path = parsed.path();
    let provider = if path.ends_with("/identity/connect/authorize") {
        Provider::Xero
    } else if path.ends_with("/connect/oauth2") {
        Provider::Quickbooks
    } else {
        return Err(SimError::InvalidArgument(format!(
            "not an authorize URL: {url}"
        )));
    };
    let mut params: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| !k.starts_with("sim_"))
        .collect();
    params.push(("sim_user".into(), user.into()));
    params.push(("sim_orgs".into(), orgs.join(",")));
    let decision = if approve { "approve" } else { "deny" };
    params.push(("sim_decision".into(), decision.into()));
    match run(s, provider, &Params(params)) {
        Outcome::Redirect(location) => Ok(Redirect::new(location)),
        Outcome::Page(status, body) => Err(SimError::AuthorizeFailed {
            status: status.as_u16(),
            body,
        }),
    }
}

fn decide(st: &mut SimState, provider: Provider, now: Millis, p: &Params, sim: &Params) -> Outcome {
    let page = |status: StatusCode, error: &str, description: &str| {
        Outcome::Page(
            status,
            consent_page::error_page(provider, error, description),
        )
    };
    let Some(client_id) = p.get("client_id") else {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id is missing",
        );
    };
    let Some(app) = st.apps.get(&(provider, client_id.to_owned())).cloned() else {
        return page(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Unknown client or client not enabled",
        );
    };
    let Some(redirect_uri) = p.get("redirect_uri") else {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is missing",
        );
    };
    if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid redirect_uri",
        );
    }
    let state = p.get("state");
    let error_redirect = |error: &str| {
        Outcome::Redirect(callback(
            redirect_uri,
            &[("error", Some(error)), ("state", state)],
        ))
    };
    match p.get("response_type") {
        Some("code") => {}
        None => return error_redirect("invalid_request"),
        Some(_) => return error_redirect("unsupported_response_type"),
    }
    let scopes = scopes::split(p.get("scope").unwrap_or(""));
    if scopes::validate(&app, &scopes, now).is_err() {
        return error_redirect("invalid_scope");
    }
    let challenge = p.get("code_challenge");
    match (challenge, p.get("code_challenge_method")) {
        (None, _) if app.client_secret.is_none() => return error_redirect("invalid_request"),
        (Some(_), Some("S256")) | (None, _) => {}
        (Some(_), _) => return error_redirect("invalid_request"),
    }
    let needs_tenant = scopes::needs_tenant(provider, &scopes);
    let Some(decision) = sim.get("sim_decision") else {
        let html = consent_page::consent_page(st, &app, p, &scopes, needs_tenant);
        return Outcome::Page(StatusCode::OK, html);
    };
    match decision {
        "approve" => {}
        "deny" => return error_redirect("access_denied"),
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "sim_decision must be approve or deny",
            );
        }
    }
    let Some(username) = sim.get("sim_user") else {
        return page(
            StatusCode::BAD_REQUEST,
            "login_required",
            "sim_user is missing",
        );
    };
    if st.user(provider, username).is_err() {
        return page(
            StatusCode::BAD_REQUEST,
            "login_required",
            &format!("unknown {provider} user {username}"),
        );
    }
    let tenants = match choose_tenants(st, &app, p, sim, username, needs_tenant) {
        Ok(t) => t,
        Err(msg) => return page(StatusCode::BAD_REQUEST, "invalid_request", &msg),
    };
    let code = match provider {
        Provider::Xero => random_b64url(32),
        Provider::Quickbooks => format!("AB11{}", random_lower_alnum(46)),
    };
    let auth_event_id = uuid_v4();
    st.codes.insert(
        code.clone(),
        AuthCode {
            provider,
            client_id: app.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: challenge.map(str::to_owned),
            username: username.to_owned(),
            tenants: tenants.clone(),
            scopes: scopes.clone(),
            auth_event_id: auth_event_id.clone(),
            issued_at: now,
        },
    );
    match provider {
        Provider::Xero => {
            st.xero_connect(&app.client_id, username, &tenants, &auth_event_id, now);
            let scope = scopes.join(" ");
            let session_state = format!("{}.{}", random_b64url(32), random_hex(16));
            Outcome::Redirect(callback(
                redirect_uri,
                &[
                    ("code", Some(&code)),
                    ("scope", Some(&scope)),
                    ("state", state),
                    ("session_state", Some(&session_state)),
                ],
            ))
        }
        Provider::Quickbooks => Outcome::Redirect(callback(
            redirect_uri,
            &[
                ("code", Some(&code)),
                ("state", state),
                ("realmId", tenants.first().map(String::as_str)),
            ],
        )),
    }
}

/// Resolves and checks the organisations the simulated user picked.
fn choose_tenants(
    st: &SimState,
    app: &App,
    p: &Params,
    sim: &Params,
    username: &str,
    needs_tenant: bool,
) -> Result<Vec<String>, String> {
    if !needs_tenant {
        return Ok(Vec::new());
    }
    let mut tenants: Vec<String> = Vec::new();
    for wanted in sim
        .all("sim_orgs")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let org = st
            .orgs
            .iter()
            .filter(|o| o.provider == app.provider)
            .find(|o| o.tenant_id == wanted || o.name == wanted)
            .ok_or_else(|| format!("unknown organisation {wanted:?}"))?;
        if !org.members.contains(username) {
            return Err(format!("{username} has no access to {:?}", org.name));
        }
        if !tenants.contains(&org.tenant_id) {
            tenants.push(org.tenant_id.clone());
        }
    }
    let single = app.provider == Provider::Quickbooks
        || p.get("acr_values")
            .is_some_and(|v| v.split(' ').any(|a| a == "bulk_connect:false"));
    match (tenants.len(), single) {
        (0, _) => Err("select an organisation to connect".into()),
        (1, _) | (_, false) => Ok(tenants),
        (_, true) => Err("select exactly one organisation".into()),
    }
}

/// `redirect_uri` plus query parameters (spaces as `%20`), skipping absent values.
fn callback(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut out = redirect_uri.to_owned();
    let mut sep = if out.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        if let Some(v) = v {
            out.push(sep);
            out.push_str(k);
            out.push('=');
            let enc: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            out.push_str(&enc.replace('+', "%20"));
            sep = '&';
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_encoding() {
        assert_eq!(
            callback(
                "https://a.example/cb?x=1",
                &[("code", Some("a b+c")), ("state", None)]
            ),
            "https://a.example/cb?x=1&code=a%20b%2Bc"
        );
    }
}
