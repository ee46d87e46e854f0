//! Schema migrations, run by [`Store::open`](crate::Store::open) inside the transaction
//! that checks the key, so a file is either fully migrated or untouched.
//!
//! - **1 → 2**: records move from JSON values holding the body as a JSON string and a hex
//!   hash (`records`, `record_changes`, `stream_stats`) to compressed binary rows in
//!   change order per numbered stream (`record_streams`, `record_rows`, `record_ids`,
//!   `record_dicts`; see [`crate::record_rows`]). Each stream with enough records gets a
//!   dictionary trained on its first ones. The old tables are dropped; the caller then
//!   compacts the file so the space comes back.
//! - **2 → 3**: rows move under rising body numbers (`record_bodies`), with the change
//!   order per stream in `record_feed` and ids in `record_keys` (see
//!   [`crate::migrate_v3`]).

use std::collections::BTreeMap;

use redb::{ReadableTable as _, ReadableTableMetadata as _, WriteTransaction};
use serde::Deserialize;

use crate::error::StoreError;
use crate::ops::records::{RECORD_DICT_COUNTER, RECORD_STREAM_COUNTER};
use crate::record_rows::{Codec, DICT_MAX_SAMPLES, StreamRow, train_dictionary, write_row};
use crate::tables::{
    RECORD_DICTS, RECORD_STREAMS, V1_RECORD_CHANGES, V1_RECORDS, V1_STREAM_STATS, V2_RECORD_IDS,
    V2_RECORD_ROWS, decode, next_counter,
};

/// Upgrades the tables of a file at schema version `from` to the current one, in `txn`.
/// The caller records the new version in the same transaction.
pub(crate) fn upgrade(txn: &WriteTransaction, from: u32) -> Result<(), StoreError> {
    if from <= 1 {
        v1_to_v2(txn)?;
    }
    if from <= 2 {
        crate::migrate_v3::v2_to_v3(txn)?;
    }
    Ok(())
}

/// A schema-1 record value (its `hash` is derived from these and not needed).
#[derive(Deserialize)]
struct V1Record {
    data: String,
    deleted: bool,
    seq: u64,
}

/// A record on its way to its schema-2 row.
struct Pending {
    id: String,
    record: V1Record,
}

/// One stream being moved: its row and the records buffered until it can train.
struct StreamMove {
    row: StreamRow,
    buffered: Vec<Pending>,
    trained: bool,
    max_seq: u64,
    live: u64,
    tombstones: u64,
}

fn v1_to_v2(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut stats: BTreeMap<(String, String), (u64, u64, u64)> = BTreeMap::new();
    for entry in txn.open_table(V1_STREAM_STATS)?.iter()? {
        let (key, value) = entry?;
        let (connection, stream) = key.value();
        stats.insert((connection.to_string(), stream.to_string()), value.value());
    }
    let mut writer = Writer {
        txn,
        codec: Codec::default(),
        body: Vec::new(),
        row: Vec::new(),
    };
    let mut streams: BTreeMap<(String, String), StreamRow> = BTreeMap::new();
    let mut current: Option<((String, String), StreamMove)> = None;
    let mut moved = 0u64;
    {
        // In change order, so each stream's rows are appended (packed pages).
        let changes = txn.open_table(V1_RECORD_CHANGES)?;
        let old = txn.open_table(V1_RECORDS)?;
        for entry in changes.iter()? {
            let (key, id) = entry?;
            let (connection, stream, seq) = key.value();
            let id = id.value();
            let record: V1Record = old
                .get((connection, stream, id))?
                .map(|g| decode("records", g.value()))
                .transpose()?
                .filter(|r: &V1Record| r.seq == seq)
                .ok_or_else(|| {
                    StoreError::corrupt(
                        "record_changes",
                        format!("seq {seq} of {connection}/{stream} names no record {id:?}"),
                    )
                })?;
            let same = current
                .as_ref()
                .is_some_and(|((c, s), _)| c == connection && s == stream);
            if !same {
                if let Some((name, moving)) = current.take() {
                    let row = writer.finish(moving, stats.get(&name).copied())?;
                    streams.insert(name, row);
                }
                let moving = StreamMove {
                    row: StreamRow {
                        no: next_counter(txn, RECORD_STREAM_COUNTER)?,
                        ..StreamRow::default()
                    },
                    buffered: Vec::new(),
                    trained: false,
                    max_seq: 0,
                    live: 0,
                    tombstones: 0,
                };
                current = Some(((connection.to_string(), stream.to_string()), moving));
            }
            let Some((_, moving)) = current.as_mut() else {
                continue;
            };
            let pending = Pending {
                id: id.to_string(),
                record,
            };
            writer.push(moving, pending)?;
            moved = moved.saturating_add(1);
        }
        let total = old.len()?;
        if total != moved {
            return Err(StoreError::corrupt(
                "records",
                format!("{total} records but {moved} in the change index"),
            ));
        }
    }
    if let Some((name, moving)) = current.take() {
        let row = writer.finish(moving, stats.get(&name).copied())?;
        streams.insert(name, row);
    }
    // Streams whose records were all purged keep their counters (and so their seq).
    for (name, (last_seq, live, tombstones)) in stats {
        if let std::collections::btree_map::Entry::Vacant(slot) = streams.entry(name) {
            slot.insert(StreamRow {
                no: next_counter(txn, RECORD_STREAM_COUNTER)?,
                last_seq,
                live,
                tombstones,
                ..StreamRow::default()
            });
        }
    }
    {
        let mut table = txn.open_table(RECORD_STREAMS)?;
        for ((connection, stream), row) in &streams {
            table.insert((connection.as_str(), stream.as_str()), row.value())?;
        }
    }
    txn.delete_table(V1_RECORDS)?;
    txn.delete_table(V1_RECORD_CHANGES)?;
    txn.delete_table(V1_STREAM_STATS)?;
    tracing::info!(
        streams = streams.len(),
        records = moved,
        "migrated records to schema 2 (compressed rows)"
    );
    Ok(())
}

