//! QuickBooks Online data sync end to end against the simulator (issue 8): every
//! entity stream matches the simulator's truth record for record after a full and an
//! incremental sync; deletions arrive through CDC, through a saturated window and
//! after more than 30 days; a reconnect resumes without duplicates; a throttle is
//! waited out without a failed run. The common model (`common.accounts`,
//! `common.actuals`) of both providers is tested in `common_model.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::Host;

/// (stream, entity, name list)
const ENTITY_STREAMS: &[(&str, &str, bool)] = &[
    ("accounts", "Account", true),
    ("customers", "Customer", true),
    ("vendors", "Vendor", true),
    ("items", "Item", true),
    ("invoices", "Invoice", false),
    ("sales_receipts", "SalesReceipt", false),
    ("credit_memos", "CreditMemo", false),
    ("payments", "Payment", false),
    ("bills", "Bill", false),
    ("bill_payments", "BillPayment", false),
    ("vendor_credits", "VendorCredit", false),
    ("purchases", "Purchase", false),
    ("deposits", "Deposit", false),
    ("transfers", "Transfer", false),
    ("journal_entries", "JournalEntry", false),
];

/// Every stored record of a stream, id → (tombstone?, data), read through the change
/// feed (which also proves each id appears once).
pub(crate) fn feed(
    host: &Host,
    connection: &str,
    stream: &str,
) -> BTreeMap<String, (bool, String)> {
    let mut out = BTreeMap::new();
    let mut after = 0;
    loop {
        let (page, next) = host
            .app()
            .store
            .records_after(connection, stream, after, 1000)
            .expect("feed");
        for (_, id, record) in page {
            assert!(
                out.insert(id.clone(), (record.deleted, record.data.clone()))
                    .is_none(),
                "{stream}: {id} appears twice in the feed"
            );
        }
        match next {
            Some(n) => after = n,
            None => return out,
        }
    }
}

pub(crate) async fn sync(host: &Host, connection: &str, streams: Option<&[&str]>) -> Value {
    let body = match streams {
        Some(s) => json!({"streams": s, "wait": true}),
        None => json!({"wait": true}),
    };
    host.api_ok(
        "POST",
        &format!("/api/connections/{connection}/sync"),
        Some(body),
    )
    .await
}

pub(crate) fn errors(runs: &Value) -> Vec<String> {
    runs["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["error"].as_str().map(|e| format!("{}: {e}", r["stream"])))
        .collect()
}

fn run_of<'a>(runs: &'a Value, stream: &str) -> &'a Value {
    runs["runs"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["stream"] == stream))
        .unwrap_or(&Value::Null)
}

fn count(run: &Value, field: &str) -> u64 {
    run[field].as_u64().unwrap_or(0)
}

fn entity_streams() -> Vec<&'static str> {
    ENTITY_STREAMS.iter().map(|(s, _, _)| *s).collect()
}

/// Balances QuickBooks derives from other records: they change when a transaction
/// posts without bumping the name-list record's `LastUpdatedTime`, so an incremental
/// sync (like any `LastUpdatedTime` query) cannot see them move. Balances are what the
/// `trial_balance` and `balance_sheet` streams are for.
const DERIVED_BALANCES: &[&str] = &[
    "CurrentBalance",
    "CurrentBalanceWithSubAccounts",
    "Balance",
    "BalanceWithJobs",
];

fn without_derived_balances(mut v: Value, entity: &str) -> Value {
    if matches!(entity, "Account" | "Customer" | "Vendor")
        && let Some(map) = v.as_object_mut()
    {
        for field in DERIVED_BALANCES {
            map.remove(*field);
        }
    }
    v
}

