//! The main job (`cargo xtask demo`): start the Xero and QuickBooks simulators in this
//! process, run the real `mooring serve` against them (everything on loopback), and walk
//! through what an operator lives through, one progress line per step:
//!
//! 1. connect: consent in the simulator, the operator picks one of two organisations;
//! 2. sync: records counted and compared with the simulator's books;
//! 3. an expiry warning: `connection.expiring` for a QuickBooks grant near Intuit's
//!    5-year limit;
//! 4. break: the user changes their Xero password;
//! 5. `needs_reauth`, with its reason;
//! 6. signed webhooks received by a loopback receiver and verified;
//! 7. a reconnect link the customer opens: the wrong organisation is refused, the right
//!    one restores the connection;
//! 8. syncing resumes with nothing lost and nothing duplicated.
//!
//! It ends with a summary table and exits 0 only when every step held. With `--serve`
//! it then leaves the host (and the simulators) running, printing the operator page's
//! URL and the admin token, until Ctrl-C.

mod checks;
mod host;
mod receiver;
mod steps;
mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use mooring_simulators::{
    AppSpec, GenerateOptions, HOSTS, NewInvoice, OrgSize, Provider, QBO_RT_HARD, SimConfig,
    Simulator, XeroTruth,
};
use serde_json::json;

use checks::{compare_with_truth, failed_runs, last_run, live_counts, wait_for, wait_for_sync};
use host::{ADMIN, Host};
use receiver::Receiver;
use table::{Row, n, print_table, report, secs};

const USER: &str = "finance@example.com";
const DAY_MS: i64 = 86_400_000;
/// Longest any single step may take before it is reported as failed.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest the demo waits for one thing to happen (an event, a delivery, a state).
const WAIT: Duration = Duration::from_secs(30);
/// Longest it waits for a queued sync: the story stays under Xero's 60 calls a minute
/// per organisation (about 51), but should the host have to wait for its budget, that
/// takes up to a minute and is not a failure.
const SYNC_WAIT: Duration = Duration::from_secs(90);

/// Everything the story needs, and what earlier steps learnt.
struct Story {
    xero: Simulator,
    qbo: Simulator,
    host: Host,
    receiver: Receiver,
    secret: String,
    uk: String,
    usa: String,
    company: String,
    xero_id: Option<String>,
    qbo_id: Option<String>,
    /// Live records per compared stream after the first sync.
    first_counts: BTreeMap<String, usize>,
    /// The last run id before the reconnect (its sync's runs come after).
    runs_before_reconnect: u64,
}

/// What a step that held reports: a short line for the summary table and the whole
/// story for its progress line.
struct Done {
    short: String,
    detail: String,
}

fn done(short: String, detail: String) -> Result<Done> {
    Ok(Done { short, detail })
}

/// Milliseconds since the Unix epoch, by the system clock.
fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Start the simulators, the receiver and the host; register the webhook endpoint.
async fn set_up(data: &std::path::Path) -> Result<Story> {
    let xero = Simulator::start(SimConfig::default()).await?;
    // QuickBooks runs in a simulator of its own so its clock can move without ageing
    // the Xero grants.
    let qbo = Simulator::start(SimConfig::default()).await?;
    let overrides: Vec<String> = HOSTS
        .iter()
        .map(|h| {
            let base = if h.contains("xero") {
                xero.base_url()
            } else {
                qbo.base_url()
            };
            format!("{h}={base}/{h}")
        })
        .collect();
    let integrations = json!([
        {"id": "xero", "provider": "xero", "client_id": "demo-xero-app", "client_secret": "demo-xero-secret"},
        {"id": "qbo", "provider": "quickbooks", "client_id": "demo-qbo-app", "client_secret": "demo-qbo-secret"}
    ]);
    let receiver = Receiver::start().await?;
    let host = Host::start(data, &overrides.join(","), &integrations.to_string()).await?;
    let redirect = format!("{}/oauth/callback", host.public);
    xero.add_app(
        AppSpec::new(
            Provider::Xero,
            "demo-xero-app",
            "demo-xero-secret",
            [redirect.as_str()],
        )
        .journals_premium(true),
    )?;
    qbo.add_app(AppSpec::new(
        Provider::Quickbooks,
        "demo-qbo-app",
        "demo-qbo-secret",
        [redirect.as_str()],
    ))?;
    xero.add_user(Provider::Xero, USER)?;
    qbo.add_user(Provider::Quickbooks, USER)?;
    let uk = xero.add_org(Provider::Xero, "UK Ltd");
    let usa = xero.add_org(Provider::Xero, "USA Inc");
    let company = qbo.add_org(Provider::Quickbooks, "Demo Company (US)");
    xero.grant_user_access(USER, &uk)?;
    xero.grant_user_access(USER, &usa)?;
    qbo.grant_user_access(USER, &company)?;
    let books = xero.generate_xero_org(&uk, GenerateOptions::new(OrgSize::small(), 2026))?;
    let endpoint = host
        .ok(
            "POST",
            "/api/webhooks",
            Some(json!({"url": receiver.url, "description": "the demo's receiver"})),
        )
        .await?;
    let secret = endpoint["secret"]
        .as_str()
        .context("POST /api/webhooks returned no secret")?
        .to_owned();
    println!("  host        {} (log {})", host.public, host.log.display());
    println!(
        "  Xero        {} ({USER}: UK Ltd with {} accounts, {} invoices, {} journals; USA Inc)",
        xero.base_url(),
        books.accounts,
        books.invoices,
        books.journals
    );
    println!(
        "  QuickBooks  {} ({USER}: Demo Company (US))",
        qbo.base_url()
    );
    println!(
        "  webhooks    {} (endpoint {}, every event type)",
        receiver.url,
        endpoint["id"].as_str().unwrap_or("?")
    );
    println!();
    Ok(Story {
        xero,
        qbo,
        host,
        receiver,
        secret,
        uk,
        usa,
        company,
        xero_id: None,
        qbo_id: None,
        first_counts: BTreeMap::new(),
        runs_before_reconnect: 0,
    })
}

