//! The plugin's small key-value store, scoped to one connection: every key is
//! (connection, key), so one connection can never read another's state.

use crate::error::StoreError;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{PLUGIN_STATE, Tables as _, successor};

impl WriteTx<'_> {
    /// Stores `value` under `key` for `connection`.
    pub fn state_set(&self, connection: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        require_id("connection", connection)?;
        self.txn
            .open_table(PLUGIN_STATE)?
            .insert((connection, key), value)?;
        Ok(())
    }

    /// Removes `key` of `connection`; true if it existed.
    pub fn state_delete(&self, connection: &str, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .txn
            .open_table(PLUGIN_STATE)?
            .remove((connection, key))?
            .is_some())
    }

    /// Removes every key of `connection`; returns how many.
    pub fn state_clear(&self, connection: &str) -> Result<u64, StoreError> {
        let mut table = self.txn.open_table(PLUGIN_STATE)?;
        let upper = successor(connection);
        let mut removed = 0u64;
        table.retain_in((connection, "")..(upper.as_str(), ""), |_, _| {
            removed += 1;
            false
        })?;
        Ok(removed)
    }
}

impl Store {
    /// The value under `key` for `connection`.
    pub fn state_get(&self, connection: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|r| {
            let table = r.table(PLUGIN_STATE)?;
            Ok(table.get((connection, key))?.map(|g| g.value().to_vec()))
        })
    }

    /// Stores `value` under `key` for `connection`. Size limits are the host's to enforce.
    pub fn state_set(&self, connection: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(|tx| tx.state_set(connection, key, value))
    }

    /// Removes `key` of `connection`; true if it existed.
    pub fn state_delete(&self, connection: &str, key: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.state_delete(connection, key))
    }

    /// Removes every key of `connection`; returns how many.
    pub fn state_clear(&self, connection: &str) -> Result<u64, StoreError> {
        self.write(|tx| tx.state_clear(connection))
    }

    /// How many keys `connection` holds and their size in bytes (keys plus values),
    /// leaving out `except` (the key about to be replaced), so a caller can check a
    /// write against per-connection caps.
    pub fn state_usage(&self, connection: &str, except: &str) -> Result<(u64, u64), StoreError> {
        self.read(|r| {
            let table = r.table(PLUGIN_STATE)?;
            let upper = successor(connection);
            let (mut keys, mut bytes) = (0u64, 0u64);
            for entry in table.range((connection, "")..(upper.as_str(), ""))? {
                let (key, value) = entry?;
                let name = key.value().1;
                if name == except {
                    continue;
                }
                keys += 1;
                bytes = bytes.saturating_add((name.len() + value.value().len()) as u64);
            }
            Ok((keys, bytes))
        })
    }

    /// The keys `connection` has stored, in order.
    pub fn state_keys(&self, connection: &str) -> Result<Vec<String>, StoreError> {
        self.read(|r| {
            let table = r.table(PLUGIN_STATE)?;
            let upper = successor(connection);
            let mut keys = Vec::new();
            for entry in table.range((connection, "")..(upper.as_str(), ""))? {
                let (key, _) = entry?;
                keys.push(key.value().1.to_string());
            }
            Ok(keys)
        })
    }
}
