//! Integrations: a provider plus OAuth app credentials.

use crate::error::StoreError;
use crate::model::Integration;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{INTEGRATIONS, get_json, list_json, put_json, remove_key};

impl WriteTx<'_> {
    /// Inserts or replaces an integration.
    pub fn put_integration(&self, integration: &Integration) -> Result<(), StoreError> {
        require_id("integration", &integration.id)?;
        put_json(self.txn, INTEGRATIONS, &integration.id, integration)
    }

    /// The integration with this id.
    pub fn integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        get_json(self.txn, INTEGRATIONS, id)
    }
}

impl Store {
    /// Inserts or replaces an integration.
    pub fn put_integration(&self, integration: &Integration) -> Result<(), StoreError> {
        self.write(|tx| tx.put_integration(integration))
    }

    /// The integration with this id.
    pub fn integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        self.read(|r| get_json(r, INTEGRATIONS, id))
    }

    /// Every integration, ordered by id.
    pub fn list_integrations(&self) -> Result<Vec<Integration>, StoreError> {
        self.read(|r| list_json(r, INTEGRATIONS))
    }

    /// Removes an integration; true if it existed. Its connections are left alone.
    pub fn delete_integration(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|tx| remove_key(tx.txn, INTEGRATIONS, id))
    }
}
