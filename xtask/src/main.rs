//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `build`: install the wasm32-wasip2 target if missing, build every plugin
//!   component (release) and the host. Provider plugins are copied to
//!   `target/plugins/`, test plugins to `target/test-plugins/`.
//! - `test`: `build`, then every test: the workspace (host, store, simulators), and
//!   the plugin SDK's and provider plugins' unit tests on the host triple.
//! - `demo`: `build`, then the main job: the `mooring` binary against the bundled
//!   simulators, end to end (`tests/demo`).

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
            .args(extra),
    )
}

fn demo() -> Result<(), String> {
    build()?;
    run(
        "demo: the mooring binary against the bundled simulators",
        &mut Command::new(root().join("target").join("debug").join("mooring-demo")),
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
        Some("demo") => demo(),
        _ => Err("usage: cargo xtask <build | build-plugins | test | demo>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
