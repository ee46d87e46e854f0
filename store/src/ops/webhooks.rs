//! Outgoing webhooks and reconnect links: endpoints, the delivery of each event to each
//! endpoint (with its attempts and a due-time index the delivery worker polls), the
//! once-only record of expiry warnings, and the MAC key of reconnect links.
//!
//! Fanning an event out ([`WriteTx::fan_out`]) records its deliveries and takes it off
//! the event outbox in one transaction, so an event is never lost nor fanned out twice.

use redb::ReadableTable as _;

use crate::crypto::TAG_LEN;
use crate::error::StoreError;
use crate::model::Event;
use crate::ops::require_id;
use crate::store::{Store, WriteTx};
use crate::tables::{
    EXPIRY_WARNINGS, OUTBOX, RECONNECT_LINKS, Tables, WEBHOOK_BY_EVENT, WEBHOOK_DELIVERIES,
    WEBHOOK_DUE, WEBHOOK_ENDPOINTS, decode, encode, get_json, list_json, put_json, remove_key,
};
use crate::webhook_model::{
    Delivery, DeliveryStatus, ReconnectLink, WebhookEndpoint, webhook_secret_aad,
};

/// Label of the MAC key of reconnect links (domain separation from artifact MACs).
const LINK_MAC_LABEL: &[u8] = b"mooring reconnect link v1\0";

impl WriteTx<'_> {
    /// Inserts or replaces a webhook endpoint.
    pub fn put_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        require_id("webhook endpoint", &endpoint.id)?;
        put_json(self.txn, WEBHOOK_ENDPOINTS, &endpoint.id, endpoint)
    }

    /// The webhook endpoint with this id.
    pub fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        get_json(self.txn, WEBHOOK_ENDPOINTS, id)
    }

    /// Every webhook endpoint, by id.
    pub fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        list_json(self.txn, WEBHOOK_ENDPOINTS)
    }

    /// The delivery of event `seq` to `endpoint`.
    pub fn delivery(&self, endpoint: &str, seq: u64) -> Result<Option<Delivery>, StoreError> {
        delivery_in(self.txn, endpoint, seq)
    }

    /// Inserts or replaces a delivery, keeping the due index in step: a pending delivery
    /// is due at its `next_attempt_at`, any other is not due.
    pub fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        require_id("webhook endpoint", &delivery.endpoint)?;
        let key = (delivery.endpoint.as_str(), delivery.event);
        let mut due = self.txn.open_table(WEBHOOK_DUE)?;
        if let Some(old) = delivery_in(self.txn, key.0, key.1)?
            && let Some(at) = old.next_attempt_at
        {
            due.remove((at, key.0, key.1))?;
        }
        if delivery.status == DeliveryStatus::Pending
            && let Some(at) = delivery.next_attempt_at
        {
            due.insert((at, key.0, key.1), ())?;
        }
        let bytes = encode(delivery)?;
        self.txn
            .open_table(WEBHOOK_DELIVERIES)?
            .insert(key, bytes.as_slice())?;
        self.txn
            .open_table(WEBHOOK_BY_EVENT)?
            .insert((delivery.event, key.0), ())?;
        Ok(())
    }

    /// Records the deliveries of event `seq` and takes it off the outbox.
    pub fn fan_out(&self, seq: u64, deliveries: &[Delivery]) -> Result<(), StoreError> {
        for delivery in deliveries {
            if delivery.event != seq {
                return Err(StoreError::InvalidInput(format!(
                    "delivery of event {} fanned out as event {seq}",
                    delivery.event
                )));
            }
            self.put_delivery(delivery)?;
        }
        self.txn.open_table(OUTBOX)?.remove(seq)?;
        Ok(())
    }

    /// The pending deliveries of `endpoint`.
    pub fn pending_deliveries(&self, endpoint: &str) -> Result<Vec<Delivery>, StoreError> {
        let table = self.txn.open_table(WEBHOOK_DELIVERIES)?;
        let mut out = Vec::new();
        for entry in table.range((endpoint, 0u64)..=(endpoint, u64::MAX))? {
            let (_, value) = entry?;
            let delivery: Delivery = decode("webhook_deliveries", value.value())?;
            if delivery.status == DeliveryStatus::Pending {
                out.push(delivery);
            }
        }
        Ok(out)
    }

    /// Re-seals every webhook signing secret not under the current key; returns how
    /// many. For key rotation (`Store::rewrap_secrets` should call it).
    pub fn rewrap_webhook_secrets(&self) -> Result<u64, StoreError> {
        let mut moved = 0u64;
        for mut endpoint in self.webhook_endpoints()? {
            if let Some(sealed) = self
                .cipher
                .reseal(&endpoint.secret, &webhook_secret_aad(&endpoint.id))?
            {
                endpoint.secret = sealed;
                self.put_webhook_endpoint(&endpoint)?;
                moved = moved.saturating_add(1);
            }
        }
        Ok(moved)
    }

    /// Inserts or replaces a reconnect link.
    pub fn put_reconnect_link(&self, link: &ReconnectLink) -> Result<(), StoreError> {
        require_id("reconnect link", &link.id)?;
        put_json(self.txn, RECONNECT_LINKS, &link.id, link)
    }

    /// The reconnect link with this id.
    pub fn reconnect_link(&self, id: &str) -> Result<Option<ReconnectLink>, StoreError> {
        get_json(self.txn, RECONNECT_LINKS, id)
    }
}

