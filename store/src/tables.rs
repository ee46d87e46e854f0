//! Table definitions, the JSON value codec, and reading from either kind of transaction.
//!
//! Values are JSON bytes (`&[u8]`) decoded with typed errors, except the record tables,
//! whose rows are binary (see [`crate::record_rows`]); keys are strings and tuples.

use redb::{
    Key, ReadOnlyTable, ReadTransaction, ReadableTable, Table, TableDefinition, Value,
    WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;

/// A table of JSON values under string keys, named for error messages.
#[derive(Clone, Copy)]
pub(crate) struct JsonById {
    name: &'static str,
}

impl JsonById {
    const fn new(name: &'static str) -> Self {
        JsonById { name }
    }

    /// The table's name, for error messages.
    pub(crate) const fn name(self) -> &'static str {
        self.name
    }

    /// The redb definition.
    pub(crate) const fn def(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(self.name)
    }
}

/// Schema version, blobs and the key check.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Named monotonic counters (`event_seq`, `sync_run_id`).
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
/// sha256 → component bytes.
pub(crate) const PLUGIN_BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("plugin_blobs");
/// sha256 → `PluginRecord`.
pub(crate) const PLUGINS: JsonById = JsonById::new("plugins");
/// provider id → active sha256.
pub(crate) const ACTIVE_PLUGINS: TableDefinition<&str, &str> =
    TableDefinition::new("active_plugins");
/// provider id → `ProviderPlugins`: history, canary and approved capabilities.
pub(crate) const PROVIDER_PLUGINS: JsonById = JsonById::new("provider_plugins");
/// (connection, stream) → the cursor format the stored cursor was written under.
pub(crate) const CURSOR_FORMATS: TableDefinition<(&str, &str), &str> =
    TableDefinition::new("cursor_formats");
/// (sha256, engine compatibility hash) → compiled artifact.
pub(crate) const COMPILED: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("compiled_plugins");
/// id → `Integration`.
pub(crate) const INTEGRATIONS: JsonById = JsonById::new("integrations");
/// id → `Connection`.
pub(crate) const CONNECTIONS: JsonById = JsonById::new("connections");
/// id → `Grant`.
pub(crate) const GRANTS: JsonById = JsonById::new("grants");
/// state → `Flow`.
pub(crate) const FLOWS: JsonById = JsonById::new("oauth_flows");
/// (connection, key) → plugin state bytes.
pub(crate) const PLUGIN_STATE: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("plugin_state");
/// (connection, stream) → cursor.
pub(crate) const CURSORS: TableDefinition<(&str, &str), &str> = TableDefinition::new("cursors");
/// (connection, stream) → [`StreamValue`](crate::record_rows::StreamValue): the
/// stream's number, last seq, live and tombstone counts, dictionary and last training.
pub(crate) const RECORD_STREAMS: TableDefinition<(&str, &str), crate::record_rows::StreamValue> =
    TableDefinition::new("record_streams");
/// (integration, tenant id, connection id) → (): every connection that is bound to a
/// tenant and not deleted, so "who holds this organisation" is one range read instead
/// of a scan of every connection.
pub(crate) const CONNECTION_TENANTS: TableDefinition<(&str, &str, &str), ()> =
    TableDefinition::new("connection_tenants");
/// (stream number, seq) → body number: the records of a stream in change order, so the
/// change feed is one range scan.
pub(crate) const RECORD_FEED: TableDefinition<(u64, u64), u64> =
    TableDefinition::new("record_feed");
/// body number → a record row (see [`crate::record_rows`]). Body numbers only rise as
/// pages commit, so rows of streams synced at the same time still append at the end of
/// the tree and its pages stay full.
pub(crate) const RECORD_BODIES: TableDefinition<u64, &[u8]> = TableDefinition::new("record_bodies");
/// (stream number, record id) → (seq, body number) of its row.
pub(crate) const RECORD_KEYS: TableDefinition<(u64, &str), (u64, u64)> =
    TableDefinition::new("record_keys");
/// Schema 2: (stream number, seq) → a record row. Read and dropped by the migration to
/// schema 3.
pub(crate) const V2_RECORD_ROWS: TableDefinition<(u64, u64), &[u8]> =
    TableDefinition::new("record_rows");
