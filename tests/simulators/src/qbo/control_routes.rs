//! `/_sim/qbo/...`: the QuickBooks data controls over HTTP (same operations as
//! `SimControl`'s QuickBooks methods; documented in tests/simulators/README.md).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::SimControl;
use crate::error::SimError;
use crate::qbo::data::DEFAULT_ACCOUNTS;
use crate::qbo::ledger::QboSize;
use crate::qbo::ratelimit::QboRateLimits;
use crate::qbo::reports::shape::amt;
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
        .route(
            "/companies/{realm}/generate-company",
            post(generate_company),
        )
        .route("/companies/{realm}/ledger-summary", get(ledger_summary))
        .route("/companies/{realm}/truth/entities", get(truth_entities))
        .route(
            "/companies/{realm}/truth/entities/{entity}",
            get(truth_bodies),
        )
        .route("/companies/{realm}/truth/monthly", get(truth_monthly))
        .route(
            "/companies/{realm}/truth/trial-balance",
            get(truth_trial_balance),
        )
        .route(
            "/companies/{realm}/entities/{entity}/create",
            post(entity_create),
        )
        .route(
            "/companies/{realm}/entities/{entity}/{id}/{action}",
            post(entity_action),
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

/// Partial update: absent fields keep their value; `unlimited: true` first turns every
/// limit off.
#[derive(Deserialize)]
struct LimitsPatch {
    per_minute: Option<u32>,
    concurrent: Option<u32>,
    latency_ms: Option<u64>,
    #[serde(default)]
    unlimited: bool,
}

async fn set_rate_limits(State(s): S, Json(p): Json<LimitsPatch>) -> Json<Value> {
    let cur = if p.unlimited {
        QboRateLimits::unlimited()
    } else {
        s.qbo_rate_limits()
    };
    s.set_qbo_rate_limits(QboRateLimits {
        per_minute: p.per_minute.unwrap_or(cur.per_minute),
        concurrent: p.concurrent.unwrap_or(cur.concurrent),
        latency_ms: p.latency_ms.unwrap_or(cur.latency_ms),
    });
    Json(limits_json(&s))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GenerateCompany {
    size: Option<QboSize>,
    lines: Option<usize>,
    seed: Option<u64>,
}

async fn generate_company(
    State(s): S,
    Path(realm): Path<String>,
    body: Option<Json<GenerateCompany>>,
) -> Result<Json<Value>, SimError> {
    let g = body.map(|Json(g)| g).unwrap_or_default();
    let lines = g
        .lines
        .unwrap_or_else(|| g.size.unwrap_or(QboSize::Small).lines());
    let seed = g.seed.unwrap_or(42);
    let summary = s.generate_qbo_company(&realm, lines, seed)?;
    Ok(Json(
        json!({"realm_id": realm, "lines": lines, "seed": seed, "summary": summary}),
    ))
}

async fn ledger_summary(State(s): S, Path(realm): Path<String>) -> Result<Json<Value>, SimError> {
    Ok(Json(json!(s.qbo_ledger_summary(&realm)?)))
}

async fn truth_entities(State(s): S, Path(realm): Path<String>) -> Result<Json<Value>, SimError> {
    Ok(Json(
        json!({"realm_id": realm, "entities": s.qbo_entities_truth(&realm)?}),
    ))
}

async fn truth_bodies(
    State(s): S,
    Path((realm, entity)): Path<(String, String)>,
) -> Result<Json<Value>, SimError> {
    let items = s.qbo_entity_bodies(&realm, &entity)?;
    Ok(Json(
        json!({"realm_id": realm, "entity": entity, "items": items}),
    ))
}

async fn truth_monthly(State(s): S, Path(realm): Path<String>) -> Result<Json<Value>, SimError> {
    let rows: Vec<Value> = s
        .qbo_monthly_totals(&realm)?
        .into_iter()
        .map(|m| {
            json!({"account_id": m.account.to_string(), "month": m.month,
                "debit": amt(m.debit_cents), "credit": amt(m.credit_cents),
                "debit_cents": m.debit_cents, "credit_cents": m.credit_cents})
        })
        .collect();
    Ok(Json(
        json!({"realm_id": realm, "currency": "USD", "totals": rows}),
    ))
}

#[derive(Deserialize)]
struct TbQuery {
    date: String,
    #[serde(default)]
    view: Option<String>,
}

async fn truth_trial_balance(
    State(s): S,
    Path(realm): Path<String>,
    Query(q): Query<TbQuery>,
) -> Result<Json<Value>, SimError> {
    let report_view = q.view.as_deref() == Some("report");
    let rows = if report_view {
        s.qbo_report_trial_balance(&realm, &q.date)?
    } else {
        s.qbo_trial_balance(&realm, &q.date)?
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({"account_id": r.account.to_string(), "name": r.name,
                "debit": amt(r.debit_cents), "credit": amt(r.credit_cents),
                "debit_cents": r.debit_cents, "credit_cents": r.credit_cents})
        })
        .collect();
    Ok(Json(json!({"realm_id": realm, "date": q.date,
        "view": if report_view { "report" } else { "raw" }, "rows": rows})))
}

async fn entity_create(
    State(s): S,
    Path((realm, entity)): Path<(String, String)>,
) -> Result<Json<Value>, SimError> {
    let id = s.create_qbo_entity(&realm, &entity)?;
    Ok(Json(json!({"entity": entity, "id": id.to_string()})))
}

async fn entity_action(
    State(s): S,
    Path((realm, entity, id, action)): Path<(String, String, String, String)>,
) -> Result<Json<Value>, SimError> {
    let at = match action.as_str() {
        "touch" => s.touch_qbo_entity(&realm, &entity, &id)?,
        "deactivate" => s.deactivate_qbo_entity(&realm, &entity, &id)?,
        "delete" => s.delete_qbo_entity(&realm, &entity, &id)?,
        other => {
            return Err(SimError::InvalidArgument(format!(
                "unknown entity action {other:?}"
            )));
        }
    };
    Ok(Json(
        json!({"entity": entity, "id": id, "updated_ms": at, "last_updated_time": qbo_meta_time(at)}),
    ))
}

async fn reset_rate_limits(State(s): S) -> Json<Value> {
    s.reset_qbo_rate_windows();
    Json(limits_json(&s))
}
