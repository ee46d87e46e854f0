//! Syncing end to end against the Xero data simulator (issue 4): full syncs match the
//! simulator's truth record for record, incremental syncs fetch only changes, and
//! broken tokens, revocations, 429s and daily limits are survived without losing or
//! duplicating a record.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mooring_simulators::Provider;
use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
use serde_json::{Value, json};

use crate::harness::{Host, USER, XERO_CLIENT};

/// (stream, truth accessor, id field, status field, statuses that are tombstones)
type StreamRule = (
    &'static str,
    fn(&mooring_simulators::xero::data::truth::XeroTruth) -> Vec<Value>,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const RULES: &[StreamRule] = &[
    (
        "accounts",
        |t| t.accounts.clone(),
        "AccountID",
        "Status",
        &["DELETED"],
    ),
    (
        "tracking_categories",
        |t| t.tracking_categories.clone(),
        "TrackingCategoryID",
        "Status",
        &["DELETED"],
    ),
    (
        "contacts",
        |t| t.contacts.clone(),
        "ContactID",
        "ContactStatus",
        &["GDPRREQUEST"],
    ),
    (
        "invoices",
        |t| t.invoices.clone(),
        "InvoiceID",
        "Status",
        &["DELETED", "VOIDED"],
    ),
    (
        "bank_transactions",
        |t| t.bank_transactions.clone(),
        "BankTransactionID",
        "Status",
        &["DELETED", "VOIDED"],
    ),
    (
        "manual_journals",
        |t| t.manual_journals.clone(),
        "ManualJournalID",
        "Status",
        &["DELETED", "VOIDED"],
    ),
    ("journals", |t| t.journals.clone(), "JournalID", "-", &[]),
];

/// Every stored record of a stream: id → tombstone?, read through the change feed
/// (which also proves each id appears once).
fn stored(host: &Host, connection: &str, stream: &str) -> BTreeMap<String, bool> {
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
                out.insert(id.clone(), record.deleted).is_none(),
                "{stream}: {id} appears twice in the feed"
            );
        }
        match next {
            Some(n) => after = n,
            None => return out,
        }
    }
}

/// Assert the host holds exactly the simulator's records of `tenant`: same ids, and
/// tombstones exactly where the provider's status means deletion.
fn assert_matches_truth(host: &Host, connection: &str, tenant: &str) -> usize {
    let truth = host.sim.xero_truth(tenant).expect("truth");
    let mut total = 0;
    for (stream, records, id_field, status_field, deleted) in RULES {
        let expected: BTreeMap<String, bool> = records(&truth)
            .iter()
            .map(|r| {
                let id = r[id_field].as_str().expect("id").to_owned();
                let status = r[status_field].as_str().unwrap_or_default();
                (id, deleted.contains(&status))
            })
            .collect();
        let got = stored(host, connection, stream);
        let missing: BTreeSet<_> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
        let extra: BTreeSet<_> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{stream}: {} missing, {} extra",
            missing.len(),
            extra.len()
        );
        for (id, tombstone) in &expected {
            assert_eq!(got[id], *tombstone, "{stream} {id}: tombstone flag");
        }
        total += expected.len();
    }
    total
}

fn xero_calls(host: &Host) -> u64 {
    host.sim
        .counters()
        .api_calls
        .get(&Provider::Xero)
        .copied()
        .unwrap_or(0)
}

async fn sync_all(host: &Host, connection: &str) -> Value {
    host.api_ok(
        "POST",
        &format!("/api/connections/{connection}/sync"),
        Some(json!({"wait": true})),
    )
    .await
}

fn errors(runs: &Value) -> Vec<String> {
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

async fn connected_with_data(size: OrgSize) -> (Host, String) {
    let host = Host::start().await;
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(size, 7))
        .expect("generate");
    let id = host.connect("xero", &[&host.uk], None).await;
    (host, id)
}

#[tokio::test]
async fn a_full_sync_matches_the_simulator_record_for_record() {
    let (host, id) = connected_with_data(OrgSize::small()).await;
    let runs = sync_all(&host, &id).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let total = assert_matches_truth(&host, &id, &host.uk);
    assert!(total > 100, "a meaningful organisation ({total} records)");
    // Dates arrive as RFC 3339, not MS-JSON.
    let (page, _) = host
        .app()
        .store
        .records_after(&id, "invoices", 0, 1)
        .expect("feed");
    let data = &page[0].2.data;
    assert!(!data.contains("/Date("), "{data}");
    assert_eq!(
        host.app()
            .store
            .record_count(&id, "organisation")
            .expect("count"),
        1
    );
    assert!(
        host.app()
            .store
            .record_count(&id, "trial_balance")
            .expect("count")
            > 0
    );
}

