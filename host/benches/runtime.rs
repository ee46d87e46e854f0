//! Runtime benchmarks (`cargo bench -p mooring --bench runtime`):
//!
//! - `call/fresh-instance+trivial-export/{std,no_std}`: a new Store and instance from
//!   the pre-instantiated component plus one trivial export (`authorize-params`), for a
//!   std plugin (`test-well-behaved`, linked against the deny-all WASI) and a `#![no_std]`
//!   one with zero WASI imports (`test-minimal`). Target: median ≤ 10 µs. Criterion's
//!   `time:` line is its mean estimate; the median is in
//!   `target/criterion/call/*/new/estimates.json`. On a 2-core machine any other load
//!   (a build) shifts these by several µs: compare runs taken under the same load.
//!   The no_std plugin allocates with the `dlmalloc` crate, which grows memory on the
//!   first allocation of every call; with guard-page memories that costs two
//!   `mprotect`s per call (see `EXPLICIT_BOUNDS_CHECKS` in `runtime/engine.rs`).
//! - `records/10k-guest-to-host`: one `sync` page of 10,000 records of ~100 bytes
//!   passed from the guest to the host.
//!
//! Needs the test plugins: `cargo xtask build-plugins`.

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mooring::clock::SystemClock;
use mooring::runtime::cache::NoCache;
use mooring::runtime::capabilities::http::HttpCapability;
use mooring::runtime::capabilities::{Capabilities, MemoryState, NoGrants};
use mooring::runtime::overrides::HostOverrides;
use mooring::runtime::types::Tenant;
use mooring::runtime::{CallContext, Runtime, RuntimeLimits};

fn component(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-plugins")
        .join(file);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask build-plugins`", path.display()))
}

fn bench_runtime(c: &mut Criterion) {
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
