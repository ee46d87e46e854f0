//! Connections. Their state changes only through the host's connection lifecycle
//! (`mooring::connections`), which writes the state and its event in one transaction.

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::model::{Connection, ConnectionState};
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{
    CONNECTION_TENANTS, CONNECTIONS, Tables, get_json, list_json, put_json, successor,
};

/// The tenant-index key of `connection`, if it holds a tenant and is not deleted.
fn tenant_key(connection: &Connection) -> Option<(&str, &str, &str)> {
    let tenant = connection.tenant.as_ref()?;
    (connection.state != ConnectionState::Deleted).then_some((
        connection.integration.as_str(),
        tenant.id.as_str(),
        connection.id.as_str(),
    ))
}

/// Ids of the connections of `integration` that hold `tenant` and are not deleted.
fn holders_in(r: &impl Tables, integration: &str, tenant: &str) -> Result<Vec<String>, StoreError> {
    let table = r.table(CONNECTION_TENANTS)?;
    let upper = successor(tenant);
    let mut out = Vec::new();
    for entry in table.range((integration, tenant, "")..(integration, upper.as_str(), ""))? {
        let (key, _) = entry?;
        out.push(key.value().2.to_string());
    }
    Ok(out)
}

/// Adds every connection of the `connections` table to the tenant index (the migration
/// to schema 3, which introduced it).
pub(crate) fn index_tenants(txn: &redb::WriteTransaction) -> Result<u64, StoreError> {
    let all: Vec<Connection> = list_json(txn, CONNECTIONS)?;
    let mut index = txn.open_table(CONNECTION_TENANTS)?;
    let mut indexed = 0u64;
    for connection in &all {
        if let Some(key) = tenant_key(connection) {
            index.insert(key, ())?;
            indexed = indexed.saturating_add(1);
        }
    }
    Ok(indexed)
}

impl WriteTx<'_> {
    /// Inserts or replaces a connection (and keeps the tenant index in step).
    pub fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        require_id("connection", &connection.id)?;
        let old: Option<Connection> = get_json(self.txn, CONNECTIONS, &connection.id)?;
        let (old_key, new_key) = (old.as_ref().and_then(tenant_key), tenant_key(connection));
        if old_key != new_key {
            let mut index = self.txn.open_table(CONNECTION_TENANTS)?;
            if let Some(key) = old_key {
                index.remove(key)?;
            }
            if let Some(key) = new_key {
                index.insert(key, ())?;
            }
        }
        put_json(self.txn, CONNECTIONS, &connection.id, connection)
    }

    /// Ids of the connections of `integration` bound to `tenant` and not deleted, as this
    /// transaction sees them (for the one-connection-per-tenant check).
    pub fn tenant_holders(
        &self,
        integration: &str,
        tenant: &str,
    ) -> Result<Vec<String>, StoreError> {
        holders_in(self.txn, integration, tenant)
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

    /// Ids of the connections of `integration` bound to `tenant` and not deleted.
    pub fn tenant_holders(
        &self,
        integration: &str,
        tenant: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.read(|r| holders_in(r, integration, tenant))
    }

    /// Up to `limit` connections with an id after `after` (from the first when `None`)
    /// that `keep` accepts, ordered by id: one range read that stops as soon as it has
    /// them, for paging through many connections.
    pub fn connections_after(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Connection) -> bool,
    ) -> Result<Vec<Connection>, StoreError> {
        self.read(|r| {
            let table = r.table(CONNECTIONS.def())?;
            let start = after.map(successor);
            let range = match start.as_deref() {
                Some(start) => table.range(start..)?,
                None => table.range::<&str>(..)?,
            };
            let mut out = Vec::new();
            for entry in range {
                if out.len() >= limit {
                    break;
                }
                let (_, value) = entry?;
                let connection: Connection =
                    crate::tables::decode(CONNECTIONS.name(), value.value())?;
                if keep(&connection) {
                    out.push(connection);
                }
            }
            Ok(out)
        })
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
