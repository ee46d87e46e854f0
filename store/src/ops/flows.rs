//! OAuth flows in progress, keyed by their random `state`; single use.

use redb::ReadableTable as _;

use crate::error::StoreError;
use crate::model::Flow;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{FLOWS, Tables as _, decode, get_json, put_json, remove_key};

impl WriteTx<'_> {
    /// Inserts or replaces a flow (for example to stage the grant of a reconnect).
    pub fn put_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        require_id("flow state", &flow.state)?;
        put_json(self.txn, FLOWS, &flow.state, flow)
    }

    /// The flow with this state.
    pub fn flow(&self, state: &str) -> Result<Option<Flow>, StoreError> {
        get_json(self.txn, FLOWS, state)
    }

    /// Removes and returns the flow with this state: a second call returns `None`.
    /// Checking `expires_at` is the caller's job.
    pub fn take_flow(&self, state: &str) -> Result<Option<Flow>, StoreError> {
        let mut flows = self.txn.open_table(FLOWS.def())?;
        let removed = flows.remove(state)?;
        removed
            .map(|g| decode("oauth_flows", g.value()))
            .transpose()
    }

    /// Removes a flow; true if it existed.
    pub fn delete_flow(&self, state: &str) -> Result<bool, StoreError> {
        remove_key(self.txn, FLOWS, state)
    }
}

impl Store {
    /// Inserts or replaces a flow.
    pub fn put_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        self.write(|tx| tx.put_flow(flow))
    }

    /// The flow with this state, left in place.
    pub fn flow(&self, state: &str) -> Result<Option<Flow>, StoreError> {
        self.read(|r| get_json(r, FLOWS, state))
    }

    /// Removes and returns the flow with this state in one transaction, so a callback
    /// can be completed only once.
    pub fn take_flow(&self, state: &str) -> Result<Option<Flow>, StoreError> {
        self.write(|tx| tx.take_flow(state))
    }

    /// Removes a flow; true if it existed.
    pub fn delete_flow(&self, state: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.delete_flow(state))
    }

    /// Removes every flow whose `expires_at` is at or before `now`; returns how many.
    pub fn prune_expired_flows(&self, now: u64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let removed = self.prune_expired_flows_batch(now, 1000)?;
            total += removed;
            if removed < 1000 {
                return Ok(total);
            }
        }
    }

    /// Removes at most `limit` flows whose `expires_at` is at or before `now`, in one
    /// write transaction; returns how many. Callers loop until it returns less than
    /// `limit`, so no single transaction holds the write lock for long.
    pub fn prune_expired_flows_batch(&self, now: u64, limit: usize) -> Result<u64, StoreError> {
        let expired = self.read(|r| {
            let flows = r.table(FLOWS.def())?;
            let mut expired = Vec::new();
            for entry in flows.iter()? {
                let (key, value) = entry?;
                let flow: Flow = decode("oauth_flows", value.value())?;
                if flow.expires_at <= now {
                    expired.push(key.value().to_string());
                    if expired.len() >= limit {
                        break;
                    }
                }
            }
            Ok(expired)
        })?;
        if expired.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let mut flows = tx.txn.open_table(FLOWS.def())?;
            let mut removed = 0;
            for state in &expired {
                // Re-checked in the write: a flow is never removed on stale information.
                let still_expired = match flows.get(state.as_str())? {
                    Some(guard) => decode::<Flow>("oauth_flows", guard.value())?.expires_at <= now,
                    None => false,
                };
                if still_expired {
                    flows.remove(state.as_str())?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }
}
