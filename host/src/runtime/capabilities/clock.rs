//! The `clock` import: the host's (injectable) wall clock.

use crate::runtime::bindings::mooring::connector::clock::Host;
use crate::runtime::host_state::HostState;

impl Host for HostState {
    async fn now_millis(&mut self) -> wasmtime::Result<u64> {
        Ok(self.caps.clock.now_millis())
    }
}
