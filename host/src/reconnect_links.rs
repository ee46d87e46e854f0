//! Shareable reconnect links: an operator (or a webhook) hands a customer a URL that
//! starts the staged reconnect of one connection, without an admin token.
//!
//! A link is `<public url>/reconnect/<id>/<mac>`. The MAC is HMAC-SHA256 over the
//! link's id, connection, scopes and expiry under a key derived from the store's
//! encryption key ([`Store::link_mac`]), so nothing secret is stored: the row keeps
//! only what the MAC covers, plus when it was opened, used or revoked. A link works
//! for its one connection, until it expires (7 days by default), is revoked, or a
//! reconnect it started has completed.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mooring_store::{Cause, ReconnectLink, Store, StoreError};
use serde::Serialize;
use subtle::ConstantTimeEq as _;

use crate::auth::secrets::new_id;
use crate::connections::{ConnectionService, LifecycleError};
use crate::store_io::db;

/// How many times one link may be opened (each opening starts a consent).
pub const MAX_OPENS: u32 = 20;
/// The longest lifetime a link may be given (ms): 90 days.
pub const MAX_TTL_MS: u64 = 90 * 86_400_000;

/// Why a link was not issued or did not open.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No such link (or connection), or its MAC does not match.
    #[error("this link is not valid")]
    NotFound,
    /// The link's time is up.
    #[error("this link expired")]
    Expired,
    /// An operator revoked it.
    #[error("this link was revoked")]
    Revoked,
    /// A reconnect it started has completed, or it was opened too often.
    #[error("this link was already used")]
    Used,
    /// The request is not acceptable (the text says why).
    #[error("{0}")]
    Invalid(String),
    /// The reconnect could not start (the text says why).
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A link as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// Its id.
    pub id: String,
    /// The connection it reconnects.
    pub connection: String,
    /// The URL to send the customer (absent once it cannot be used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Scopes added on reconnect.
    pub scopes: Vec<String>,
    /// Created (ms).
    pub created_at: u64,
    /// Stops working (ms).
    pub expires_at: u64,
    /// First opened (ms).
    pub opened_at: Option<u64>,
    /// A reconnect it started completed (ms).
    pub used_at: Option<u64>,
    /// Revoked (ms).
    pub revoked_at: Option<u64>,
    /// `active`, `expired`, `revoked` or `used`.
    #[schema(value_type = String)]
    pub status: &'static str,
}

/// Issues, checks and revokes reconnect links.
#[derive(Clone)]
pub struct ReconnectLinks {
    connections: ConnectionService,
    public_url: Arc<str>,
    default_ttl_ms: u64,
}

/// The bytes the MAC covers, each field length-prefixed.
fn mac_input(link: &ReconnectLink) -> Vec<u8> {
    let mut out = Vec::new();
    let scopes = link.scopes.join(" ");
    for field in [
        link.id.as_bytes(),
        link.connection.as_bytes(),
        scopes.as_bytes(),
    ] {
        out.extend_from_slice(&(field.len() as u64).to_le_bytes());
        out.extend_from_slice(field);
    }
    out.extend_from_slice(&link.expires_at.to_le_bytes());
    out
}

fn mac_text(store: &Store, link: &ReconnectLink) -> Option<String> {
    store
        .link_mac(link.key_id, &mac_input(link))
        .map(|tag| URL_SAFE_NO_PAD.encode(tag))
}

impl ReconnectLinks {
    /// Links for `connections`' connections on `public_url`, living `default_ttl_ms`.
    pub fn new(connections: ConnectionService, public_url: &str, default_ttl_ms: u64) -> Self {
        Self {
            connections,
            public_url: Arc::from(public_url.trim_end_matches('/')),
            default_ttl_ms,
        }
    }

    fn store(&self) -> &Store {
        &self.connections.store
    }

    /// A new link for `connection` (not yet stored), living `ttl_ms` or the default.
    pub fn build(
        &self,
        connection: &str,
        scopes: Vec<String>,
        ttl_ms: Option<u64>,
        origin: &str,
    ) -> ReconnectLink {
        let now = self.connections.now();
        let ttl = ttl_ms.unwrap_or(self.default_ttl_ms).clamp(1, MAX_TTL_MS);
        ReconnectLink {
            id: new_id("rcl"),
            connection: connection.to_owned(),
            scopes,
            key_id: self.store().cipher().key_id(),
            created_at: now,
            expires_at: now.saturating_add(ttl),
            opened_at: None,
            opens: 0,
            used_at: None,
            revoked_at: None,
            origin: Some(origin.to_owned()),
        }
    }

    /// The URL of `link` (`None` when the key it was made under is gone).
    pub fn url(&self, link: &ReconnectLink) -> Option<String> {
        let mac = mac_text(self.store(), link)?;
        Some(format!("{}/reconnect/{}/{mac}", self.public_url, link.id))
    }