/// The host holds exactly the simulator's live records of every entity, with the same
/// JSON (with `exact` false, derived balances of name lists aside), and a tombstone
/// only where the simulator deleted the record.
fn assert_entities_match(host: &Host, connection: &str, exact: bool) {
    let realm = &host.qbo_company;
    let truth = host.sim.qbo_entities_truth(realm).expect("truth");
    for (stream, entity, _) in ENTITY_STREAMS {
        let listed = truth.get(*entity).cloned().unwrap_or_default();
        let live: BTreeSet<String> = listed
            .iter()
            .filter(|e| !e.deleted)
            .map(|e| e.id.clone())
            .collect();
        let deleted: BTreeSet<String> = listed
            .iter()
            .filter(|e| e.deleted)
            .map(|e| e.id.clone())
            .collect();
        let got = feed(host, connection, stream);
        let got_live: BTreeSet<String> = got
            .iter()
            .filter(|(_, (d, _))| !d)
            .map(|(id, _)| id.clone())
            .collect();
        let missing: Vec<_> = live.difference(&got_live).collect();
        let extra: Vec<_> = got_live.difference(&live).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{stream}: missing {missing:?}, extra {extra:?}"
        );
        for (id, (tombstone, _)) in &got {
            if *tombstone {
                assert!(deleted.contains(id), "{stream}: {id} deleted but alive");
            }
        }
        let bodies = host.sim.qbo_entity_bodies(realm, entity).expect("bodies");
        for body in bodies {
            let id = body["Id"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| body["Id"].to_string());
            let (_, data) = &got[&id];
            let stored: Value = serde_json::from_str(data).expect("json");
            if exact {
                assert_eq!(stored, body, "{stream} {id}: record as QuickBooks sends it");
            } else {
                assert_eq!(
                    without_derived_balances(stored, entity),
                    without_derived_balances(body, entity),
                    "{stream} {id}: record as QuickBooks sends it"
                );
            }
        }
    }
}

pub(crate) async fn company(lines: usize) -> (Host, String) {
    let host = Host::start().await;
    host.sim
        .generate_qbo_company(&host.qbo_company, lines, 11)
        .expect("company");
    let id = host.connect("qbo", &[&host.qbo_company], None).await;
    (host, id)
}

fn live_ids(host: &Host, entity: &str) -> Vec<String> {
    host.sim
        .qbo_entities_truth(&host.qbo_company)
        .expect("truth")
        .get(entity)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.deleted)
        .map(|e| e.id)
        .collect()
}

#[tokio::test]
async fn full_and_incremental_sync_of_every_entity_match_the_truth() {
    let (host, id) = company(2_000).await;
    let runs = sync(&host, &id, None).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_entities_match(&host, &id, true);

    let realm = host.qbo_company.clone();
    let invoice = live_ids(&host, "Invoice")[0].clone();
    let customer = live_ids(&host, "Customer")[0].clone();
    let payment = live_ids(&host, "Payment")[0].clone();
    host.advance(Duration::from_secs(5));
    host.sim
        .touch_qbo_entity(&realm, "Invoice", &invoice)
        .expect("touch");
    host.sim
        .deactivate_qbo_entity(&realm, "Customer", &customer)
        .expect("deactivate");
    host.sim.create_qbo_entity(&realm, "Bill").expect("create");
    host.sim
        .delete_qbo_entity(&realm, "Payment", &payment)
        .expect("delete");
    host.advance(Duration::from_secs(5));
    let runs = sync(&host, &id, Some(&entity_streams())).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let invoices = run_of(&runs, "invoices");
    assert_eq!(
        count(invoices, "updated") + count(invoices, "added"),
        1,
        "{invoices}"
    );
    assert_eq!(count(run_of(&runs, "customers"), "updated"), 1, "{runs}");
    assert_eq!(count(run_of(&runs, "bills"), "added"), 1, "{runs}");
    assert_eq!(count(run_of(&runs, "payments"), "deleted"), 1, "{runs}");
    for (stream, _, _) in ENTITY_STREAMS {
        let run = run_of(&runs, stream);
        assert_eq!(
            count(run, "pages"),
            1,
            "{stream}: only the changes travel: {run}"
        );
    }
    let payments = feed(&host, &id, "payments");
    assert!(payments[&payment].0, "the deleted payment is a tombstone");
    assert!(
        !feed(&host, &id, "customers")[&customer].0,
        "inactive is not deleted"
    );
    assert_entities_match(&host, &id, false);
    // A day on, name lists are read once without the bound: derived balances catch up.
    host.advance(Duration::from_secs(25 * 3600));
    let runs = sync(&host, &id, Some(&entity_streams())).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_entities_match(&host, &id, true);
}

