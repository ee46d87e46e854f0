//! The one wasmtime [`Engine`] of the process and the epoch ticker that drives CPU limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::RuntimeError;
use super::limits::RuntimeLimits;

/// How often the epoch advances. CPU budgets are checked, and a running guest yields to
/// tokio, at this granularity: a guest holds a worker for at most one tick at a time, so
/// a request hopping through a few tasks on workers busy with guests waits a few ticks at
/// worst. 5 ms keeps `/healthz` well under 50 ms with every worker running a CPU-bound
/// guest (10 ms measured up to ~30 ms) for 200 wake-ups a second of the ticker thread
/// while calls run (none while no call runs).
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

/// A background thread advancing the engine's epoch every [`EPOCH_TICK`] while a plugin
/// call is running; stops on drop.
///
/// With no call running it sleeps (a host with thousands of idle connections would
/// otherwise wake 200 times a second for nothing): [`EpochTicker::call_started`] wakes
/// it, and it parks again once the last call ended.
#[derive(Debug)]
pub struct EpochTicker {
    shared: Arc<TickerShared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct TickerShared {
    stop: AtomicBool,
    /// Calls running now.
    active: AtomicUsize,
    /// Epoch increments so far.
    ticks: AtomicU64,
}

/// Keeps the epoch ticking while it lives (see [`EpochTicker::call_started`]).
#[derive(Debug)]
pub struct Ticking<'a> {
    ticker: &'a EpochTicker,
}

impl Drop for Ticking<'_> {
    fn drop(&mut self) {
        self.ticker.shared.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long the idle ticker sleeps before looking again on its own (a safety net: a
/// call start always wakes it).
const IDLE_PARK: Duration = Duration::from_secs(1);

impl EpochTicker {
    /// Start ticking `engine`.
    pub fn start(engine: &Engine) -> Result<Self, RuntimeError> {
        let shared = Arc::new(TickerShared::default());
        let seen = shared.clone();
        let engine = engine.clone();
        let thread = std::thread::Builder::new()
            .name("mooring-epoch".into())
            .spawn(move || {
                while !seen.stop.load(Ordering::SeqCst) {
                    if seen.active.load(Ordering::SeqCst) == 0 {
                        // An unpark between the check and here makes this return at once.
                        std::thread::park_timeout(IDLE_PARK);
                        continue;
                    }
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                    seen.ticks.fetch_add(1, Ordering::Relaxed);
                }
            })
            .map_err(|e| RuntimeError::Engine(format!("cannot start the epoch ticker: {e}")))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// A plugin call starts: the epoch ticks until the returned guard is dropped.
    pub fn call_started(&self) -> Ticking<'_> {
        if self.shared.active.fetch_add(1, Ordering::SeqCst) == 0
            && let Some(thread) = &self.thread
        {
            thread.thread().unpark();
        }
        Ticking { ticker: self }
    }

    /// Epoch increments so far.
    pub fn ticks(&self) -> u64 {
        self.shared.ticks.load(Ordering::Relaxed)
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `done` for up to 10 s.
    fn eventually(done: impl Fn() -> bool) -> bool {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < until {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }

    #[test]
    fn the_epoch_ticks_only_while_a_call_runs() {
        let engine = Engine::new(&base_config()).unwrap();
        let ticker = EpochTicker::start(&engine).unwrap();
        std::thread::sleep(EPOCH_TICK * 10);
        assert_eq!(ticker.ticks(), 0, "no call: no tick");
        let call = ticker.call_started();
        assert!(
            eventually(|| ticker.ticks() >= 3),
            "a running call gets ticks"
        );
        let nested = ticker.call_started();
        drop(call);
        let during = ticker.ticks();
        assert!(
            eventually(|| ticker.ticks() > during),
            "still ticking while another call runs"
        );
        drop(nested);
        std::thread::sleep(EPOCH_TICK * 2);
        let after = ticker.ticks();
        std::thread::sleep(EPOCH_TICK * 10);
        assert!(ticker.ticks() <= after + 1, "at most the tick in progress");
        let again = ticker.call_started();
        assert!(
            eventually(|| ticker.ticks() > after + 1),
            "a new call wakes it"
        );
        drop(again);
    }
}