/// Schema 2: (stream number, record id) → seq. Dropped by the migration to schema 3.
pub(crate) const V2_RECORD_IDS: TableDefinition<(u64, &str), u64> =
    TableDefinition::new("record_ids");
/// dictionary id → zstd dictionary trained on one stream's records.
pub(crate) const RECORD_DICTS: TableDefinition<u64, &[u8]> = TableDefinition::new("record_dicts");
/// Schema 1: (connection, stream, record id) → JSON `StoredRecord`. Read and dropped by
/// the migration to schema 2.
pub(crate) const V1_RECORDS: TableDefinition<(&str, &str, &str), &[u8]> =
    TableDefinition::new("records");
/// Schema 1: (connection, stream, seq) → record id. Dropped by the migration.
pub(crate) const V1_RECORD_CHANGES: TableDefinition<(&str, &str, u64), &str> =
    TableDefinition::new("record_changes");
/// Schema 1: (connection, stream) → (last seq, live, tombstones). Read and dropped by
/// the migration.
pub(crate) const V1_STREAM_STATS: TableDefinition<(&str, &str), (u64, u64, u64)> =
    TableDefinition::new("stream_stats");
/// (connection, run id) → `SyncRun`.
pub(crate) const SYNC_RUNS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("sync_runs");
/// seq → `Event`.
pub(crate) const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
/// (connection, seq) → (): events of one connection.
pub(crate) const EVENTS_BY_CONNECTION: TableDefinition<(&str, u64), ()> =
    TableDefinition::new("events_by_connection");
/// seq → (): events not yet delivered to webhooks.
pub(crate) const OUTBOX: TableDefinition<u64, ()> = TableDefinition::new("event_outbox");
/// (connection, stream) → when the stream is next due to sync (ms).
pub(crate) const STREAM_SCHEDULE: TableDefinition<(&str, &str), u64> =
    TableDefinition::new("stream_schedule");
/// id → `WebhookEndpoint`.
pub(crate) const WEBHOOK_ENDPOINTS: JsonById = JsonById::new("webhook_endpoints");
/// (endpoint, event seq) → `Delivery`.
pub(crate) const WEBHOOK_DELIVERIES: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("webhook_deliveries");
/// (event seq, endpoint) → (): deliveries of one event.
pub(crate) const WEBHOOK_BY_EVENT: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("webhook_deliveries_by_event");
/// (due ms, endpoint, event seq) → (): pending deliveries by when they are due.
pub(crate) const WEBHOOK_DUE: TableDefinition<(u64, &str, u64), ()> =
    TableDefinition::new("webhook_due");
/// id → `ReconnectLink`.
pub(crate) const RECONNECT_LINKS: JsonById = JsonById::new("reconnect_links");
/// (grant, expiry ms, threshold days) → when the warning was recorded.
pub(crate) const EXPIRY_WARNINGS: TableDefinition<(&str, u64, u64), u64> =
    TableDefinition::new("expiry_warnings");

/// Opens (and so creates) every table. Called once at start-up, since reading a table
/// that was never created fails in redb.
pub(crate) fn create_all(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(META)?;
    txn.open_table(COUNTERS)?;
    txn.open_table(PLUGIN_BLOBS)?;
    txn.open_table(ACTIVE_PLUGINS)?;
    txn.open_table(COMPILED)?;
    for def in [
        PLUGINS,
        PROVIDER_PLUGINS,
        INTEGRATIONS,
        CONNECTIONS,
        GRANTS,
        FLOWS,
    ] {
        txn.open_table(def.def())?;
    }
    txn.open_table(PLUGIN_STATE)?;
    txn.open_table(CURSORS)?;
    txn.open_table(CURSOR_FORMATS)?;
    txn.open_table(RECORD_STREAMS)?;
    txn.open_table(CONNECTION_TENANTS)?;
    txn.open_table(RECORD_FEED)?;
    txn.open_table(RECORD_BODIES)?;
    txn.open_table(RECORD_KEYS)?;
    txn.open_table(RECORD_DICTS)?;
    txn.open_table(SYNC_RUNS)?;
    txn.open_table(EVENTS)?;
    txn.open_table(EVENTS_BY_CONNECTION)?;
    txn.open_table(OUTBOX)?;
    txn.open_table(WEBHOOK_ENDPOINTS.def())?;
    txn.open_table(WEBHOOK_DELIVERIES)?;
    txn.open_table(WEBHOOK_BY_EVENT)?;
    txn.open_table(WEBHOOK_DUE)?;
    txn.open_table(RECONNECT_LINKS.def())?;
    txn.open_table(EXPIRY_WARNINGS)?;
    Ok(())
}

