//! The stream schedule: when each (connection, stream) is next due to sync, so the
//! host's scheduler keeps its timetable across restarts. The host writes a stream's next
//! due time in the transaction that closes its run ([`WriteTx::set_stream_due`]),
//! reads the whole table once at start ([`Store::stream_schedule`]) and removes a
//! connection's rows when it stops syncing ([`Store::remove_stream_schedule`]).

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{STREAM_SCHEDULE, Tables as _, successor};

impl WriteTx<'_> {
    /// Records that `stream` of `connection` is next due at `due_ms`.
    pub fn set_stream_due(
        &self,
        connection: &str,
        stream: &str,
        due_ms: u64,
    ) -> Result<(), StoreError> {
        require_id("connection", connection)?;
        require_id("stream", stream)?;
        self.txn
            .open_table(STREAM_SCHEDULE)?
            .insert((connection, stream), due_ms)?;
        Ok(())
    }

    /// Removes the schedule row of `stream` of `connection` (a stream that no longer
    /// syncs).
    pub fn remove_stream_due(&self, connection: &str, stream: &str) -> Result<(), StoreError> {
        self.txn
            .open_table(STREAM_SCHEDULE)?
            .remove((connection, stream))?;
        Ok(())
    }

    /// Removes every schedule row of `connection`; returns how many there were.
    pub fn remove_stream_schedule(&self, connection: &str) -> Result<usize, StoreError> {
        let mut table = self.txn.open_table(STREAM_SCHEDULE)?;
        let end = successor(connection);
        let keys: Vec<String> = table
            .range((connection, "")..(end.as_str(), ""))?
            .map(|entry| entry.map(|(key, _)| key.value().1.to_owned()))
            .collect::<Result<_, _>>()?;
        for stream in &keys {
            table.remove((connection, stream.as_str()))?;
        }
        Ok(keys.len())
    }
}

impl Store {
    /// Every schedule row as (connection, stream, next due ms), ordered by connection
    /// and stream.
    pub fn stream_schedule(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        self.read(|r| {
            let table = r.table(STREAM_SCHEDULE)?;
            let mut out = Vec::new();
            for entry in table.iter()? {
                let (key, value) = entry?;
                let (connection, stream) = key.value();
                out.push((connection.to_owned(), stream.to_owned(), value.value()));
            }
            Ok(out)
        })
    }

    /// Records several next due times, each (connection, stream, next due ms), in one
    /// write transaction.
    pub fn set_stream_dues(&self, rows: &[(String, String, u64)]) -> Result<(), StoreError> {
        self.write(|tx| {
            for (connection, stream, due_ms) in rows {
                tx.set_stream_due(connection, stream, *due_ms)?;
            }
            Ok(())
        })
    }

    /// Removes every schedule row of `connection`; returns how many there were.
    pub fn remove_stream_schedule(&self, connection: &str) -> Result<usize, StoreError> {
        self.write(|tx| tx.remove_stream_schedule(connection))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_are_kept_replaced_and_removed_per_connection() {
        let test = crate::tests::test_store();
        let store = &test.store;
        let row = |c: &str, s: &str, due_ms| (c.to_owned(), s.to_owned(), due_ms);
        store
            .set_stream_dues(&[row("c1", "a", 10), row("c1", "b", 20), row("c2", "a", 30)])
            .expect("write");
        store
            .write(|tx| tx.set_stream_due("c1", "a", 15))
            .expect("replace");
        assert_eq!(
            store.stream_schedule().expect("read"),
            vec![row("c1", "a", 15), row("c1", "b", 20), row("c2", "a", 30)]
        );
        store
            .write(|tx| tx.remove_stream_due("c1", "b"))
            .expect("remove one");
        store
            .write(|tx| tx.set_stream_due("c1", "c", 25))
            .expect("write");
        assert_eq!(store.remove_stream_schedule("c1").expect("remove"), 2);
        assert_eq!(
            store.stream_schedule().expect("read"),
            vec![row("c2", "a", 30)]
        );
        assert!(store.write(|tx| tx.set_stream_due("", "a", 1)).is_err());
    }
}
