//! The one wasmtime [`Engine`] of the process and the epoch ticker that drives CPU limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::RuntimeError;
use super::limits::RuntimeLimits;

/// How often the epoch advances. CPU budgets are checked, and a running guest yields to
/// tokio, at this granularity: a guest holds a worker for at most one tick at a time, so
/// a request hopping through a few tasks on workers busy with guests waits a few ticks at
/// worst. 5 ms keeps `/healthz` well under 50 ms with every worker running a CPU-bound
/// guest (10 ms measured up to ~30 ms) for 200 wake-ups a second of the ticker thread.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Which instance allocator the engine ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocatorKind {
    /// Pre-reserved slots: fastest instantiation.
    Pooling,
    /// Allocate per instance: used when the address space cannot hold the pool.
    OnDemand,
}

/// Bounds-check guest memory in compiled code instead of with guard pages.
///
/// With guard pages (the default, `false`) a pool slot's accessible size must match the
/// instance's memory, so a guest that grows its memory during a call costs two
/// `mprotect`s (grow, then shrink on the slot's next instantiation, which also flushes
/// other cores' TLBs). Rust's std guests allocate from the heap already in their initial
/// memory and do not grow on small calls; no_std guests on the `dlmalloc` crate grow on
/// their first allocation of every call. Measured on `call/fresh-instance+trivial-export`
/// (2 cores): no_std 11.2 → 5.5 µs, std 8.7 → 8.85 µs with explicit checks, but the
/// `records/10k-guest-to-host` page 4.5 → 5.0 ms (+11 %, Spectre-safe explicit checks on
/// every guest load and store). Guest work dominates real calls, so guard pages stay.
const EXPLICIT_BOUNDS_CHECKS: bool = false;

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config
}

/// Build the engine, preferring the pooling allocator and falling back to on-demand
/// allocation when the pool cannot be reserved (for example under a small `ulimit -v`).
pub fn build_engine(limits: &RuntimeLimits) -> Result<(Engine, AllocatorKind), RuntimeError> {
    let mut pooled = base_config();
    let mut pool = PoolingAllocationConfig::default();
    let instances = limits.max_instances.max(1);
    pool.total_component_instances(instances)
        .total_core_instances(instances * 4)
        .total_memories(instances * 2)
        .total_tables(instances * 4)
        .max_memories_per_component(2)
        .max_core_instances_per_component(16)
        .max_memory_size(limits.memory_bytes)
        .max_unused_warm_slots(instances.min(16))
        // Reuse slots cheaply: reset only the pages a call dirtied (Linux pagemap scan),
        // keep small regions resident instead of unmapping them, and batch decommits.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(4 << 20)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(64 << 10)
        .decommit_batch_size(instances.min(16) as usize);
    if EXPLICIT_BOUNDS_CHECKS {
        // No guard region and no virtual-memory tricks: slots stay read/write and are
        // only as large as the memory limit.
        pooled
            .signals_based_traps(false)
            .memory_guard_size(0)
            .memory_reservation(limits.memory_bytes as u64)
            .memory_reservation_for_growth(0);
    }
    pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&pooled) {
        Ok(engine) => Ok((engine, AllocatorKind::Pooling)),
        Err(pool_error) => {
            tracing::warn!(error = %pool_error, "pooling allocator unavailable; allocating instances on demand");
            let engine =
                Engine::new(&base_config()).map_err(|e| RuntimeError::Engine(e.to_string()))?;
            Ok((engine, AllocatorKind::OnDemand))
        }
    }
}

/// A background thread advancing the engine's epoch every [`EPOCH_TICK`]; stops on drop.
#[derive(Debug)]
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Start ticking `engine`.
    pub fn start(engine: &Engine) -> Result<Self, RuntimeError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let engine = engine.clone();
        let thread = std::thread::Builder::new()
            .name("mooring-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| RuntimeError::Engine(format!("cannot start the epoch ticker: {e}")))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A stable text key for "artifacts compiled by this engine can be loaded by it":
/// the wasmtime version plus the engine's own compatibility hash.
pub fn compatibility_key(engine: &Engine) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("wasmtime-48-{:016x}", hasher.finish())
}
