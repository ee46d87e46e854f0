//! Runtime benchmarks (`cargo bench -p mooring --bench runtime`):
//!
//! - `call/fresh-instance+trivial-export/{std,no_std}`: a new Store and instance from
//!   the pre-instantiated component plus one trivial export (`authorize-params`), for a
//!   std plugin (`test-well-behaved`, linked against the deny-all WASI) and a `#![no_std]`
//!   one with zero WASI imports (`test-minimal`). Target: median ≤ 10 µs.
//! - `records/10k-guest-to-host`: one `sync` page of 10,000 records of ~100 bytes
//!   passed from the guest to the host.
//!
//! Needs the test plugins: `cargo xtask build-plugins`.

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mooring::clock::SystemClock;
use mooring::runtime::bindings::types::Tenant;
use mooring::runtime::cache::NoCache;
use mooring::runtime::capabilities::http::HttpCapability;
use mooring::runtime::capabilities::{Capabilities, MemoryState, NoGrants};
use mooring::runtime::overrides::HostOverrides;
use mooring::runtime::{CallContext, Runtime, RuntimeLimits};

fn component(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-plugins")
        .join(file);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask build-plugins`", path.display()))
}

/// EXPERIMENT (throwaway): interleaved A/B of engine knobs in one process.
/// MX_AB="name:K=V,K=V;name2:K=V" ; MX_ROUNDS, MX_BATCHN
fn ab(spec: &str) {
    let mut all_keys = std::collections::BTreeSet::new();
    let configs: Vec<(String, Vec<(String, String)>)> = spec
        .split(';')
        .map(|c| {
            let (name, kvs) = c.split_once(':').unwrap_or((c, ""));
            let kvs: Vec<(String, String)> = kvs
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').expect("K=V");
                    all_keys.insert(k.to_owned());
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            (name.to_owned(), kvs)
        })
        .collect();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut rts = Vec::new();
    for (name, kvs) in &configs {
        for k in &all_keys {
            unsafe { std::env::remove_var(k) };
        }
        for (k, v) in kvs {
            unsafe { std::env::set_var(k, v) };
        }
        let limits = RuntimeLimits::default();
        let caps = Capabilities::new(
            Arc::new(HttpCapability::new(HostOverrides::default(), &limits).expect("http")),
            Arc::new(NoGrants),
            Arc::new(MemoryState::default()),
            Arc::new(SystemClock),
        );
        let rt = Runtime::new(limits, caps).expect("runtime");
        let std_p = tokio
            .block_on(rt.load(&component("test_well_behaved.wasm"), &NoCache))
            .expect("load");
        let nostd = tokio
            .block_on(rt.load(&component("test_minimal.wasm"), &NoCache))
            .expect("load");
        eprintln!("{name}: {:?}", rt.allocator());
        if std::env::var("MX_DIRTY").is_ok() {
            // One big call first: its slot's dirty pages stay resident.
            let tenant = Tenant { id: "t".into(), name: "T".into(), metadata: vec![] };
            let ctx = CallContext::for_connection("bench", "bench");
            tokio.block_on(rt.sync(&std_p, ctx, "records:10000", &tenant, None)).expect("sync");
        }
        rts.push((name.clone(), rt, std_p, nostd));
    }
    let ctx = CallContext::for_connection("bench", "bench");
    let rounds: usize = std::env::var("MX_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let n: usize = std::env::var("MX_BATCHN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut samples: Vec<[Vec<u32>; 2]> = rts.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for round in 0..rounds {
        for (i, (_, rt, std_p, nostd)) in rts.iter().enumerate() {
            for (j, p) in [std_p, nostd].into_iter().enumerate() {
                for k in 0..n {
                    let t = std::time::Instant::now();
                    let r = tokio
                        .block_on(rt.authorize_params(p, ctx.clone(), &[]))
                        .expect("call");
                    let e = t.elapsed().as_nanos() as u32;
                    drop(r);
                    if round > 0 || k > n / 2 {
                        samples[i][j].push(e);
                    }
                }
            }
        }
    }
    for (i, (name, ..)) in rts.iter().enumerate() {
        let mut line = format!("{name:>12}:");
        for (j, label) in ["std", "no_std"].into_iter().enumerate() {
            let s = &mut samples[i][j];
            s.sort_unstable();
            let q = |f: f64| s[((s.len() as f64) * f) as usize];
            line.push_str(&format!(
                "  {label} p50={:>6} p10={:>6} p90={:>6}",
                q(0.5),
                q(0.1),
                q(0.9)
            ));
        }
        println!("{line}");
    }
}

fn bench_runtime(c: &mut Criterion) {
    if let Ok(spec) = std::env::var("MX_AB") {
        ab(&spec);
        std::process::exit(0);
    }
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let limits = RuntimeLimits::default();
    let caps = Capabilities::new(
        Arc::new(HttpCapability::new(HostOverrides::default(), &limits).expect("http")),
        Arc::new(NoGrants),
        Arc::new(MemoryState::default()),
        Arc::new(SystemClock),
    );
    let rt = Runtime::new(limits, caps).expect("runtime");
    eprintln!("allocator: {:?}", rt.allocator());
    let plugin = tokio
        .block_on(rt.load(&component("test_well_behaved.wasm"), &NoCache))
        .expect("load");
    let minimal = tokio
        .block_on(rt.load(&component("test_minimal.wasm"), &NoCache))
        .expect("load");
    let ctx = CallContext::for_connection("bench", "bench");
    let tenant = Tenant {
        id: "t".into(),
        name: "T".into(),
        metadata: vec![],
    };

    let mut group = c.benchmark_group("call");
    for (name, plugin) in [("std", &plugin), ("no_std", &minimal)] {
        group.bench_function(format!("fresh-instance+trivial-export/{name}"), |b| {
            b.iter(|| {
                tokio
                    .block_on(rt.authorize_params(plugin, ctx.clone(), &[]))
                    .expect("call")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("records");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(30);
    group.bench_function("10k-guest-to-host", |b| {
        b.iter(|| {
            let batch = tokio
                .block_on(rt.sync(&plugin, ctx.clone(), "records:10000", &tenant, None))
                .expect("sync");
            assert_eq!(batch.records.len(), 10_000);
            batch
        })
    });
    group.finish();
}

criterion_group!(benches, bench_runtime);
criterion_main!(benches);
