//! A real `mooring serve` killed (SIGKILL) mid-sync ten times: the runs the kills cut
//! off are closed as `interrupted` at the next start and the records end equal to the
//! provider's. A SIGTERM mid-sync stops the host cleanly: exit code 0, no open run, the
//! committed pages kept.

use std::process::Command;
use std::time::{Duration, Instant};

use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
use mooring_simulators::{SimConfig, Simulator};
use serde_json::{Value, json};

use crate::crash::{Client, Process, add_xero_org, spawn_host, spawn_host_on_a_free_port};
use crate::harness::USER;

/// A simulator with one Xero organisation of `size`, a host process on a free port and a
/// connection to the organisation, consented through the first host process.
struct Crashable {
    sim: Simulator,
    org: String,
    port: u16,
    data: tempfile::TempDir,
    client: Client,
    id: String,
}

impl Crashable {
    async fn start(size: OrgSize) -> (Crashable, Process) {
        let sim = Simulator::start(SimConfig::default()).await.expect("sim");
        let data = tempfile::tempdir().expect("tmp");
        let (process, port) = spawn_host_on_a_free_port(data.path(), &sim).await;
        let org = add_xero_org(&sim, port, GenerateOptions::new(size, 5));
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
        let crashable = Crashable {
            sim,
            org,
            port,
            data,
            client,
            id,
        };
        (crashable, process)
    }

    async fn spawn(&self) -> Process {
        spawn_host(self.port, self.data.path(), &self.sim).await
    }

    /// The connection's runs as the API shows them.
    async fn runs(&self) -> Vec<Value> {
        let (status, runs) = self
            .client
            .call("GET", &format!("/api/connections/{}/runs", self.id), None)
            .await;
        assert_eq!(status, 200, "{runs}");
        runs.as_array().cloned().unwrap_or_default()
    }

    /// Queue a sync, then wait until a run is open (a run of `stream` with a page
    /// committed, when given).
    async fn sync_until_mid_run(&self, stream: Option<&str>) {
        let (status, body) = self
            .client
            .call("POST", &format!("/api/connections/{}/sync", self.id), None)
            .await;
        assert_eq!(status, 202, "{body}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.runs().await.iter().any(|r| {
                r["finished_at"].is_null()
                    && stream.is_none_or(|s| r["stream"] == s && r["pages"].as_u64() > Some(0))
            }) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no run was seen in flight");
    }

    /// Every stream's stored ids equal the simulator's.
    async fn assert_matches_truth(&self) {
        let truth = self.sim.xero_truth(&self.org).expect("truth");
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
            let got: std::collections::BTreeSet<String> = self
                .client
                .records(&self.id, stream)
                .await
                .into_keys()
                .collect();
            assert_eq!(got, expected, "{stream}");
        }
    }
}

/// An organisation big enough for several pages per stream, small enough to be quick.
fn several_pages() -> OrgSize {
    OrgSize {
        contacts: 150,
        invoices: 350,
        bank_transactions: 120,
        manual_journals: 10,
        ..OrgSize::small()
    }
}

#[tokio::test]
async fn ten_kills_mid_sync_leave_no_run_open_and_the_records_equal_the_truth() {
    let (setup, mut process) = Crashable::start(several_pages()).await;
    setup.sim.set_xero_latency(Duration::from_millis(30));
    for kill in 0..10u64 {
        if kill > 0 {
            process = setup.spawn().await;
            setup.client.healthy().await;
            // The runs the previous kill cut off were closed when this host started.
            let open: Vec<Value> = setup
                .runs()
                .await
                .into_iter()
                .filter(|r| r["finished_at"].is_null())
                .collect();
            assert!(open.is_empty(), "after kill {kill}: {open:?}");
        }
        setup.sync_until_mid_run(None).await;
        tokio::time::sleep(Duration::from_millis(kill * 23 % 120)).await;
        process.child.kill().expect("SIGKILL");
        process.child.wait().expect("reaped");
    }
    drop(process);
    setup.sim.set_xero_latency(Duration::ZERO);
    let _last = setup.spawn().await;
    setup.client.healthy().await;
    let runs = setup.runs().await;
    assert!(runs.iter().all(|r| !r["finished_at"].is_null()), "{runs:?}");
    let interrupted: Vec<&Value> = runs
        .iter()
        .filter(|r| r["status"] == "interrupted")
        .collect();
    assert!(
        interrupted.len() >= 5,
        "a kill may land between two runs, most land in one: {runs:?}"
    );
    for run in &interrupted {
        let error = run["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("interrupted:"), "{run}");
        assert!(error.contains("committed"), "{run}");
    }
    let (status, synced) = setup
        .client
        .call(
            "POST",
            &format!("/api/connections/{}/sync", setup.id),
            Some(json!({"wait": true})),
        )
        .await;
    assert_eq!(status, 200, "{synced}");
    for run in synced["runs"].as_array().expect("runs") {
        assert_eq!(run["status"], "succeeded", "{run}");
    }
    setup.assert_matches_truth().await;
    assert!(
        setup
            .runs()
            .await
            .iter()
            .all(|r| !r["finished_at"].is_null())
    );
}

#[tokio::test]
async fn sigterm_mid_sync_exits_zero_with_no_open_run_and_the_committed_pages_kept() {
    let (setup, mut process) = Crashable::start(several_pages()).await;
    setup.sim.set_xero_latency(Duration::from_millis(100));
    setup.sync_until_mid_run(Some("journals")).await;
    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &process.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = process.child.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(15),
            "the host did not stop within its shutdown grace"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(exit.code(), Some(0), "{exit:?}");
    drop(process);

    // Read the stopped host's database directly.
    let key = mooring_store::SecretKey::from_text(&"17".repeat(32)).expect("key");
    let store = mooring_store::Store::open(&setup.data.path().join("mooring.redb"), key)
        .expect("open after SIGTERM");
    let runs = store.list_sync_runs(&setup.id, 100).expect("runs");
    assert!(runs.iter().all(|r| r.finished_at.is_some()), "{runs:?}");
    let stopped = runs
        .iter()
        .find(|r| r.status == mooring_store::RunStatus::Interrupted)
        .unwrap_or_else(|| panic!("the run in flight was closed as interrupted: {runs:?}"));
    assert!(stopped.pages > 0, "{stopped:?}");
    let stats = store
        .stream_stats(&setup.id, &stopped.stream)
        .expect("stats");
    let committed: u64 = runs
        .iter()
        .filter(|r| r.stream == stopped.stream)
        .map(|r| r.added)
        .sum();
    assert!(committed > 0, "{runs:?}");
    assert_eq!(
        stats.live + stats.tombstones,
        committed,
        "every record the runs committed is stored ({})",
        stopped.stream
    );
    assert!(
        store
            .cursor(&setup.id, &stopped.stream)
            .expect("cursor")
            .is_some()
    );
    drop(store);

    // A restart carries on from the committed cursor to the provider's truth.
    setup.sim.set_xero_latency(Duration::ZERO);
    let _second = setup.spawn().await;
    setup.client.healthy().await;
    let (status, synced) = setup
        .client
        .call(
            "POST",
            &format!("/api/connections/{}/sync", setup.id),
            Some(json!({"wait": true})),
        )
        .await;
    assert_eq!(status, 200, "{synced}");
    setup.assert_matches_truth().await;
}