async fn step<F: Future<Output = Result<Done>>>(future: F) -> Result<Done> {
    match tokio::time::timeout(STEP_TIMEOUT, future).await {
        Ok(result) => result,
        Err(_) => bail!("did not finish within {}", secs(STEP_TIMEOUT)),
    }
}

async fn run(serve: bool) -> Result<bool> {
    let total = Instant::now();
    println!(
        "Mooring demo: the real `mooring serve` against the bundled Xero and QuickBooks simulators, all on loopback"
    );
    let data = tempfile::tempdir()?;
    let mut story = set_up(data.path()).await.context("set-up")?;
    let mut rows = Vec::new();
    macro_rules! story_step {
        ($name:literal, $method:ident) => {{
            let started = Instant::now();
            let result = step(story.$method()).await;
            report(&mut rows, $name, started, result);
        }};
    }
    story_step!("connect", connect);
    story_step!("sync", sync);
    let names = [
        "expiry warning",
        "break",
        "needs_reauth",
        "webhook received",
        "reconnect link",
        "resume, no duplicates",
    ];
    if rows.iter().all(|r| r.result == Some(true)) {
        story_step!("expiry warning", expiry_warning);
        story_step!("break", break_connection);
        story_step!("needs_reauth", needs_reauth);
        story_step!("webhook received", webhooks);
        story_step!("reconnect link", reconnect_link);
        story_step!("resume, no duplicates", resume);
    } else {
        for name in names {
            println!(
                "– {} {name} (skipped: the connections are not there)",
                rows.len() + 1
            );
            rows.push(Row {
                name,
                result: None,
                detail: "skipped: connect or sync failed".into(),
                time: Duration::ZERO,
            });
        }
    }
    print_table(&rows, total.elapsed());
    let ok = rows.iter().all(|r| r.result == Some(true));
    if !ok {
        println!(
            "host log: {}\n{}",
            story.host.log.display(),
            story.host.log_tail()
        );
    }
    if serve {
        println!();
        println!(
            "Mooring is running: operator page http://127.0.0.1:{}/",
            story.host.port
        );
        println!("  admin token  {ADMIN}");
        println!(
            "  public URL   {} (reconnect links and OAuth callbacks); simulated user {USER}",
            story.host.public
        );
        println!(
            "  simulators   Xero {}, QuickBooks {}; webhooks reach {}",
            story.xero.base_url(),
            story.qbo.base_url(),
            story.receiver.url
        );
        println!("Press Ctrl-C to stop.");
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut hangup = signal(SignalKind::hangup())?;
        // `cargo xtask` runs this as its child: when it is stopped (a timeout's SIGTERM
        // reaches only it), this process is re-parented; stop then too.
        let parent = std::os::unix::process::parent_id();
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = hangup.recv() => break,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {
                    if story.host.exited() {
                        println!("mooring serve exited");
                        break;
                    }
                    if std::os::unix::process::parent_id() != parent {
                        println!("the parent process is gone");
                        break;
                    }
                }
            }
        }
        println!("stopping");
        let _ = story.host.stop().await;
    } else {
        story.host.stop().await?;
    }
    Ok(ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut serve = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--serve" => serve = true,
            _ => {
                eprintln!("usage: mooring-demo [--serve]");
                return ExitCode::from(2);
            }
        }
    }
    match run(serve).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            println!("✗ {error:#}");
            ExitCode::FAILURE
        }
    }
}
