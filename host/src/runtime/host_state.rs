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
use super::timing::CallTiming;

/// Bytes of a guest's stderr kept (panic messages land here).
const STDERR_CAPTURE_BYTES: usize = 16 << 10;

/// Per-call Store data. Created fresh for every call and dropped after it.
pub struct HostState {
    pub(crate) ctx: CallContext,
    pub(crate) plugin: Arc<PluginInfo>,
    pub(crate) caps: Capabilities,
    pub(crate) limits: Arc<RuntimeLimits>,
    pub(crate) memory: MemoryGuard,
    /// Built on the guest's first WASI call: most calls never make one.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    stderr: Option<MemoryOutputPipe>,
    /// Time spent inside host calls, excluded from the CPU budget.
    pub(crate) host_time: Duration,
    /// When the call started (its Store was created).
    pub(crate) started: Instant,
    /// Requests the host refused during this call.
    pub(crate) denials: Vec<String>,
    pub(crate) log_lines: u32,
    pub(crate) cpu_exhausted: bool,
    /// Yields and rate waits, shared with the call's wall-clock watchdog (see
    /// [`super::timing`]).
    pub(crate) timing: Arc<CallTiming>,
}

impl HostState {
    pub(crate) fn new(
        ctx: CallContext,
        plugin: Arc<PluginInfo>,
        caps: Capabilities,
        limits: Arc<RuntimeLimits>,
    ) -> Self {
        Self {
            ctx,
            plugin,
            caps,
            memory: MemoryGuard::new(limits.memory_bytes),
            limits,
            wasi: None,
            table: ResourceTable::new(),
            stderr: None,
            host_time: Duration::ZERO,
            started: Instant::now(),
            denials: Vec::new(),
            log_lines: 0,
            cpu_exhausted: false,
            timing: Arc::default(),
        }
    }

    /// Run `wait` (a rate-budget or `Retry-After` wait) with the call's wall deadline
    /// moved by however long it takes.
    /// (The returned future holds only the shared ledger, not `self`, so it is `Send`.)
    pub(crate) fn excused<F: std::future::Future>(
        &self,
        wait: F,
    ) -> impl std::future::Future<Output = F::Output> + use<F> {
        let timing = self.timing.clone();
        async move {
            timing.begin_wait();
            let output = wait.await;
            timing.end_wait();
            output
        }
    }

    /// Time the guest has been running so far: wall time since the call started, minus
    /// time in host calls and time suspended at epoch yields (waiting for tokio to poll
    /// the call again). See [`super::timing`] for why this is not a thread CPU clock.
    pub(crate) fn guest_time(&self) -> Duration {
        self.started
            .elapsed()
            .saturating_sub(self.host_time)
            .saturating_sub(self.timing.yielded())
    }

    /// What the guest wrote to stderr, as text.
    pub(crate) fn stderr_text(&self) -> String {
        self.stderr
            .as_ref()
            .map(|pipe| String::from_utf8_lossy(&pipe.contents()).into_owned())
            .unwrap_or_default()
    }
}

/// Deny-all WASI for std guests: no preopens, environment, arguments, stdin or network;
/// stdout is discarded and stderr captured (bounded) for panic messages.
fn deny_all_wasi() -> (WasiCtx, MemoryOutputPipe) {
    let stderr = MemoryOutputPipe::new(STDERR_CAPTURE_BYTES);
    let wasi = WasiCtx::builder()
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    (wasi, stderr)
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        if self.wasi.is_none() {
            let (wasi, stderr) = deny_all_wasi();
            self.wasi = Some(wasi);
            self.stderr = Some(stderr);
        }
        let Self { wasi, table, .. } = self;
        WasiCtxView {
            ctx: wasi.get_or_insert_with(|| deny_all_wasi().0),
            table,
        }
    }
}
