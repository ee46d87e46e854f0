//! The main job (`cargo xtask demo`): start the Xero and QuickBooks simulators, run the
//! real `mooring serve` against them, and walk through what an operator lives through:
//! connect, choose an organisation, sync, a password change breaks the connection, a
//! reconnect to the wrong organisation is refused, the right one restores it, and
//! syncing resumes without duplicates. Exits non-zero if any step does not hold.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
use mooring_simulators::{AppSpec, Provider, SimConfig, Simulator};
use serde_json::{Value, json};

const USER: &str = "finance@example.com";
const ADMIN: &str = "demo-admin-token";

/// The `mooring` binary built next to this one.
fn mooring_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name("mooring");
    ensure!(
        path.exists(),
        "{} not found: run `cargo xtask demo`",
        path.display()
    );
    Ok(path)
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Host {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Result<(u16, Value)> {
        let mut request = self
            .http
            .request(method.parse()?, format!("{}{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let value = serde_json::from_slice(&response.bytes().await?).unwrap_or(Value::Null);
        Ok((status, value))
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let (status, value) = self.api(method, path, body).await?;
        ensure!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {value}"
        );
        Ok(value)
    }

    /// Follow a provider redirect back to the host like a browser; returns (status, text).
    async fn browse(&self, url: &str) -> Result<(u16, String)> {
        let response = self.http.get(url).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let text = text
            .split("<p>")
            .nth(1)
            .unwrap_or(&text)
            .split("</p>")
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok((status, text))
    }
}

fn step(text: &str) {
    println!("\n== {text}");
}

async fn sync(host: &Host, id: &str) -> Result<Value> {
    sync_streams(host, id, None).await
}

async fn sync_streams(host: &Host, id: &str, streams: Option<&[&str]>) -> Result<Value> {
    let body = match streams {
        Some(list) => json!({ "streams": list }),
        None => json!({ "wait": true }),
    };
    let runs = host
        .ok("POST", &format!("/api/connections/{id}/sync"), Some(body))
        .await?;
    for run in runs["runs"].as_array().into_iter().flatten() {
        println!(
            "   {:<20} pages {:>3}  added {:>5}  updated {:>4}  deleted {:>3}  {}",
            run["stream"].as_str().unwrap_or("?"),
            run["pages"],
            run["added"],
            run["updated"],
            run["deleted"],
            run["error"].as_str().unwrap_or("ok")
        );
    }
    Ok(runs)
}

async fn count(host: &Host, id: &str, stream: &str) -> Result<usize> {
    let mut after = 0;
    let mut total = 0;
    loop {
        let page = host
            .ok(
                "GET",
                &format!("/api/connections/{id}/records/{stream}?after={after}&limit=1000"),
                None,
            )
            .await?;
        total += page["records"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|r| r["deleted"] == false).count());
        match page["next"].as_u64() {
            Some(next) => after = next,
            None => return Ok(total),
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let sim = Simulator::start(SimConfig::default()).await?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    let base = format!("http://localhost:{port}");
    let redirect = format!("{base}/oauth/callback");

    step("Simulated providers: one Xero login with two organisations, one QuickBooks company");
    sim.add_app(
        AppSpec::new(
            Provider::Xero,
            "demo-xero-app",
            "demo-xero-secret",
            [redirect.as_str()],
        )
        .journals_premium(true),
    )?;
    sim.add_app(AppSpec::new(
        Provider::Quickbooks,
        "demo-qbo-app",
        "demo-qbo-secret",
        [redirect.as_str()],
    ))?;
    sim.add_user(Provider::Xero, USER)?;
    sim.add_user(Provider::Quickbooks, USER)?;
    let uk = sim.add_org(Provider::Xero, "UK Ltd");
    let usa = sim.add_org(Provider::Xero, "USA Inc");
    let qbo = sim.add_org(Provider::Quickbooks, "Demo Company (US)");
    for org in [&uk, &usa, &qbo] {
        sim.grant_user_access(USER, org)?;
    }
    let books = sim.generate_xero_org(&uk, GenerateOptions::new(OrgSize::small(), 2026))?;
    println!(
        "   UK Ltd's books: {} accounts, {} contacts, {} invoices, {} journals ({} lines)",
        books.accounts, books.contacts, books.invoices, books.journals, books.journal_lines
    );
    println!("   simulators at {}", sim.base_url());

    step("Starting `mooring serve`");
    let data = tempfile::tempdir()?;
    let integrations = json!([
        {"id": "xero", "provider": "xero", "client_id": "demo-xero-app", "client_secret": "demo-xero-secret"},
        {"id": "qbo", "provider": "quickbooks", "client_id": "demo-qbo-app", "client_secret": "demo-qbo-secret"}
    ]);
    let child = Command::new(mooring_binary()?)
        .arg("serve")
        .env("MOORING_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOORING_PUBLIC_URL", &base)
        .env("MOORING_DATA_DIR", data.path())
        .env("MOORING_PLUGIN_DIR", workspace().join("target/plugins"))
        .env("MOORING_HOST_OVERRIDES", sim.host_overrides())
        .env("MOORING_ADMIN_TOKEN", ADMIN)
        .env("MOORING_INTEGRATIONS", integrations.to_string())
        .env("MOORING_SCHEDULER", "off")
        .env("MOORING_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("start mooring")?;
    let host = Host {
        child,
        base: base.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };
    let started = Instant::now();
    while host
        .http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_err()
    {
        ensure!(
            started.elapsed() < Duration::from_secs(60),
            "mooring did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for plugin in host
        .ok("GET", "/api/plugins", None)
        .await?
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "   plugin {:<12} {:<8} sha256 {}",
            plugin["id"].as_str().unwrap_or("?"),
            plugin["version"].as_str().unwrap_or("?"),
            plugin["sha256"].as_str().unwrap_or("?")
        );
    }

    step("Connect Xero: the user consents to both organisations, then the operator picks UK Ltd");
    let started = host
        .ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "xero", "label": "UK books"})),
        )
        .await?;
    let id = started["id"].as_str().context("id")?.to_owned();
    let consent = sim.authorize(
        started["authorize_url"].as_str().context("url")?,
        USER,
        &[&uk, &usa],
        true,
    )?;
    let (status, page) = host.browse(&consent.location).await?;
    println!("   callback {status}: {page}");
    let chosen = host
        .ok(
            "POST",
            &format!("/api/connections/{id}/tenant"),
            Some(json!({"tenant_id": uk})),
        )
        .await?;
    println!(
        "   {id} is {} for '{}'",
        chosen["state"],
        chosen["tenant"]["name"].as_str().unwrap_or("?")
    );

    step("Sync the chart of accounts and the actuals");
    let first = sync(&host, &id).await?;
    ensure!(
        first["runs"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["error"].is_null())),
        "first sync failed"
    );
    let accounts = count(&host, &id, "accounts").await?;
    let journals = count(&host, &id, "journals").await?;
    println!("   {accounts} accounts and {journals} journals stored");

    step("The user changes their Xero password: every grant dies");
    sim.change_password(Provider::Xero, USER)?;
    sync(&host, &id).await.ok();
    for broken in host
        .ok("GET", "/api/connections?state=needs_reauth", None)
        .await?
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "   needs_reauth {}: {}",
            broken["id"].as_str().unwrap_or("?"),
            broken["reason"].as_str().unwrap_or("")
        );
    }

    step("Reconnect, but the user picks the wrong organisation");
    let url = host
        .ok("POST", &format!("/api/connections/{id}/reconnect"), None)
        .await?;
    let wrong = sim.authorize(
        url["authorize_url"].as_str().context("url")?,
        USER,
        &[&usa],
        true,
    )?;
    let (status, page) = host.browse(&wrong.location).await?;
    println!("   callback {status}: {page}");
    ensure!(
        status != 200,
        "a reconnect to the wrong organisation must be refused"
    );

    step("Reconnect to UK Ltd: active again, syncing resumes from the saved cursors");
    let url = host
        .ok("POST", &format!("/api/connections/{id}/reconnect"), None)
        .await?;
    let right = sim.authorize(
        url["authorize_url"].as_str().context("url")?,
        USER,
        &[&uk],
        true,
    )?;
    let (status, page) = host.browse(&right.location).await?;
    println!("   callback {status}: {page}");
    sync(&host, &id).await?;
    let (accounts_after, journals_after) = (
        count(&host, &id, "accounts").await?,
        count(&host, &id, "journals").await?,
    );
    println!(
        "   {accounts_after} accounts and {journals_after} journals: nothing lost, nothing duplicated"
    );
    ensure!(
        accounts_after == accounts && journals_after == journals,
        "records changed across the reconnect"
    );

    step("Connect QuickBooks Online");
    let started = host
        .ok(
            "POST",
            "/api/connections",
            Some(json!({"integration": "qbo"})),
        )
        .await?;
    let consent = sim.authorize(
        started["authorize_url"].as_str().context("url")?,
        USER,
        &[&qbo],
        true,
    )?;
    let (status, page) = host.browse(&consent.location).await?;
    println!("   callback {status}: {page}");
    if status != 200 {
        bail!("QuickBooks connect failed");
    }
    let qbo_id = started["id"].as_str().context("id")?.to_owned();
    sync(&host, &qbo_id).await?;
    println!(
        "   {} QuickBooks accounts stored",
        count(&host, &qbo_id, "accounts").await?
    );

    step("Connections");
    for c in host
        .ok("GET", "/api/connections", None)
        .await?
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "   {:<26} {:<10} {:<22} {}",
            c["id"].as_str().unwrap_or(""),
            c["state"].as_str().unwrap_or(""),
            c["tenant"]["name"].as_str().unwrap_or("-"),
            c["reason"].as_str().unwrap_or("")
        );
    }
    println!("\ndemo: ok");
    Ok(())
}
