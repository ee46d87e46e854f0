//! Synced records, their change index and stream cursors. A page of records and its
//! cursor are committed in one write transaction.
//!
//! Rows are stored compressed under rising body numbers, with a feed index giving each
//! stream's change order (see [`crate::record_rows`]); what callers see
//! ([`StoredRecord`], its hash, the change feed) is rebuilt from them on read.

use std::ops::Bound;

use redb::ReadableTable;
use sha2::{Digest as _, Sha256};

use crate::error::StoreError;
use crate::model::{IncomingRecord, PageStats, StoredRecord, StreamStats};
use crate::ops::require_id;
use crate::record_rows::{
    Codec, DICT_MAX_SAMPLES, DICT_MIN_SAMPLES, Row, StreamRow, StreamValue, train_dictionary,
    write_row,
};
use crate::store::{Store, WriteTx};
use crate::tables::{
    CURSORS, RECORD_BODIES, RECORD_DICTS, RECORD_FEED, RECORD_KEYS, RECORD_STREAMS, Tables,
    next_counter, successor,
};

/// Counter of stream numbers.
pub(crate) const RECORD_STREAM_COUNTER: &str = "record_stream";
/// Counter of dictionary ids.
pub(crate) const RECORD_DICT_COUNTER: &str = "record_dict";

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
pub(crate) fn is_blank(data: &str) -> bool {
    let data = data.trim();
    data.is_empty() || data == "null"
}

type StreamsTable<'t> = redb::Table<'t, (&'static str, &'static str), StreamValue>;

/// The stream's row, if it has one.
fn load_stream(
    table: &impl ReadableTable<(&'static str, &'static str), StreamValue>,
    connection: &str,
    stream: &str,
) -> Result<Option<StreamRow>, StoreError> {
    Ok(table
        .get((connection, stream))?
        .map(|g| StreamRow::from_value(g.value())))
}

fn stats_of(row: Option<StreamRow>) -> StreamStats {
    let row = row.unwrap_or_default();
    StreamStats {
        live: row.live,
        tombstones: row.tombstones,
        last_seq: row.last_seq,
    }
}

/// Decodes a row read from disk into what callers see.
fn stored_record(
    codec: &mut Codec,
    dicts: &impl ReadableTable<u64, &'static [u8]>,
    seq: u64,
    row: &Row<'_>,
) -> Result<StoredRecord, StoreError> {
    let data = codec.decode(dicts, row)?;
    Ok(StoredRecord {
        hash: record_hash(&data, row.deleted),
        data,
        deleted: row.deleted,
        seq,
    })
}

/// The row stored under body `number`, which the record of `seq` names.
fn body_row<'t>(
    bodies: &'t impl ReadableTable<u64, &'static [u8]>,
    seq: u64,
    number: u64,
) -> Result<redb::AccessGuard<'t, &'static [u8]>, StoreError> {
    bodies.get(number)?.ok_or_else(|| {
        StoreError::corrupt(
            "record_bodies",
            format!("the record of seq {seq} names missing body {number}"),
        )
    })
}

/// The stored state of one record, as far as a commit needs it.
struct Existing {
    seq: u64,
    body: u64,
    deleted: bool,
    data: String,
}

