//! The `mooring` binary: `serve` on the embedded defaults, `plugins`, config errors.

use std::path::Path;
use std::process::Command;

use crate::serve_process::{self, mooring, unused_address};
use crate::support::component;

fn plugin_dir(dir: &Path) -> std::path::PathBuf {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    std::fs::write(
        plugins.join("test_well_behaved.wasm"),
        component("test-well-behaved"),
    )
    .expect("copy");
    plugins
}

#[tokio::test]
async fn serve_on_defaults_then_list_plugins() {
    let dir = tempfile::tempdir().expect("tmp");
    let plugins = plugin_dir(dir.path());
    // Run in the temp dir so the embedded default `./data` lands there.
    let mut serve = mooring();
    serve
        .arg("serve")
        .current_dir(dir.path())
        .env("MOORING_PLUGIN_DIR", &plugins)
        .env_remove("MOORING_ADMIN_TOKEN")
        .env_remove("MOORING_ENCRYPTION_KEY");
    let serving = serve_process::spawn(serve, &dir.path().join("serve.log")).await;
    serving.wait_healthy().await;
    let base = serving.base();
    let listen = serving.addr.to_string();

    let data = dir.path().join("data");
    assert!(data.join("mooring.redb").exists());
    let key = data.join("mooring.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("key file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "key file mode");
    }
    let token = std::fs::read_to_string(data.join("admin-token"))
        .expect("token")
        .trim()
        .to_owned();

    let client = reqwest::Client::new();
    let denied = client
        .get(format!("{base}/api/plugins"))
        .send()
        .await
        .expect("req");
    assert_eq!(denied.status(), 401);
    let body: serde_json::Value =
        serde_json::from_slice(&denied.bytes().await.expect("body")).expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");
    let wrong = client
        .get(format!("{base}/api/plugins"))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("req");
    assert_eq!(wrong.status(), 401);
    let listed = client
        .get(format!("{base}/api/plugins"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("req");
    assert_eq!(listed.status(), 200);
    let list: serde_json::Value =
        serde_json::from_slice(&listed.bytes().await.expect("body")).expect("json");
    assert_eq!(list[0]["id"], "test-well-behaved");
    assert_eq!(list[0]["version"], "1.0.0");
    assert_eq!(list[0]["sha256"].as_str().map(str::len), Some(64));

    // `mooring plugins` asks the running host.
    let out = mooring()
        .args(["plugins", "--json"])
        .current_dir(dir.path())
        .env("MOORING_LISTEN", &listen)
        .env("MOORING_PLUGIN_DIR", &plugins)
        .output()
        .expect("plugins");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(printed, list);
}

/// Run `mooring serve` (through `sh -c`, after `prefix`) until it is healthy, then
/// stop it with Ctrl-C; returns what it wrote on stderr.
async fn serve_once(dir: &Path, plugins: &Path, prefix: &str) -> String {
    let mut serve = Command::new("sh");
    serve
        .arg("-c")
        .arg(format!(
            "{prefix} exec {} serve",
            env!("CARGO_BIN_EXE_mooring")
        ))
        .env("MOORING_DATA_DIR", dir.join("data"))
        .env("MOORING_PLUGIN_DIR", plugins)
        .env_remove("MOORING_ENCRYPTION_KEY")
        .env_remove("MOORING_ADMIN_TOKEN");
    let mut serving = serve_process::spawn(serve, &dir.join("serve.log")).await;
    serving.wait_healthy().await;
    let _ = Command::new("kill")
        .args(["-INT", &serving.child.id().to_string()])
        .status();
    let _ = serving.child.wait();
    serving.logged()
}

#[tokio::test]
async fn plugins_offline_reads_the_store_and_a_wrong_key_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let plugins = plugin_dir(dir.path());
    let data = dir.path().join("data");
    let stderr = serve_once(dir.path(), &plugins, "").await;
    assert!(
        stderr.contains("mooring.key"),
        "first run says where the key is: {stderr}"
    );
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = mooring();
        cmd.args(["plugins"])
            .env("MOORING_DATA_DIR", &data)
            .env("MOORING_PLUGIN_DIR", &plugins)
            .env("MOORING_LISTEN", unused_address())
            .env_remove("MOORING_ENCRYPTION_KEY");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().expect("run")
    };
    // No host answers: the store is listed, read only.
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("test-well-behaved") && table.contains("1.0.0"),
        "{table}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stored"), "{stderr}");

    let wrong = "11".repeat(32);
    let out = run(&[("MOORING_ENCRYPTION_KEY", &wrong)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MOORING_ENCRYPTION_KEY") || stderr.contains("key"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bad_setting_is_a_clear_error() {
    let out = mooring()
        .arg("plugins")
        .env("MOORING_HOST_OVERRIDES", "not-a-pair")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("host=base-url"), "{stderr}");
}

#[tokio::test]
async fn a_small_address_space_falls_back_from_the_pooling_allocator() {
    let dir = tempfile::tempdir().expect("tmp");
    let plugins = plugin_dir(dir.path());
    // 6 GiB of address space cannot hold the pool's reservations (many GiB per slot).
    let stderr = serve_once(dir.path(), &plugins, "ulimit -v 6291456 &&").await;
    assert!(stderr.contains("pooling allocator unavailable"), "{stderr}");
    let out = mooring()
        .args(["plugins", "--json"])
        .env("MOORING_DATA_DIR", dir.path().join("data"))
        .env("MOORING_LISTEN", unused_address())
        .env_remove("MOORING_ENCRYPTION_KEY")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(printed[0]["id"], "test-well-behaved");
}
