//! Connections and their state transitions (each one recorded as an event).

use crate::error::StoreError;
use crate::model::{Connection, ConnectionState, Event};
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{CONNECTIONS, get_json, list_json, put_json};

impl WriteTx<'_> {
    /// Inserts or replaces a connection.
    pub fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        require_id("connection", &connection.id)?;
        put_json(self.txn, CONNECTIONS, &connection.id, connection)
    }

    /// The connection with this id.
    pub fn connection(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        get_json(self.txn, CONNECTIONS, id)
    }

    /// Moves connection `id` to state `to` with `reason` (which replaces the old one),
    /// sets `updated_at` to `at`, and appends an event of kind `event_kind` recording
    /// both states. Fails with [`StoreError::NotFound`] if the connection does not exist
    /// and [`StoreError::WrongState`] if it is `deleted` and `to` is not.
    pub fn transition_connection(
        &self,
        id: &str,
        to: ConnectionState,
        reason: Option<&str>,
        event_kind: &str,
        at: u64,
    ) -> Result<(Connection, Event), StoreError> {
        let mut connection = self
            .connection(id)?
            .ok_or_else(|| StoreError::not_found("connection", id))?;
        let from = connection.state;
        if from == ConnectionState::Deleted && to != ConnectionState::Deleted {
            return Err(StoreError::WrongState {
                id: id.to_string(),
                state: from,
            });
        }
        connection.state = to;
        connection.reason = reason.map(str::to_string);
        connection.updated_at = at;
        self.put_connection(&connection)?;
        let mut event = Event {
            seq: 0,
            at,
            connection: id.to_string(),
            kind: event_kind.to_string(),
            from: Some(from),
            to: Some(to),
            reason: connection.reason.clone(),
        };
        event.seq = self.append_event(&event)?;
        Ok((connection, event))
    }
}

impl Store {
    /// Inserts or replaces a connection.
    pub fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        self.write(|tx| tx.put_connection(connection))
    }

    /// The connection with this id.
    pub fn connection(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        self.read(|r| get_json(r, CONNECTIONS, id))
    }

    /// Every connection, ordered by id.
    pub fn list_connections(&self) -> Result<Vec<Connection>, StoreError> {
        self.read(|r| list_json(r, CONNECTIONS))
    }

    /// The connections in `state`, ordered by id.
    pub fn connections_in_state(
        &self,
        state: ConnectionState,
    ) -> Result<Vec<Connection>, StoreError> {
        let mut all = self.list_connections()?;
        all.retain(|c| c.state == state);
        Ok(all)
    }

    /// Changes a connection's state and records the event, atomically
    /// (see [`WriteTx::transition_connection`]).
    pub fn transition_connection(
        &self,
        id: &str,
        to: ConnectionState,
        reason: Option<&str>,
        event_kind: &str,
        at: u64,
    ) -> Result<(Connection, Event), StoreError> {
        self.write(|tx| tx.transition_connection(id, to, reason, event_kind, at))
    }
}
