//! `/_sim/...`: the control API over HTTP, for the standalone binary and the demo.
//! Same operations as [`SimControl`]; documented in tests/simulators/README.md.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::clock::Millis;
use crate::control::SimControl;
use crate::error::SimError;
use crate::ids::random_b64url;
use crate::model::{AppSpec, Modes, Provider, ScopeModel};
use crate::timefmt::iso_utc;

type S = State<Arc<SimControl>>;

/// The `/_sim` router (nested by the main router).
pub(crate) fn router() -> Router<Arc<SimControl>> {
    Router::new()
        .route("/state", get(state))
        .route("/clock", get(clock))
        .route("/clock/advance", post(clock_advance))
        .route("/clock/set", post(clock_set))
        .route("/apps", post(add_app))
        .route(
            "/apps/{provider}/{client_id}/rotate-secret",
            post(rotate_secret),
        )
        .route("/apps/{provider}/{client_id}/settings", post(app_settings))
        .route("/users", post(add_user))
        .route(
            "/users/{provider}/{username}/change-password",
            post(change_password),
        )
        .route("/orgs", post(add_org))
        .route(
            "/orgs/{tenant}/members/{username}",
            put(add_member).delete(remove_member),
        )
        .route("/orgs/{tenant}/disconnect/{client_id}", post(disconnect))
        .route("/counters", get(counters))
        .route("/counters/reset", post(reset_counters))
        .route("/grants", get(grants))
        .route("/connections", get(connections))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/last-authorize", get(last_authorize))
        .route("/modes", get(modes).put(set_modes))
        .route("/fail-next-token", post(fail_next_token))
        .route("/authorize", post(authorize))
        .nest("/xero", crate::xero::control_routes::router())
        .nest("/qbo", crate::qbo::control_routes::router())
}

fn provider(s: &str) -> Result<Provider, SimError> {
    Provider::parse(s).ok_or_else(|| SimError::InvalidArgument(format!("unknown provider {s:?}")))
}

fn clock_json(s: &SimControl) -> Value {
    let now = s.now_ms();
    json!({"now_ms": now, "now": iso_utc(now), "frozen": s.clock().is_frozen()})
}

async fn state(State(s): S) -> Json<Value> {
    Json(json!({
        "clock": clock_json(&s),
        "apps": s.apps(),
        "orgs": s.orgs(),
        "connections": s.connections(),
        "grants": s.grants(),
        "modes": s.modes(),
    }))
}

async fn clock(State(s): S) -> Json<Value> {
    Json(clock_json(&s))
}

#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    ms: i64,
}

async fn clock_advance(State(s): S, Json(a): Json<Advance>) -> Json<Value> {
    s.clock()
        .advance_ms(a.seconds.saturating_mul(1_000).saturating_add(a.ms));
    Json(clock_json(&s))
}

#[derive(Deserialize)]
struct SetClock {
    unix_ms: Millis,
    #[serde(default)]
    freeze: Option<bool>,
}

async fn clock_set(State(s): S, Json(c): Json<SetClock>) -> Json<Value> {
    s.clock().set_ms(c.unix_ms);
    match c.freeze {
        Some(true) => s.clock().freeze(),
        Some(false) => s.clock().resume(),
        None => {}
    }
    Json(clock_json(&s))
}

#[derive(Deserialize)]
struct NewApp {
    provider: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    pkce: bool,
    redirect_uris: Vec<String>,
    scope_model: Option<ScopeModel>,
    created_at_ms: Option<Millis>,
    #[serde(default)]
    journals_premium: bool,
}

async fn add_app(State(s): S, Json(a): Json<NewApp>) -> Result<Response, SimError> {
    let provider = provider(&a.provider)?;
    let client_id = a.client_id.unwrap_or_else(|| random_b64url(24));
    let mut spec = if a.pkce {
        AppSpec::pkce(provider, client_id.clone(), a.redirect_uris)
    } else {
        let secret = a.client_secret.unwrap_or_else(|| random_b64url(36));
        AppSpec::new(provider, client_id.clone(), secret, a.redirect_uris)
    };
    spec.scope_model = a.scope_model;
    spec.created_at = a.created_at_ms.map(crate::clock::ms_to_system);
    spec.journals_premium = a.journals_premium;
    s.add_app(spec)?;
    Ok((StatusCode::CREATED, Json(s.app(provider, &client_id)?)).into_response())
}

async fn rotate_secret(
    State(s): S,
    Path((p, id)): Path<(String, String)>,
) -> Result<Json<Value>, SimError> {
    let secret = s.rotate_client_secret(provider(&p)?, &id)?;
    Ok(Json(json!({"client_id": id, "client_secret": secret})))
}

