//! The `state` import: a small key-value store scoped to one connection.

use std::collections::HashMap;
use std::sync::Mutex;

use super::broker::BoxFuture;
use crate::runtime::host_state::HostState;

/// Longest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value a plugin may store under one key, in bytes.
pub const MAX_VALUE_BYTES: usize = 256 << 10;
/// Most keys one connection may hold (and most changes one OAuth flow may stage).
pub const MAX_KEYS_PER_CONNECTION: u64 = 1024;
/// Most bytes (keys plus values) one connection may hold (and one flow may stage).
pub const MAX_BYTES_PER_CONNECTION: u64 = 4 << 20;

/// Keys held and their size in bytes (keys plus values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateUsage {
    /// Number of keys.
    pub keys: u64,
    /// Bytes of keys and values.
    pub bytes: u64,
}

/// Whether storing `value` under `key` on top of `usage` (which leaves `key` out)
/// stays within the per-connection caps; the error text goes to the plugin.
pub fn admit(usage: StateUsage, key: &str, value: &[u8]) -> Result<(), String> {
    let keys = usage.keys.saturating_add(1);
    let bytes = usage
        .bytes
        .saturating_add(key.len() as u64)
        .saturating_add(value.len() as u64);
    if keys > MAX_KEYS_PER_CONNECTION {
        return Err(format!(
            "plugin state is full: this connection already holds {} keys; the limit is \
             {MAX_KEYS_PER_CONNECTION} (delete keys it no longer needs)",
            usage.keys
        ));
    }
    if bytes > MAX_BYTES_PER_CONNECTION {
        return Err(format!(
            "plugin state is full: this write would make the connection's state {bytes} \
             bytes; the limit is {MAX_BYTES_PER_CONNECTION}"
        ));
    }
    Ok(())
}

/// Why a state operation failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    /// Key or value over the limits.
    #[error("{0}")]
    TooLarge(String),
    /// The backend failed.
    #[error("state storage failed: {0}")]
    Backend(String),
}

/// Where plugin state lives. Keys are always qualified by the connection, so one
/// connection can never read another's state.
pub trait StateBackend: Send + Sync + 'static {
    /// The value under (`connection`, `key`).
    fn get<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StateError>>;
    /// Store `value` under (`connection`, `key`).
    fn set<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
        value: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StateError>>;
    /// Remove (`connection`, `key`).
    fn delete<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>>;
    /// What `connection` holds, leaving out `except` (the key about to be replaced).
    /// The default reports nothing held, so a backend that cannot count is not capped
    /// beyond the per-key limits.
    fn usage<'a>(
        &'a self,
        connection: &'a str,
        except: &'a str,
    ) -> BoxFuture<'a, Result<StateUsage, StateError>> {
        let _ = (connection, except);
        Box::pin(async { Ok(StateUsage::default()) })
    }
}

/// In-memory state, for tests and tools.
#[derive(Debug, Default)]
pub struct MemoryState {
    entries: Mutex<HashMap<(String, String), Vec<u8>>>,
}

impl MemoryState {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut HashMap<(String, String), Vec<u8>>) -> R,
    ) -> Result<R, StateError> {
        let mut guard = self
            .entries
            .lock()
            .map_err(|_| StateError::Backend("state lock poisoned".into()))?;
        Ok(f(&mut guard))
    }
}

impl StateBackend for MemoryState {
    fn get<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StateError>> {
        Box::pin(
            async move { self.with(|m| m.get(&(connection.to_owned(), key.to_owned())).cloned()) },
        )
    }

    fn set<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
        value: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.with(|m| {
                m.insert((connection.to_owned(), key.to_owned()), value);
            })
        })
    }

    fn delete<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.with(|m| {
                m.remove(&(connection.to_owned(), key.to_owned()));
            })
        })
    }

    fn usage<'a>(
        &'a self,
        connection: &'a str,
        except: &'a str,
    ) -> BoxFuture<'a, Result<StateUsage, StateError>> {
        Box::pin(async move {
            self.with(|m| {
                m.iter()
                    .filter(|((c, k), _)| c == connection && k != except)
                    .fold(StateUsage::default(), |u, ((_, k), v)| StateUsage {
                        keys: u.keys + 1,
                        bytes: u.bytes + (k.len() + v.len()) as u64,
                    })
            })
        })
    }
}