fn delivery_in(r: &impl Tables, endpoint: &str, seq: u64) -> Result<Option<Delivery>, StoreError> {
    let table = r.table(WEBHOOK_DELIVERIES)?;
    let guard = table.get((endpoint, seq))?;
    guard
        .map(|g| decode("webhook_deliveries", g.value()))
        .transpose()
}

impl Store {
    /// Inserts or replaces a webhook endpoint.
    pub fn put_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        self.write(|tx| tx.put_webhook_endpoint(endpoint))
    }

    /// The webhook endpoint with this id.
    pub fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.read(|r| get_json(r, WEBHOOK_ENDPOINTS, id))
    }

    /// Every webhook endpoint, by id.
    pub fn list_webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.read(|r| list_json(r, WEBHOOK_ENDPOINTS))
    }

    /// Removes a webhook endpoint with its deliveries; true if it existed.
    pub fn delete_webhook_endpoint(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let mut keys = Vec::new();
            {
                let table = tx.txn.open_table(WEBHOOK_DELIVERIES)?;
                for entry in table.range((id, 0u64)..=(id, u64::MAX))? {
                    let (key, value) = entry?;
                    let delivery: Delivery = decode("webhook_deliveries", value.value())?;
                    keys.push((key.value().1, delivery.next_attempt_at));
                }
            }
            let mut deliveries = tx.txn.open_table(WEBHOOK_DELIVERIES)?;
            let mut by_event = tx.txn.open_table(WEBHOOK_BY_EVENT)?;
            let mut due = tx.txn.open_table(WEBHOOK_DUE)?;
            for (seq, at) in keys {
                deliveries.remove((id, seq))?;
                by_event.remove((seq, id))?;
                if let Some(at) = at {
                    due.remove((at, id, seq))?;
                }
            }
            remove_key(tx.txn, WEBHOOK_ENDPOINTS, id)
        })
    }

    /// The delivery of event `seq` to `endpoint`.
    pub fn delivery(&self, endpoint: &str, seq: u64) -> Result<Option<Delivery>, StoreError> {
        self.read(|r| delivery_in(r, endpoint, seq))
    }

    /// Inserts or replaces a delivery (see [`WriteTx::put_delivery`]).
    pub fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.write(|tx| tx.put_delivery(delivery))
    }

    /// Up to `limit` pending deliveries due at or before `now`, earliest first.
    pub fn due_deliveries(&self, now: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.read(|r| {
            let due = r.table(WEBHOOK_DUE)?;
            let mut keys = Vec::new();
            for entry in due
                .range((0u64, "", 0u64)..(now.saturating_add(1), "", 0u64))?
                .take(limit)
            {
                let (key, _) = entry?;
                let (_, endpoint, seq) = key.value();
                keys.push((endpoint.to_owned(), seq));
            }
            let mut out = Vec::with_capacity(keys.len());
            for (endpoint, seq) in keys {
                if let Some(delivery) = delivery_in(r, &endpoint, seq)? {
                    out.push(delivery);
                }
            }
            Ok(out)
        })
    }

    /// When the earliest pending delivery is due, if any.
    pub fn next_delivery_due(&self) -> Result<Option<u64>, StoreError> {
        self.read(|r| {
            let due = r.table(WEBHOOK_DUE)?;
            let first = due.first()?;
            Ok(first.map(|(key, _)| key.value().0))
        })
    }

    /// Up to `limit` deliveries to `endpoint` of events before `before` (all when
    /// `None`), newest first.
    pub fn deliveries_for_endpoint(
        &self,
        endpoint: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.read(|r| {
            let table = r.table(WEBHOOK_DELIVERIES)?;
            let last = match before {
                Some(0) => return Ok(Vec::new()),
                Some(before) => before.saturating_sub(1),
                None => u64::MAX,
            };
            let mut out = Vec::new();
            for entry in table
                .range((endpoint, 0u64)..=(endpoint, last))?
                .rev()
                .take(limit)
            {
                let (_, value) = entry?;
                out.push(decode("webhook_deliveries", value.value())?);
            }
            Ok(out)
        })
    }

    /// Every delivery of event `seq`, by endpoint.
    pub fn deliveries_for_event(&self, seq: u64) -> Result<Vec<Delivery>, StoreError> {
        self.read(|r| {
            let index = r.table(WEBHOOK_BY_EVENT)?;
            let mut endpoints = Vec::new();
            for entry in index.range((seq, "")..(seq.saturating_add(1), ""))? {
                let (key, _) = entry?;
                endpoints.push(key.value().1.to_owned());
            }
            let mut out = Vec::with_capacity(endpoints.len());
            for endpoint in endpoints {
                if let Some(delivery) = delivery_in(r, &endpoint, seq)? {
                    out.push(delivery);
                }
            }
            Ok(out)
        })
    }

    /// Removes at most `limit` finished deliveries created before `before` (ms), in one
    /// write transaction; returns how many. Pending ones are kept.
    pub fn prune_deliveries(&self, before: u64, limit: usize) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut victims: Vec<(String, u64)> = Vec::new();
            {
                let table = tx.txn.open_table(WEBHOOK_DELIVERIES)?;
                for entry in table.iter()? {
                    if victims.len() >= limit {
                        break;
                    }
                    let (key, value) = entry?;
                    let delivery: Delivery = decode("webhook_deliveries", value.value())?;
                    if delivery.status != DeliveryStatus::Pending && delivery.created_at < before {
                        let (endpoint, seq) = key.value();
                        victims.push((endpoint.to_owned(), seq));
                    }
                }
            }
            let mut table = tx.txn.open_table(WEBHOOK_DELIVERIES)?;
            let mut by_event = tx.txn.open_table(WEBHOOK_BY_EVENT)?;
            for (endpoint, seq) in &victims {
                table.remove((endpoint.as_str(), *seq))?;
                by_event.remove((*seq, endpoint.as_str()))?;
            }
            Ok(victims.len() as u64)
        })
    }

    /// Inserts or replaces a reconnect link.
    pub fn put_reconnect_link(&self, link: &ReconnectLink) -> Result<(), StoreError> {
        self.write(|tx| tx.put_reconnect_link(link))
    }

    /// The reconnect link with this id.
    pub fn reconnect_link(&self, id: &str) -> Result<Option<ReconnectLink>, StoreError> {
        self.read(|r| get_json(r, RECONNECT_LINKS, id))
    }

    /// The reconnect links of `connection`, by id.
    pub fn reconnect_links_for(&self, connection: &str) -> Result<Vec<ReconnectLink>, StoreError> {
        let all: Vec<ReconnectLink> = self.read(|r| list_json(r, RECONNECT_LINKS))?;
        Ok(all
            .into_iter()
            .filter(|l| l.connection == connection)
            .collect())
    }

    /// Removes reconnect links that expired before `before` (ms); returns how many.
    pub fn prune_reconnect_links(&self, before: u64) -> Result<u64, StoreError> {
        self.write(|tx| {
            let all: Vec<ReconnectLink> = list_json(tx.txn, RECONNECT_LINKS)?;
            let mut removed = 0u64;
            for link in all.iter().filter(|l| l.expires_at < before) {
                if remove_key(tx.txn, RECONNECT_LINKS, &link.id)? {
                    removed = removed.saturating_add(1);
                }
            }
            Ok(removed)
        })
    }

    /// HMAC-SHA256 of `message` under the reconnect-link key derived from key `key_id`
    /// of the store's ring (`None` when the ring no longer holds that key). Nothing about
    /// the key is stored; the MAC is computed again to check a link.
    pub fn link_mac(&self, key_id: u32, message: &[u8]) -> Option<[u8; TAG_LEN]> {
        self.cipher()
            .artifact_mac(key_id, &[LINK_MAC_LABEL, &key_id.to_le_bytes(), message])
    }

    /// Records the warning that `grant`'s refresh token dies at `expires_at`, for the
    /// `threshold` (days) it crossed, and appends `event` with it, in one transaction,
    /// unless that warning was recorded before. Returns the event's seq when recorded.
    pub fn record_expiry_warning(
        &self,
        grant: &str,
        expires_at: u64,
        threshold: u64,
        event: &Event,
    ) -> Result<Option<u64>, StoreError> {
        self.write(|tx| {
            let mut table = tx.txn.open_table(EXPIRY_WARNINGS)?;
            if table.get((grant, expires_at, threshold))?.is_some() {
                return Ok(None);
            }
            table.insert((grant, expires_at, threshold), event.at)?;
            drop(table);
            tx.append_event(event).map(Some)
        })
    }

    /// Forgets expiry warnings of tokens that died before `before` (ms).
    pub fn prune_expiry_warnings(&self, before: u64) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut victims: Vec<(String, u64, u64)> = Vec::new();
            {
                let table = tx.txn.open_table(EXPIRY_WARNINGS)?;
                for entry in table.iter()? {
                    let (key, _) = entry?;
                    let (grant, expires_at, threshold) = key.value();
                    if expires_at < before {
                        victims.push((grant.to_owned(), expires_at, threshold));
                    }
                }
            }
            let mut table = tx.txn.open_table(EXPIRY_WARNINGS)?;
            for (grant, expires_at, threshold) in &victims {
                table.remove((grant.as_str(), *expires_at, *threshold))?;
            }
            Ok(victims.len() as u64)
        })
    }
}

#[cfg(test)]
#[path = "webhooks_tests.rs"]
mod tests;