#[tokio::test]
async fn a_second_sync_fetches_only_changes() {
    let (host, id) = connected_with_data(OrgSize::small()).await;
    sync_all(&host, &id).await;
    let truth = host.sim.xero_truth(&host.uk).expect("truth");
    let open: Vec<&str> = truth
        .invoices
        .iter()
        .filter(|i| i["Status"] == "AUTHORISED")
        .filter_map(|i| i["InvoiceID"].as_str())
        .collect();
    host.advance(Duration::from_secs(5));
    host.sim.touch_invoice(&host.uk, open[0]).expect("touch");
    host.sim.void_invoice(&host.uk, open[1]).expect("void");
    host.sim
        .add_contact(&host.uk, "Brand New Customer Ltd")
        .expect("contact");
    host.advance(Duration::from_secs(5));
    let before = xero_calls(&host);
    host.sim.clear_requests();
    let runs = sync_all(&host, &id).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    // Every incremental endpoint was asked only for what changed since the last sync.
    for (endpoint, marker) in [
        ("/Invoices", "if-modified-since"),
        ("/Contacts", "if-modified-since"),
        ("/BankTransactions", "if-modified-since"),
        ("/ManualJournals", "if-modified-since"),
        ("/Accounts", "if-modified-since"),
        ("/Journals", "offset="),
    ] {
        let requests: Vec<_> = host
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.uri.contains(endpoint))
            .collect();
        assert!(!requests.is_empty(), "{endpoint} was not called");
        let full: Vec<_> = requests
            .iter()
            .filter(|r| {
                let incremental = r.uri.contains(marker) && !r.uri.contains("offset=0")
                    || r.headers
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case(marker));
                !incremental
            })
            .collect();
        // `common.actuals` reads the whole chart once (it classifies every account);
        // every other read of every endpoint asks only for changes.
        let allowed = usize::from(endpoint == "/Accounts");
        assert!(
            full.len() <= allowed && requests.len() > full.len(),
            "{endpoint} fetched in full: {:?}",
            full.iter().map(|r| &r.uri).collect::<Vec<_>>()
        );
    }
    let invoices = run_of(&runs, "invoices");
    assert_eq!(
        invoices["updated"].as_u64().unwrap_or(0) + invoices["added"].as_u64().unwrap_or(0),
        1,
        "{invoices}"
    );
    assert_eq!(
        invoices["deleted"], 1,
        "the voided invoice is a tombstone: {invoices}"
    );
    assert_eq!(run_of(&runs, "contacts")["added"], 1);
    assert_eq!(run_of(&runs, "accounts")["updated"], 0);
    // One call per stream (plus the journals posted by the void): only changes travel.
    // Reports are read whole by design (any posting moves a month's figures), so they
    // are not counted here.
    let reports = host
        .sim
        .requests()
        .iter()
        .filter(|r| r.uri.contains("/Reports/"))
        .count() as u64;
    let calls = xero_calls(&host) - before - reports;
    assert!(calls <= 14, "{calls} API calls for a handful of changes");
    assert_matches_truth(&host, &id, &host.uk);
}

#[tokio::test]
async fn a_401_in_the_middle_of_a_run_refreshes_and_the_run_continues() {
    let (host, id) = connected_with_data(OrgSize::medium()).await;
    host.sim.expire_access_tokens_after(4);
    let runs = sync_all(&host, &id).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_eq!(
        host.sim
            .counters()
            .token_requests(Provider::Xero, Some("refresh_token")),
        1
    );
    assert_matches_truth(&host, &id, &host.uk);
}

#[tokio::test]
async fn a_revocation_mid_run_stops_it_and_a_reconnect_resumes_without_loss_or_duplicates() {
    let (host, id) = connected_with_data(OrgSize::medium()).await;
    host.sim.set_xero_latency(Duration::from_millis(30));
    let revoke = async {
        let start = xero_calls(&host);
        while xero_calls(&host) < start + 6 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        host.sim
            .change_password(Provider::Xero, USER)
            .expect("revoke");
    };
    let (runs, ()) = tokio::join!(sync_all(&host, &id), revoke);
    assert!(!errors(&runs).is_empty(), "the run stopped");
    let c = host.connection(&id).await;
    assert_eq!(c["state"], "needs_reauth", "{c}");
    host.sim.set_xero_latency(Duration::ZERO);

    let (status, page) = host.reconnect(&id, &[&host.uk], None).await;
    assert_eq!(status, 200, "{page}");
    let runs = sync_all(&host, &id).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_matches_truth(&host, &id, &host.uk);
}