/// Read access shared by read and write transactions, so each getter is written once.
pub(crate) trait Tables {
    /// The table type this transaction opens.
    type Table<'a, K: Key + 'static, V: Value + 'static>: ReadableTable<K, V>
    where
        Self: 'a;

    /// Opens a table for reading.
    fn table<'a, K: Key + 'static, V: Value + 'static>(
        &'a self,
        def: TableDefinition<'_, K, V>,
    ) -> Result<Self::Table<'a, K, V>, StoreError>;
}

impl Tables for ReadTransaction {
    type Table<'a, K: Key + 'static, V: Value + 'static> = ReadOnlyTable<K, V>;

    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<'_, K, V>,
    ) -> Result<ReadOnlyTable<K, V>, StoreError> {
        Ok(self.open_table(def)?)
    }
}

impl Tables for WriteTransaction {
    type Table<'a, K: Key + 'static, V: Value + 'static> = Table<'a, K, V>;

    fn table<'a, K: Key + 'static, V: Value + 'static>(
        &'a self,
        def: TableDefinition<'_, K, V>,
    ) -> Result<Table<'a, K, V>, StoreError> {
        Ok(self.open_table(def)?)
    }
}

/// Encodes a value as JSON bytes.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(StoreError::Encode)
}

/// Decodes JSON bytes read from `table`.
pub(crate) fn decode<T: DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::corrupt(table, e))
}

/// Reads and decodes the JSON value under `key` in a string-keyed table.
pub(crate) fn get_json<T: DeserializeOwned>(
    r: &impl Tables,
    def: JsonById,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let table = r.table(def.def())?;
    let guard = table.get(key)?;
    guard.map(|g| decode(def.name, g.value())).transpose()
}

/// Decodes every value of a string-keyed JSON table, in key order.
pub(crate) fn list_json<T: DeserializeOwned>(
    r: &impl Tables,
    def: JsonById,
) -> Result<Vec<T>, StoreError> {
    let table = r.table(def.def())?;
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, value) = entry?;
        out.push(decode(def.name, value.value())?);
    }
    Ok(out)
}

/// Writes `value` as JSON under `key` in a string-keyed table.
pub(crate) fn put_json<T: Serialize>(
    txn: &WriteTransaction,
    def: JsonById,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = encode(value)?;
    txn.open_table(def.def())?.insert(key, bytes.as_slice())?;
    Ok(())
}

/// Removes `key` from a string-keyed table; true if it was there.
pub(crate) fn remove_key(
    txn: &WriteTransaction,
    def: JsonById,
    key: &str,
) -> Result<bool, StoreError> {
    Ok(txn.open_table(def.def())?.remove(key)?.is_some())
}

/// Increments a named counter and returns its new value (the first is 1).
pub(crate) fn next_counter(txn: &WriteTransaction, name: &str) -> Result<u64, StoreError> {
    let mut table = txn.open_table(COUNTERS)?;
    let current = table.get(name)?.map(|g| g.value()).unwrap_or(0);
    let next = current
        .checked_add(1)
        .ok_or_else(|| StoreError::corrupt("counters", format!("counter {name} overflowed")))?;
    table.insert(name, next)?;
    Ok(next)
}

/// The smallest string greater than `s`: `s` followed by a NUL. Tuple keys compare
/// element by element, so `(s, min..)..(successor(s), min..)` covers exactly the keys
/// whose first element is `s`.
pub(crate) fn successor(s: &str) -> String {
    let mut next = String::with_capacity(s.len() + 1);
    next.push_str(s);
    next.push('\0');
    next
}
