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

mod host;
mod receiver;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use mooring_simulators::{
    AppSpec, GenerateOptions, HOSTS, NewInvoice, OrgSize, Provider, QBO_RT_HARD, SimConfig,
    Simulator, XeroTruth,
};
use serde_json::{Value, json};

use host::{ADMIN, Host};
use receiver::Receiver;

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

/// One line of the summary.
struct Row {
    name: &'static str,
    result: Option<bool>,
    detail: String,
    time: Duration,
}

/// (stream, the simulator's statuses that mean the record is gone)
const COMPARED: &[(&str, &[&str])] = &[
    ("accounts", &["DELETED"]),
    ("tracking_categories", &["DELETED"]),
    ("contacts", &["GDPRREQUEST"]),
    ("invoices", &["DELETED", "VOIDED"]),
    ("bank_transactions", &["DELETED", "VOIDED"]),
    ("manual_journals", &["DELETED", "VOIDED"]),
    ("journals", &[]),
];

/// The simulator's records of a compared stream, with their id and status fields.
fn truth_of<'a>(truth: &'a XeroTruth, stream: &str) -> (&'a [Value], &'static str, &'static str) {
    match stream {
        "accounts" => (&truth.accounts, "AccountID", "Status"),
        "tracking_categories" => (&truth.tracking_categories, "TrackingCategoryID", "Status"),
        "contacts" => (&truth.contacts, "ContactID", "ContactStatus"),
        "invoices" => (&truth.invoices, "InvoiceID", "Status"),
        "bank_transactions" => (&truth.bank_transactions, "BankTransactionID", "Status"),
        "manual_journals" => (&truth.manual_journals, "ManualJournalID", "Status"),
        _ => (&truth.journals, "JournalID", "-"),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `1234567` → `1,234,567`.
fn n(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Poll `check` until it gives a value, with a growing pause, for at most `timeout`.
async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if started.elapsed() > timeout {
            bail!("gave up after {} waiting for {what}", secs(timeout));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// The newest run id of a connection (0 without runs).
async fn last_run(host: &Host, id: &str) -> Result<u64> {
    let runs = host
        .ok("GET", &format!("/api/connections/{id}/runs?limit=1"), None)
        .await?;
    Ok(runs[0]["id"].as_u64().unwrap_or(0))
}

/// Wait until the sync the host queued by itself (after a connect or reconnect) has
/// run every stream of the connection's plugin: runs newer than `after`, none still
/// running. Streams the grant cannot sync never get a run, so a quiet second with
/// nothing running also ends the wait. Returns the new runs.
async fn wait_for_sync(host: &Host, id: &str, after: u64) -> Result<Vec<Value>> {
    let view = host
        .ok("GET", &format!("/api/connections/{id}/streams"), None)
        .await?;
    let streams: BTreeSet<String> = view["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect();
    let started = Instant::now();
    let mut seen = 0;
    let mut quiet_since = Instant::now();
    loop {
        let runs = host
            .ok(
                "GET",
                &format!("/api/connections/{id}/runs?limit=1000"),
                None,
            )
            .await?;
        let new: Vec<Value> = runs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["id"].as_u64().is_some_and(|run| run > after))
            .cloned()
            .collect();
        let running = new.iter().any(|r| r["status"] == "running");
        let done: BTreeSet<&str> = new
            .iter()
            .filter(|r| r["status"] != "running")
            .filter_map(|r| r["stream"].as_str())
            .collect();
        if !running && streams.iter().all(|s| done.contains(s.as_str())) {
            return Ok(new);
        }
        if new.len() != seen || running {
            seen = new.len();
            quiet_since = Instant::now();
        } else if seen > 0 && quiet_since.elapsed() > Duration::from_secs(1) {
            return Ok(new);
        }
        if started.elapsed() > SYNC_WAIT {
            let missing: Vec<&String> = streams
                .iter()
                .filter(|s| !done.contains(s.as_str()))
                .collect();
            bail!(
                "the sync of {id} did not finish within {}: no finished run yet for {missing:?}",
                secs(SYNC_WAIT)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn failed_runs(runs: &[Value]) -> Vec<String> {
    runs.iter()
        .filter_map(|r| {
            let error = r["error"].as_str()?;
            Some(format!("{}: {error}", r["stream"].as_str().unwrap_or("?")))
        })
        .collect()
}

/// Live records per stream, from the connection's stream view.
async fn live_counts(host: &Host, id: &str) -> Result<BTreeMap<String, usize>> {
    let view = host
        .ok("GET", &format!("/api/connections/{id}/streams"), None)
        .await?;
    Ok(view["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let live = usize::try_from(s["live"].as_u64()?).ok()?;
            Some((s["name"].as_str()?.to_owned(), live))
        })
        .collect())
}

/// Every record of a stream read through the change feed: id → tombstone. An id that
/// appears twice is a duplicate and an error.
async fn feed(host: &Host, id: &str, stream: &str) -> Result<BTreeMap<String, bool>> {
    let mut out = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = host
            .ok(
                "GET",
                &format!("/api/connections/{id}/records/{stream}?after={after}&limit=1000"),
                None,
            )
            .await?;
        for record in page["records"].as_array().into_iter().flatten() {
            let key = record["id"].as_str().context("a record without id")?;
            let deleted = record["deleted"] == true;
            ensure!(
                out.insert(key.to_owned(), deleted).is_none(),
                "{stream}: record {key} appears twice"
            );
        }
        match page["next"].as_u64() {
            Some(next) if next > after => after = next,
            _ => return Ok(out),
        }
    }
}

/// Compare the host's records of the compared streams with the simulator's books, id for
/// id and deletion for deletion. Returns (streams, records) compared.
async fn compare_with_truth(story: &Story, id: &str) -> Result<(usize, usize)> {
    let truth = story.xero.xero_truth(&story.uk)?;
    let mut records = 0;
    for (stream, gone) in COMPARED {
        let (rows, id_field, status_field) = truth_of(&truth, stream);
        let expected: BTreeMap<String, bool> = rows
            .iter()
            .filter_map(|r| {
                let key = r[id_field].as_str()?.to_owned();
                let status = r[status_field].as_str().unwrap_or_default();
                Some((key, gone.contains(&status)))
            })
            .collect();
        let got = feed(&story.host, id, stream).await?;
        let missing = expected.keys().filter(|k| !got.contains_key(*k)).count();
        let extra = got.keys().filter(|k| !expected.contains_key(*k)).count();
        let flags = expected
            .iter()
            .filter(|(k, gone)| got.get(*k).is_some_and(|g| g != *gone))
            .count();
        ensure!(
            missing == 0 && extra == 0 && flags == 0,
            "{stream}: {missing} missing, {extra} not in the simulator, {flags} with the wrong deletion flag"
        );
        records += expected.len();
    }
    Ok((COMPARED.len(), records))
}

impl Story {
    fn xero_id(&self) -> Result<&str> {
        self.xero_id.as_deref().context("no Xero connection")
    }

    fn qbo_id(&self) -> Result<&str> {
        self.qbo_id.as_deref().context("no QuickBooks connection")
    }

    /// Follow a consent's redirect back to the host's callback: (status, page text).
    async fn callback(&self, location: &str) -> Result<(u16, String)> {
        let (status, _, text) = self.host.open(location).await?;
        Ok((status, text))
    }

    async fn connect(&mut self) -> Result<Done> {
        let host = &self.host;
        let started = host
            .ok(
                "POST",
                "/api/connections",
                Some(json!({"integration": "xero", "label": "UK books"})),
            )
            .await?;
        let id = started["id"].as_str().context("id")?.to_owned();
        let consent = self.xero.authorize(
            started["authorize_url"].as_str().context("authorize_url")?,
            USER,
            &[&self.uk, &self.usa],
            true,
        )?;
        let (status, page) = self.callback(&consent.location).await?;
        ensure!(status == 200, "Xero callback answered {status}: {page}");
        let waiting = host.connection(&id).await?;
        ensure!(
            waiting["state"] == "awaiting_tenant",
            "expected awaiting_tenant after consenting to two organisations: {waiting}"
        );
        let choices = waiting["tenant_choices"].as_array().map_or(0, Vec::len);
        let chosen = host
            .ok(
                "POST",
                &format!("/api/connections/{id}/tenant"),
                Some(json!({"tenant_id": self.uk})),
            )
            .await?;
        ensure!(chosen["state"] == "active", "after choosing: {chosen}");
        self.xero_id = Some(id.clone());

        let started = host
            .ok(
                "POST",
                "/api/connections",
                Some(json!({"integration": "qbo", "label": "US books"})),
            )
            .await?;
        let qbo_id = started["id"].as_str().context("id")?.to_owned();
        let consent = self.qbo.authorize(
            started["authorize_url"].as_str().context("authorize_url")?,
            USER,
            &[&self.company],
            true,
        )?;
        let (status, page) = self.callback(&consent.location).await?;
        ensure!(
            status == 200,
            "QuickBooks callback answered {status}: {page}"
        );
        let view = host.connection(&qbo_id).await?;
        ensure!(view["state"] == "active", "QuickBooks: {view}");
        self.qbo_id = Some(qbo_id);
        let (org, company) = (
            chosen["tenant"]["name"].as_str().unwrap_or("?"),
            view["tenant"]["name"].as_str().unwrap_or("?"),
        );
        done(
            format!("Xero: {choices} organisations consented, {org} chosen; QuickBooks: {company}"),
            format!(
                "Xero: {USER} consented to {choices} organisations, the callback page asked the operator to choose, {org} chosen → {id} active; QuickBooks: {company} → active"
            ),
        )
    }

    async fn sync(&mut self) -> Result<Done> {
        let (xero_id, qbo_id) = (self.xero_id()?.to_owned(), self.qbo_id()?.to_owned());
        let (xero_runs, qbo_runs) = tokio::try_join!(
            wait_for_sync(&self.host, &xero_id, 0),
            wait_for_sync(&self.host, &qbo_id, 0)
        )?;
        let failed: Vec<String> = failed_runs(&xero_runs)
            .into_iter()
            .chain(failed_runs(&qbo_runs))
            .collect();
        ensure!(failed.is_empty(), "runs failed: {}", failed.join("; "));
        let xero = live_counts(&self.host, &xero_id).await?;
        let qbo = live_counts(&self.host, &qbo_id).await?;
        let (streams, records) = compare_with_truth(self, &xero_id).await?;
        self.first_counts = xero.clone();
        let count = |m: &BTreeMap<String, usize>, s: &str| n(m.get(s).copied().unwrap_or(0));
        let (xero_total, qbo_total) = (n(xero.values().sum()), n(qbo.values().sum()));
        done(
            format!(
                "Xero {xero_total} records in {} streams, {streams} streams = simulator ({} ids); QuickBooks {qbo_total} in {}",
                xero_runs.len(),
                n(records),
                qbo_runs.len()
            ),
            format!(
                "the sync the host queued after each connect: Xero UK Ltd {} streams, {xero_total} live records ({} accounts, {} invoices, {} journals), {streams} streams equal the simulator's {} records id for id; QuickBooks {} streams, {qbo_total} records",
                xero_runs.len(),
                count(&xero, "accounts"),
                count(&xero, "invoices"),
                count(&xero, "journals"),
                n(records),
                qbo_runs.len(),
            ),
        )
    }

    async fn expiry_warning(&mut self) -> Result<Done> {
        let id = self.qbo_id()?.to_owned();
        // Intuit ends a refresh token 5 years after the consent however often it is
        // used. Let the provider's clock run on to 3 days before that, refreshing at
        // least every 99 days (a refresh token unused for 100 days dies), as a
        // connection in daily use would; each data call after a jump meets an expired
        // access token, and the host refreshes and retries.
        let grant = self
            .qbo
            .live_grants()
            .into_iter()
            .find(|g| g.client_id == "demo-qbo-app")
            .context("the simulator holds no live QuickBooks grant")?;
        let target = grant.created_at + QBO_RT_HARD - 3 * DAY_MS;
        let clock = self.qbo.clock().clone();
        let jumped_from = clock.now_ms();
        let mut refreshes = 0;
        while clock.now_ms() < target {
            clock.advance_ms((target - clock.now_ms()).min(99 * DAY_MS));
            let runs = self
                .host
                .ok(
                    "POST",
                    &format!("/api/connections/{id}/sync"),
                    Some(json!({"streams": ["companyinfo"]})),
                )
                .await?;
            let failed = failed_runs(runs["runs"].as_array().map_or(&[][..], Vec::as_slice));
            ensure!(
                failed.is_empty(),
                "a sync after the provider's clock moved failed: {}",
                failed.join("; ")
            );
            refreshes += 1;
        }
        let jumped = clock.now_ms() - jumped_from;
        let view = self.host.connection(&id).await?;
        let dies = view["refresh_token_expires_at"]
            .as_u64()
            .and_then(|at| i64::try_from(at).ok())
            .context("the host does not know when the refresh token dies")?;
        let left = (dies - unix_ms()) as f64 / DAY_MS as f64;
        ensure!(
            (1.0..7.0).contains(&left),
            "the refresh token dies in {left:.1} days, expected about 3"
        );
        // The host checks for expiring grants at start and then every keep-alive
        // period (an hour by default): restart it rather than wait.
        let before = Instant::now();
        self.host.restart().await?;
        let restarted = before.elapsed();
        let (host, id) = (&self.host, id.as_str());
        let event = wait_for("a connection.expiring event", WAIT, || async move {
            let events = host
                .ok("GET", &format!("/api/connections/{id}/events"), None)
                .await?;
            Ok(events
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["kind"] == "connection.expiring")
                .cloned())
        })
        .await?;
        let reason = event["reason"].as_str().unwrap_or("?");
        done(
            format!(
                "QuickBooks refresh token dies in {left:.1} days (5-year limit) → connection.expiring"
            ),
            format!(
                "QuickBooks: the provider's clock ran on {} days, {refreshes} refreshes keeping the grant alive, to 3 days before Intuit's 5-year limit; the host now sees the refresh token die in {left:.1} days; host restarted in {} (the check runs at start and then hourly) → connection.expiring: \"{reason}\"",
                jumped / DAY_MS,
                secs(restarted),
            ),
        )
    }

    async fn break_connection(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        let revoked = self.xero.change_password(Provider::Xero, USER)?;
        ensure!(revoked > 0, "the password change revoked no grant");
        // Meanwhile the books move on: a new invoice (and its journal) the resumed sync
        // must pick up.
        let invoice = self.xero.add_invoice(
            &self.uk,
            &NewInvoice {
                reference: "DEMO-WHILE-BROKEN".into(),
                amount: 420.0,
                ..NewInvoice::default()
            },
        )?;
        let (status, answer) = self
            .host
            .api(
                "POST",
                &format!("/api/connections/{id}/sync"),
                Some(json!({"streams": ["organisation"]})),
            )
            .await?;
        let error = answer["runs"][0]["error"]
            .as_str()
            .or(answer["error"]["message"].as_str())
            .map(str::to_owned);
        let error = error.with_context(|| {
            format!("the next call after the password change did not fail ({status}: {answer})")
        })?;
        let first = error.split(':').next().unwrap_or(&error);
        done(
            format!("Xero password changed: {revoked} grant revoked; next call: {first}"),
            format!(
                "{USER} changed their Xero password: {revoked} grant revoked at the provider; meanwhile UK Ltd raised an invoice (DEMO-WHILE-BROKEN, {invoice}); the next call failed: \"{first}\"",
            ),
        )
    }

    async fn needs_reauth(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        let (host, id) = (&self.host, id.as_str());
        let view = wait_for("needs_reauth", WAIT, || async move {
            let view = host.connection(id).await?;
            Ok((view["state"] == "needs_reauth").then_some(view))
        })
        .await?;
        let listed = host
            .ok("GET", "/api/connections?state=needs_reauth", None)
            .await?;
        ensure!(
            listed
                .as_array()
                .is_some_and(|l| l.iter().any(|c| c["id"] == id)),
            "{id} is not listed under ?state=needs_reauth: {listed}"
        );
        let reason = view["reason"].as_str().unwrap_or("(no reason)");
        done(
            format!("reason: {}…", reason.split(':').next().unwrap_or(reason)),
            format!("{id} is needs_reauth: \"{reason}\""),
        )
    }

    async fn webhooks(&mut self) -> Result<Done> {
        let receiver = &self.receiver;
        let wanted = ["connection.needs_reauth", "connection.expiring"];
        let got = wait_for(
            "the needs_reauth and expiring webhooks",
            WAIT,
            || async move {
                let got = receiver.got();
                let all = wanted
                    .iter()
                    .all(|w| got.iter().any(|d| d.body["type"] == *w));
                Ok(all.then_some(got))
            },
        )
        .await?;
        for delivery in &got {
            receiver::verify(&self.secret, delivery)?;
        }
        let forged = receiver::verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got[0]);
        ensure!(
            forged.is_err(),
            "a delivery verified under the wrong secret"
        );
        let reauth = got
            .iter()
            .find(|d| d.body["type"] == "connection.needs_reauth")
            .context("needs_reauth")?;
        ensure!(
            reauth.body["data"]["reconnect_url"]
                .as_str()
                .is_some_and(|u| u.contains("/reconnect/")),
            "the needs_reauth webhook carries no reconnect link: {}",
            reauth.body
        );
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        for delivery in &got {
            ids.insert(delivery.id.as_str());
            *kinds
                .entry(delivery.body["type"].as_str().unwrap_or("?"))
                .or_default() += 1;
        }
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(k, c)| {
                if *c == 1 {
                    (*k).to_owned()
                } else {
                    format!("{k} ×{c}")
                }
            })
            .collect();
        // connection.{active, created}, sync.{completed}
        let mut families: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for kind in got.iter().filter_map(|d| d.body["type"].as_str()) {
            let (family, name) = kind.split_once('.').unwrap_or((kind, ""));
            families.entry(family).or_default().insert(name);
        }
        let families: Vec<String> = families
            .iter()
            .map(|(family, names)| {
                let names: Vec<&str> = names.iter().copied().collect();
                format!("{family}.{{{}}}", names.join(", "))
            })
            .collect();
        done(
            format!(
                "{} signed deliveries verified: {}",
                got.len(),
                families.join(", ")
            ),
            format!(
                "{} deliveries ({} events) at {}, every Standard Webhooks signature verified with the whsec_ secret: {}; the needs_reauth one carries a reconnect link",
                got.len(),
                ids.len(),
                self.receiver.url,
                kinds.join(", ")
            ),
        )
    }

    async fn reconnect_link(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        self.runs_before_reconnect = last_run(&self.host, &id).await?;
        let link = self
            .host
            .ok(
                "POST",
                &format!("/api/connections/{id}/reconnect-link"),
                None,
            )
            .await?;
        let url = link["url"].as_str().context("url")?.to_owned();
        ensure!(
            url.starts_with(&format!("{}/reconnect/", self.host.public)),
            "unexpected link {url}"
        );
        // The customer opens it (no admin token) and picks the wrong organisation.
        let (status, location, _) = self.host.open(&url).await?;
        ensure!(status == 303, "opening the link answered {status}");
        let wrong =
            self.xero
                .authorize(&location.context("no Location")?, USER, &[&self.usa], true)?;
        let (refused, refusal) = self.callback(&wrong.location).await?;
        ensure!(
            refused != 200,
            "a reconnect to the wrong organisation was accepted: {refusal}"
        );
        let state = self.host.connection(&id).await?["state"].clone();
        ensure!(
            state == "needs_reauth",
            "after the refusal the connection is {state}"
        );
        // Same link again, the right organisation.
        let (status, location, _) = self.host.open(&url).await?;
        ensure!(status == 303, "opening the link again answered {status}");
        let right =
            self.xero
                .authorize(&location.context("no Location")?, USER, &[&self.uk], true)?;
        let (accepted, page) = self.callback(&right.location).await?;
        ensure!(
            accepted == 200,
            "the right organisation answered {accepted}: {page}"
        );
        let state = self.host.connection(&id).await?["state"].clone();
        ensure!(
            state == "active",
            "after the reconnect the connection is {state}"
        );
        let (used, _, _) = self.host.open(&url).await?;
        done(
            format!(
                "USA Inc refused ({refused}: \"{}\"); UK Ltd accepted → active",
                refusal.split(". ").next().unwrap_or(&refusal)
            ),
            format!(
                "{} opened without a token → the simulator's consent; USA Inc refused ({refused}: \"{refusal}\"); the same link with UK Ltd accepted ({accepted}) → active; opened once more: {used}",
                link["id"].as_str().unwrap_or("?")
            ),
        )
    }

    async fn resume(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        let runs = wait_for_sync(&self.host, &id, self.runs_before_reconnect).await?;
        let failed = failed_runs(&runs);
        ensure!(failed.is_empty(), "runs failed: {}", failed.join("; "));
        let (streams, records) = compare_with_truth(self, &id).await?;
        let now = live_counts(&self.host, &id).await?;
        let delta = |s: &str| {
            now.get(s).copied().unwrap_or(0) as i64
                - self.first_counts.get(s).copied().unwrap_or(0) as i64
        };
        ensure!(
            delta("invoices") == 1 && delta("journals") == 1,
            "expected exactly the new invoice and its journal, got {:+} invoices, {:+} journals",
            delta("invoices"),
            delta("journals")
        );
        let sum = |field: &str| -> u64 { runs.iter().filter_map(|r| r[field].as_u64()).sum() };
        let minute = self
            .xero
            .xero_rate_usage()
            .iter()
            .filter(|u| u.tenant_id == self.uk)
            .map(|u| u.minute)
            .sum::<usize>();
        let throttled = self.xero.counters().rate_limited(None);
        done(
            format!(
                "+1 invoice, +1 journal; {streams} streams = simulator ({} ids), none twice",
                n(records)
            ),
            format!(
                "the sync queued by the reconnect ran {} streams from the saved cursors: {} added (the invoice raised while broken and its journal), {} updated; {streams} streams equal the simulator's {} records id for id, no id twice; UK Ltd's Xero calls in the last minute: {minute} of its 60, {throttled} throttled",
                runs.len(),
                sum("added"),
                sum("updated"),
                n(records)
            ),
        )
    }
}

/// Print one progress line and keep the row.
fn report(rows: &mut Vec<Row>, name: &'static str, started: Instant, result: Result<Done>) {
    let time = started.elapsed();
    let number = rows.len() + 1;
    let row = match result {
        Ok(Done { short, detail }) => {
            println!("✓ {number} {name} ({detail}) [{}]", secs(time));
            Row {
                name,
                result: Some(true),
                detail: short,
                time,
            }
        }
        Err(error) => {
            let why = format!("{error:#}");
            println!("✗ {number} {name} ({why}) [{}]", secs(time));
            Row {
                name,
                result: Some(false),
                detail: why,
                time,
            }
        }
    };
    rows.push(row);
}

fn short(text: &str, width: usize) -> String {
    let text = text.replace('\n', " ");
    if text.chars().count() <= width {
        text
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

fn print_table(rows: &[Row], total: Duration) {
    let lines: Vec<[String; 5]> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let result = match row.result {
                Some(true) => "✓ held",
                Some(false) => "✗ failed",
                None => "– skipped",
            };
            let time = if row.result.is_some() {
                secs(row.time)
            } else {
                "–".into()
            };
            [
                (i + 1).to_string(),
                row.name.to_owned(),
                result.to_owned(),
                time,
                short(&row.detail, 130).replace('|', "/"),
            ]
        })
        .collect();
    let header = ["#", "step", "result", "time", "detail"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print = |cells: &[String; 5]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                let pad = " ".repeat(width - cell.chars().count());
                // Times align right, everything else left.
                if i == 3 {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    println!();
    print(&header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    println!("|-{}-|", rule.join("-|-"));
    for line in &lines {
        print(line);
    }
    let held = rows.iter().filter(|r| r.result == Some(true)).count();
    println!(
        "\n{held} of {} steps held in {} (set-up and host start included)",
        rows.len(),
        secs(total)
    );
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
