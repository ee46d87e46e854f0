//! The `clock` import: the host's (injectable) wall clock.

use crate::runtime::host_state::HostState;

impl HostState {
    /// `clock.now-millis`: milliseconds since the Unix epoch, by the host's clock.
    pub(crate) fn clock_now_millis(&self) -> u64 {
        self.caps.clock.now_millis()
    }
}
