//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `build`: install the wasm32-wasip2 target if missing, build every plugin
//!   component (release) and the host. Provider plugins are copied to
//!   `target/plugins/`, test plugins to `target/test-plugins/`.
//! - `test`: `build`, then every test: the workspace (host, store, simulators), and
//!   the plugin SDK's and provider plugins' unit tests on the host triple.
//!   Installs Debian's `chromium` and `chromium-driver` first when
//!   `/usr/bin/chromedriver` is missing (the operator-page browser test needs them).
//!   Installs schemathesis from PyPI into a virtualenv at `target/schemathesis`
//!   unless it is already there; `host/tests/it/openapi.rs` runs it against a live
//!   host (the workspace tests get its path in `MOORING_SCHEMATHESIS`).
//! - `demo`: `build`, then the main job: the `mooring` binary against the bundled
//!   simulators, end to end (`tests/demo`). `demo --serve` then leaves the host and
//!   the simulators running (the operator page's URL and the admin token are printed)
//!   until Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WASM_TARGET: &str = "wasm32-wasip2";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("cannot run rustup (needed for the {WASM_TARGET} target): {e}"))?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    run(
        &format!("rustup target add {WASM_TARGET}"),
        Command::new("rustup").args(["target", "add", WASM_TARGET]),
    )
}

/// Debian's headless Chromium and its WebDriver, for the operator-page browser test
/// (`host/tests/it/page_browser.rs`): installed with apt-get unless
/// `/usr/bin/chromedriver` is already there (`apt-get update` first only when the
/// install fails).
fn ensure_chromium() -> Result<(), String> {
    if Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    let install = || {
        let mut command = Command::new("apt-get");
        command.env("DEBIAN_FRONTEND", "noninteractive").args([
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ]);
        command
    };
    let what = "apt-get install chromium chromium-driver (for the operator-page browser test)";
    if run(what, &mut install()).is_ok() {
        return Ok(());
    }
    run(
        "apt-get update",
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .arg("update"),
    )
    .and_then(|()| run(what, &mut install()))
    .map_err(|e| {
        format!(
            "{e}: install Debian's chromium and chromium-driver as root (apt-get) and run again"
        )
    })
}

/// The schemathesis release the API test runs (`host/tests/it/openapi.rs`).
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Install schemathesis from PyPI into a virtualenv at `target/schemathesis` unless
/// its `st` already runs; returns the path of `st`.
fn ensure_schemathesis() -> Result<PathBuf, String> {
    let venv = root().join("target").join("schemathesis");
    let st = venv.join("bin").join("st");
    let runs = |st: &Path| {
        Command::new(st)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if runs(&st) {
        return Ok(st);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        "create a virtualenv for schemathesis (target/schemathesis)",
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
    )
    .map_err(|e| format!("{e}: schemathesis needs Python 3.10+ with venv ({python} -m venv)"))?;
    run(
        &format!("pip install {SCHEMATHESIS} (for the OpenAPI test)"),
        Command::new(venv.join("bin").join("python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            SCHEMATHESIS,
        ]),
    )?;
    if runs(&st) {
        Ok(st)
    } else {
        Err(format!(
            "{} does not run after installing {SCHEMATHESIS}",
            st.display()
        ))
    }
}

/// Build every plugin component and copy them where the host and tests look.
fn build_plugins() -> Result<(), String> {
    ensure_wasm_target()?;
    let plugins = root().join("plugins");
    run(
        "build plugin components",
        cargo()
            .current_dir(&plugins)
            .args(["build", "--release", "--locked"]),
    )?;
    let out = plugins.join("target").join(WASM_TARGET).join("release");
    let providers = root().join("target").join("plugins");
    let tests = root().join("target").join("test-plugins");
    for dir in [&providers, &tests] {
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    let entries = std::fs::read_dir(&out).map_err(|e| format!("read {}: {e}", out.display()))?;
    let mut copied = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".wasm") {
            continue;
        }
        let dest = if name.starts_with("test_") {
            &tests
        } else {
            &providers
        };
        std::fs::copy(&path, dest.join(name)).map_err(|e| format!("copy {name}: {e}"))?;
        copied += 1;
    }
    eprintln!("xtask: {copied} components in target/plugins and target/test-plugins");
    Ok(())
}

fn build() -> Result<(), String> {
    build_plugins()?;
    run(
        "build the host",
        cargo().current_dir(root()).args([
            "build",
            "--locked",
            "-p",
            "mooring",
            "-p",
            "mooring-simulators",
            "-p",
            "mooring-demo",
        ]),
    )
}

fn test(extra: &[String]) -> Result<(), String> {
    build()?;
    ensure_chromium()?;
    let schemathesis = ensure_schemathesis()?;
    run(
        "plugin unit tests (SDK and provider plugins, on the host triple)",
        cargo().current_dir(root().join("plugins")).args([
            "test",
            "--locked",
            "-p",
            "mooring-plugin-sdk",
            "-p",
            "mooring-xero",
            "-p",
            "mooring-quickbooks",
            "--target",
            &host_triple()?,
        ]),
    )?;
    run(
        "workspace tests",
        cargo()
            .current_dir(root())
            .args(["test", "--locked", "--workspace", "--exclude", "xtask"])
            .env("MOORING_SCHEMATHESIS", &schemathesis)
            .args(extra),
    )
}

fn demo(extra: &[String]) -> Result<(), String> {
    build()?;
    run(
        "demo: the mooring binary against the bundled simulators",
        Command::new(root().join("target").join("debug").join("mooring-demo")).args(extra),
    )
}

fn host_triple() -> Result<String, String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV printed no host triple".into())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build(),
        Some("build-plugins") => build_plugins(),
        Some("test") => test(&args[1..]),
        Some("demo") => demo(&args[1..]),
        _ => Err("usage: cargo xtask <build | build-plugins | test | demo [--serve]>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
