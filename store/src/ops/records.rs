//! Synced records, their change index and stream cursors. A page of records and its
//! cursor are committed in one write transaction.

use std::ops::Bound;

use redb::ReadableTable;
use sha2::{Digest as _, Sha256};

use crate::error::StoreError;
use crate::model::{IncomingRecord, PageStats, StoredRecord, StreamStats};
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{
    CURSORS, RECORD_CHANGES, RECORDS, STREAM_STATS, Tables, decode, encode, successor,
};

/// One entry of [`Store::records_after`]: change sequence number, record id, record.
pub type RecordChange = (u64, String, StoredRecord);

/// Lowercase hex SHA-256 of `data` followed by one byte for `deleted`.
pub fn record_hash(data: &str, deleted: bool) -> String {
    let mut hasher = Sha256::new();
    hasher.update(data.as_bytes());
    hasher.update([u8::from(deleted)]);
    hex::encode(hasher.finalize())
}

/// A tombstone without a payload of its own (empty or `null`) keeps the last data seen.
fn is_blank(data: &str) -> bool {
    let data = data.trim();
    data.is_empty() || data == "null"
}

type StatsKey = (&'static str, &'static str);
type StatsValue = (u64, u64, u64);

fn load_stats(
    table: &impl ReadableTable<StatsKey, StatsValue>,
    connection: &str,
    stream: &str,
) -> Result<StreamStats, StoreError> {
    let (last_seq, live, tombstones) = table
        .get((connection, stream))?
        .map(|g| g.value())
        .unwrap_or((0, 0, 0));
    Ok(StreamStats {
        live,
        tombstones,
        last_seq,
    })
}

impl WriteTx<'_> {
    /// Upserts one page of records of `stream` for `connection` and, if given, stores
    /// `next_cursor`, all in this transaction.
    ///
    /// Records are keyed by (connection, stream, id) and compared by content hash: an
    /// identical record keeps its sequence number; a new, changed or deleted one gets the
    /// next sequence number of the stream, replacing its old entry in the change index.
    /// Deletions are kept as tombstones holding the deletion payload or, when that is
    /// empty or `null`, the last data seen. An empty record id rejects the whole page.
    pub fn commit_page(
        &self,
        connection: &str,
        stream: &str,
        records: &[IncomingRecord],
        next_cursor: Option<&str>,
    ) -> Result<PageStats, StoreError> {
        require_id("connection", connection)?;
        require_id("stream", stream)?;
        let mut stats = PageStats::default();
        {
            let mut rows = self.txn.open_table(RECORDS)?;
            let mut changes = self.txn.open_table(RECORD_CHANGES)?;
            let mut stats_table = self.txn.open_table(STREAM_STATS)?;
            let mut counts = load_stats(&stats_table, connection, stream)?;
            for record in records {
                if record.id.is_empty() {
                    return Err(StoreError::InvalidInput(format!(
                        "a record of stream {stream:?} has an empty id"
                    )));
                }
                let key = (connection, stream, record.id.as_str());
                let existing: Option<StoredRecord> = rows
                    .get(key)?
                    .map(|g| decode("records", g.value()))
                    .transpose()?;
                let data = match &existing {
                    Some(old) if record.deleted && is_blank(&record.data) => old.data.clone(),
                    None if record.deleted && is_blank(&record.data) => "null".to_string(),
                    _ => record.data.clone(),
                };
                let hash = record_hash(&data, record.deleted);
                if existing.as_ref().is_some_and(|old| old.hash == hash) {
                    stats.unchanged += 1;
                    continue;
                }
                counts.last_seq = counts
                    .last_seq
                    .checked_add(1)
                    .ok_or_else(|| StoreError::corrupt("stream_stats", "sequence overflow"))?;
                if let Some(old) = &existing {
                    changes.remove((connection, stream, old.seq))?;
                    if old.deleted {
                        counts.tombstones = counts.tombstones.saturating_sub(1);
                    } else {
                        counts.live = counts.live.saturating_sub(1);
                    }
                }
                if record.deleted {
                    counts.tombstones += 1;
                    stats.deleted += 1;
                } else {
                    counts.live += 1;
                    if existing.is_some() {
                        stats.updated += 1;
                    } else {
                        stats.added += 1;
                    }
                }
                let stored = StoredRecord {
                    data,
                    hash,
                    deleted: record.deleted,
                    seq: counts.last_seq,
                };
                rows.insert(key, encode(&stored)?.as_slice())?;
                changes.insert((connection, stream, counts.last_seq), record.id.as_str())?;
            }
            stats_table.insert(
                (connection, stream),
                (counts.last_seq, counts.live, counts.tombstones),
            )?;
        }
        if let Some(cursor) = next_cursor {
            self.set_cursor(connection, stream, cursor)?;
        }
        Ok(stats)
    }

    /// Stores the cursor of `stream` for `connection`.
    pub fn set_cursor(
        &self,
        connection: &str,
        stream: &str,
        cursor: &str,
    ) -> Result<(), StoreError> {
        require_id("connection", connection)?;
        self.txn
            .open_table(CURSORS)?
            .insert((connection, stream), cursor)?;
        Ok(())
    }

    /// The cursor of `stream` for `connection`.
    pub fn cursor(&self, connection: &str, stream: &str) -> Result<Option<String>, StoreError> {
        cursor_in(self.txn, connection, stream)
    }

    /// Removes the cursor of `stream` for `connection` (the next sync starts over).
    pub fn clear_cursor(&self, connection: &str, stream: &str) -> Result<bool, StoreError> {
        Ok(self
            .txn
            .open_table(CURSORS)?
            .remove((connection, stream))?
            .is_some())
    }

    /// Removes every record, change-index entry and cursor of `connection`; returns the
    /// number of records removed. Sequence numbers keep rising afterwards, so readers
    /// paging by sequence never see one reused.
    pub fn purge_records(&self, connection: &str) -> Result<u64, StoreError> {
        let upper = successor(connection);
        let mut removed = 0u64;
        self.txn.open_table(RECORDS)?.retain_in(
            (connection, "", "")..(upper.as_str(), "", ""),
            |_, _| {
                removed += 1;
                false
            },
        )?;
        self.txn.open_table(RECORD_CHANGES)?.retain_in(
            (connection, "", 0u64)..(upper.as_str(), "", 0u64),
            |_, _| false,
        )?;
        self.txn
            .open_table(CURSORS)?
            .retain_in((connection, "")..(upper.as_str(), ""), |_, _| false)?;
        let mut stats = self.txn.open_table(STREAM_STATS)?;
        let mut streams = Vec::new();
        for entry in stats.range((connection, "")..(upper.as_str(), ""))? {
            let (key, value) = entry?;
            streams.push((key.value().1.to_string(), value.value().0));
        }
        for (stream, last_seq) in streams {
            stats.insert((connection, stream.as_str()), (last_seq, 0, 0))?;
        }
        Ok(removed)
    }
}

