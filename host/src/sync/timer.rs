//! The scheduler's timetable: when each (connection, stream) is next due, ordered by
//! due time, so finding what is due costs a look at the first entry, not a scan of
//! every connection. Entries come from run completions (a stream's next due time), from
//! a degraded connection's resume time, and at start from the persisted schedule
//! ([`restart_due`] spreads what fell due while the host was down).
//!
//! A connection whose streams are not known yet (seen at start without a schedule
//! row) has one entry for [`ALL_STREAMS`]: when it is due, every syncable stream of
//! the connection runs.

use std::collections::{BTreeSet, HashMap};

/// The stream name of an entry that stands for every syncable stream of a connection.
pub const ALL_STREAMS: &str = "*";

/// Streams that fell due while the host was down are spread over at most this long
/// (ms) after a restart, so a restart causes no storm of calls.
pub const RESTART_SPREAD_MS: u64 = 5 * 60 * 1000;

/// Due times ordered by time, with an index by (connection, stream).
#[derive(Debug, Default)]
pub struct Timer {
    by_due: BTreeSet<(u64, String, String)>,
    due_of: HashMap<String, HashMap<String, u64>>,
}

impl Timer {
    /// Make `stream` of `connection` due at `at`, replacing its previous time.
    pub fn set(&mut self, connection: &str, stream: &str, at: u64) {
        let streams = self.due_of.entry(connection.to_owned()).or_default();
        if let Some(old) = streams.insert(stream.to_owned(), at) {
            self.by_due
                .remove(&(old, connection.to_owned(), stream.to_owned()));
        }
        self.by_due
            .insert((at, connection.to_owned(), stream.to_owned()));
    }

    /// Make `stream` of `connection` due at `at` unless it is already due earlier.
    pub fn set_earliest(&mut self, connection: &str, stream: &str, at: u64) {
        if self.due(connection, stream).is_none_or(|old| at < old) {
            self.set(connection, stream, at);
        }
    }

    /// Make `stream` of `connection` due no earlier than `at`.
    pub fn set_not_before(&mut self, connection: &str, stream: &str, at: u64) {
        if self.due(connection, stream).is_none_or(|old| old < at) {
            self.set(connection, stream, at);
        }
    }

    /// When `stream` of `connection` is due, if it is scheduled.
    pub fn due(&self, connection: &str, stream: &str) -> Option<u64> {
        self.due_of.get(connection)?.get(stream).copied()
    }

    /// The streams of `connection` in the timetable.
    pub fn streams_of(&self, connection: &str) -> Vec<String> {
        self.due_of
            .get(connection)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Forget `stream` of `connection`.
    pub fn remove(&mut self, connection: &str, stream: &str) {
        let Some(streams) = self.due_of.get_mut(connection) else {
            return;
        };
        if let Some(at) = streams.remove(stream) {
            self.by_due
                .remove(&(at, connection.to_owned(), stream.to_owned()));
        }
        if streams.is_empty() {
            self.due_of.remove(connection);
        }
    }

    /// Forget every stream of `connection`.
    pub fn remove_connection(&mut self, connection: &str) {
        if let Some(streams) = self.due_of.remove(connection) {
            for (stream, at) in streams {
                self.by_due.remove(&(at, connection.to_owned(), stream));
            }
        }
    }

    /// The earliest due time.
    pub fn next(&self) -> Option<u64> {
        self.by_due.first().map(|(at, _, _)| *at)
    }

    /// How many entries are due at `now`.
    pub fn due_count(&self, now: u64) -> usize {
        self.by_due
            .iter()
            .take_while(|(at, _, _)| *at <= now)
            .count()
    }

    /// Remove and return the entries due at `now`, as (connection, stream), earliest
    /// first; the entries of connections for which `skip` holds stay.
    pub fn take_due(&mut self, now: u64, skip: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        let due: Vec<(u64, String, String)> = self
            .by_due
            .iter()
            .take_while(|(at, _, _)| *at <= now)
            .filter(|(_, connection, _)| !skip(connection))
            .cloned()
            .collect();
        due.into_iter()
            .map(|(_, connection, stream)| {
                self.remove(&connection, &stream);
                (connection, stream)
            })
            .collect()
    }

    /// Every entry.
    pub fn len(&self) -> usize {
        self.by_due.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.by_due.is_empty()
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.by_due.clear();
        self.due_of.clear();
    }
}

/// When a stream whose persisted due time is `stored` runs after a restart at `now`:
/// at its time when that is still ahead; otherwise (it fell due while the host was
/// down) at `now` plus `jitter`, a share of [`RESTART_SPREAD_MS`] (`jitter` is taken
/// modulo the spread, so any random number will do).
pub fn restart_due(stored: u64, now: u64, jitter: u64) -> u64 {
    if stored > now {
        return stored;
    }
    now.saturating_add(jitter % RESTART_SPREAD_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_entry_comes_first_and_replacing_moves_it() {
        let mut t = Timer::default();
        t.set("c1", "a", 300);
        t.set("c1", "b", 100);
        t.set("c2", "a", 200);
        assert_eq!(t.next(), Some(100));
        t.set("c1", "b", 400);
        assert_eq!(t.next(), Some(200));
        assert_eq!(t.len(), 3);
        t.set_earliest("c1", "a", 500);
        assert_eq!(t.due("c1", "a"), Some(300), "an earlier time stays");
        t.set_not_before("c1", "a", 350);
        assert_eq!(t.due("c1", "a"), Some(350));
        assert_eq!(t.due_count(360), 2);
        let due = t.take_due(360, |c| c == "c2");
        assert_eq!(due, vec![("c1".to_owned(), "a".to_owned())]);
        assert_eq!(t.due("c2", "a"), Some(200), "skipped entries stay");
        t.remove_connection("c2");
        assert_eq!(t.next(), Some(400));
        t.remove("c1", "b");
        assert!(t.is_empty());
        assert!(t.streams_of("c1").is_empty());
    }

    #[test]
    fn a_restart_keeps_future_times_and_spreads_missed_ones() {
        assert_eq!(restart_due(5_000, 1_000, 77), 5_000);
        assert_eq!(restart_due(500, 1_000, 77), 1_077);
        assert_eq!(
            restart_due(0, 1_000, RESTART_SPREAD_MS + 3),
            1_003,
            "within the spread"
        );
        assert_eq!(restart_due(0, u64::MAX, u64::MAX), u64::MAX);
    }
}
