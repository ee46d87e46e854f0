//! The plugin runtime: one wasmtime engine for the process, plugin versions compiled
//! and pre-instantiated once, and a fresh, limited Store for every call.
//!
//! - [`Runtime`] owns the engine, the linker (the capability imports plus a deny-all
//!   WASI for std guests) and the epoch ticker.
//! - [`Runtime::load`] turns component bytes into a [`Plugin`].
//! - [`Runtime::sync`] and friends call one export under [`RuntimeLimits`].
//! - [`PluginRegistry`] keeps the versions per provider and the active pointer.
//! - [`types`] holds the host-neutral types of everything that crosses the plugin
//!   boundary; [`wit`] holds one module per supported WIT world version (its
//!   `bindgen!`, import adapters, export calls and conversions) and the dispatch over
//!   them. Generated bindings never leave [`wit`]; see `wit/README.md` for adding a
//!   version.

pub mod allow;
pub mod cache;
mod call;
pub mod capabilities;
pub mod context;
pub mod egress;
pub mod engine;
pub mod host_state;
pub mod limits;
pub mod manifest;
pub mod overrides;
pub mod plugin;
pub mod registry;
mod timing;
pub mod types;
pub mod wit;

use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::Linker;

pub use call::{CallError, describe};
pub use capabilities::Capabilities;
pub use context::{CallContext, GrantTarget};
pub use engine::AllocatorKind;
pub use host_state::HostState;
pub use limits::RuntimeLimits;
pub use plugin::{Plugin, PluginError, PluginInfo};
pub use registry::PluginRegistry;

/// Why the runtime itself could not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    /// The engine, linker, HTTP client or ticker could not be set up.
    #[error("runtime setup failed: {0}")]
    Engine(String),
}

/// The wasmtime engine, linker and limits shared by every plugin call.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    limits: Arc<RuntimeLimits>,
    caps: Capabilities,
    allocator: AllocatorKind,
    compat_key: String,
    /// One permit per instance slot: calls beyond the pool wait instead of failing.
    slots: Arc<tokio::sync::Semaphore>,
    /// Components compiled by this runtime (cache misses), for tests and benchmarks.
    compilations: std::sync::atomic::AtomicU64,
    ticker: engine::EpochTicker,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("allocator", &self.allocator)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Build the engine (pooling allocator when possible), link the capabilities and
    /// start the epoch ticker.
    pub fn new(limits: RuntimeLimits, caps: Capabilities) -> Result<Self, RuntimeError> {
        let (engine, allocator) = engine::build_engine(&limits)?;
        let mut linker = Linker::new(&engine);
        let link = |e: wasmtime::Error| RuntimeError::Engine(format!("linking failed: {e:#}"));
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link)?;
        wit::add_to_linker(&mut linker).map_err(link)?;
        let ticker = engine::EpochTicker::start(&engine)?;
        let compat_key = engine::compatibility_key(&engine);
        let slots = Arc::new(tokio::sync::Semaphore::new(
            limits.max_instances.max(1) as usize
        ));
        Ok(Self {
            engine,
            linker,
            limits: Arc::new(limits),
            caps,
            allocator,
            compat_key,
            slots,
            compilations: std::sync::atomic::AtomicU64::new(0),
            ticker,
        })
    }

    /// The engine (for precompiling artifacts).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Which instance allocator is in use.
    pub fn allocator(&self) -> AllocatorKind {
        self.allocator
    }

    /// The key under which this engine's compiled artifacts are cached.
    pub fn compatibility_key(&self) -> &str {
        &self.compat_key
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &RuntimeLimits {
        &self.limits
    }

    /// How many components this runtime compiled (loads served from the artifact
    /// cache do not count).
    pub fn compilations(&self) -> u64 {
        self.compilations.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The capability backends.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }
}
