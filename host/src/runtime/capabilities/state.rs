//! The `state` import: a small key-value store scoped to one connection.

use std::collections::HashMap;
use std::sync::Mutex;

use super::broker::BoxFuture;
use crate::runtime::host_state::HostState;

/// Longest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value a plugin may store under one key, in bytes.
pub const MAX_VALUE_BYTES: usize = 256 << 10;

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
}

/// A staged state change: `Some` sets the value, `None` deletes the key.
pub type StagedWrite = (String, Option<Vec<u8>>);

/// State writes made while a call works for an OAuth flow. They stay here until the host
/// accepts the flow's grant, then are applied in the same transaction; a refused flow
/// drops them, so a failed reconnect leaves the connection's state untouched.
#[derive(Debug, Default)]
pub struct FlowStaging {
    flows: Mutex<HashMap<String, Vec<StagedWrite>>>,
}

impl FlowStaging {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Vec<StagedWrite>>) -> R) -> R {
        f(&mut self.flows.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn push(&self, flow: &str, key: String, value: Option<Vec<u8>>) {
        self.with(|m| m.entry(flow.to_owned()).or_default().push((key, value)));
    }

    /// The latest staged change of `key` in `flow`, if any.
    fn lookup(&self, flow: &str, key: &str) -> Option<Option<Vec<u8>>> {
        self.with(|m| {
            m.get(flow)?
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })
    }

    /// Remove and return the writes staged for `flow`, oldest first.
    pub fn take(&self, flow: &str) -> Vec<StagedWrite> {
        self.with(|m| m.remove(flow).unwrap_or_default())
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
            && let Some(staged) = self.caps.staging.lookup(&flow, &key)
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
            self.caps.staging.push(&flow, key, Some(value));
            return Ok(());
        }
        let backend = self.caps.state.clone();
        let started = std::time::Instant::now();
        let result = backend.set(&connection, &key, value).await;
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
            self.caps.staging.push(&flow, key, None);
            return Ok(());
        }
        let backend = self.caps.state.clone();
        let started = std::time::Instant::now();
        let result = backend.delete(&connection, &key).await;
        self.host_time += started.elapsed();
        result
    }
}