#[tokio::test]
async fn the_daily_limit_degrades_the_connection_until_it_resets() {
    let (host, id) = connected_with_data(OrgSize::small()).await;
    let mut limits = host.sim.xero_rate_limits();
    limits.per_day = 4;
    host.sim.set_xero_rate_limits(limits);
    sync_all(&host, &id).await;
    let c = host.connection(&id).await;
    assert_eq!(c["state"], "degraded", "{c}");
    let reason = c["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("resumes at"), "{reason}");
    // Nothing is called while degraded: no storm of errors.
    let before = xero_calls(&host);
    let (status, _) = host
        .api(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"wait": true})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(xero_calls(&host), before);
    // A day later the window has reset and syncing carries on from the saved cursors.
    host.advance(Duration::from_secs(25 * 3600));
    limits.per_day = 5000;
    host.sim.set_xero_rate_limits(limits);
    let runs = sync_all(&host, &id).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_eq!(host.connection(&id).await["state"], "active");
    assert_matches_truth(&host, &id, &host.uk);
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_connect_queues_a_sync_and_a_started_scheduler_resumes_every_due_stream() {
    let host = Host::start().await;
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::small(), 3))
        .expect("data");
    let queue_only = host.app().sync.spawn_scheduler(false);
    let id = host.connect("xero", &[&host.uk], None).await;
    // Nobody asked for a sync: the connect queued one, of every stream.
    wait_for("the first sync", || {
        host.app().store.list_sync_runs(&id, 100).is_ok_and(|runs| {
            RULES.iter().all(|(stream, ..)| {
                runs.iter()
                    .any(|r| r.stream == *stream && r.finished_at.is_some() && r.error.is_none())
            })
        })
    })
    .await;
    assert_matches_truth(&host, &id, &host.uk);
    queue_only.abort();

    // Books change while no scheduler runs; a scheduler started afresh (as after a
    // restart) finds every stream due and carries on from the saved cursors.
    let truth = host.sim.xero_truth(&host.uk).expect("truth");
    let open = truth
        .invoices
        .iter()
        .find(|i| i["Status"] == "AUTHORISED")
        .and_then(|i| i["InvoiceID"].as_str())
        .expect("open invoice")
        .to_owned();
    host.advance(Duration::from_secs(5));
    host.sim.void_invoice(&host.uk, &open).expect("void");
    let scheduler = host.app().sync.spawn_scheduler(true);
    let journals = host.sim.xero_truth(&host.uk).expect("truth").journals.len() as u64;
    wait_for("the voided invoice and its reversing journal", || {
        let voided = host
            .app()
            .store
            .record(&id, "invoices", &open)
            .ok()
            .flatten()
            .is_some_and(|r| r.deleted);
        voided
            && host
                .app()
                .store
                .record_count(&id, "journals")
                .is_ok_and(|n| n == journals)
    })
    .await;
    scheduler.abort();
    assert_matches_truth(&host, &id, &host.uk);
}

