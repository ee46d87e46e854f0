//! The data of one plugin call's Store: its fixed context, the capability backends,
//! the memory guard, the deny-all WASI context for std guests, and call accounting.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::capabilities::Capabilities;
use super::context::CallContext;
use super::limits::{MemoryGuard, RuntimeLimits};
use super::plugin::PluginInfo;

/// Bytes of a guest's stderr kept (panic messages land here).
const STDERR_CAPTURE_BYTES: usize = 16 << 10;

/// Per-call Store data. Created fresh for every call and dropped after it.
pub struct HostState {
    pub(crate) ctx: CallContext,
    pub(crate) plugin: Arc<PluginInfo>,
    pub(crate) caps: Capabilities,
    pub(crate) limits: Arc<RuntimeLimits>,
    pub(crate) memory: MemoryGuard,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) stderr: MemoryOutputPipe,
    /// Time spent inside host calls, excluded from the CPU budget.
    pub(crate) host_time: Duration,
    pub(crate) started: Instant,
    /// Requests the host refused during this call.
    pub(crate) denials: Vec<String>,
    pub(crate) log_lines: u32,
    pub(crate) cpu_exhausted: bool,
}

impl HostState {
    pub(crate) fn new(
        ctx: CallContext,
        plugin: Arc<PluginInfo>,
        caps: Capabilities,
        limits: Arc<RuntimeLimits>,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE_BYTES);
        // Deny-all WASI for std guests: no preopens, environment, arguments, stdin or
        // network; stdout is discarded and stderr captured for panic messages.
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            ctx,
            plugin,
            caps,
            memory: MemoryGuard::new(limits.memory_bytes),
            limits,
            wasi,
            table: ResourceTable::new(),
            stderr,
            host_time: Duration::ZERO,
            started: Instant::now(),
            denials: Vec::new(),
            log_lines: 0,
            cpu_exhausted: false,
        }
    }

    /// CPU time spent in the guest so far: wall time minus time in host calls.
    pub(crate) fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.host_time)
    }

    /// What the guest wrote to stderr, as text.
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl super::bindings::types::Host for HostState {}
