//! Connections. Their state changes only through the host's connection lifecycle
//! (`mooring::connections`), which writes the state and its event in one transaction.

use crate::error::StoreError;
use crate::model::{Connection, ConnectionState};
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

    /// Every connection, ordered by id, as this transaction sees them (for checks that
    /// must hold when the transaction commits, such as one connection per tenant).
    pub fn connections(&self) -> Result<Vec<Connection>, StoreError> {
        list_json(self.txn, CONNECTIONS)
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
}