impl HostState {
    /// The OAuth flow this call works for, if any (its state writes are staged).
    fn staging_flow(&self) -> Option<String> {
        match &self.ctx.grant {
            crate::runtime::GrantTarget::Flow(flow) => Some(flow.clone()),
            _ => None,
        }
    }
}

impl HostState {
    /// `state.get`: the value under `key` for this call's connection. A backend failure
    /// is an error the adapter turns into a trap.
    pub(crate) async fn state_get(&mut self, key: String) -> Result<Option<Vec<u8>>, StateError> {
        let Some(connection) = self.ctx.connection.clone() else {
            return Ok(None);
        };
        if let Some(flow) = self.staging_flow()
            && let Some(staged) = self.caps.flows.staged_write(&flow, &key)
        {
            return Ok(staged);
        }
        let backend = self.caps.state.clone();
        let started = std::time::Instant::now();
        let result = backend.get(&connection, &key).await;
        self.host_time += started.elapsed();
        result
    }

    /// `state.set`: store `value` under `key`; the error text goes to the plugin.
    pub(crate) async fn state_set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.len() > MAX_KEY_BYTES {
            return Err(format!(
                "state key is {} bytes; the limit is {MAX_KEY_BYTES}",
                key.len()
            ));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "state value is {} bytes; the limit is {MAX_VALUE_BYTES}",
                value.len()
            ));
        }
        let Some(connection) = self.ctx.connection.clone() else {
            return Err("this call works for no connection, so it has no state".into());
        };
        if let Some(flow) = self.staging_flow() {
            return self.caps.flows.push_write(&flow, key, Some(value));
        }
        let backend = self.caps.state.clone();
        let started = std::time::Instant::now();
        let result = match backend.usage(&connection, &key).await {
            Ok(usage) => match admit(usage, &key, &value) {
                Ok(()) => backend.set(&connection, &key, value).await,
                Err(full) => {
                    self.host_time += started.elapsed();
                    return Err(full);
                }
            },
            Err(error) => Err(error),
        };
        self.host_time += started.elapsed();
        result.map_err(|e| e.to_string())
    }

    /// `state.delete`: remove `key`. A backend failure is an error the adapter turns
    /// into a trap.
    pub(crate) async fn state_delete(&mut self, key: String) -> Result<(), StateError> {
        let Some(connection) = self.ctx.connection.clone() else {
            return Ok(());
        };
        if let Some(flow) = self.staging_flow() {
            return self
                .caps
                .flows
                .push_write(&flow, key, None)
                .map_err(StateError::TooLarge);
        }
        let backend = self.caps.state.clone();
        let started = std::time::Instant::now();
        let result = backend.delete(&connection, &key).await;
        self.host_time += started.elapsed();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connection_state_is_capped_in_keys_and_bytes() {
        let state = MemoryState::default();
        for i in 0..MAX_KEYS_PER_CONNECTION {
            let key = format!("k{i}");
            let usage = state.usage("c1", &key).await.expect("usage");
            admit(usage, &key, b"v").expect("under the cap");
            state.set("c1", &key, b"v".to_vec()).await.expect("set");
        }
        let usage = state.usage("c1", "one-more").await.expect("usage");
        let full = admit(usage, "one-more", b"v").expect_err("over the key cap");
        assert!(
            full.contains("plugin state is full") && full.contains("1024"),
            "{full}"
        );
        // Replacing an existing key does not count it twice.
        let usage = state.usage("c1", "k0").await.expect("usage");
        admit(usage, "k0", b"w").expect("replace");
        // Another connection has its own allowance.
        let other = state.usage("c2", "k").await.expect("usage");
        admit(other, "k", b"v").expect("other connection");
        let big = vec![0u8; MAX_VALUE_BYTES];
        let mut usage = StateUsage::default();
        let mut refused = None;
        for i in 0..20 {
            match admit(usage, &format!("b{i}"), &big) {
                Ok(()) => {
                    usage.keys += 1;
                    usage.bytes += (format!("b{i}").len() + big.len()) as u64;
                }
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        let full = refused.expect("over the byte cap");
        assert!(
            full.contains(&MAX_BYTES_PER_CONNECTION.to_string()),
            "{full}"
        );
    }
}
