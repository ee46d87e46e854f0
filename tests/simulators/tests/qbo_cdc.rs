//! QuickBooks change data capture: the 30-day window, deleted stubs, the 1,000-object
//! cap shared by the requested entities, and the empty answer.

mod common;

use common::*;
use mooring_simulators::clock::DAY;
use mooring_simulators::qbo::cdc::changed_since;
use serde_json::Value;

async fn cdc(w: &World, at: &str, entities: &str, since: &str) -> Answer {
    w.qbo_get(
        at,
        &w.realm,
        &format!("cdc?entities={entities}&changedSince={}", encode(since)),
    )
    .await
}

/// `(entity, objects)` of a CDC answer.
fn blocks(v: &Value) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    for qr in v["CDCResponse"][0]["QueryResponse"].as_array().unwrap() {
        for (k, val) in qr.as_object().unwrap() {
            if let Some(a) = val.as_array() {
                out.push((k.clone(), a.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn window_deletions_and_empty_answer() {
    let w = world().await;
    w.sim.generate_qbo_company(&w.realm, 2_000, 3).unwrap();
    let at = w.qbo_at(&w.realm).await;
    let now = w.sim.clock().now_ms();
    // Older than 30 days: refused with the observed sentence.
    let old = cdc(&w, &at, "Invoice", &changed_since(now - 31 * DAY)).await;
    assert_eq!(old.status, 400, "{}", old.text);
    let detail = old.json()["Fault"]["Error"][0]["Detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("older than fixed days is not supported"),
        "{detail}"
    );
    // Missing parameters and unknown entities are faults too.
    let missing = w.qbo_get(&at, &w.realm, "cdc?entities=Invoice").await;
    assert_eq!(missing.json()["Fault"]["Error"][0]["code"], "2020");
    assert_eq!(cdc(&w, &at, "Nope", &changed_since(now)).await.status, 400);
    // Nothing changed since now: the documented empty shape.
    let empty = cdc(&w, &at, "Invoice,Bill", &changed_since(now)).await;
    assert_eq!(empty.status, 200);
    assert_eq!(
        empty.json()["CDCResponse"],
        serde_json::json!([{"QueryResponse": [{}]}])
    );
    // A delete, a touch and a create show up; the deleted one as a stub.
    w.advance(10);
    let inv = w.sim.qbo_entity_bodies(&w.realm, "Invoice").unwrap();
    let (gone, edited) = (s(&inv[0]["Id"]).to_owned(), s(&inv[1]["Id"]).to_owned());
    let deleted_at = w.sim.delete_qbo_entity(&w.realm, "Invoice", &gone).unwrap();
    w.sim
        .touch_qbo_entity(&w.realm, "Invoice", &edited)
        .unwrap();
    let made = w
        .sim
        .create_qbo_entity(&w.realm, "Bill")
        .unwrap()
        .to_string();
    let a = cdc(&w, &at, "Invoice,Bill,Customer", &changed_since(now))
        .await
        .json();
    let b = blocks(&a);
    assert_eq!(b.len(), 2, "{a}");
    assert_eq!(b[0].0, "Invoice");
    let stub = b[0].1.iter().find(|o| o["Id"] == gone.as_str()).unwrap();
    assert_eq!(stub["status"], "Deleted");
    assert_eq!(
        stub["MetaData"]["LastUpdatedTime"],
        changed_since(deleted_at)
    );
    assert!(stub.get("Line").is_none());
    let full = b[0].1.iter().find(|o| o["Id"] == edited.as_str()).unwrap();
    assert!(full["Line"].is_array() && full.get("status").is_none());
    assert_eq!(b[1].0, "Bill");
    assert_eq!(b[1].1[0]["Id"], made.as_str());
    let qr = &a["CDCResponse"][0]["QueryResponse"][0];
    assert_eq!(qr["startPosition"], 1);
    assert_eq!(qr["maxResults"], 2);
    // The truth lists the deleted one.
    let truth = w.sim.qbo_entities_truth(&w.realm).unwrap();
    assert!(truth["Invoice"].iter().any(|e| e.id == gone && e.deleted));
    // The gateway's lower-case auth faults guard CDC and reports like every data call.
    let bad = cdc(&w, "not-a-token", "Invoice", &changed_since(now)).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["fault"]["error"][0]["code"], "3200");
    let other = w.qbo_get(&at, &w.realm2, "reports/TrialBalance").await;
    assert_eq!(other.status, 403);
    assert_eq!(other.json()["fault"]["error"][0]["code"], "3100");
    // Within the window (29 days ago) is fine.
    assert_eq!(
        cdc(&w, &at, "Invoice", &changed_since(now - 29 * DAY))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn at_most_1000_objects_oldest_first() {
    let w = world().await;
    w.sim.generate_qbo_company(&w.realm, 12_000, 5).unwrap();
    let at = w.qbo_at(&w.realm).await;
    let t0 = w.sim.clock().now_ms();
    let invoices = w.sim.qbo_entity_bodies(&w.realm, "Invoice").unwrap();
    let bills = w.sim.qbo_entity_bodies(&w.realm, "Bill").unwrap();
    assert!(invoices.len() >= 700 && bills.len() >= 500);
    for v in &invoices[..700] {
        w.sim
            .touch_qbo_entity(&w.realm, "Invoice", s(&v["Id"]))
            .unwrap();
    }
    w.advance(60);
    let t1 = w.sim.clock().now_ms();
    for v in &bills[..500] {
        w.sim
            .touch_qbo_entity(&w.realm, "Bill", s(&v["Id"]))
            .unwrap();
    }
    let a = cdc(&w, &at, "Invoice,Bill", &changed_since(t0))
        .await
        .json();
    let b = blocks(&a);
    let total: usize = b.iter().map(|(_, o)| o.len()).sum();
    assert_eq!(total, 1_000, "saturated");
    assert_eq!(b[0].1.len(), 700, "the oldest changes come first");
    assert_eq!(b[1].1.len(), 300);
    // Shrinking the window to after the first batch gets the rest.
    let a = cdc(&w, &at, "Invoice,Bill", &changed_since(t1))
        .await
        .json();
    let b = blocks(&a);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].1.len(), 500);
}
