//! QuickBooks generated companies through the query API: every entity's full pull
//! matches the truth record for record, the operators, paging, the incremental pull on
//! `MetaData.LastUpdatedTime`, reads by id, Preferences and CompanyInfo.

mod common;

use std::time::Instant;

use common::*;
use serde_json::Value;

const ENTITIES: [&str; 14] = [
    "Customer",
    "Vendor",
    "Item",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "Payment",
    "Bill",
    "BillPayment",
    "VendorCredit",
    "Purchase",
    "Deposit",
    "Transfer",
    "JournalEntry",
];

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|a| s(&a["Id"]).to_owned()).collect()
}

async fn company(lines: usize) -> (World, String) {
    let w = world().await;
    let summary = w.sim.generate_qbo_company(&w.realm, lines, 7).unwrap();
    assert!(summary.ledger.ledger_lines >= lines);
    let at = w.qbo_at(&w.realm).await;
    (w, at)
}

#[tokio::test]
async fn full_pull_of_every_entity_matches_the_truth() {
    let (w, at) = company(4_000).await;
    let truth = w.sim.qbo_entities_truth(&w.realm).unwrap();
    for entity in ENTITIES {
        let filter = if matches!(entity, "Customer" | "Vendor" | "Item") {
            "WHERE Active IN (true, false)"
        } else {
            ""
        };
        let got = w.qbo_query_all(&at, &w.realm, entity, filter).await;
        let want: Vec<String> = truth[entity]
            .iter()
            .filter(|e| !e.deleted)
            .map(|e| e.id.clone())
            .collect();
        assert!(!want.is_empty(), "{entity}");
        assert_eq!(ids(&got), want, "{entity}");
        assert_eq!(
            got,
            w.sim.qbo_entity_bodies(&w.realm, entity).unwrap(),
            "{entity}"
        );
        for v in &got {
            assert_eq!(v["domain"], "QBO");
            assert!(
                v["MetaData"]["LastUpdatedTime"]
                    .as_str()
                    .unwrap()
                    .ends_with("-07:00")
            );
        }
    }
    let accounts = w
        .qbo_query_all(&at, &w.realm, "Account", "WHERE Active IN (true, false)")
        .await;
    assert_eq!(accounts.len(), truth["Account"].len());
    let kinds: std::collections::HashSet<&str> =
        accounts.iter().map(|a| s(&a["AccountType"])).collect();
    assert_eq!(kinds.len(), 15, "every AccountType: {kinds:?}");
    assert!(accounts.iter().any(|a| a["Active"] == false));
}

#[tokio::test]
async fn transactions_have_the_real_shapes() {
    let (w, at) = company(1_500).await;
    let q = |e: &str| format!("SELECT * FROM {e} MAXRESULTS 1");
    let inv = w.qbo_query(&at, &w.realm, &q("Invoice")).await.json();
    let inv = &inv["QueryResponse"]["Invoice"][0];
    assert_eq!(inv["Line"][0]["DetailType"], "SalesItemLineDetail");
    assert!(inv["Line"][0]["SalesItemLineDetail"]["ItemAccountRef"]["value"].is_string());
    let last = inv["Line"].as_array().unwrap().last().unwrap();
    assert_eq!(last["DetailType"], "SubTotalLineDetail");
    assert!(last.get("Id").is_none(), "the SubTotal line has no Id");
    assert!(inv["CustomerRef"]["value"].is_string() && inv["TotalAmt"].is_number());
    let je = w.qbo_query(&at, &w.realm, &q("JournalEntry")).await.json();
    let line = &je["QueryResponse"]["JournalEntry"][0]["Line"][0];
    assert_eq!(line["DetailType"], "JournalEntryLineDetail");
    assert!(matches!(
        line["JournalEntryLineDetail"]["PostingType"].as_str(),
        Some("Debit" | "Credit")
    ));
    let bill = w.qbo_query(&at, &w.realm, &q("Bill")).await.json();
    let bl = &bill["QueryResponse"]["Bill"][0]["Line"][0];
    assert_eq!(bl["DetailType"], "AccountBasedExpenseLineDetail");
    let t = w.qbo_query(&at, &w.realm, &q("Transfer")).await.json();
    let t = &t["QueryResponse"]["Transfer"][0];
    assert!(t["FromAccountRef"]["value"].is_string() && t["Amount"].is_number());
}

