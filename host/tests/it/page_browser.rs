//! The operator page in a real headless Chromium, driven over the W3C WebDriver HTTP
//! protocol by a tiny client (reqwest) against Debian's `chromedriver`, started here
//! on a free loopback port. Nothing reaches the network: the page, the host and the
//! simulator are all on loopback, and Chromium runs with background networking,
//! component updates, sync and proxies off.
//!
//! The story: connect → consent at the simulator → active → the app is disconnected
//! at the provider → needs_reauth with its reason under "Needs attention" → Reconnect
//! → active again. Screenshots land in `target/test-artifacts/`.
//!
//! Chromium and chromedriver come from `cargo xtask test` (it installs them when
//! `/usr/bin/chromedriver` is missing); without them this test fails saying so.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use mooring_simulators::Provider;

use crate::harness::{ADMIN, Host, USER};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key WebDriver names an element reference with.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a page condition may take to hold.
const WAIT: Duration = Duration::from_secs(30);

/// A chromedriver process with one Chromium session.
struct Browser {
    driver: Child,
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    _profile: tempfile::TempDir,
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session at 1280×1000.
    async fn start() -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: this test drives the operator page in headless Chromium. \
                 Run `cargo xtask test` (it installs Debian's chromium and chromium-driver), \
                 or `apt-get install -y --no-install-recommends chromium chromium-driver`."
            );
        }
        let port = free_port();
        let log = std::fs::File::create(artifacts().join("chromedriver.log")).expect("log file");
        let driver = {
            use std::os::unix::process::CommandExt as _;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .process_group(0)
                .spawn()
                .expect("chromedriver starts")
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Browser {
            driver,
            http,
            session: String::new(),
            _profile: profile,
        };
        let started = Instant::now();
        loop {
            let ready = browser
                .http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--window-size=1280,1000",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let answer = browser
            .call(
                reqwest::Method::POST,
                &format!("{base}/session"),
                Some(capabilities),
            )
            .await;
        let id = answer["sessionId"].as_str().expect("session id");
        browser.session = format!("{base}/session/{id}");
        browser
    }

    async fn call(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), url);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("webdriver request");
        let status = response.status();
        let value: Value =
            serde_json::from_slice(&response.bytes().await.expect("body")).expect("webdriver JSON");
        assert!(status.is_success(), "{method} {url}: {status} {value}");
        value["value"].clone()
    }

    /// A command of this session: `POST`/`GET`/`DELETE` `<session><path>`.
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("{}{path}", self.session), body)
            .await
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Runs `script` in the page (`arguments[i]` are `args`) and returns its value.
    async fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Waits until `script` returns something truthy (a non-empty string, `true`, an
    /// element) and returns it.
    async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        let started = Instant::now();
        loop {
            let value = self.exec(script, args.clone()).await;
            let done = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if done {
                return value;
            }
            if started.elapsed() > WAIT {
                let text = self.exec("return document.body.innerText", json!([])).await;
                let _ = self.screenshot("operator-page-failure.png").await;
                panic!("timed out waiting for {what}; the page says:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits for the first visible element matching `css` whose text contains `text`
    /// (or equals it, when `exact`).
    async fn find(&self, css: &str, text: &str, exact: bool) -> String {
        let found = self
            .wait_for(
                &format!("{css} with text {text:?}"),
                "const [css, text, exact] = arguments; \
                 return [...document.querySelectorAll(css)].find((e) => e.getClientRects().length > 0 \
                   && (exact ? e.textContent.trim() === text : e.textContent.includes(text))) || null",
                json!([css, text, exact]),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .expect("element reference")
            .to_owned()
    }

    /// Waits for a visible `css` element whose text contains `text`.
    async fn element(&self, css: &str, text: &str) {
        self.find(css, text, false).await;
    }

    /// Clicks (as a person would) the visible `css` element whose text is `text`
    /// (any text when `text` is empty).
    async fn click(&self, css: &str, text: &str) {
        let id = self.find(css, text, !text.is_empty()).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css, "", false).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// Saves a PNG of the whole page, `width` wide, under `target/test-artifacts/`
    /// (the window grows to the page's height for it, up to 4000 px, and is put back).
    async fn screenshot_page(&self, name: &str, width: u32) -> PathBuf {
        let rect = self.cmd(reqwest::Method::GET, "/window/rect", None).await;
        self.resize(width, 1000).await;
        let height = self
            .exec("return document.documentElement.scrollHeight", json!([]))
            .await
            .as_u64()
            .unwrap_or(1000);
        // The window's frame takes a little of its height in headless mode too.
        let height = u32::try_from(height).unwrap_or(4000).clamp(600, 4000);
        self.resize(width, height + 100).await;
        let path = self.screenshot(name).await;
        let (w, h) = (rect["width"].as_u64(), rect["height"].as_u64());
        if let (Some(w), Some(h)) = (w, h) {
            self.resize(w as u32, h as u32).await;
        }
        path
    }

    /// Saves a PNG of the viewport under `target/test-artifacts/`.
    async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 screenshot"))
            .expect("PNG");
        let path = artifacts().join(name);
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// What the page logged to the console since the last call (Chromium's log).
    async fn console(&self) -> Vec<String> {
        let entries = self
            .cmd(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({ "type": "browser" })),
            )
            .await;
        entries
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ends the session (Chromium exits) and chromedriver.
    async fn quit(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver leads its own process group (Chromium included): end it all.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// The consent link the page shows, played by the person at the simulator; the
/// browser then follows the provider's redirect to the host's callback.
async fn consent_in_simulator(host: &Host, browser: &Browser, org: &str) {
    let href = browser
        .wait_for(
            "the consent link",
            "const a = document.getElementById('consent-link'); return a && a.href",
            json!([]),
        )
        .await;
    let href = href.as_str().expect("href");
    let redirect = host
        .sim
        .authorize(href, USER, &[org], true)
        .expect("consent screen");
    browser.goto(&redirect.location).await;
    let text = browser
        .wait_for(
            "the callback page",
            "return document.querySelector('h1') && document.body.innerText",
            json!([]),
        )
        .await;
    assert!(
        text.as_str().unwrap_or_default().contains("Connected"),
        "{text}"
    );
}

async fn state_badge(browser: &Browser, state: &str) {
    let label = state.replace('_', " ");
    browser
        .wait_for(
            &format!("the connection to be {state}"),
            "const b = document.querySelector('.detail-head .state'); \
             if (b && b.textContent === arguments[0]) return true; \
             const r = [...document.querySelectorAll('.detail-head button')].find((x) => x.textContent === 'Refresh'); \
             if (r && !r.disabled) r.click(); return false",
            json!([label]),
        )
        .await;
}

#[tokio::test]
async fn an_operator_reconnects_a_broken_connection_in_the_page() {
    let host = Host::start().await;
    // Queued syncs run, as in a serving host (connect and "Sync now" queue them).
    let scheduler = host.app().sync.spawn_scheduler(false);
    // Two webhook endpoints: one answering on loopback, one nobody listens on.
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook = format!(
        "http://127.0.0.1:{}/hook",
        receiver.local_addr().expect("addr").port()
    );
    let receiving = tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
        );
        let _ = axum::serve(receiver, app).await;
    });
    let unreachable = format!("http://127.0.0.1:{}/alerts", free_port());
    for (url, description, types) in [
        (hook.as_str(), "CRM sync", json!(["connection.*"])),
        (unreachable.as_str(), "Old alerting", json!([])),
    ] {
        host.api_ok(
            "POST",
            "/api/webhooks",
            Some(json!({"url": url, "description": description, "event_types": types})),
        )
        .await;
    }
    let delivering = host.app().webhooks.spawn();
    let browser = Browser::start().await;

    // Sign in.
    browser.goto(&format!("{}/", host.base)).await;
    browser.type_into("#token", ADMIN).await;
    browser.click("#signin-form button", "Sign in").await;
    browser.element("#connections", "").await;

    // Connect: the page shows the consent link; the person consents at the simulator.
    browser
        .exec(
            "document.getElementById('integration').value = arguments[0]",
            json!(["xero"]),
        )
        .await;
    browser.click("#connect", "New connection").await;
    consent_in_simulator(&host, &browser, &host.uk).await;
    let listed = host.api_ok("GET", "/api/connections", None).await;
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    // Another organisation of the same Xero user, and a QuickBooks company.
    let usa = host.connect("xero", &[&host.usa], None).await;
    host.connect("qbo", &[&host.qbo_company], None).await;
    let detail = format!("{}/#/connections/{id}", host.base);
    browser.goto(&detail).await;
    state_badge(&browser, "active").await;
    browser.element("#detail-title", "UK Ltd").await;
    browser.element(".facts", "xero").await; // the plugin version in use

    // The Xero user changes their password: every grant of theirs is revoked at the
    // provider, and the next sync of each connection finds out.
    host.sim
        .change_password(Provider::Xero, USER)
        .expect("password change");
    browser.click(".detail-head button", "Sync now").await;
    host.api_ok("POST", &format!("/api/connections/{usa}/sync"), None)
        .await;
    state_badge(&browser, "needs_reauth").await;
    browser.element("#detail-reason", "password").await;

    // Needs attention: both broken Xero connections in one group, with its reason,
    // reconnect links for all of them, and one per connection.
    browser.click("#nav a[data-view='attention']", "").await;
    browser
        .wait_for(
            "both Xero connections under one reason",
            "const g = document.querySelector('section.group'); \
             if (g && g.textContent.includes('2 connections')) return true; \
             const r = [...document.querySelectorAll('.toolbar button')].find((x) => x.textContent === 'Refresh'); \
             if (r && !r.disabled) r.click(); return false",
            json!([]),
        )
        .await;
    browser.element("section.group", "password").await;
    browser
        .element("section.group .state", "needs reauth")
        .await;
    browser.element("#attention-count", "2").await;
    browser
        .click("section.group button", "Reconnect links for all")
        .await;
    let links = browser
        .wait_for(
            "the group's reconnect links",
            "const t = document.querySelector('textarea.links'); return t && t.value",
            json!([]),
        )
        .await;
    let links = links.as_str().unwrap_or_default();
    assert_eq!(
        links.matches("/reconnect/").count(),
        2,
        "one link per connection: {links}"
    );
    browser
        .click(
            &format!("li[data-connection='{id}'] button"),
            "Reconnect link",
        )
        .await;
    let link = browser
        .wait_for(
            "a reconnect link",
            "const i = document.querySelector('li[data-connection] .copy-input'); return i && i.value",
            json!([]),
        )
        .await;
    assert!(
        link.as_str().unwrap_or_default().contains("/reconnect/"),
        "{link}"
    );
    browser
        .screenshot_page("operator-page-attention.png", 1280)
        .await;

    // Reconnect from the page; the person consents again.
    browser
        .click(&format!("li[data-connection='{id}'] button"), "Reconnect")
        .await;
    consent_in_simulator(&host, &browser, &host.uk).await;
    browser.goto(&detail).await;
    state_badge(&browser, "active").await;
    browser.element("#detail-title", "UK Ltd").await;
    browser.element("table.list", "reconnected").await;
    browser.element("table.list", "needs reauth").await;
    browser.element(".facts", "unless used").await; // the refresh token's lifetime
    let shot = browser.screenshot_page("operator-page.png", 1280).await;
    assert!(shot.exists());

    // A narrow window stacks the tables.
    browser.resize(420, 900).await;
    browser.screenshot("operator-page-narrow.png").await;
    browser.element("#detail-title", "UK Ltd").await;

    // The list, then webhook endpoints with their recent deliveries, and the plugin
    // versions.
    browser.resize(1280, 1000).await;
    browser
        .click("#nav a[data-view='connections']", "Connections")
        .await;
    browser
        .element("#connections", "Mooring Demo Company")
        .await;
    browser
        .screenshot_page("operator-page-connections.png", 1280)
        .await;
    browser
        .click("#nav a[data-view='webhooks']", "Webhooks")
        .await;
    browser.element("table.list", "CRM sync").await;
    browser.click("tr[data-webhook] button", "Deliveries").await;
    browser.element("tr.sub", "#").await;
    browser
        .screenshot_page("operator-page-webhooks.png", 1280)
        .await;
    browser
        .click("#nav a[data-view='plugins']", "Plugins")
        .await;
    browser.element("table.list", "quickbooks").await;
    browser
        .screenshot_page("operator-page-plugins.png", 1280)
        .await;
    // No script error and no Content-Security-Policy violation along the way (the
    // probe shows the console log is read at all).
    browser
        .exec("console.info('mooring-console-probe')", json!([]))
        .await;
    let console = browser.console().await;
    assert!(
        console.iter().any(|l| l.contains("mooring-console-probe")),
        "{console:?}"
    );
    let problems: Vec<&String> = console
        .iter()
        .filter(|line| line.contains("SEVERE") || line.contains("Content Security Policy"))
        .collect();
    assert!(problems.is_empty(), "the page logged: {problems:#?}");
    browser.quit().await;
    for task in [scheduler, receiving, delivering] {
        task.abort();
    }
}
