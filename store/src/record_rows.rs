//! The on-disk form of synced records (schema 3): per-stream counters, one row of bytes
//! per record holding its flags, id and body, and the zstd codec with per-stream
//! dictionaries.
//!
//! A row is stored under a body number in [`RECORD_BODIES`](crate::tables::RECORD_BODIES)
//! (numbers rise with every write, so concurrent streams append at the end of one tree);
//! [`RECORD_FEED`](crate::tables::RECORD_FEED) maps `(stream number, seq)` to it and
//! [`RECORD_KEYS`](crate::tables::RECORD_KEYS) maps `(stream number, id)` to both:
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | flags: bit 0 `deleted`; bits 1-2 the body's encoding (0 raw UTF-8, 1 zstd, 2 zstd with a dictionary); other bits zero |
//! | varint | dictionary id, only for encoding 2 |
//! | varint | length of the record id |
//! | n | the record id, UTF-8 |
//! | rest | the body |
//!
//! A body is stored compressed only when that is smaller than its text. The content hash
//! is not stored: it is a function of the body and the flag, so [`StoredRecord::hash`]
//! is computed when read and equality is decided by comparing the bodies.
//!
//! [`StoredRecord::hash`]: crate::model::StoredRecord::hash

use std::collections::HashMap;

use redb::ReadableTable;
use zstd::bulk::{Compressor, Decompressor};
use zstd::zstd_safe::CParameter;

use crate::error::StoreError;

/// zstd level: level 1 costs no more than the negative levels on records of a few KB and
/// compresses them a third better.
const LEVEL: i32 = 1;
/// Size limit of a trained dictionary.
pub(crate) const DICT_BYTES: usize = 16 * 1024;
/// A stream gets a dictionary once it has this many records.
pub(crate) const DICT_MIN_SAMPLES: usize = 64;
/// At most this many records are sampled to train one. Training is the costly part
/// (on Xero records, about 25 ms for 64 samples and 40 ms for 128, paid once per
/// stream); twice the samples saved only 3% of the size.
pub(crate) const DICT_MAX_SAMPLES: usize = 64;
/// Training reads at most this many bytes of samples (a few very large records would
/// otherwise make it slow).
const DICT_MAX_SAMPLE_BYTES: usize = 2 * 1024 * 1024;
/// A decompressed body larger than this is taken as corruption, not allocated.
const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

const DELETED: u8 = 0b001;
const ENCODING_SHIFT: u8 = 1;
const ENCODING_MASK: u8 = 0b110;
const RAW: u8 = 0;
const ZSTD: u8 = 1;
const ZSTD_DICT: u8 = 2;

/// Table name used in corruption errors about rows.
const ROWS: &str = "record_rows";

/// The value of a stream in [`RECORD_STREAMS`](crate::tables::RECORD_STREAMS): its
/// number, counters and dictionary.
pub(crate) type StreamValue = (u64, u64, u64, u64, u64, u64);

/// One stream of one connection: the number its rows are keyed by, its counters, and
/// its dictionary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StreamRow {
    /// The stream's number (from the `record_stream` counter, never reused).
    pub no: u64,
    /// The last sequence number given out.
    pub last_seq: u64,
    /// Live records.
    pub live: u64,
    /// Tombstones.
    pub tombstones: u64,
    /// The dictionary new bodies are compressed with; 0 for none.
    pub dict: u64,
    /// Record count at the last training attempt; 0 if never tried.
    pub trained_at: u64,
}

impl StreamRow {
    /// From its table value.
    pub(crate) fn from_value(v: StreamValue) -> Self {
        let (no, last_seq, live, tombstones, dict, trained_at) = v;
        StreamRow {
            no,
            last_seq,
            live,
            tombstones,
            dict,
            trained_at,
        }
    }

    /// As its table value.
    pub(crate) fn value(&self) -> StreamValue {
        (
            self.no,
            self.last_seq,
            self.live,
            self.tombstones,
            self.dict,
            self.trained_at,
        )
    }

    /// Records and tombstones stored.
    pub(crate) fn stored(&self) -> u64 {
        self.live.saturating_add(self.tombstones)
    }

    /// Whether a page bringing `incoming` more records should try to train a dictionary.
    pub(crate) fn wants_dictionary(&self, incoming: usize) -> bool {
        let total = self
            .stored()
            .saturating_add(u64::try_from(incoming).unwrap_or(u64::MAX));
        self.dict == 0
            && total >= DICT_MIN_SAMPLES as u64
            && (self.trained_at == 0 || total >= self.trained_at.saturating_mul(4))
    }
}

