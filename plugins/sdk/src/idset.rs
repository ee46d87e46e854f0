//! A set of record ids kept in the connection's state, split over as many keys as
//! its size needs (each value stays under the host's per-key limit). Connectors use
//! it to remember which records they delivered, so that a full re-list can tell which
//! ones vanished.
//!
//! Layout under a prefix `p`: `p.n` holds the number of chunks (JSON number), `p.0`,
//! `p.1`, … hold JSON arrays of ids, sorted. [`chunks`] and [`join`] are pure.

use std::collections::BTreeSet;

use crate::state;
use crate::types::ConnectorError;

/// Bytes of JSON per chunk: well under the host's 256 KiB per value.
pub const CHUNK_BYTES: usize = 192 << 10;

/// Splits `ids` (in order) into JSON arrays of at most [`CHUNK_BYTES`] each.
pub fn chunks(ids: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut size = 2usize;
    for id in ids {
        let cost = id.len() + 3;
        if size + cost > CHUNK_BYTES && !current.is_empty() {
            out.push(serde_json::to_string(&current).unwrap_or_else(|_| "[]".into()));
            current.clear();
            size = 2;
        }
        current.push(id);
        size += cost;
    }
    if !current.is_empty() || out.is_empty() {
        out.push(serde_json::to_string(&current).unwrap_or_else(|_| "[]".into()));
    }
    out
}

/// The set back from its chunks; `None` if a chunk is not a JSON array of strings.
pub fn join<'a, I: IntoIterator<Item = &'a [u8]>>(parts: I) -> Option<BTreeSet<String>> {
    let mut set = BTreeSet::new();
    for part in parts {
        let ids: Vec<String> = serde_json::from_slice(part).ok()?;
        set.extend(ids);
    }
    Some(set)
}

/// The set stored under `prefix` (empty when none or unreadable: a lost set only means
/// a re-list cannot tell what vanished; it never invents a deletion).
pub fn load(prefix: &str) -> BTreeSet<String> {
    let count: u32 = state::get_json(&format!("{prefix}.n"))
        .ok()
        .flatten()
        .unwrap_or(0);
    let parts: Vec<Vec<u8>> = (0..count)
        .filter_map(|i| state::get(&format!("{prefix}.{i}")))
        .collect();
    join(parts.iter().map(Vec::as_slice)).unwrap_or_default()
}

/// Stores `ids` under `prefix`, replacing what was there.
pub fn save(prefix: &str, ids: &BTreeSet<String>) -> Result<(), ConnectorError> {
    let old: u32 = state::get_json(&format!("{prefix}.n"))
        .ok()
        .flatten()
        .unwrap_or(0);
    let parts = chunks(ids);
    for (i, part) in parts.iter().enumerate() {
        state::set(&format!("{prefix}.{i}"), part.as_bytes())
            .map_err(|e| ConnectorError::InvalidData(format!("state `{prefix}`: {e}")))?;
    }
    let n = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    state::set_json(&format!("{prefix}.n"), &n)?;
    for i in n..old {
        state::delete(&format!("{prefix}.{i}"));
    }
    Ok(())
}

/// Removes the set stored under `prefix`.
pub fn clear(prefix: &str) {
    let old: u32 = state::get_json(&format!("{prefix}.n"))
        .ok()
        .flatten()
        .unwrap_or(0);
    for i in 0..old {
        state::delete(&format!("{prefix}.{i}"));
    }
    state::delete(&format!("{prefix}.n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_over_several_chunks() {
        let ids: BTreeSet<String> = (0..60_000).map(|i| format!("{i:08}")).collect();
        let parts = chunks(&ids);
        assert!(parts.len() >= 3, "{}", parts.len());
        assert!(parts.iter().all(|p| p.len() <= CHUNK_BYTES));
        let back = join(parts.iter().map(|p| p.as_bytes())).unwrap();
        assert_eq!(back, ids);
        assert_eq!(chunks(&BTreeSet::new()), vec!["[]".to_string()]);
        assert_eq!(join([b"nope".as_slice()]), None);
    }
}
