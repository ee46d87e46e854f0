//! Cursor formats: which format a stream's stored cursor was written under, so a plugin
//! version that changes the format makes the stream re-list from its start instead of
//! misreading an old cursor.

use crate::error::StoreError;
use crate::store::Store;
use crate::tables::{CURSOR_FORMATS, CURSORS, Tables as _};

impl Store {
    /// The format the cursor of `stream` was written under, if one was recorded.
    pub fn cursor_format(
        &self,
        connection: &str,
        stream: &str,
    ) -> Result<Option<String>, StoreError> {
        self.read(|r| {
            let table = r.table(CURSOR_FORMATS)?;
            Ok(table
                .get((connection, stream))?
                .map(|g| g.value().to_string()))
        })
    }

    /// Makes the stored cursor of `stream` one written under `format`. When a different
    /// format was recorded, the cursor is cleared and `format` recorded in one write
    /// transaction, and the result is true: the stream re-lists from its start. A
    /// stream with no recorded format adopts `format` and keeps its cursor.
    pub fn align_cursor_format(
        &self,
        connection: &str,
        stream: &str,
        format: &str,
    ) -> Result<bool, StoreError> {
        if self.cursor_format(connection, stream)?.as_deref() == Some(format) {
            return Ok(false);
        }
        self.write(|tx| {
            let mut formats = tx.txn.open_table(CURSOR_FORMATS)?;
            let previous = formats
                .insert((connection, stream), format)?
                .map(|g| g.value().to_string());
            drop(formats);
            match previous {
                Some(previous) if previous != format => {
                    tx.txn.open_table(CURSORS)?.remove((connection, stream))?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
    }
}