/// How a body is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8 text as is.
    Raw,
    /// A zstd frame with the dictionary of this id (0: none).
    Zstd(u64),
}

/// A row, parsed without copying.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    /// Whether the record is a tombstone.
    pub deleted: bool,
    /// The record id.
    pub id: &'a str,
    /// How `body` is stored.
    pub encoding: Encoding,
    /// The stored body.
    pub body: &'a [u8],
}

impl<'a> Row<'a> {
    /// Parses a row read from disk.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Row<'a>, StoreError> {
        let (&flags, mut rest) = bytes
            .split_first()
            .ok_or_else(|| StoreError::corrupt(ROWS, "empty row"))?;
        if flags & !(DELETED | ENCODING_MASK) != 0 {
            return Err(StoreError::corrupt(
                ROWS,
                format!("unknown flags {flags:#x}"),
            ));
        }
        let encoding = match (flags & ENCODING_MASK) >> ENCODING_SHIFT {
            RAW => Encoding::Raw,
            ZSTD => Encoding::Zstd(0),
            ZSTD_DICT => {
                let dict = read_varint(&mut rest)?;
                if dict == 0 {
                    return Err(StoreError::corrupt(ROWS, "dictionary id 0"));
                }
                Encoding::Zstd(dict)
            }
            other => {
                return Err(StoreError::corrupt(
                    ROWS,
                    format!("unknown encoding {other}"),
                ));
            }
        };
        let id_len = usize::try_from(read_varint(&mut rest)?)
            .map_err(|_| StoreError::corrupt(ROWS, "id length overflows"))?;
        if id_len > rest.len() {
            return Err(StoreError::corrupt(ROWS, "id runs past the row"));
        }
        let (id, body) = rest.split_at(id_len);
        let id = std::str::from_utf8(id).map_err(|e| StoreError::corrupt(ROWS, e))?;
        Ok(Row {
            deleted: flags & DELETED != 0,
            id,
            encoding,
            body,
        })
    }
}

/// Appends a row to `out` (cleared first).
pub(crate) fn write_row(
    out: &mut Vec<u8>,
    deleted: bool,
    id: &str,
    encoding: Encoding,
    body: &[u8],
) {
    out.clear();
    let code = match encoding {
        Encoding::Raw => RAW,
        Encoding::Zstd(0) => ZSTD,
        Encoding::Zstd(_) => ZSTD_DICT,
    };
    out.push(u8::from(deleted) | (code << ENCODING_SHIFT));
    if let Encoding::Zstd(dict @ 1..) = encoding {
        write_varint(out, dict);
    }
    write_varint(out, id.len() as u64);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(body);
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &mut &[u8]) -> Result<u64, StoreError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes
            .split_first()
            .ok_or_else(|| StoreError::corrupt(ROWS, "truncated varint"))?;
        *bytes = rest;
        let part = u64::from(byte & 0x7f);
        if shift == 63 && part > 1 {
            return Err(StoreError::corrupt(ROWS, "varint overflows"));
        }
        value |= part << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(StoreError::corrupt(ROWS, "varint too long"))
}

fn zstd_error(context: &'static str) -> impl Fn(std::io::Error) -> StoreError {
    move |e| StoreError::Compression(format!("{context}: {e}"))
}

/// zstd contexts for one call, one per dictionary, created on first use (a context with a
/// dictionary costs tens of µs to set up, so it is kept for the whole page).
#[derive(Default)]
pub(crate) struct Codec {
    compressors: HashMap<u64, Compressor<'static>>,
    decompressors: HashMap<u64, Decompressor<'static>>,
}