#[tokio::test]
async fn operators_ordering_and_paging() {
    let (w, at) = company(3_000).await;
    let all = w.qbo_query_all(&at, &w.realm, "Invoice", "").await;
    let n = all.len();
    let count = w
        .qbo_query(&at, &w.realm, "SELECT count(*) FROM Invoice")
        .await
        .json();
    assert_eq!(count["QueryResponse"]["totalCount"], n);
    // Paging: 1-based, pages add up, startPosition/maxResults echo what was returned.
    let p2 = w
        .qbo_query(
            &at,
            &w.realm,
            "SELECT * FROM Invoice STARTPOSITION 11 MAXRESULTS 10",
        )
        .await
        .json();
    assert_eq!(p2["QueryResponse"]["startPosition"], 11);
    assert_eq!(p2["QueryResponse"]["maxResults"], 10);
    assert_eq!(
        ids(p2["QueryResponse"]["Invoice"].as_array().unwrap()),
        ids(&all[10..20])
    );
    // Comparison operators and AND.
    let first = &all[0];
    let date = s(&first["TxnDate"]).to_owned();
    let on_day = w
        .qbo_query_all(
            &at,
            &w.realm,
            "Invoice",
            &format!("WHERE TxnDate = '{date}'"),
        )
        .await;
    assert!(on_day.iter().all(|i| i["TxnDate"] == date.as_str()) && !on_day.is_empty());
    let after = w
        .qbo_query_all(
            &at,
            &w.realm,
            "Invoice",
            &format!("WHERE TxnDate > '{date}' AND TotalAmt >= 100"),
        )
        .await;
    assert!(
        after
            .iter()
            .all(|i| s(&i["TxnDate"]) > date.as_str() && i["TotalAmt"].as_f64().unwrap() >= 100.0)
    );
    let le = w
        .qbo_query_all(&at, &w.realm, "Invoice", "WHERE TotalAmt <= 100")
        .await;
    let gt = w
        .qbo_query_all(&at, &w.realm, "Invoice", "WHERE TotalAmt > 100")
        .await;
    assert!(le.iter().all(|i| i["TotalAmt"].as_f64().unwrap() <= 100.0));
    assert_eq!(le.len() + gt.len(), n, "<= and > partition the invoices");
    // IN, LIKE, refs.
    let pick = format!("('{}', '{}')", s(&all[1]["Id"]), s(&all[3]["Id"]));
    let two = w
        .qbo_query_all(&at, &w.realm, "Invoice", &format!("WHERE Id IN {pick}"))
        .await;
    assert_eq!(
        ids(&two),
        vec![s(&all[1]["Id"]).to_owned(), s(&all[3]["Id"]).to_owned()]
    );
    let like = w
        .qbo_query_all(&at, &w.realm, "Invoice", "WHERE DocNumber LIKE '%7'")
        .await;
    assert!(!like.is_empty() && like.iter().all(|i| s(&i["DocNumber"]).ends_with('7')));
    let cust = s(&first["CustomerRef"]["value"]).to_owned();
    let mine = w
        .qbo_query_all(
            &at,
            &w.realm,
            "Invoice",
            &format!("WHERE CustomerRef = '{cust}'"),
        )
        .await;
    assert!(
        mine.iter()
            .all(|i| i["CustomerRef"]["value"] == cust.as_str())
    );
    // ORDERBY DESC.
    let desc = w
        .qbo_query(
            &at,
            &w.realm,
            "SELECT * FROM Invoice ORDERBY TotalAmt DESC MAXRESULTS 50",
        )
        .await
        .json();
    let amounts: Vec<f64> = desc["QueryResponse"]["Invoice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["TotalAmt"].as_f64().unwrap())
        .collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]));
    // Empty answer has no entity key; MAXRESULTS over 1000 is a 4001 fault.
    let none = w
        .qbo_query(
            &at,
            &w.realm,
            "SELECT * FROM Invoice WHERE DocNumber = 'nope'",
        )
        .await
        .json();
    assert_eq!(none["QueryResponse"], serde_json::json!({}));
    let over = w
        .qbo_query(&at, &w.realm, "SELECT * FROM Bill MAXRESULTS 1001")
        .await;
    assert_eq!(over.status, 400);
    assert_eq!(over.json()["Fault"]["Error"][0]["code"], "4001");
    let unknown = w
        .qbo_query(&at, &w.realm, "SELECT * FROM Invoice WHERE Nope = '1'")
        .await;
    assert_eq!(unknown.json()["Fault"]["Error"][0]["code"], "4001");
}