/// Writes schema-2 rows, reusing its buffers and zstd contexts.
struct Writer<'t> {
    txn: &'t WriteTransaction,
    codec: Codec,
    body: Vec<u8>,
    row: Vec<u8>,
}

impl Writer<'_> {
    /// Takes one record of the stream: buffered until the stream has enough to train a
    /// dictionary on, written directly after that.
    fn push(&mut self, moving: &mut StreamMove, pending: Pending) -> Result<(), StoreError> {
        moving.max_seq = moving.max_seq.max(pending.record.seq);
        if pending.record.deleted {
            moving.tombstones = moving.tombstones.saturating_add(1);
        } else {
            moving.live = moving.live.saturating_add(1);
        }
        if moving.trained {
            return self.write(&moving.row, &pending);
        }
        moving.buffered.push(pending);
        if moving.buffered.len() >= DICT_MAX_SAMPLES {
            self.flush(moving)?;
        }
        Ok(())
    }

    /// Trains the stream's dictionary on the buffered records (when there are enough)
    /// and writes them.
    fn flush(&mut self, moving: &mut StreamMove) -> Result<(), StoreError> {
        moving.trained = true;
        let samples: Vec<&[u8]> = moving
            .buffered
            .iter()
            .filter(|p| !crate::ops::records::is_blank(&p.record.data))
            .map(|p| p.record.data.as_bytes())
            .collect();
        let count = u64::try_from(moving.buffered.len()).unwrap_or(u64::MAX);
        if let Some(dict) = train_dictionary(&samples) {
            let id = next_counter(self.txn, RECORD_DICT_COUNTER)?;
            self.txn
                .open_table(RECORD_DICTS)?
                .insert(id, dict.as_slice())?;
            moving.row.dict = id;
            moving.row.trained_at = count;
        } else if samples.len() >= crate::record_rows::DICT_MIN_SAMPLES {
            moving.row.trained_at = count;
        }
        for pending in std::mem::take(&mut moving.buffered) {
            self.write(&moving.row, &pending)?;
        }
        Ok(())
    }

    fn write(&mut self, row: &StreamRow, pending: &Pending) -> Result<(), StoreError> {
        let dicts = self.txn.open_table(RECORD_DICTS)?;
        let record = &pending.record;
        let encoding = self
            .codec
            .encode(&dicts, row.dict, &record.data, &mut self.body)?;
        write_row(
            &mut self.row,
            record.deleted,
            &pending.id,
            encoding,
            &self.body,
        );
        let mut rows = self.txn.open_table(V2_RECORD_ROWS)?;
        if rows
            .insert((row.no, record.seq), self.row.as_slice())?
            .is_some()
        {
            return Err(StoreError::corrupt(
                "records",
                format!("two records of one stream share seq {}", record.seq),
            ));
        }
        self.txn
            .open_table(V2_RECORD_IDS)?
            .insert((row.no, pending.id.as_str()), record.seq)?;
        Ok(())
    }

    /// Writes what is still buffered and returns the stream's final row: the schema-1
    /// counters when there were some, else counts from the records themselves.
    fn finish(
        &mut self,
        mut moving: StreamMove,
        stats: Option<(u64, u64, u64)>,
    ) -> Result<StreamRow, StoreError> {
        if !moving.trained {
            self.flush(&mut moving)?;
        }
        let mut row = moving.row;
        match stats {
            Some((last_seq, live, tombstones)) => {
                row.last_seq = last_seq.max(moving.max_seq);
                row.live = live;
                row.tombstones = tombstones;
            }
            None => {
                row.last_seq = moving.max_seq;
                row.live = moving.live;
                row.tombstones = moving.tombstones;
            }
        }
        Ok(row)
    }
}
