//! `/_sim/xero/...`: the Xero data controls over HTTP (same operations as
//! `SimControl`'s Xero methods; documented in tests/simulators/README.md).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::SimControl;
use crate::error::SimError;
use crate::xero::data::{Country, GenerateOptions, NewInvoice, OrgSize};
use crate::xero::ratelimit::RateLimits;

type S = State<Arc<SimControl>>;

/// The `/_sim/xero` router.
pub(crate) fn router() -> Router<Arc<SimControl>> {
    Router::new()
        .route("/orgs/{tenant}/generate", post(generate))
        .route("/orgs/{tenant}/summary", get(summary))
        .route("/orgs/{tenant}/truth", get(truth))
        .route("/orgs/{tenant}/invoices", post(add_invoice))
        .route(
            "/orgs/{tenant}/invoices/{id}/{action}",
            post(invoice_action),
        )
        .route("/orgs/{tenant}/contacts", post(add_contact))
        .route(
            "/orgs/{tenant}/contacts/{id}/{action}",
            post(contact_action),
        )
        .route(
            "/orgs/{tenant}/accounts/{id}/archive",
            post(archive_account),
        )
        .route("/rate-limits", get(rate_limits).put(set_rate_limits))
        .route("/rate-limits/reset", post(reset_rate_limits))
        .route("/latency", post(latency))
        .route("/expire-access-tokens-after", post(expire_after))
}

/// `size`: a preset name or an [`OrgSize`] object.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeArg {
    Preset(String),
    Custom(OrgSize),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Generate {
    size: Option<SizeArg>,
    seed: Option<u64>,
    country: Option<String>,
}

async fn generate(
    State(s): S,
    Path(tenant): Path<String>,
    body: Option<Json<Generate>>,
) -> Result<Json<Value>, SimError> {
    let g = body.map(|Json(g)| g).unwrap_or_default();
    let size = match g.size {
        None => OrgSize::small(),
        Some(SizeArg::Custom(size)) => size,
        Some(SizeArg::Preset(name)) => OrgSize::preset(&name)
            .ok_or_else(|| SimError::InvalidArgument(format!("unknown size preset {name:?}")))?,
    };
    let country = match g.country {
        None => Country::NZ,
        Some(c) => Country::parse(&c)
            .ok_or_else(|| SimError::InvalidArgument(format!("unknown country {c:?}")))?,
    };
    let opts = GenerateOptions {
        size,
        seed: g.seed.unwrap_or(42),
        country,
    };
    let summary = s.generate_xero_org(&tenant, opts)?;
    Ok(Json(
        json!({"tenant_id": tenant, "options": opts, "summary": summary}),
    ))
}

async fn summary(State(s): S, Path(tenant): Path<String>) -> Result<Json<Value>, SimError> {
    Ok(Json(json!(s.xero_summary(&tenant)?)))
}

async fn truth(State(s): S, Path(tenant): Path<String>) -> Result<Json<Value>, SimError> {
    Ok(Json(json!(s.xero_truth(&tenant)?)))
}

async fn add_invoice(
    State(s): S,
    Path(tenant): Path<String>,
    body: Option<Json<NewInvoice>>,
) -> Result<Json<Value>, SimError> {
    let spec = body.map(|Json(b)| b).unwrap_or_default();
    let id = s.add_invoice(&tenant, &spec)?;
    Ok(Json(json!({"invoice_id": id})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Pay {
    amount: Option<f64>,
}

async fn invoice_action(
    State(s): S,
    Path((tenant, id, action)): Path<(String, String, String)>,
    body: Option<Json<Pay>>,
) -> Result<Json<Value>, SimError> {
    let at = match action.as_str() {
        "touch" => s.touch_invoice(&tenant, &id)?,
        "void" => s.void_invoice(&tenant, &id)?,
        "delete" => s.delete_invoice(&tenant, &id)?,
        "pay" => {
            let cents = body
                .and_then(|Json(p)| p.amount)
                .map(|a| (a * 100.0).round() as i64);
            s.pay_invoice(&tenant, &id, cents)?
        }
        other => {
            return Err(SimError::InvalidArgument(format!(
                "unknown invoice action {other:?}"
            )));
        }
    };
    Ok(Json(json!({"updated_ms": at})))
}

#[derive(Deserialize)]
struct NewContact {
    name: String,
}

async fn add_contact(
    State(s): S,
    Path(tenant): Path<String>,
    Json(c): Json<NewContact>,
) -> Result<Json<Value>, SimError> {
    Ok(Json(
        json!({"contact_id": s.add_contact(&tenant, &c.name)?}),
    ))
}

async fn contact_action(
    State(s): S,
    Path((tenant, id, action)): Path<(String, String, String)>,
) -> Result<Json<Value>, SimError> {
    let at = match action.as_str() {
        "touch" => s.touch_contact(&tenant, &id)?,
        "archive" => s.archive_contact(&tenant, &id)?,
        other => {
            return Err(SimError::InvalidArgument(format!(
                "unknown contact action {other:?}"
            )));
        }
    };
    Ok(Json(json!({"updated_ms": at})))
}

async fn archive_account(
    State(s): S,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, SimError> {
    Ok(Json(
        json!({"updated_ms": s.archive_account(&tenant, &id)?}),
    ))
}

fn limits_json(s: &SimControl) -> Value {
    json!({"limits": s.xero_rate_limits(), "usage": s.xero_rate_usage()})
}

async fn rate_limits(State(s): S) -> Json<Value> {
    Json(limits_json(&s))
}

/// Partial update: absent fields keep their value.
#[derive(Deserialize)]
struct LimitsPatch {
    per_minute: Option<u32>,
    per_day: Option<u32>,
    concurrent: Option<u32>,
    app_per_minute: Option<u32>,
}

async fn set_rate_limits(State(s): S, Json(p): Json<LimitsPatch>) -> Json<Value> {
    let cur = s.xero_rate_limits();
    s.set_xero_rate_limits(RateLimits {
        per_minute: p.per_minute.unwrap_or(cur.per_minute),
        per_day: p.per_day.unwrap_or(cur.per_day),
        concurrent: p.concurrent.unwrap_or(cur.concurrent),
        app_per_minute: p.app_per_minute.unwrap_or(cur.app_per_minute),
    });
    Json(limits_json(&s))
}

async fn reset_rate_limits(State(s): S) -> Json<Value> {
    s.reset_xero_rate_windows();
    Json(limits_json(&s))
}

#[derive(Deserialize)]
struct Latency {
    ms: u64,
}

async fn latency(State(s): S, Json(l): Json<Latency>) -> Json<Value> {
    s.set_xero_latency(Duration::from_millis(l.ms));
    Json(json!({"ms": l.ms}))
}

#[derive(Deserialize)]
struct ExpireAfter {
    calls: u64,
}

async fn expire_after(State(s): S, Json(e): Json<ExpireAfter>) -> Json<Value> {
    s.expire_access_tokens_after(e.calls);
    Json(json!({"calls": e.calls}))
}
