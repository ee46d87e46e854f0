//! The typed operations, one module per entity. Each adds methods to [`crate::Store`]
//! and, where composing them atomically is useful, to [`crate::WriteTx`].

pub(crate) mod connections;
pub(crate) mod cursor_formats;
pub(crate) mod events;
pub(crate) mod flows;
pub(crate) mod grants;
pub(crate) mod integrations;
pub(crate) mod plugin_state;
pub(crate) mod plugins;
pub(crate) mod records;
pub(crate) mod retention;
pub(crate) mod runs;
pub(crate) mod schedule;
pub(crate) mod webhooks;

use crate::error::StoreError;

/// Rejects an empty key: an empty id is always a caller bug.
pub(crate) fn require_id(kind: &str, id: &str) -> Result<(), StoreError> {
    if id.is_empty() {
        return Err(StoreError::InvalidInput(format!("empty {kind} id")));
    }
    Ok(())
}