#[tokio::test]
async fn incremental_pull_on_last_updated_time() {
    let (w, at) = company(2_000).await;
    let since = "2026-11-22T01:59:59-07:00"; // the clock is 2026-11-22T09:00Z = 02:00-07:00
    let q = format!("WHERE MetaData.LastUpdatedTime >= '{since}' ORDERBY MetaData.LastUpdatedTime");
    assert!(
        w.qbo_query_all(&at, &w.realm, "Invoice", &q)
            .await
            .is_empty()
    );
    let inv = w.sim.qbo_entity_bodies(&w.realm, "Invoice").unwrap();
    let id = s(&inv[3]["Id"]).to_owned();
    w.sim.touch_qbo_entity(&w.realm, "Invoice", &id).unwrap();
    let new_id = w.sim.create_qbo_entity(&w.realm, "Invoice").unwrap();
    let got = w.qbo_query_all(&at, &w.realm, "Invoice", &q).await;
    let mut want = vec![id.clone(), new_id.to_string()];
    want.sort();
    let mut got_ids = ids(&got);
    got_ids.sort();
    assert_eq!(got_ids, want);
    let touched = got.iter().find(|v| v["Id"] == id.as_str()).unwrap();
    assert_eq!(
        touched["MetaData"]["LastUpdatedTime"],
        "2026-11-22T02:00:00-07:00"
    );
    // The +00:00 form of the same instant, URL-encoded, works too.
    let utc = "WHERE MetaData.LastUpdatedTime >= '2026-11-22T09:00:00+00:00'";
    assert_eq!(
        w.qbo_query_all(&at, &w.realm, "Invoice", utc).await.len(),
        2
    );
    // Deleting removes it from queries.
    w.sim.delete_qbo_entity(&w.realm, "Invoice", &id).unwrap();
    assert_eq!(w.qbo_query_all(&at, &w.realm, "Invoice", &q).await.len(), 1);
    // Deactivated customers leave the default query.
    let c = w.sim.qbo_entity_bodies(&w.realm, "Customer").unwrap();
    let cid = c
        .iter()
        .find(|c| c["Active"] == true)
        .map(|c| s(&c["Id"]).to_owned())
        .unwrap();
    let before = w.qbo_query_all(&at, &w.realm, "Customer", "").await.len();
    w.sim
        .deactivate_qbo_entity(&w.realm, "Customer", &cid)
        .unwrap();
    assert_eq!(
        w.qbo_query_all(&at, &w.realm, "Customer", "").await.len(),
        before - 1
    );
}

#[tokio::test]
async fn reads_by_id_preferences_and_company_info() {
    let (w, at) = company(1_000).await;
    let je = w.sim.qbo_entity_bodies(&w.realm, "JournalEntry").unwrap();
    let id = s(&je[0]["Id"]);
    let a = w
        .qbo_get(&at, &w.realm, &format!("journalentry/{id}"))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["JournalEntry"], je[0]);
    assert_eq!(
        w.qbo_get(&at, &w.realm, "invoice/1").await.json()["Fault"]["Error"][0]["code"],
        "610"
    );
    let p = w.qbo_get(&at, &w.realm, "preferences").await.json();
    assert_eq!(p["Preferences"]["ReportPrefs"]["ReportBasis"], "Accrual");
    let q = w
        .qbo_query(&at, &w.realm, "SELECT * FROM Preferences")
        .await
        .json();
    assert_eq!(q["QueryResponse"]["Preferences"][0], p["Preferences"]);
    let ci = w
        .qbo_query(&at, &w.realm, "SELECT * FROM CompanyInfo")
        .await
        .json();
    assert_eq!(
        ci["QueryResponse"]["CompanyInfo"][0]["CompanyName"],
        "Larry's Bakery"
    );
}

#[test]
fn a_large_company_generates_quickly() {
    let t = Instant::now();
    let d = mooring_simulators::qbo::ledger::generate_company(100_000, 1, 1_795_000_000_000);
    let s = d.ledger.summary();
    assert!(
        s.ledger_lines >= 100_000 && s.ledger_lines < 100_100,
        "{s:?}"
    );
    eprintln!("100k-line company in {:?}", t.elapsed());
}
