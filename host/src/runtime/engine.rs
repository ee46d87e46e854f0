//! The one wasmtime [`Engine`] of the process and the epoch ticker that drives CPU limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::RuntimeError;
use super::limits::RuntimeLimits;

/// How often the epoch advances; CPU budgets are checked at this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Which instance allocator the engine ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocatorKind {
    /// Pre-reserved slots: fastest instantiation.
    Pooling,
    /// Allocate per instance: used when the address space cannot hold the pool.
    OnDemand,
}

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
    // EXPERIMENT (throwaway): env knobs
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(v) = env("MX_PAGEMAP") {
        pool.pagemap_scan(if v == 1 { Enabled::Yes } else { Enabled::No });
    }
    if let Some(v) = env("MX_MEM_KEEP") {
        pool.linear_memory_keep_resident(v as usize);
    }
    if let Some(v) = env("MX_TABLE_KEEP") {
        pool.table_keep_resident(v as usize);
    }
    if let Some(v) = env("MX_BATCH") {
        pool.decommit_batch_size(v as usize);
    }
    if let Some(v) = env("MX_WARM") {
        pool.max_unused_warm_slots(v as u32);
    }
    if let Some(v) = env("MX_TABLE_ELEMS") {
        pool.table_elements(v as usize);
    }
    if env("MX_GUARD0") == Some(1) {
        pooled.memory_guard_size(0);
        pooled.memory_reservation(limits.memory_bytes as u64);
        pooled.memory_reservation_for_growth(0);
    }
    if env("MX_NOSIG") == Some(1) {
        pooled.signals_based_traps(false);
        pooled.memory_guard_size(0);
        pooled.memory_reservation(limits.memory_bytes as u64);
        pooled.memory_reservation_for_growth(0);
    }
    if env("MX_NOSPECTRE") == Some(1) {
        unsafe {
            pooled.cranelift_flag_set("enable_heap_access_spectre_mitigation", "false");
        }
    }
    if let Some(v) = env("MX_STACK") {
        pooled.async_stack_size(v as usize);
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
