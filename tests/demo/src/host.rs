//! The real `mooring serve` as a child process, and the calls the demo makes to it: the
//! admin API with the token, and plain page loads like a browser (no token, no
//! redirects followed).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

/// The admin token the demo gives the host.
pub const ADMIN: &str = "demo-admin-token";

/// How long a start may take (the first start compiles both plugins).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

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

/// A running `mooring serve`.
pub struct Host {
    child: Option<Child>,
    env: Vec<(String, String)>,
    /// The log file (stdout and stderr of every start).
    pub log: PathBuf,
    /// Where the demo calls it (`http://127.0.0.1:<port>`).
    pub base: String,
    /// Its public URL (`http://localhost:<port>`: the simulators, like Xero, accept
    /// plain-http redirect URIs only on `localhost`).
    pub public: String,
    /// The port it listens on.
    pub port: u16,
    http: reqwest::Client,
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop_now();
    }
}

impl Host {
    /// Start `mooring serve` on a free loopback port with data in `data`.
    pub async fn start(data: &Path, overrides: &str, integrations: &str) -> Result<Host> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        drop(listener);
        let public = format!("http://localhost:{port}");
        let plugins = workspace().join("target/plugins");
        let env = [
            ("MOORING_LISTEN", format!("127.0.0.1:{port}")),
            ("MOORING_PUBLIC_URL", public.clone()),
            ("MOORING_DATA_DIR", data.display().to_string()),
            ("MOORING_PLUGIN_DIR", plugins.display().to_string()),
            ("MOORING_HOST_OVERRIDES", overrides.to_owned()),
            ("MOORING_ADMIN_TOKEN", ADMIN.to_owned()),
            ("MOORING_INTEGRATIONS", integrations.to_owned()),
            ("MOORING_SCHEDULER", "off".to_owned()),
            ("MOORING_LOG", "warn".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut host = Host {
            child: None,
            env,
            log: data.join("mooring.log"),
            base: format!("http://127.0.0.1:{port}"),
            public,
            port,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()?,
        };
        host.spawn().await?;
        Ok(host)
    }

    async fn spawn(&mut self) -> Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("open {}", self.log.display()))?;
        let child = Command::new(mooring_binary()?)
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .context("start mooring serve")?;
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "mooring serve exited at start ({status}); its log:\n{}",
                    self.log_tail()
                );
            }
            let up = self
                .http
                .get(format!("{}/healthz", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "mooring serve did not answer /healthz within {START_TIMEOUT:?}; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last lines of the host's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Stop gracefully (SIGTERM: runs in flight commit, then it exits 0).
    pub async fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_none() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                ensure!(
                    status.success(),
                    "mooring serve stopped with {status}; its log:\n{}",
                    self.log_tail()
                );
                return Ok(());
            }
            if started.elapsed() > STOP_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                bail!("mooring serve did not stop within {STOP_TIMEOUT:?} of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop and start again on the same port and data.
    pub async fn restart(&mut self) -> Result<()> {
        self.stop().await?;
        self.spawn().await
    }

    /// Whether the process has exited (e.g. after a Ctrl-C reached it too).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    /// An admin API call: (status, JSON body or null).
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Result<(u16, Value)> {
        let mut request = self
            .http
            .request(method.parse()?, format!("{}{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let value = serde_json::from_slice(&response.bytes().await?).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// An admin API call that must answer 2xx.
    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let (status, value) = self.api(method, path, body).await?;
        ensure!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {value}"
        );
        Ok(value)
    }

    /// GET `url` like a browser without the admin token: (status, Location, page text).
    pub async fn open(&self, url: &str) -> Result<(u16, Option<String>, String)> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let html = response.text().await.unwrap_or_default();
        Ok((status, location, page_text(&html)))
    }

    /// The connection's detail view.
    pub async fn connection(&self, id: &str) -> Result<Value> {
        self.ok("GET", &format!("/api/connections/{id}"), None)
            .await
    }
}

/// What a person reads on a small HTML page: the text of its paragraphs (or of the
/// whole page when it has none), tags dropped and whitespace collapsed.
pub fn page_text(html: &str) -> String {
    let paragraphs: Vec<&str> = html
        .split("<p")
        .skip(1)
        .filter_map(|p| p.split_once('>').map(|(_, rest)| rest))
        .map(|p| p.split("</p>").next().unwrap_or_default())
        .collect();
    let source = if paragraphs.is_empty() {
        html.to_owned()
    } else {
        paragraphs.join(" ")
    };
    let mut out = String::new();
    let mut in_tag = false;
    for c in source.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