#[tokio::test]
async fn the_remaining_count_headers_pace_the_host_before_the_provider_must_refuse() {
    // The host's own budget is raised so that only what the provider reports applies.
    let host = Host::start_with(&[("MOORING_RATE_BUDGETS", "xero.per_minute=1000")]).await;
    let id = host.connect("xero", &[&host.uk], None).await;
    let mut limits = host.sim.xero_rate_limits();
    limits.per_minute = 3;
    host.sim.set_xero_rate_limits(limits);
    for _ in 0..3 {
        host.probe(&id, "organisation")
            .await
            .expect("within the provider's minute");
    }
    // X-MinLimit-Remaining said 0: the next call waits for the window instead of
    // earning a 429. 59 s on, the window frees a second later.
    host.advance(Duration::from_secs(59));
    let limited = host.sim.counters().rate_limited(None);
    let started = std::time::Instant::now();
    host.probe(&id, "organisation")
        .await
        .expect("after the window frees");
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(
        host.sim.counters().rate_limited(None),
        limited,
        "no 429 was needed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_the_provider_is_waited_out_and_the_run_completes() {
    let host = Host::start().await;
    host.sim.clock().freeze();
    host.sim
        .generate_xero_org(&host.usa, GenerateOptions::new(OrgSize::small(), 5))
        .expect("data");
    let usa = host.connect("xero", &[&host.usa], None).await;
    // Xero's app-wide minute spans every process of the app. Another process of the
    // same app (the simulator's control stands in for it) spends all of it, which this
    // host cannot foresee: it last heard of the app's minute over a minute ago, when
    // the connect's calls (aged out here) were answered.
    let mut limits = host.sim.xero_rate_limits();
    limits.app_per_minute = 3;
    host.sim.set_xero_rate_limits(limits);
    host.advance(Duration::from_secs(61));
    host.sim.spend_xero_app_minute(XERO_CLIENT.0, 3);
    let limited = host.sim.counters().rate_limited(Some("appminute"));
    let path = format!("/api/connections/{usa}/sync");
    let sync = host.api_ok(
        "POST",
        &path,
        Some(json!({"streams": ["organisation", "accounts"]})),
    );
    let drive = async {
        // USA Inc's sync meets `429 Retry-After: 60`...
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while host.sim.counters().rate_limited(Some("appminute")) == limited {
            assert!(std::time::Instant::now() < deadline, "no 429 came");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // ...and waits: while the clock stands still, it asks nothing more.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let refused = host.sim.counters().rate_limited(Some("appminute"));
        let calls = host.sim.counters().data_calls(&host.usa);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            host.sim.counters().rate_limited(Some("appminute")),
            refused,
            "no retry before the time the provider gave"
        );
        assert_eq!(host.sim.counters().data_calls(&host.usa), calls);
        // Once that time has come, it carries on.
        host.advance(Duration::from_secs(61));
        host.app().sync.wake_scheduler();
        refused
    };
    let (runs, refused) = tokio::join!(sync, drive);
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert!(refused > limited, "the provider did say 429");
    assert_eq!(
        host.sim.counters().rate_limited(None),
        refused,
        "no 429 after the wait"
    );
    assert_eq!(host.connection(&usa).await["state"], "active");
    assert!(
        host.app()
            .store
            .record_count(&usa, "accounts")
            .expect("count")
            > 0
    );
}

#[tokio::test]
async fn a_configured_budget_override_is_enforced_by_the_host() {
    // A Xero Starter-tier app: the deployment says 2 calls a day, the provider allows more.
    let host = Host::start_with(&[("MOORING_RATE_BUDGETS", "xero.per_day=2")]).await;
    let id = host.connect("xero", &[&host.uk], None).await;
    host.probe(&id, "organisation").await.expect("call 1");
    host.probe(&id, "accounts").await.expect("call 2");
    let before = xero_calls(&host);
    host.probe(&id, "organisation")
        .await
        .expect_err("the third call is over the day's budget");
    assert_eq!(xero_calls(&host), before, "the host refused it itself");
    assert_eq!(
        host.sim.counters().rate_limited(None),
        0,
        "without earning a 429"
    );
}

#[tokio::test]
async fn quickbooks_accounts_sync_the_whole_chart_and_then_only_changes() {
    let host = Host::start().await;
    host.sim
        .generate_qbo_accounts(&host.qbo_company, 1200, 9)
        .expect("chart");
    let id = host.connect("qbo", &[&host.qbo_company], None).await;
    let runs = host
        .api_ok(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"streams": ["accounts", "companyinfo"]})),
        )
        .await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert!(
        run_of(&runs, "accounts")["pages"].as_u64().unwrap_or(0) >= 2,
        "more than one page of 1000"
    );
    let truth = host.sim.qbo_truth(&host.qbo_company).expect("truth");
    let expected: BTreeSet<String> = truth
        .iter()
        .map(|a| a["Id"].as_str().expect("Id").to_owned())
        .collect();
    let got = stored(&host, &id, "accounts");
    assert_eq!(
        got.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "inactive accounts included"
    );
    assert!(
        got.values().all(|deleted| !deleted),
        "Active=false is not a deletion"
    );

    let touched = truth[3]["Id"].as_str().expect("Id").to_owned();
    host.advance(Duration::from_secs(5));
    host.sim
        .touch_qbo_account(&host.qbo_company, &touched)
        .expect("touch");
    host.advance(Duration::from_secs(5));
    let runs = host
        .api_ok(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"streams": ["accounts"]})),
        )
        .await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    assert_eq!(run_of(&runs, "accounts")["updated"], 1, "{runs}");
    assert_eq!(
        run_of(&runs, "accounts")["pages"],
        1,
        "only the change travelled"
    );
}
