//! Events: the global, ordered history of what happened to connections, and the outbox
//! of those not yet delivered as webhooks.

use std::ops::Bound;

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::model::Event;
use crate::store::{Store, WriteTx};
use crate::tables::{EVENTS, EVENTS_BY_CONNECTION, OUTBOX, Tables, decode, encode, next_counter};

/// Counter name of event sequence numbers.
const EVENT_SEQ: &str = "event_seq";

impl WriteTx<'_> {
    /// Appends an event and returns its sequence number. `event.seq` is ignored: the
    /// store assigns the next global number. The event also enters the outbox.
    pub fn append_event(&self, event: &Event) -> Result<u64, StoreError> {
        let seq = next_counter(self.txn, EVENT_SEQ)?;
        let stored = Event {
            seq,
            ..event.clone()
        };
        self.txn
            .open_table(EVENTS)?
            .insert(seq, encode(&stored)?.as_slice())?;
        self.txn
            .open_table(EVENTS_BY_CONNECTION)?
            .insert((event.connection.as_str(), seq), ())?;
        self.txn.open_table(OUTBOX)?.insert(seq, ())?;
        Ok(seq)
    }
}

impl Store {
    /// Appends an event (see [`WriteTx::append_event`]) and returns its sequence number.
    pub fn append_event(&self, event: &Event) -> Result<u64, StoreError> {
        self.write(|tx| tx.append_event(event))
    }

    /// The event with this sequence number.
    pub fn event(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        self.read(|r| {
            let events = r.table(EVENTS)?;
            events
                .get(seq)?
                .map(|g| decode("events", g.value()))
                .transpose()
        })
    }

    /// Up to `limit` events with a sequence number above `after`, oldest first.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.read(|r| {
            let events = r.table(EVENTS)?;
            let mut out = Vec::new();
            for entry in events
                .range::<u64>((Bound::Excluded(after), Bound::Unbounded))?
                .take(limit)
            {
                let (_, value) = entry?;
                out.push(decode("events", value.value())?);
            }
            Ok(out)
        })
    }

    /// Up to `limit` events of one connection, newest first.
    pub fn events_for_connection(
        &self,
        connection: &str,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(|r| {
            let index = r.table(EVENTS_BY_CONNECTION)?;
            let mut seqs = Vec::new();
            for entry in index
                .range((connection, 0u64)..=(connection, u64::MAX))?
                .rev()
                .take(limit)
            {
                let (key, _) = entry?;
                seqs.push(key.value().1);
            }
            events_by_seq(r, &seqs)
        })
    }

    /// Up to `limit` events not yet marked delivered, oldest first.
    pub fn undelivered_events(&self, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.read(|r| {
            let outbox = r.table(OUTBOX)?;
            let mut seqs = Vec::new();
            for entry in outbox.iter()?.take(limit) {
                let (key, _) = entry?;
                seqs.push(key.value());
            }
            events_by_seq(r, &seqs)
        })
    }

    /// Removes at most `limit` delivered events (no longer in the outbox) that happened
    /// before `before` (ms since epoch), oldest first, in one write transaction; returns
    /// how many. Undelivered events are kept whatever their age. Callers loop until it
    /// returns less than `limit`.
    pub fn prune_delivered_events(&self, before: u64, limit: usize) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut victims: Vec<(u64, String)> = Vec::new();
            {
                let events = tx.txn.open_table(EVENTS)?;
                let outbox = tx.txn.open_table(OUTBOX)?;
                for entry in events.iter()? {
                    let (key, value) = entry?;
                    let event: Event = decode("events", value.value())?;
                    if event.at >= before || victims.len() >= limit {
                        break;
                    }
                    if outbox.get(key.value())?.is_none() {
                        victims.push((key.value(), event.connection));
                    }
                }
            }
            let mut events = tx.txn.open_table(EVENTS)?;
            let mut index = tx.txn.open_table(EVENTS_BY_CONNECTION)?;
            for (seq, connection) in &victims {
                events.remove(*seq)?;
                index.remove((connection.as_str(), *seq))?;
            }
            Ok(victims.len() as u64)
        })
    }

    /// Marks an event delivered (removes it from the outbox); true if it was pending.
    pub fn mark_delivered(&self, seq: u64) -> Result<bool, StoreError> {
        self.write(|tx| Ok(tx.txn.open_table(OUTBOX)?.remove(seq)?.is_some()))
    }
}

fn events_by_seq(r: &impl Tables, seqs: &[u64]) -> Result<Vec<Event>, StoreError> {
    let events = r.table(EVENTS)?;
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let guard = events.get(seq)?.ok_or_else(|| {
            StoreError::corrupt("events", format!("index names missing event {seq}"))
        })?;
        out.push(decode("events", guard.value())?);
    }
    Ok(out)
}
