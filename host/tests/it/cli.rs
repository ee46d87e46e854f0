//! The `mooring plugin …` and `mooring plugins` commands of the real binary against a
//! real `mooring serve` started here; and `mooring plugin new`, whose crate is built
//! for wasm32-wasip2, passes its own unit tests and is loaded by a running host.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve_process::{self, Killed, Serving, mooring, unused_address};
use crate::support::component;

/// `bytes` with the only occurrence of `from` replaced by `to` (same length): a
/// component that describes itself differently, e.g. with another version.
fn patched(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "{from:?} must occur once in the component");
    let mut out = bytes.to_vec();
    out[at[0]..at[0] + to.len()].copy_from_slice(to.as_bytes());
    out
}

/// test-well-behaved as version `version` (five characters, like `1.0.0`).
fn well_behaved(version: &str) -> Vec<u8> {
    patched(&component("test-well-behaved"), "1.0.0", version)
}

/// A `mooring serve` in a temp dir: data and plugin directories of its own, a
/// generated admin token, one integration for test-well-behaved, no scheduler.
struct Host {
    dir: tempfile::TempDir,
    listen: String,
    base: String,
    token: String,
    _serving: Serving,
}

impl Host {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins).expect("mkdir");
        std::fs::write(
            plugins.join("test_well_behaved.wasm"),
            component("test-well-behaved"),
        )
        .expect("copy");
        let mut serve = mooring();
        serve
            .arg("serve")
            .current_dir(dir.path())
            .env("MOORING_DATA_DIR", dir.path().join("data"))
            .env("MOORING_PLUGIN_DIR", &plugins)
            .env("MOORING_SCHEDULER", "off")
            .env(
                "MOORING_INTEGRATIONS",
                json!([{"id": "it", "provider": "test-well-behaved", "client_id": "c", "client_secret": "s"}])
                    .to_string(),
            )
            .env_remove("MOORING_ADMIN_TOKEN")
            .env_remove("MOORING_ENCRYPTION_KEY")
            .env_remove("MOORING_PUBLIC_URL");
        let serving = serve_process::spawn(serve, &dir.path().join("serve.log")).await;
        let listen = serving.addr.to_string();
        let base = serving.base();
        serving.wait_healthy().await;
        let token = std::fs::read_to_string(dir.path().join("data/admin-token"))
            .expect("generated token")
            .trim()
            .to_owned();
        Self {
            dir,
            listen,
            base,
            token,
            _serving: serving,
        }
    }

    /// `mooring` configured like the host (so it finds the URL and the token file).
    fn cli(&self) -> Command {
        let mut cmd = mooring();
        cmd.current_dir(self.dir.path())
            .env("MOORING_LISTEN", &self.listen)
            .env("MOORING_DATA_DIR", self.dir.path().join("data"))
            .env("MOORING_LOG", "warn")
            .env_remove("MOORING_ADMIN_TOKEN")
            .env_remove("MOORING_PUBLIC_URL");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cli().args(args).output().expect("run mooring")
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}/api{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("api");
        let status = response.status();
        let bytes = response.bytes().await.expect("body");
        assert!(
            status.is_success(),
            "{path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).expect("json")
    }

    async fn plugins(&self) -> Vec<Value> {
        match self.api(reqwest::Method::GET, "/plugins", None).await {
            Value::Array(list) => list,
            other => panic!("not a list: {other}"),
        }
    }

    /// The active version of `provider`.
    async fn active(&self, provider: &str) -> String {
        self.plugins()
            .await
            .into_iter()
            .find(|p| p["id"] == provider && p["active"] == true)
            .and_then(|p| p["version"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("{\"error\""), "raw JSON shown: {stderr}");
    stderr
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("--json prints JSON")
}

#[tokio::test]
async fn add_list_activate_rollback_canary_and_pin() {
    let host = Host::start().await;
    let v2 = host.dir.path().join("v2.wasm");
    std::fs::write(&v2, well_behaved("2.0.0")).expect("write");
    let v2 = v2.to_string_lossy().into_owned();

    let added = json_of(&host.run(&["plugin", "add", &v2, "--json"]));
    assert_eq!(added["id"], "test-well-behaved");
    assert_eq!(added["version"], "2.0.0");
    assert_eq!(added["active"], false);
    let again = ok(&host.run(&["plugin", "add", &v2]));
    assert!(again.contains("already uploaded"), "{again}");
    assert_eq!(host.active("test-well-behaved").await, "1.0.0");

    let listed = json_of(&host.run(&["plugin", "list", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    let table = ok(&host.run(&["plugin", "list"]));
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("2.0.0") && table.contains("api.test.invalid"),
        "{table}"
    );

    let activated = ok(&host.run(&["plugin", "activate", "test-well-behaved", "2.0.0"]));
    assert!(
        activated.contains("activated test-well-behaved 2.0.0"),
        "{activated}"
    );
    assert_eq!(host.active("test-well-behaved").await, "2.0.0");

    let rolled = json_of(&host.run(&["plugin", "rollback", "test-well-behaved", "--json"]));
    assert_eq!(rolled["version"], "1.0.0");
    assert_eq!(host.active("test-well-behaved").await, "1.0.0");

    let canary = json_of(&host.run(&[
        "plugin",
        "canary",
        "test-well-behaved",
        "2.0.0",
        "25",
        "--json",
    ]));
    assert_eq!(canary["percent"], 25);
    let on_canary = host
        .plugins()
        .await
        .into_iter()
        .find(|p| p["version"] == "2.0.0")
        .expect("2.0.0 listed");
    assert_eq!(on_canary["canary_percent"], 25);
    let ended = ok(&host.run(&["plugin", "canary", "test-well-behaved", "2.0.0", "0"]));
    assert!(ended.contains("ended"), "{ended}");
    let stderr = failed(&host.run(&["plugin", "canary", "test-well-behaved", "2.0.0", "101"]));
    assert!(stderr.contains("101"), "{stderr}");

    let connection = host
        .api(
            reqwest::Method::POST,
            "/connections",
            Some(json!({"integration": "it"})),
        )
        .await;
    let id = connection["id"].as_str().expect("connection id").to_owned();
    let pinned = ok(&host.run(&["plugin", "pin", &id, "2.0.0"]));
    assert!(pinned.contains("pinned to version 2.0.0"), "{pinned}");
    let shown = host
        .api(reqwest::Method::GET, &format!("/connections/{id}"), None)
        .await;
    assert_eq!(shown["pinned_version"], "2.0.0");
    let unpinned = json_of(&host.run(&["plugin", "pin", &id, "--unpin", "--json"]));
    assert_eq!(unpinned["pinned_version"], Value::Null);

    // The host's own message, not its JSON, and a failing exit.
    let stderr = failed(&host.run(&["plugin", "activate", "test-well-behaved", "9.9.9"]));
    assert!(stderr.contains("9.9.9"), "{stderr}");
}

#[tokio::test]
async fn an_escalation_needs_approve_and_errors_are_clear() {
    let host = Host::start().await;
    // Version 3.0.0 with an authorize endpoint on a host never approved.
    let bytes = patched(
        &well_behaved("3.0.0"),
        "login.test.invalid",
        "login.test.example",
    );
    let file = host.dir.path().join("v3.wasm");
    std::fs::write(&file, bytes).expect("write");
    let file = file.to_string_lossy().into_owned();
    let stderr = failed(&host.run(&["plugin", "add", &file, "--activate"]));
    assert!(stderr.contains("--approve"), "{stderr}");
    assert!(
        stderr.contains("login.test.example"),
        "the difference: {stderr}"
    );
    assert_eq!(host.active("test-well-behaved").await, "1.0.0");
    let approved =
        json_of(&host.run(&["plugin", "add", &file, "--activate", "--approve", "--json"]));
    assert_eq!(approved["version"], "3.0.0");
    assert_eq!(approved["active"], true);

    let garbage = host.dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not a component").expect("write");
    failed(&host.run(&["plugin", "add", &garbage.to_string_lossy()]));
    let stderr = failed(&host.run(&["plugin", "add", "/no/such/file.wasm"]));
    assert!(stderr.contains("/no/such/file.wasm"), "{stderr}");

    let stderr = failed(
        &host
            .cli()
            .args(["plugin", "list"])
            .env("MOORING_ADMIN_TOKEN", "wrong")
            .output()
            .expect("run"),
    );
    assert!(stderr.contains("mooring:"), "{stderr}");

    let nobody = format!("http://{}", unused_address());
    let stderr = failed(&host.run(&["plugin", "list", "--url", &nobody]));
    assert!(stderr.contains("no mooring host answers"), "{stderr}");

    // `plugins` asks the running host, with the same JSON as the API.
    let printed = json_of(&host.run(&["plugins", "--json"]));
    assert_eq!(printed, Value::Array(host.plugins().await));
}

/// Lines a child prints, as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(lines: &mpsc::Receiver<String>, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(what) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("no line with {what:?}; saw {seen:?}");
}

#[tokio::test]
async fn watch_uploads_and_activates_rebuilt_components_until_ctrl_c() {
    let host = Host::start().await;
    let out = host.dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut child = host
        .cli()
        .args(["plugin", "watch", "--interval-ms", "100"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn watch");
    let lines = lines_of(&mut child);
    let pid = child.id();
    let mut child = Killed(child);
    wait_for(&lines, "watching");

    let target = out.join("test_well_behaved.wasm");
    std::fs::write(&target, well_behaved("2.0.0")).expect("write");
    let line = wait_for(&lines, "activated");
    assert!(line.contains("test-well-behaved 2.0.0"), "{line}");
    assert_eq!(host.active("test-well-behaved").await, "2.0.0");

    // A rebuild under the same version replaces it and stays active.
    std::fs::write(
        &target,
        patched(
            &well_behaved("2.0.0"),
            "Test: well-behaved",
            "Test: well-BEHAVED",
        ),
    )
    .expect("write");
    wait_for(&lines, "activated");
    let listed = host.plugins().await;
    let v2 = listed
        .iter()
        .find(|p| p["version"] == "2.0.0")
        .expect("2.0.0");
    assert_eq!(v2["name"], "Test: well-BEHAVED");
    assert_eq!(v2["active"], true);

    // Ctrl-C stops it cleanly.
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    wait_for(&lines, "stopped watching");
    let exit = child.0.wait().expect("wait");
    assert!(exit.success(), "{exit}");
}

#[test]
fn plugins_without_a_host_or_a_store_creates_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let out = mooring()
        .args(["plugins", "--json"])
        .current_dir(dir.path())
        .env("MOORING_DATA_DIR", &data)
        .env("MOORING_LISTEN", unused_address())
        .env_remove("MOORING_ADMIN_TOKEN")
        .env_remove("MOORING_ENCRYPTION_KEY")
        .env_remove("MOORING_PUBLIC_URL")
        .output()
        .expect("run");
    let stderr = failed(&out);
    assert!(
        stderr.contains("no mooring host answers") && stderr.contains("nothing is stored"),
        "{stderr}"
    );
    assert!(!data.exists(), "created {}", data.display());
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "created files in the working directory"
    );
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn host_triple() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("host triple")
}

/// `mooring plugin new`, then the crate's own build and tests, then the host loads the
/// component. Slow: one release build for wasm32-wasip2 sharing the plugins' target
/// directory (only the SDK and the new crate compile when the plugins are built).
#[tokio::test]
async fn a_scaffolded_plugin_builds_passes_its_tests_and_loads() {
    let tmp = tempfile::tempdir().expect("tmp");
    let crate_dir = tmp.path().join("acme");
    // From the repository root, the SDK is found without --sdk.
    let out = mooring()
        .args(["plugin", "new", "acme", "--dir"])
        .arg(&crate_dir)
        .current_dir(repo())
        .output()
        .expect("run");
    let said = ok(&out);
    assert!(said.contains("created the acme plugin"), "{said}");
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "README.md",
        ".cargo/config.toml",
        "Cargo.lock",
    ] {
        assert!(crate_dir.join(file).exists(), "{file}");
    }
    let again = mooring()
        .args(["plugin", "new", "acme", "--dir"])
        .arg(&crate_dir)
        .output()
        .expect("run");
    assert!(failed(&again).contains("not empty"));
    let bad = mooring()
        .args(["plugin", "new", "Acme_Books", "--dir"])
        .arg(tmp.path().join("bad"))
        .output()
        .expect("run");
    assert!(failed(&bad).contains("not a plugin name"));

    let target_dir = repo().join("plugins").join("target");
    let build = cargo()
        .args(["build", "--release"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("cargo build");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    // Take the component out of the shared directory, where `cargo xtask
    // build-plugins` would otherwise pick it up as a provider.
    let built = target_dir.join("wasm32-wasip2/release/acme.wasm");
    let wasm = tmp.path().join("acme.wasm");
    std::fs::copy(&built, &wasm).expect("component built");
    let _ = std::fs::remove_file(&built);
    let _ = std::fs::remove_file(built.with_extension("d"));

    let test = cargo()
        .args(["test", "--target", &host_triple()])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("cargo test");
    let report = String::from_utf8_lossy(&test.stdout);
    assert!(
        test.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(report.contains("test result: ok. 6 passed"), "{report}");

    // The host validates the component (world, describe, manifest) on upload.
    let host = Host::start().await;
    let loaded = json_of(&host.run(&[
        "plugin",
        "add",
        &wasm.to_string_lossy(),
        "--activate",
        "--approve",
        "--json",
    ]));
    assert_eq!(loaded["id"], "acme");
    assert_eq!(loaded["version"], "0.1.0");
    assert_eq!(loaded["active"], true);
    let hosts = &loaded["capabilities"]["allowed_hosts"];
    assert_eq!(hosts, &json!(["api.acme.example", "login.acme.example"]));
    // The token endpoint is among the capabilities (as `token_url` or in `endpoints`).
    let caps = loaded["capabilities"].to_string();
    assert!(
        caps.contains("https://login.acme.example/oauth/token"),
        "{caps}"
    );
}
