//! The `log` import: plugin log lines go to tracing, tagged with the plugin, its
//! version and the connection, and capped so a plugin cannot flood the log: per call
//! ([`RuntimeLimits::log_lines_per_call`](crate::runtime::RuntimeLimits)) and per
//! connection across calls ([`LogBudgets`]), because a sync run is one call per page
//! and a run may have thousands of pages.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::runtime::host_state::HostState;
use crate::runtime::types::Level;

/// Longest log message kept, in bytes; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// Log lines one connection's calls may emit together within [`LOG_WINDOW_MS`]. The
/// runtime does not know runs, so this is the per-run cap for any run shorter than the
/// window, and a run longer than it gets this many lines per window.
pub const LOG_LINES_PER_WINDOW: u32 = 2_000;
/// The window of [`LOG_LINES_PER_WINDOW`], in ms.
pub const LOG_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Connections tracked before windows that have ended are forgotten.
const TRACKED_CONNECTIONS: usize = 10_000;

/// Whether a log line may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogVerdict {
    /// Write it.
    Write,
    /// Drop it, and say once that lines are being dropped.
    DropFirst,
    /// Drop it silently.
    Drop,
}

/// Log lines per connection in fixed windows, shared by all calls of a runtime.
#[derive(Debug, Default)]
pub struct LogBudgets {
    /// Connection → (window start ms, lines in it).
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl LogBudgets {
    /// Count one line of `connection` at `now` (ms) against the budget.
    pub fn admit(&self, connection: &str, now: u64) -> LogVerdict {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= TRACKED_CONNECTIONS && !windows.contains_key(connection) {
            windows.retain(|_, (start, _)| now.saturating_sub(*start) < LOG_WINDOW_MS);
        }
        let (start, lines) = windows.entry(connection.to_owned()).or_insert((now, 0));
        if now.saturating_sub(*start) >= LOG_WINDOW_MS {
            *start = now;
            *lines = 0;
        }
        *lines = lines.saturating_add(1);
        match (*lines).cmp(&(LOG_LINES_PER_WINDOW + 1)) {
            std::cmp::Ordering::Less => LogVerdict::Write,
            std::cmp::Ordering::Equal => LogVerdict::DropFirst,
            std::cmp::Ordering::Greater => LogVerdict::Drop,
        }
    }
}

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
        let connection = self.ctx.connection.as_deref().unwrap_or("-");
        match self
            .caps
            .logs
            .admit(connection, self.caps.clock.now_millis())
        {
            LogVerdict::Write => {}
            LogVerdict::DropFirst => {
                tracing::warn!(plugin = %self.plugin.id, version = %self.plugin.version, connection,
                    "plugin exceeded {LOG_LINES_PER_WINDOW} log lines for this connection within {} minutes; dropping the rest of the window",
                    LOG_WINDOW_MS / 60_000);
                return;
            }
            LogVerdict::Drop => return,
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
    fn lines_are_capped_per_connection_across_calls_and_windows_reset() {
        let budgets = LogBudgets::default();
        let mut verdicts = Vec::new();
        // A run of 100 pages (calls), 50 lines each: 5,000 lines within one window.
        for _page in 0..100 {
            for _ in 0..50 {
                verdicts.push(budgets.admit("c1", 1_000));
            }
        }
        let written = verdicts.iter().filter(|v| **v == LogVerdict::Write).count();
        assert_eq!(written, LOG_LINES_PER_WINDOW as usize);
        assert_eq!(
            verdicts
                .iter()
                .filter(|v| **v == LogVerdict::DropFirst)
                .count(),
            1,
            "one warning, not one per line"
        );
        assert_eq!(
            budgets.admit("c2", 1_000),
            LogVerdict::Write,
            "per connection"
        );
        assert_eq!(
            budgets.admit("c1", 1_000 + LOG_WINDOW_MS),
            LogVerdict::Write
        );
    }

    #[test]
    fn truncates_on_a_char_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = truncate(&long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