/// Reads dictionary `id` from the dictionaries table.
fn dictionary(
    dicts: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Vec<u8>, StoreError> {
    dicts
        .get(id)?
        .map(|g| g.value().to_vec())
        .ok_or_else(|| StoreError::corrupt("record_dicts", format!("dictionary {id} is missing")))
}

impl Codec {
    /// Encodes `data` with dictionary `dict` (0: none) into `out`; returns how it is
    /// stored: compressed only when that is smaller.
    pub(crate) fn encode(
        &mut self,
        dicts: &impl ReadableTable<u64, &'static [u8]>,
        dict: u64,
        data: &str,
        out: &mut Vec<u8>,
    ) -> Result<Encoding, StoreError> {
        out.clear();
        // Below this, a zstd frame (magic, header, block header) cannot win.
        if data.len() < 16 {
            out.extend_from_slice(data.as_bytes());
            return Ok(Encoding::Raw);
        }
        let compressor = match self.compressors.entry(dict) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut c = if dict == 0 {
                    Compressor::new(LEVEL)
                } else {
                    Compressor::with_dictionary(LEVEL, &dictionary(dicts, dict)?)
                }
                .map_err(zstd_error("creating a compressor"))?;
                // The row records the dictionary; the frame keeps its content size so a
                // reader allocates exactly once.
                c.set_parameter(CParameter::DictIdFlag(false))
                    .map_err(zstd_error("configuring a compressor"))?;
                c.set_parameter(CParameter::ChecksumFlag(false))
                    .map_err(zstd_error("configuring a compressor"))?;
                e.insert(c)
            }
        };
        // Straight into `out` (its capacity is kept across the page's records).
        out.reserve(zstd::zstd_safe::compress_bound(data.len()));
        let compressed = compressor
            .compress_to_buffer(data.as_bytes(), out)
            .map_err(zstd_error("compressing a record"))?;
        if compressed < data.len() {
            Ok(Encoding::Zstd(dict))
        } else {
            out.clear();
            out.extend_from_slice(data.as_bytes());
            Ok(Encoding::Raw)
        }
    }

    /// The text of a row's body.
    pub(crate) fn decode(
        &mut self,
        dicts: &impl ReadableTable<u64, &'static [u8]>,
        row: &Row<'_>,
    ) -> Result<String, StoreError> {
        let bytes = match row.encoding {
            Encoding::Raw => row.body.to_vec(),
            Encoding::Zstd(dict) => {
                let size = zstd::zstd_safe::get_frame_content_size(row.body)
                    .ok()
                    .flatten()
                    .filter(|&n| n <= MAX_BODY_BYTES)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| StoreError::corrupt(ROWS, "zstd frame without a usable size"))?;
                let decompressor = match self.decompressors.entry(dict) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let d = if dict == 0 {
                            Decompressor::new()
                        } else {
                            Decompressor::with_dictionary(&dictionary(dicts, dict)?)
                        }
                        .map_err(zstd_error("creating a decompressor"))?;
                        e.insert(d)
                    }
                };
                let bytes = decompressor
                    .decompress(row.body, size)
                    .map_err(|e| StoreError::corrupt(ROWS, format!("zstd: {e}")))?;
                if bytes.len() != size {
                    return Err(StoreError::corrupt(
                        ROWS,
                        "body shorter than its frame says",
                    ));
                }
                bytes
            }
        };
        String::from_utf8(bytes).map_err(|e| StoreError::corrupt(ROWS, e))
    }
}

/// Trains a dictionary on `samples` (as many as fit in [`DICT_MAX_SAMPLE_BYTES`]);
/// `None` when there are too few or zstd finds too little to learn from.
pub(crate) fn train_dictionary(samples: &[&[u8]]) -> Option<Vec<u8>> {
    let mut total = 0usize;
    let fitting = samples
        .iter()
        .take_while(|s| {
            total = total.saturating_add(s.len());
            total <= DICT_MAX_SAMPLE_BYTES
        })
        .count();
    let samples = &samples[..fitting];
    if samples.len() < DICT_MIN_SAMPLES {
        return None;
    }
    match zstd::dict::from_samples(samples, DICT_BYTES) {
        Ok(dict) if !dict.is_empty() => Some(dict),
        Ok(_) => None,
        Err(error) => {
            tracing::debug!(%error, samples = samples.len(), "no record dictionary trained");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_garbage() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            let mut slice = out.as_slice();
            assert_eq!(read_varint(&mut slice).unwrap(), value);
            assert!(slice.is_empty());
        }
        assert!(read_varint(&mut [0x80u8].as_slice()).is_err());
        assert!(read_varint(&mut [0xffu8; 11].as_slice()).is_err());
    }

    #[test]
    fn rows_round_trip_and_damaged_rows_are_typed_errors() {
        let mut out = Vec::new();
        write_row(&mut out, true, "id-1", Encoding::Zstd(7), b"body");
        let row = Row::parse(&out).unwrap();
        assert!(row.deleted);
        assert_eq!(
            (row.id, row.encoding, row.body),
            ("id-1", Encoding::Zstd(7), &b"body"[..])
        );
        for bad in [
            &b""[..],
            &[0x08],
            &[0x06],
            &[0x00, 0x05, b'a'],
            &[0x00, 0x01, 0xff],
        ] {
            assert!(
                matches!(Row::parse(bad), Err(StoreError::Corrupt { .. })),
                "{bad:?}"
            );
        }
    }
}