impl WriteTx<'_> {
    /// The row of `stream`, created (with a new number) if the stream is new.
    fn stream_row(
        &self,
        streams: &StreamsTable<'_>,
        connection: &str,
        stream: &str,
    ) -> Result<StreamRow, StoreError> {
        match load_stream(streams, connection, stream)? {
            Some(row) => Ok(row),
            None => Ok(StreamRow {
                no: next_counter(self.txn, RECORD_STREAM_COUNTER)?,
                ..StreamRow::default()
            }),
        }
    }

    /// Trains the stream's dictionary when it has enough records and none yet, from the
    /// incoming page and, if that is too small, the oldest stored records.
    fn maybe_train(
        &self,
        row: &mut StreamRow,
        records: &[IncomingRecord],
        codec: &mut Codec,
    ) -> Result<(), StoreError> {
        if !row.wants_dictionary(records.len()) {
            return Ok(());
        }
        row.trained_at = row
            .stored()
            .saturating_add(u64::try_from(records.len()).unwrap_or(u64::MAX));
        let mut owned: Vec<String> = Vec::new();
        let page: Vec<&[u8]> = records
            .iter()
            .filter(|r| !is_blank(&r.data))
            .take(DICT_MAX_SAMPLES)
            .map(|r| r.data.as_bytes())
            .collect();
        if page.len() < DICT_MIN_SAMPLES {
            let feed = self.txn.open_table(RECORD_FEED)?;
            let bodies = self.txn.open_table(RECORD_BODIES)?;
            let dicts = self.txn.open_table(RECORD_DICTS)?;
            for entry in feed
                .range((row.no, 0)..=(row.no, u64::MAX))?
                .take(DICT_MAX_SAMPLES.saturating_sub(page.len()))
            {
                let (key, body) = entry?;
                let guard = body_row(&bodies, key.value().1, body.value())?;
                owned.push(codec.decode(&dicts, &Row::parse(guard.value())?)?);
            }
        }
        let mut samples = page;
        samples.extend(owned.iter().map(String::as_bytes));
        if let Some(dict) = train_dictionary(&samples) {
            let id = next_counter(self.txn, RECORD_DICT_COUNTER)?;
            self.txn
                .open_table(RECORD_DICTS)?
                .insert(id, dict.as_slice())?;
            row.dict = id;
        }
        Ok(())
    }

    /// Upserts one page of records of `stream` for `connection` and, if given, stores
    /// `next_cursor`, all in this transaction.
    ///
    /// Records are keyed by (connection, stream, id) and compared by content: an
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
        if records.iter().any(|r| r.id.is_empty()) {
            return Err(StoreError::InvalidInput(format!(
                "a record of stream {stream:?} has an empty id"
            )));
        }
        let mut stats = PageStats::default();
        let mut codec = Codec::default();
        {
            let mut streams = self.txn.open_table(RECORD_STREAMS)?;
            let mut counts = self.stream_row(&streams, connection, stream)?;
            self.maybe_train(&mut counts, records, &mut codec)?;
            let mut keys = self.txn.open_table(RECORD_KEYS)?;
            let mut feed = self.txn.open_table(RECORD_FEED)?;
            let mut bodies = self.txn.open_table(RECORD_BODIES)?;
            let dicts = self.txn.open_table(RECORD_DICTS)?;
            let mut next_body = match bodies.last()? {
                Some((key, _)) => key.value(),
                None => 0,
            };
            let (mut body, mut row_bytes) = (Vec::new(), Vec::new());
            for record in records {
                let key = (counts.no, record.id.as_str());
                let existing = match keys.get(key)?.map(|g| g.value()) {
                    None => None,
                    Some((seq, number)) => {
                        let guard = body_row(&bodies, seq, number)?;
                        let row = Row::parse(guard.value())?;
                        Some(Existing {
                            seq,
                            body: number,
                            deleted: row.deleted,
                            data: codec.decode(&dicts, &row)?,
                        })
                    }
                };
                let data = match &existing {
                    Some(old) if record.deleted && is_blank(&record.data) => old.data.as_str(),
                    None if record.deleted && is_blank(&record.data) => "null",
                    _ => record.data.as_str(),
                };
                if existing
                    .as_ref()
                    .is_some_and(|old| old.deleted == record.deleted && old.data == data)
                {
                    stats.unchanged += 1;
                    continue;
                }
                counts.last_seq = counts
                    .last_seq
                    .checked_add(1)
                    .ok_or_else(|| StoreError::corrupt("record_streams", "sequence overflow"))?;
                next_body = next_body
                    .checked_add(1)
                    .ok_or_else(|| StoreError::corrupt("record_bodies", "body number overflow"))?;
                if let Some(old) = &existing {
                    feed.remove((counts.no, old.seq))?;
                    bodies.remove(old.body)?;
                    if old.deleted {
                        counts.tombstones = counts.tombstones.saturating_sub(1);
                    } else {
                        counts.live = counts.live.saturating_sub(1);
                    }
                }
                if record.deleted {
                    counts.tombstones = counts.tombstones.saturating_add(1);
                    stats.deleted += 1;
                } else {
                    counts.live = counts.live.saturating_add(1);
                    if existing.is_some() {
                        stats.updated += 1;
                    } else {
                        stats.added += 1;
                    }
                }
                let encoding = codec.encode(&dicts, counts.dict, data, &mut body)?;
                write_row(&mut row_bytes, record.deleted, &record.id, encoding, &body);
                bodies.insert(next_body, row_bytes.as_slice())?;
                feed.insert((counts.no, counts.last_seq), next_body)?;
                keys.insert(key, (counts.last_seq, next_body))?;
            }
            streams.insert((connection, stream), counts.value())?;
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
        let mut streams = self.txn.open_table(RECORD_STREAMS)?;
        let mut purged = Vec::new();
        for entry in streams.range((connection, "")..(upper.as_str(), ""))? {
            let (key, value) = entry?;
            purged.push((
                key.value().1.to_string(),
                StreamRow::from_value(value.value()),
            ));
        }
        let mut removed = 0u64;
        let mut keys = self.txn.open_table(RECORD_KEYS)?;
        let mut feed = self.txn.open_table(RECORD_FEED)?;
        let mut bodies = self.txn.open_table(RECORD_BODIES)?;
        for (stream, row) in &mut purged {
            let next = row
                .no
                .checked_add(1)
                .ok_or_else(|| StoreError::corrupt("record_streams", "stream number overflow"))?;
            keys.retain_in((row.no, "")..(next, ""), |_, _| {
                removed = removed.saturating_add(1);
                false
            })?;
            let mut numbers = Vec::new();
            feed.retain_in((row.no, 0)..=(row.no, u64::MAX), |_, body| {
                numbers.push(body);
                false
            })?;
            for number in numbers {
                bodies.remove(number)?;
            }
            row.live = 0;
            row.tombstones = 0;
            streams.insert((connection, stream.as_str()), row.value())?;
        }
        self.txn
            .open_table(CURSORS)?
            .retain_in((connection, "")..(upper.as_str(), ""), |_, _| false)?;
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
        self.read_durable(|r| {
            let Some(row) = load_stream(&r.table(RECORD_STREAMS)?, connection, stream)? else {
                return Ok(None);
            };
            let Some((seq, number)) = r.table(RECORD_KEYS)?.get((row.no, id))?.map(|g| g.value())
            else {
                return Ok(None);
            };
            let bodies = r.table(RECORD_BODIES)?;
            let guard = body_row(&bodies, seq, number)?;
            let dicts = r.table(RECORD_DICTS)?;
            let parsed = Row::parse(guard.value())?;
            stored_record(&mut Codec::default(), &dicts, seq, &parsed).map(Some)
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
        self.read_durable(|r| {
            let Some(stream_row) = load_stream(&r.table(RECORD_STREAMS)?, connection, stream)?
            else {
                return Ok((Vec::new(), None));
            };
            let feed = r.table(RECORD_FEED)?;
            let bodies = r.table(RECORD_BODIES)?;
            let dicts = r.table(RECORD_DICTS)?;
            let mut codec = Codec::default();
            let range = (
                Bound::Excluded((stream_row.no, after_seq)),
                Bound::Included((stream_row.no, u64::MAX)),
            );
            let mut out = Vec::new();
            let mut more = false;
            for entry in feed.range(range)? {
                if out.len() == limit {
                    more = true;
                    break;
                }
                let (key, number) = entry?;
                let seq = key.value().1;
                let guard = body_row(&bodies, seq, number.value())?;
                let row = Row::parse(guard.value())?;
                let record = stored_record(&mut codec, &dicts, seq, &row)?;
                out.push((seq, row.id.to_string(), record));
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
        self.read_durable(|r| {
            let table = r.table(RECORD_STREAMS)?;
            Ok(stats_of(load_stream(&table, connection, stream)?))
        })
    }

    /// Every stream `connection` has stored records for, with its counters.
    pub fn streams(&self, connection: &str) -> Result<Vec<(String, StreamStats)>, StoreError> {
        self.read_durable(|r| {
            let table = r.table(RECORD_STREAMS)?;
            let upper = successor(connection);
            let mut out = Vec::new();
            for entry in table.range((connection, "")..(upper.as_str(), ""))? {
                let (key, value) = entry?;
                let stats = stats_of(Some(StreamRow::from_value(value.value())));
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
