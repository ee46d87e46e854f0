//! A real `mooring serve` process killed (SIGKILL) in the middle of a sync, restarted
//! on the same data directory: the final records are identical to the provider's. More
//! kills and a SIGTERM are in [`crate::crash_restarts`].

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
use mooring_simulators::{Provider, SimConfig, Simulator};
use serde_json::{Value, json};

use crate::harness::{ADMIN, USER, XERO_CLIENT, xero_app};
use crate::serve_process::{self, Serving};

/// A host process; killed (and reaped) when dropped.
pub(crate) type Process = Serving;

/// `mooring serve` for the simulator's Xero on `port` with its data in `data`, once it
/// has bound the port; `Err` with its log when it could not (the port was taken).
pub(crate) async fn try_spawn_host(
    port: u16,
    data: &Path,
    sim: &Simulator,
) -> Result<Process, String> {
    let integrations = json!([{"id": "xero", "provider": "xero", "client_id": XERO_CLIENT.0, "client_secret": XERO_CLIENT.1}]);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_mooring"));
    serve
        .arg("serve")
        .env("MOORING_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("MOORING_DATA_DIR", data)
        .env(
            "MOORING_PLUGIN_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"),
        )
        .env("MOORING_HOST_OVERRIDES", sim.host_overrides())
        .env("MOORING_ADMIN_TOKEN", ADMIN)
        .env("MOORING_ENCRYPTION_KEY", "17".repeat(32))
        .env("MOORING_INTEGRATIONS", integrations.to_string())
        .env("MOORING_SCHEDULER", "off");
    let log = data.join("serve.log");
    serve_process::spawn_at(serve, &log, &format!("127.0.0.1:{port}")).await
}

/// [`try_spawn_host`], restarting on the port of an earlier process.
pub(crate) async fn spawn_host(port: u16, data: &Path, sim: &Simulator) -> Process {
    try_spawn_host(port, data, sim)
        .await
        .unwrap_or_else(|logged| panic!("the host did not start on port {port}: {logged}"))
}

/// An app whose redirect is the host's on `port`, the test user and one organisation
/// generated with `options`; the organisation's id. These tests are about crashes,
/// not rate limits: the host may call freely.
pub(crate) fn add_xero_org(sim: &Simulator, port: u16, options: GenerateOptions) -> String {
    let redirect = format!("http://localhost:{port}/oauth/callback");
    sim.add_app(xero_app(&redirect)).expect("app");
    sim.add_user(Provider::Xero, USER).expect("user");
    let org = sim.add_org(Provider::Xero, "UK Ltd");
    sim.grant_user_access(USER, &org).expect("access");
    sim.generate_xero_org(&org, options).expect("data");
    let mut limits = sim.xero_rate_limits();
    limits.per_minute = 100_000;
    limits.per_day = 1_000_000;
    sim.set_xero_rate_limits(limits);
    org
}

/// A test's first host, on a port probed free (probing again when a concurrent test
/// took it first), and that port, which its restarts reuse.
pub(crate) async fn spawn_host_on_a_free_port(data: &Path, sim: &Simulator) -> (Process, u16) {
    let mut refused = Vec::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        match try_spawn_host(port, data, sim).await {
            Ok(process) => return (process, port),
            Err(logged) => refused.push(logged),
        }
    }
    panic!("no free port after 5 tries: {refused:?}");
}

pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

impl Client {
    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(
                method.parse().expect("method"),
                format!("{}{path}", self.base),
            )
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_slice(&response.bytes().await.expect("body")).unwrap_or(Value::Null),
        )
    }

    pub(crate) async fn healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self
                .http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("mooring did not come up");
    }

    /// The stored data of one record, found through the change feed.
    async fn record(&self, connection: &str, stream: &str, id: &str) -> Value {
        let mut after = 0;
        loop {
            let (_, page) = self
                .call(
                    "GET",
                    &format!(
                        "/api/connections/{connection}/records/{stream}?after={after}&limit=1000"
                    ),
                    None,
                )
                .await;
            if let Some(found) = page["records"]
                .as_array()
                .and_then(|r| r.iter().find(|r| r["id"] == id))
            {
                return found["data"].clone();
            }
            match page["next"].as_u64() {
                Some(next) => after = next,
                None => panic!("{stream} {id} is not stored"),
            }
        }
    }

    /// Every stored record of `stream`, read through the change feed: id → tombstone.
    pub(crate) async fn records(&self, connection: &str, stream: &str) -> BTreeMap<String, bool> {
        let mut out = BTreeMap::new();
        let mut after = 0;
        loop {
            let (status, page) = self
                .call(
                    "GET",
                    &format!(
                        "/api/connections/{connection}/records/{stream}?after={after}&limit=1000"
                    ),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{page}");
            for r in page["records"].as_array().expect("records") {
                let id = r["id"].as_str().expect("id").to_owned();
                assert!(
                    out.insert(id.clone(), r["deleted"] == true).is_none(),
                    "{stream} {id} twice"
                );
            }
            match page["next"].as_u64() {
                Some(next) => after = next,
                None => return out,
            }
        }
    }
}