    /// Issue a link for connection `id` (which must exist and have a tenant).
    pub async fn create(
        &self,
        id: &str,
        ttl_ms: Option<u64>,
        scopes: Vec<String>,
    ) -> Result<LinkView, LinkError> {
        let connection = self.connections.connection(id).await?;
        if connection.tenant.is_none() {
            return Err(LinkError::Invalid(format!(
                "connection {id} has no tenant yet (state {}); a reconnect link needs a connected organisation",
                connection.state
            )));
        }
        if ttl_ms.is_some_and(|t| t == 0 || t > MAX_TTL_MS) {
            return Err(LinkError::Invalid(
                "expires_in must be between 1 second and 90 days".into(),
            ));
        }
        let link = self.build(id, scopes, ttl_ms, "api");
        let stored = link.clone();
        db(self.store(), move |s| s.put_reconnect_link(&stored)).await?;
        Ok(self.view(link))
    }

    /// The links of connection `id`, newest first.
    pub async fn list(&self, id: &str) -> Result<Vec<LinkView>, LinkError> {
        self.connections.connection(id).await?;
        let key = id.to_owned();
        let mut links = db(self.store(), move |s| s.reconnect_links_for(&key)).await?;
        links.sort_by_key(|l| std::cmp::Reverse(l.created_at));
        let mut out = Vec::with_capacity(links.len());
        for link in links {
            let link = self.settle_used(link).await?;
            out.push(self.view(link));
        }
        Ok(out)
    }

    /// Revoke link `link_id` of connection `id`.
    pub async fn revoke(&self, id: &str, link_id: &str) -> Result<LinkView, LinkError> {
        let key = link_id.to_owned();
        let mut link = db(self.store(), move |s| s.reconnect_link(&key))
            .await?
            .filter(|l| l.connection == id)
            .ok_or(LinkError::NotFound)?;
        if link.revoked_at.is_none() {
            link.revoked_at = Some(self.connections.now());
            let stored = link.clone();
            db(self.store(), move |s| s.put_reconnect_link(&stored)).await?;
        }
        Ok(self.view(link))
    }

    /// A customer opened `/reconnect/<link_id>/<mac>`: check the link and start the
    /// reconnect of its connection; returns the provider's authorize URL.
    pub async fn open(&self, link_id: &str, mac: &str) -> Result<String, LinkError> {
        let key = link_id.to_owned();
        let link = db(self.store(), move |s| s.reconnect_link(&key))
            .await?
            .ok_or(LinkError::NotFound)?;
        let expected = mac_text(self.store(), &link).ok_or(LinkError::NotFound)?;
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return Err(LinkError::NotFound);
        }
        let mut link = self.settle_used(link).await?;
        let now = self.connections.now();
        if link.revoked_at.is_some() {
            return Err(LinkError::Revoked);
        }
        if link.used_at.is_some() || link.opens >= MAX_OPENS {
            return Err(LinkError::Used);
        }
        if now >= link.expires_at {
            return Err(LinkError::Expired);
        }
        let url = match self
            .connections
            .reconnect(&link.connection, link.scopes.clone())
            .await
        {
            Ok(url) => url,
            Err(LifecycleError::NotFound(_)) => return Err(LinkError::NotFound),
            Err(error) => return Err(error.into()),
        };
        link.opened_at.get_or_insert(now);
        link.opens = link.opens.saturating_add(1);
        db(self.store(), move |s| s.put_reconnect_link(&link)).await?;
        Ok(url)
    }

    /// Mark `link` used when a reconnect of its connection completed after it was first
    /// opened (the link did its job).
    async fn settle_used(&self, mut link: ReconnectLink) -> Result<ReconnectLink, LinkError> {
        let (Some(opened), None) = (link.opened_at, link.used_at) else {
            return Ok(link);
        };
        let key = link.connection.clone();
        let events = db(self.store(), move |s| s.events_for_connection(&key, 100)).await?;
        let done = events
            .iter()
            .filter(|e| e.at >= opened && e.cause == Some(Cause::Reconnected))
            .map(|e| e.at)
            .min();
        if let Some(at) = done {
            link.used_at = Some(at);
            let stored = link.clone();
            db(self.store(), move |s| s.put_reconnect_link(&stored)).await?;
        }
        Ok(link)
    }

    /// How the API shows `link`.
    pub fn view(&self, link: ReconnectLink) -> LinkView {
        let now = self.connections.now();
        let status = if link.revoked_at.is_some() {
            "revoked"
        } else if link.used_at.is_some() || link.opens >= MAX_OPENS {
            "used"
        } else if now >= link.expires_at {
            "expired"
        } else {
            "active"
        };
        LinkView {
            url: (status == "active").then(|| self.url(&link)).flatten(),
            id: link.id,
            connection: link.connection,
            scopes: link.scopes,
            created_at: link.created_at,
            expires_at: link.expires_at,
            opened_at: link.opened_at,
            used_at: link.used_at,
            revoked_at: link.revoked_at,
            status,
        }
    }
}