#[derive(Deserialize)]
struct AppSettings {
    scope_model: Option<ScopeModel>,
    journals_premium: Option<bool>,
}

async fn app_settings(
    State(s): S,
    Path((p, id)): Path<(String, String)>,
    Json(a): Json<AppSettings>,
) -> Result<Response, SimError> {
    let provider = provider(&p)?;
    if let Some(m) = a.scope_model {
        s.set_scope_model(provider, &id, m)?;
    }
    if let Some(on) = a.journals_premium {
        s.set_journals_premium(provider, &id, on)?;
    }
    Ok(Json(s.app(provider, &id)?).into_response())
}

#[derive(Deserialize)]
struct NewUser {
    provider: String,
    username: String,
}

async fn add_user(State(s): S, Json(u): Json<NewUser>) -> Result<Response, SimError> {
    let user_id = s.add_user(provider(&u.provider)?, &u.username)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"username": u.username, "user_id": user_id})),
    )
        .into_response())
}

async fn change_password(
    State(s): S,
    Path((p, user)): Path<(String, String)>,
) -> Result<Json<Value>, SimError> {
    let n = s.change_password(provider(&p)?, &user)?;
    Ok(Json(json!({"revoked_grants": n})))
}

#[derive(Deserialize)]
struct NewOrg {
    provider: String,
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

async fn add_org(State(s): S, Json(o): Json<NewOrg>) -> Result<Response, SimError> {
    let tenant_id = s.add_org(provider(&o.provider)?, &o.name);
    for m in &o.members {
        s.grant_user_access(m, &tenant_id)?;
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({"tenant_id": tenant_id, "name": o.name})),
    )
        .into_response())
}

async fn add_member(
    State(s): S,
    Path((tenant, user)): Path<(String, String)>,
) -> Result<StatusCode, SimError> {
    s.grant_user_access(&user, &tenant)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(s): S,
    Path((tenant, user)): Path<(String, String)>,
) -> Result<StatusCode, SimError> {
    s.remove_user_from_org(&user, &tenant)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disconnect(
    State(s): S,
    Path((tenant, client_id)): Path<(String, String)>,
) -> Result<Json<Value>, SimError> {
    let n = s.disconnect_app_provider_side(&client_id, &tenant)?;
    Ok(Json(json!({"revoked_grants": n})))
}

async fn counters(State(s): S) -> Response {
    Json(s.counters()).into_response()
}

async fn reset_counters(State(s): S) -> StatusCode {
    s.reset_counters();
    StatusCode::NO_CONTENT
}

async fn grants(State(s): S) -> Response {
    Json(s.grants()).into_response()
}

async fn connections(State(s): S) -> Response {
    Json(s.connections()).into_response()
}

async fn requests(State(s): S) -> Response {
    Json(s.requests()).into_response()
}

async fn clear_requests(State(s): S) -> StatusCode {
    s.clear_requests();
    StatusCode::NO_CONTENT
}

async fn last_authorize(State(s): S) -> Response {
    Json(s.last_authorize_request()).into_response()
}

async fn modes(State(s): S) -> Json<Modes> {
    Json(s.modes())
}

async fn set_modes(State(s): S, Json(m): Json<Modes>) -> Json<Modes> {
    s.set_modes(m);
    Json(m)
}

#[derive(Deserialize)]
struct FailNext {
    provider: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "five_oh_three")]
    status: u16,
}

fn one() -> u32 {
    1
}

fn five_oh_three() -> u16 {
    503
}

async fn fail_next_token(State(s): S, Json(f): Json<FailNext>) -> Result<StatusCode, SimError> {
    if !(100..=599).contains(&f.status) {
        return Err(SimError::InvalidArgument(format!(
            "status {} out of range",
            f.status
        )));
    }
    s.fail_next_token_requests(provider(&f.provider)?, f.count, f.status);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct AuthorizeAs {
    url: String,
    user: String,
    #[serde(default)]
    orgs: Vec<String>,
    #[serde(default = "yes")]
    approve: bool,
}

fn yes() -> bool {
    true
}

async fn authorize(State(s): S, Json(a): Json<AuthorizeAs>) -> Result<Response, SimError> {
    let orgs: Vec<&str> = a.orgs.iter().map(String::as_str).collect();
    let r = s.authorize(&a.url, &a.user, &orgs, a.approve)?;
    let params: serde_json::Map<String, Value> = r
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Ok(Json(json!({"status": r.status, "location": r.location, "params": params})).into_response())
}
