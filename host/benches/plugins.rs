//! Plugin lifecycle benchmark (`cargo bench -p mooring --bench plugins`), on the real
//! `App` with the real provider components:
//!
//! 1. **Activation from a cached artifact**: a version uploaded earlier (so compiled
//!    and cached) is activated, alternating between two versions: the pointer swap
//!    plus its store transaction and event. Also: loading a component whose artifact
//!    is cached (deserialise, pre-instantiate, `describe()`), as a restart or a repeat
//!    upload does.
//! 2. **Host start-up with both provider plugins cached**: `App::open` on a data
//!    directory that already holds the Xero and QuickBooks components and their
//!    compiled artifacts.
//! 3. **Upload to active, cold**: upload a component never seen by this data
//!    directory (validated, compiled, stored) and activate it.
//!
//! Needs the plugins: `cargo xtask build-plugins`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooring::app::App;
use mooring::clock::SystemClock;
use mooring::config::Config;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn component(dir: &str, name: &str) -> Vec<u8> {
    let path = workspace().join("target").join(dir).join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build-plugins`)", path.display()))
}

async fn open(data: &Path, plugin_dir: &Path) -> App {
    let (data, plugin_dir) = (data.display().to_string(), plugin_dir.display().to_string());
    let env = move |name: &str| -> Option<String> {
        match name {
            "MOORING_DATA_DIR" => Some(data.clone()),
            "MOORING_PLUGIN_DIR" => Some(plugin_dir.clone()),
            "MOORING_ADMIN_TOKEN" => Some("bench".into()),
            "MOORING_ENCRYPTION_KEY" => Some("42".repeat(32)),
            _ => None,
        }
    };
    let config = Config::resolve(None, env).expect("config");
    App::open(config, Arc::new(SystemClock))
        .await
        .expect("open")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn show(what: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let min = samples.iter().min().copied().unwrap_or_default();
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "{what:<58} median {:>9.2} ms  (min {:.2}, max {:.2}, n={n})",
        median(samples).as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let providers = workspace().join("target/plugins");
    let empty = tempfile::tempdir().expect("tmp");
    let v1 = component("test-plugins", "test_versioned_v1.wasm");
    let v2 = component("test-plugins", "test_versioned_v2.wasm");

    // 1. Activation from a cached artifact.
    let data = tempfile::tempdir().expect("tmp");
    let app = open(data.path(), empty.path()).await;
    app.plugins.upload(&v1, false).await.expect("upload v1");
    app.plugins.upload(&v2, false).await.expect("upload v2");
    app.plugins
        .activate("versioned", "1.0.0", true)
        .await
        .expect("approve");
    let mut swaps = Vec::new();
    for i in 0..200 {
        let version = if i % 2 == 0 { "2.0.0" } else { "1.0.0" };
        let started = Instant::now();
        app.plugins
            .activate("versioned", version, false)
            .await
            .expect("activate");
        swaps.push(started.elapsed());
    }
    show("activate an uploaded (cached) version", swaps);
    let cache = mooring::backends::StoreArtifacts(app.store.clone());
    let mut loads = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        app.runtime.load(&v2, &cache).await.expect("load");
        loads.push(started.elapsed());
    }
    show("load from the cached artifact (+ describe)", loads);
    drop(app);

    // 2. Start-up with both providers cached.
    let data = tempfile::tempdir().expect("tmp");
    let first = Instant::now();
    drop(open(data.path(), &providers).await);
    println!(
        "{:<58} {:>9.2} ms",
        "first start (compiles Xero + QuickBooks)",
        first.elapsed().as_secs_f64() * 1e3
    );
    let mut starts = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let app = open(data.path(), &providers).await;
        starts.push(started.elapsed());
        assert_eq!(app.runtime.compilations(), 0, "start-up used the cache");
        drop(app);
    }
    show("host start-up, both provider plugins cached", starts);

    // 3. Upload to active, cold: a fresh data directory each time.
    let xero = std::fs::read(providers.join("mooring_xero.wasm")).expect("xero");
    let mut colds = Vec::new();
    for _ in 0..5 {
        let data = tempfile::tempdir().expect("tmp");
        let app = open(data.path(), empty.path()).await;
        let started = Instant::now();
        let uploaded = app.plugins.upload(&xero, false).await.expect("upload");
        app.plugins
            .activate(&uploaded.summary.id, &uploaded.summary.version, true)
            .await
            .expect("activate");
        colds.push(started.elapsed());
    }
    show("upload to active, cold (Xero component, compiled)", colds);
}
