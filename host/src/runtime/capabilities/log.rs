//! The `log` import: plugin log lines go to tracing, tagged with the plugin, its
//! version and the connection, and capped per call so a plugin cannot flood the log.

use crate::runtime::host_state::HostState;
use crate::runtime::types::Level;

/// Longest log message kept, in bytes; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 4096;

fn truncate(message: &str) -> &str {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

impl HostState {
    /// `log.emit`: one plugin log line, tagged and capped per call.
    pub(crate) fn log_emit(&mut self, level: Level, message: &str) {
        self.log_lines += 1;
        let limit = self.limits.log_lines_per_call;
        if self.log_lines > limit {
            if self.log_lines == limit + 1 {
                tracing::warn!(plugin = %self.plugin.id, version = %self.plugin.version,
                    connection = self.ctx.connection.as_deref().unwrap_or("-"),
                    "plugin exceeded {limit} log lines in one call; dropping the rest");
            }
            return;
        }
        let message = truncate(message);
        let plugin = self.plugin.id.as_str();
        let version = self.plugin.version.as_str();
        let connection = self.ctx.connection.as_deref().unwrap_or("-");
        match level {
            Level::Trace => {
                tracing::trace!(target: "mooring::plugin", plugin, version, connection, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "mooring::plugin", plugin, version, connection, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "mooring::plugin", plugin, version, connection, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "mooring::plugin", plugin, version, connection, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "mooring::plugin", plugin, version, connection, "{message}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_a_char_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = truncate(&long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
