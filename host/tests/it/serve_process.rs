//! A real `mooring serve` child for the binary's tests. It listens on a port the
//! kernel picks (`MOORING_LISTEN=127.0.0.1:0`) and the address is read back from its
//! own "mooring is serving" log line, so two tests never meet on one port (a port
//! probed free and then released can be handed to another test's host before this
//! one binds it; its `/healthz` would then answer for a host that never started).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `mooring` binary under test.
pub fn mooring() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mooring"))
}

/// A child process killed (and reaped) when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `mooring serve` that has bound its address; killed (and reaped) when dropped.
pub struct Serving {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stderr: JSON log lines.
    pub log: PathBuf,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serving {
    /// `http://<addr>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until `/healthz` answers 200 (at most a minute).
    pub async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", self.base())).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mooring did not answer: {}",
                self.logged()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Everything it has logged so far.
    pub fn logged(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Spawns `serve` (a command that ends up running `mooring serve`, configured by the
/// caller) on a kernel-picked port with JSON logs at info written to `log`, and waits
/// until it says where it listens. Panics with the log when it exits first.
pub async fn spawn(serve: Command, log: &Path) -> Serving {
    spawn_at(serve, log, "127.0.0.1:0")
        .await
        .unwrap_or_else(|logged| panic!("mooring serve exited before serving: {logged}"))
}

/// [`spawn`] on `listen`; `Err` with what it logged when it exits before serving
/// (such as when another process holds the port).
pub async fn spawn_at(mut serve: Command, log: &Path, listen: &str) -> Result<Serving, String> {
    let file = std::fs::File::create(log).expect("log file");
    let mut child = serve
        .env("MOORING_LISTEN", listen)
        .env("MOORING_LOG", "info")
        .env("MOORING_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn mooring serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let logged = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(addr) = serving_address(&logged) {
            return Ok(Serving {
                child,
                addr,
                log: log.to_owned(),
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{status}: {logged}"));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mooring serve did not start: {logged}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `listen` field of the "mooring is serving" line among JSON log lines.
fn serving_address(logged: &str) -> Option<SocketAddr> {
    logged
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["message"] == "mooring is serving")
        .and_then(|event| event["listen"].as_str()?.parse().ok())
}

/// A loopback address nothing listens on (probed free, then released).
pub fn unused_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    format!("127.0.0.1:{port}")
}