impl Store {
    /// Commits one page of records and its cursor atomically
    /// (see [`WriteTx::commit_page`]).
    pub fn commit_page(
        &self,
        connection: &str,
        stream: &str,
        records: &[IncomingRecord],
        next_cursor: Option<&str>,
    ) -> Result<PageStats, StoreError> {
        self.write(|tx| tx.commit_page(connection, stream, records, next_cursor))
    }

    /// The stored record (or tombstone) with this id.
    pub fn record(
        &self,
        connection: &str,
        stream: &str,
        id: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        self.read(|r| {
            let rows = r.table(RECORDS)?;
            rows.get((connection, stream, id))?
                .map(|g| decode("records", g.value()))
                .transpose()
        })
    }

    /// Up to `limit` (at least 1) records of a stream changed after sequence number
    /// `after_seq`, in sequence order, tombstones included. The second value is the
    /// `after_seq` for the next page when more remain, else `None`.
    pub fn records_after(
        &self,
        connection: &str,
        stream: &str,
        after_seq: u64,
        limit: usize,
    ) -> Result<(Vec<RecordChange>, Option<u64>), StoreError> {
        let limit = limit.max(1);
        self.read(|r| {
            let changes = r.table(RECORD_CHANGES)?;
            let rows = r.table(RECORDS)?;
            let range = (
                Bound::Excluded((connection, stream, after_seq)),
                Bound::Included((connection, stream, u64::MAX)),
            );
            let mut out = Vec::new();
            let mut more = false;
            for entry in changes.range(range)? {
                if out.len() == limit {
                    more = true;
                    break;
                }
                let (key, id) = entry?;
                let (seq, id) = (key.value().2, id.value().to_string());
                let record: StoredRecord = rows
                    .get((connection, stream, id.as_str()))?
                    .map(|g| decode("records", g.value()))
                    .transpose()?
                    .ok_or_else(|| {
                        StoreError::corrupt(
                            "record_changes",
                            format!("seq {seq} names missing record {id:?}"),
                        )
                    })?;
                out.push((seq, id, record));
            }
            let next = if more {
                out.last().map(|(seq, _, _)| *seq)
            } else {
                None
            };
            Ok((out, next))
        })
    }

    /// Number of live (not deleted) records of a stream.
    pub fn record_count(&self, connection: &str, stream: &str) -> Result<u64, StoreError> {
        Ok(self.stream_stats(connection, stream)?.live)
    }

    /// Live and tombstone counts and the last sequence number of a stream.
    pub fn stream_stats(&self, connection: &str, stream: &str) -> Result<StreamStats, StoreError> {
        self.read(|r| {
            let table = r.table(STREAM_STATS)?;
            load_stats(&table, connection, stream)
        })
    }

    /// Every stream `connection` has stored records for, with its counters.
    pub fn streams(&self, connection: &str) -> Result<Vec<(String, StreamStats)>, StoreError> {
        self.read(|r| {
            let table = r.table(STREAM_STATS)?;
            let upper = successor(connection);
            let mut out = Vec::new();
            for entry in table.range((connection, "")..(upper.as_str(), ""))? {
                let (key, value) = entry?;
                let (last_seq, live, tombstones) = value.value();
                let stats = StreamStats {
                    live,
                    tombstones,
                    last_seq,
                };
                out.push((key.value().1.to_string(), stats));
            }
            Ok(out)
        })
    }

    /// Removes every record and cursor of a connection (see [`WriteTx::purge_records`]).
    pub fn purge_records(&self, connection: &str) -> Result<u64, StoreError> {
        self.write(|tx| tx.purge_records(connection))
    }

    /// The cursor of `stream` for `connection`.
    pub fn cursor(&self, connection: &str, stream: &str) -> Result<Option<String>, StoreError> {
        self.read(|r| cursor_in(r, connection, stream))
    }

    /// Stores the cursor of `stream` for `connection`.
    pub fn set_cursor(
        &self,
        connection: &str,
        stream: &str,
        cursor: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| tx.set_cursor(connection, stream, cursor))
    }

    /// Removes the cursor of `stream` for `connection`; true if there was one.
    pub fn clear_cursor(&self, connection: &str, stream: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.clear_cursor(connection, stream))
    }
}

fn cursor_in(
    r: &impl Tables,
    connection: &str,
    stream: &str,
) -> Result<Option<String>, StoreError> {
    let table = r.table(CURSORS)?;
    Ok(table
        .get((connection, stream))?
        .map(|g| g.value().to_string()))
}
