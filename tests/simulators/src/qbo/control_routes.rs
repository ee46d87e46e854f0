//! `/_sim/qbo/...`: the QuickBooks data controls over HTTP (same operations as
//! `SimControl`'s QuickBooks methods; documented in tests/simulators/README.md).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::SimControl;
use crate::error::SimError;
use crate::qbo::data::DEFAULT_ACCOUNTS;
use crate::qbo::ratelimit::QboRateLimits;
use crate::timefmt::qbo_meta_time;

type S = State<Arc<SimControl>>;

/// The `/_sim/qbo` router.
pub(crate) fn router() -> Router<Arc<SimControl>> {
    Router::new()
        .route("/companies/{realm}/generate", post(generate))
        .route("/companies/{realm}/summary", get(summary))
        .route("/companies/{realm}/truth", get(truth))
        .route(
            "/companies/{realm}/accounts/{id}/{action}",
            post(account_action),
        )
        .route("/rate-limits", get(rate_limits).put(set_rate_limits))
        .route("/rate-limits/reset", post(reset_rate_limits))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Generate {
    count: Option<usize>,
    seed: Option<u64>,
}

async fn generate(
    State(s): S,
    Path(realm): Path<String>,
    body: Option<Json<Generate>>,
) -> Result<Json<Value>, SimError> {
    let g = body.map(|Json(g)| g).unwrap_or_default();
    let (count, seed) = (g.count.unwrap_or(DEFAULT_ACCOUNTS), g.seed.unwrap_or(42));
    let summary = s.generate_qbo_accounts(&realm, count, seed)?;
    Ok(Json(
        json!({"realm_id": realm, "count": count, "seed": seed, "summary": summary}),
    ))
}

async fn summary(State(s): S, Path(realm): Path<String>) -> Result<Json<Value>, SimError> {
    Ok(Json(json!(s.qbo_summary(&realm)?)))
}

async fn truth(State(s): S, Path(realm): Path<String>) -> Result<Json<Value>, SimError> {
    Ok(Json(
        json!({"realm_id": realm, "accounts": s.qbo_truth(&realm)?}),
    ))
}

async fn account_action(
    State(s): S,
    Path((realm, id, action)): Path<(String, String, String)>,
) -> Result<Json<Value>, SimError> {
    let at = match action.as_str() {
        "touch" => s.touch_qbo_account(&realm, &id)?,
        "deactivate" => s.deactivate_qbo_account(&realm, &id)?,
        other => {
            return Err(SimError::InvalidArgument(format!(
                "unknown account action {other:?}"
            )));
        }
    };
    Ok(Json(
        json!({"updated_ms": at, "last_updated_time": qbo_meta_time(at)}),
    ))
}

fn limits_json(s: &SimControl) -> Value {
    json!({"limits": s.qbo_rate_limits(), "usage": s.qbo_rate_usage()})
}

async fn rate_limits(State(s): S) -> Json<Value> {
    Json(limits_json(&s))
}

/// Partial update: absent fields keep their value.
#[derive(Deserialize)]
struct LimitsPatch {
    per_minute: Option<u32>,
}

async fn set_rate_limits(State(s): S, Json(p): Json<LimitsPatch>) -> Json<Value> {
    let cur = s.qbo_rate_limits();
    s.set_qbo_rate_limits(QboRateLimits {
        per_minute: p.per_minute.unwrap_or(cur.per_minute),
    });
    Json(limits_json(&s))
}

async fn reset_rate_limits(State(s): S) -> Json<Value> {
    s.reset_qbo_rate_windows();
    Json(limits_json(&s))
}
