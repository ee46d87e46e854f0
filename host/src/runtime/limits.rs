//! The limits every plugin call runs under, and the memory guard that enforces them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits applied to each plugin call. Every field has a safe default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeLimits {
    /// Largest linear memory a plugin instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// Time a call's guest may spend running, in ms: time in host calls and time spent
    /// waiting for a worker after yielding at an epoch tick are excluded (see
    /// `runtime::timing`).
    pub cpu_millis: u64,
    /// Wall-clock time a whole call may take, host calls included, in ms. Waits on the
    /// tenant's rate budget and on a provider's `Retry-After` extend it.
    pub wall_millis: u64,
    /// Bytes a guest may pass to the host at once: the arguments of one host call, or
    /// one export's result (wasmtime hostcall fuel). Caps sync pages before they are
    /// copied out of the guest.
    pub hostcall_bytes: usize,
    /// Largest HTTP response body handed to a plugin, in bytes.
    pub response_body_bytes: usize,
    /// Largest HTTP request body a plugin may send, in bytes.
    pub request_body_bytes: usize,
    /// Largest sync page (sum of record ids and data) accepted, in bytes; checked after
    /// the page is copied out, so it only matters when below `hostcall_bytes`.
    pub batch_bytes: usize,
    /// HTTP connect timeout, in ms.
    pub connect_timeout_millis: u64,
    /// HTTP read timeout (between bytes), in ms.
    pub read_timeout_millis: u64,
    /// Log lines a plugin may emit in one call; more are dropped.
    pub log_lines_per_call: u32,
    /// Plugin instances alive at once (sizes the pooling allocator); further calls wait.
    pub max_instances: u32,
    /// Largest component accepted by `POST /api/plugins`, in bytes.
    pub upload_bytes: usize,
}

impl Default for RuntimeLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            cpu_millis: 2_000,
            wall_millis: 120_000,
            hostcall_bytes: 16 << 20,
            response_body_bytes: 16 << 20,
            request_body_bytes: 4 << 20,
            batch_bytes: 32 << 20,
            connect_timeout_millis: 10_000,
            read_timeout_millis: 60_000,
            log_lines_per_call: 200,
            max_instances: 64,
            upload_bytes: 32 << 20,
        }
    }
}

impl RuntimeLimits {
    /// CPU budget as a duration.
    pub fn cpu(&self) -> Duration {
        Duration::from_millis(self.cpu_millis)
    }

    /// Wall-clock budget as a duration.
    pub fn wall(&self) -> Duration {
        Duration::from_millis(self.wall_millis)
    }
}

/// Caps instance memory and remembers whether the cap was hit, so that the trap that
/// follows a failed allocation can be reported as a memory limit, not a bare trap.
#[derive(Debug)]
pub(crate) struct MemoryGuard {
    limit: usize,
    pub(crate) hit: bool,
}

impl MemoryGuard {
    pub(crate) fn new(limit: usize) -> Self {
        Self { limit, hit: false }
    }
}

impl wasmtime::ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }

    fn instances(&self) -> usize {
        32
    }

    fn tables(&self) -> usize {
        32
    }

    fn memories(&self) -> usize {
        4
    }
}