#[tokio::test]
async fn deletions_through_a_saturated_cdc_window_and_after_thirty_days() {
    let (host, id) = company(40_000).await;
    let realm = host.qbo_company.clone();
    let runs = sync(&host, &id, Some(&["invoices", "payments"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let invoices = live_ids(&host, "Invoice");
    assert!(invoices.len() > 1_010, "{} invoices", invoices.len());

    // More than 1,000 changes since the last check: CDC saturates.
    host.advance(Duration::from_secs(5));
    for invoice in &invoices[..1_005] {
        host.sim
            .touch_qbo_entity(&realm, "Invoice", invoice)
            .expect("touch");
    }
    for invoice in &invoices[1_005..1_008] {
        host.sim
            .delete_qbo_entity(&realm, "Invoice", invoice)
            .expect("delete");
    }
    host.advance(Duration::from_secs(5));
    host.sim.clear_requests();
    let runs = sync(&host, &id, Some(&["invoices"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_eq!(count(run_of(&runs, "invoices"), "deleted"), 3, "{runs}");
    let relisted = host.sim.requests().iter().any(|r| {
        let uri = r.uri.replace("%20", " ").replace('+', " ");
        uri.contains("ORDERBY Id")
    });
    assert!(
        relisted,
        "the uncovered part of the window was settled by a re-list"
    );

    // More than 30 days without a sync: CDC cannot look back that far.
    let payments = live_ids(&host, "Payment");
    for payment in &payments[..2] {
        host.sim
            .delete_qbo_entity(&realm, "Payment", payment)
            .expect("delete");
    }
    host.advance(Duration::from_secs(31 * 86_400));
    let runs = sync(&host, &id, Some(&["invoices", "payments"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_eq!(count(run_of(&runs, "payments"), "deleted"), 2, "{runs}");
    assert_eq!(
        count(run_of(&runs, "invoices"), "deleted"),
        0,
        "a re-list deletes nothing that still exists: {runs}"
    );
    for stream in ["invoices", "payments"] {
        let got = feed(&host, &id, stream);
        let entity = if stream == "invoices" {
            "Invoice"
        } else {
            "Payment"
        };
        let live: BTreeSet<String> = live_ids(&host, entity).into_iter().collect();
        let got_live: BTreeSet<String> = got
            .iter()
            .filter(|(_, (d, _))| !d)
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(got_live, live, "{stream}");
    }
}

#[tokio::test]
async fn a_reconnect_resumes_from_the_cursors_without_duplicates() {
    let (host, id) = company(2_000).await;
    let runs = sync(&host, &id, Some(&entity_streams())).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let (status, page) = host.reconnect(&id, &[&host.qbo_company], None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(host.connection(&id).await["state"], "active");
    let invoice = live_ids(&host, "Invoice")[1].clone();
    host.advance(Duration::from_secs(5));
    host.sim
        .touch_qbo_entity(&host.qbo_company, "Invoice", &invoice)
        .expect("touch");
    host.advance(Duration::from_secs(5));
    let runs = sync(&host, &id, Some(&entity_streams())).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let added: u64 = ENTITY_STREAMS
        .iter()
        .map(|(s, _, _)| count(run_of(&runs, s), "added"))
        .sum();
    assert_eq!(added, 0, "nothing is fetched as new twice: {runs}");
    assert_eq!(count(run_of(&runs, "invoices"), "updated"), 1, "{runs}");
    assert_entities_match(&host, &id, false);
}

#[tokio::test]
async fn a_throttled_sync_waits_and_completes_without_a_failed_run() {
    let (host, id) = company(2_000).await;
    let mut limits = host.sim.qbo_rate_limits();
    limits.per_minute = 20;
    host.sim.set_qbo_rate_limits(limits);
    let before = host.sim.counters().qbo_throttled(None);
    let done = AtomicBool::new(false);
    let run = async {
        let runs = sync(&host, &id, Some(&entity_streams())).await;
        done.store(true, Ordering::SeqCst);
        runs
    };
    // Every XML 3001 throttle makes the host wait QuickBooks' advised 60 s: move the
    // clocks on so the test does not wait in real time.
    let clock = async {
        let mut seen = before;
        while !done.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = host.sim.counters().qbo_throttled(None);
            if now > seen {
                seen = now;
                host.advance(Duration::from_secs(61));
            }
        }
    };
    let (runs, ()) = tokio::join!(run, clock);
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert!(
        host.sim.counters().qbo_throttled(None) > before,
        "QuickBooks did throttle"
    );
    assert_eq!(host.connection(&id).await["state"], "active");
    assert_entities_match(&host, &id, true);
}
