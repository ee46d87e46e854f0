//! Grants: sealed OAuth tokens and their timings.

use crate::error::StoreError;
use crate::model::Grant;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{GRANTS, get_json, list_json, put_json, remove_key};

impl WriteTx<'_> {
    /// Inserts or replaces a grant (for example after a refresh-token rotation, which
    /// must be committed before the new token is used).
    pub fn put_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        require_id("grant", &grant.id)?;
        put_json(self.txn, GRANTS, &grant.id, grant)
    }

    /// The grant with this id.
    pub fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        get_json(self.txn, GRANTS, id)
    }

    /// Removes a grant; true if it existed.
    pub fn delete_grant(&self, id: &str) -> Result<bool, StoreError> {
        remove_key(self.txn, GRANTS, id)
    }
}

impl Store {
    /// Inserts or replaces a grant; durable when this returns.
    pub fn put_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        self.write(|tx| tx.put_grant(grant))
    }

    /// The grant with this id.
    pub fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.read(|r| get_json(r, GRANTS, id))
    }

    /// Every grant, ordered by id (for refresh and keep-alive scheduling).
    pub fn list_grants(&self) -> Result<Vec<Grant>, StoreError> {
        self.read(|r| list_json(r, GRANTS))
    }

    /// Removes a grant; true if it existed.
    pub fn delete_grant(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.delete_grant(id))
    }
}
