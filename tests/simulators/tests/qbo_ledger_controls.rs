//! The `/_sim/qbo` HTTP controls of generated ledgers: generation, the truth views
//! (entities, monthly totals, trial balances), entity actions and the throttle.

mod common;

use common::*;
use serde_json::{Value, json};

async fn call(w: &World, method: &str, path: &str, body: Option<Value>) -> Answer {
    let url = format!("{}/_sim/qbo{path}", w.sim.base_url());
    match method {
        "GET" => w.get(&url, &[]).await,
        "PUT" => {
            let resp = w
                .http
                .put(&url)
                .header("content-type", "application/json")
                .body(body.unwrap_or_default().to_string())
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            Answer {
                status,
                headers,
                text: resp.text().await.unwrap(),
            }
        }
        _ => {
            let text = body.map(|b| b.to_string()).unwrap_or_default();
            w.post(&url, &[("content-type", "application/json")], text)
                .await
        }
    }
}

#[tokio::test]
async fn generate_truth_and_actions_over_http() {
    let w = world().await;
    let r = &w.realm;
    let g = call(
        &w,
        "POST",
        &format!("/companies/{r}/generate-company"),
        Some(json!({"lines": 1500, "seed": 4})),
    )
    .await;
    assert_eq!(g.status, 200, "{}", g.text);
    let g = g.json();
    assert!(g["summary"]["ledger"]["ledger_lines"].as_u64().unwrap() >= 1500);
    let small = call(
        &w,
        "POST",
        &format!("/companies/{}/generate-company", w.realm2),
        Some(json!({"size": "small"})),
    )
    .await;
    assert_eq!(small.json()["lines"], 2000);

    let t = call(&w, "GET", &format!("/companies/{r}/truth/entities"), None)
        .await
        .json();
    let inv = t["entities"]["Invoice"].as_array().unwrap();
    assert!(!inv.is_empty() && inv[0]["deleted"] == false);
    let id = s(&inv[0]["id"]).to_owned();
    let bodies = call(
        &w,
        "GET",
        &format!("/companies/{r}/truth/entities/Invoice"),
        None,
    )
    .await
    .json();
    assert_eq!(bodies["items"][0]["Id"], id.as_str());

    let d = call(
        &w,
        "POST",
        &format!("/companies/{r}/entities/Invoice/{id}/delete"),
        None,
    )
    .await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.json()["last_updated_time"], "2026-11-22T02:00:00-07:00");
    let again = call(
        &w,
        "POST",
        &format!("/companies/{r}/entities/Invoice/{id}/delete"),
        None,
    )
    .await;
    assert_eq!(again.status, 400);
    let t = call(&w, "GET", &format!("/companies/{r}/truth/entities"), None)
        .await
        .json();
    assert_eq!(t["entities"]["Invoice"][0]["deleted"], true);
    let c = call(
        &w,
        "POST",
        &format!("/companies/{r}/entities/JournalEntry/create"),
        None,
    )
    .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let cust = s(&t["entities"]["Customer"][0]["id"]).to_owned();
    for action in ["touch", "deactivate"] {
        let a = call(
            &w,
            "POST",
            &format!("/companies/{r}/entities/Customer/{cust}/{action}"),
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{action}: {}", a.text);
    }
    let nope = call(
        &w,
        "POST",
        &format!("/companies/{r}/entities/Customer/{cust}/delete"),
        None,
    )
    .await;
    assert_eq!(nope.status, 400, "name lists are not deleted");

    let m = call(&w, "GET", &format!("/companies/{r}/truth/monthly"), None)
        .await
        .json();
    let rows = m["totals"].as_array().unwrap();
    let months: std::collections::BTreeSet<&str> = rows.iter().map(|r| s(&r["month"])).collect();
    assert_eq!(months.len(), 24);
    for month in months {
        let (dr, cr) = rows
            .iter()
            .filter(|r| r["month"] == month)
            .fold((0, 0), |a, r| {
                (
                    a.0 + r["debit_cents"].as_i64().unwrap(),
                    a.1 + r["credit_cents"].as_i64().unwrap(),
                )
            });
        assert_eq!(dr, cr, "{month} balances");
    }
    assert!(rows[0]["debit"].is_string());
    for view in ["raw", "report"] {
        let tb = call(
            &w,
            "GET",
            &format!("/companies/{r}/truth/trial-balance?date=2026-06-30&view={view}"),
            None,
        )
        .await
        .json();
        let (dr, cr) = tb["rows"].as_array().unwrap().iter().fold((0, 0), |a, r| {
            (
                a.0 + r["debit_cents"].as_i64().unwrap(),
                a.1 + r["credit_cents"].as_i64().unwrap(),
            )
        });
        assert!(dr > 0);
        assert_eq!(dr, cr, "{view}");
    }
    let bad = call(
        &w,
        "GET",
        &format!("/companies/{r}/truth/trial-balance?date=June"),
        None,
    )
    .await;
    assert_eq!(bad.status, 400);

    let l = call(
        &w,
        "PUT",
        "/rate-limits",
        Some(json!({"unlimited": true, "latency_ms": 5})),
    )
    .await
    .json();
    assert_eq!(l["limits"]["per_minute"], u32::MAX);
    assert_eq!(l["limits"]["latency_ms"], 5);
    let l = call(
        &w,
        "PUT",
        "/rate-limits",
        Some(json!({"per_minute": 500, "concurrent": 10, "latency_ms": 0})),
    )
    .await
    .json();
    assert_eq!(
        l["limits"],
        json!({"per_minute": 500, "concurrent": 10, "latency_ms": 0})
    );
}