#[tokio::test]
async fn a_host_killed_mid_sync_ends_with_identical_records_after_a_restart() {
    let sim = Simulator::start(SimConfig::default()).await.expect("sim");
    let data = tempfile::tempdir().expect("tmp");
    let data = data.path();
    let (first, port) = spawn_host_on_a_free_port(data, &sim).await;
    let org = add_xero_org(&sim, port, GenerateOptions::new(OrgSize::medium(), 11));
    let client = Client {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        base: format!("http://127.0.0.1:{port}"),
    };
    client.healthy().await;
    let (_, started) = client
        .call(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero"})),
        )
        .await;
    let id = started["id"].as_str().expect("id").to_owned();
    let consent = sim
        .authorize(
            started["authorize_url"].as_str().expect("url"),
            USER,
            &[org.as_str()],
            true,
        )
        .expect("consent");
    let callback = client
        .http
        .get(&consent.location)
        .send()
        .await
        .expect("callback");
    assert_eq!(callback.status(), 200);

    // Slow the provider down so the kill lands in the middle of a stream.
    sim.set_xero_latency(Duration::from_millis(150));
    let mut first = first;
    let (status, _) = client
        .call("POST", &format!("/api/connections/{id}/sync"), None)
        .await;
    assert_eq!(status, 202);
    let deadline = Instant::now() + Duration::from_secs(60);
    // Journals are among the first streams (the ledger comes first) and take many pages.
    loop {
        let journals = client.records(&id, "journals").await.len();
        if journals > 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    drop(first);
    let stored_at_kill = client_records_offline(data, &id, "journals");
    let all_journals = sim.xero_truth(&org).expect("truth").journals.len();
    assert!(
        stored_at_kill > 0 && stored_at_kill < all_journals,
        "the kill landed mid-stream: {stored_at_kill} of {all_journals} journals stored"
    );

    // Change the books while the host is down, then restart and sync to the end.
    let truth = sim.xero_truth(&org).expect("truth");
    let open = truth
        .invoices
        .iter()
        .find(|i| i["Status"] == "AUTHORISED")
        .and_then(|i| i["InvoiceID"].as_str())
        .expect("open invoice")
        .to_owned();
    sim.clock().advance(Duration::from_secs(2));
    sim.touch_invoice(&org, &open).expect("touch");
    sim.set_xero_latency(Duration::ZERO);
    let _second = spawn_host(port, data, &sim).await;
    client.healthy().await;
    let (status, runs) = client
        .call(
            "POST",
            &format!("/api/connections/{id}/sync"),
            Some(json!({"wait": true})),
        )
        .await;
    assert_eq!(status, 200, "{runs}");
    for run in runs["runs"].as_array().expect("runs") {
        assert!(run["error"].is_null(), "{run}");
    }
    let truth = sim.xero_truth(&org).expect("truth");
    for (stream, records, id_field) in [
        ("invoices", &truth.invoices, "InvoiceID"),
        ("contacts", &truth.contacts, "ContactID"),
        ("journals", &truth.journals, "JournalID"),
        ("accounts", &truth.accounts, "AccountID"),
        (
            "bank_transactions",
            &truth.bank_transactions,
            "BankTransactionID",
        ),
    ] {
        let expected: std::collections::BTreeSet<String> = records
            .iter()
            .map(|r| r[id_field].as_str().expect("id").to_owned())
            .collect();
        let got: std::collections::BTreeSet<String> =
            client.records(&id, stream).await.into_keys().collect();
        assert_eq!(got, expected, "{stream} after the crash");
    }
    // The change made while the host was down arrived.
    let stored = client.record(&id, "invoices", &open).await;
    let expected = truth
        .invoices
        .iter()
        .find(|i| i["InvoiceID"] == open.as_str())
        .expect("truth invoice");
    assert_eq!(stored["Total"], expected["Total"]);
    let stored_ms = stored["UpdatedDateUTC"]
        .as_str()
        .and_then(rfc3339_seconds)
        .expect("RFC 3339 UpdatedDateUTC");
    let expected_ms = expected["UpdatedDateUTC"]
        .as_str()
        .and_then(|d| d.strip_prefix("/Date("))
        .and_then(|d| d.get(..10))
        .and_then(|d| d.parse::<i64>().ok())
        .expect("MS-JSON date");
    assert_eq!(stored_ms, expected_ms, "the post-crash touch is stored");
}

/// Invoices committed by the killed process, read from its database file.
fn client_records_offline(data: &Path, connection: &str, stream: &str) -> usize {
    let key = mooring_store::SecretKey::from_text(&"17".repeat(32)).expect("key");
    let store =
        mooring_store::Store::open(&data.join("mooring.redb"), key).expect("open after kill");
    store.record_count(connection, stream).expect("count") as usize
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp (`2024-01-02T03:04:05Z`).
fn rfc3339_seconds(text: &str) -> Option<i64> {
    let (date, time) = text.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time
        .split(':')
        .map(|p| p.split('.').next().unwrap_or("0").parse::<i64>());
    let (h, min, s) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + s)
}
