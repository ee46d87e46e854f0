//! Signed webhooks: events from the store's outbox, POSTed to the configured endpoints
//! in the Standard Webhooks convention.
//!
//! - [`signing`]: `whsec_` secrets and `webhook-signature` (HMAC-SHA256);
//! - [`payload`]: the JSON body, and the `sync.*` events the sync runner records;
//! - [`delivery`]: fanning events out of the outbox, attempts, retries with backoff and
//!   jitter for the retry window (24 h), and disabling dead endpoints;
//! - [`expiry`]: `connection.expiring` warnings for refresh tokens keep-alive cannot save;
//! - configured endpoints and tuning: [`crate::config::webhooks`];
//! - this module: the [`WebhookService`] and the endpoint operations the API offers.
//!
//! Secrets are sealed at rest, shown once at creation and never logged or returned.

pub mod delivery;
pub mod expiry;
pub mod payload;
pub mod signing;

use std::sync::Arc;

use mooring_store::webhook_secret_aad as secret_aad;
use mooring_store::{EndpointSource, Sealed, Store, StoreError, WebhookEndpoint};
use serde::Serialize;

use crate::auth::secrets::new_id;
use crate::clock::SharedClock;
use crate::config::webhooks::{WebhookSettings, WebhookSpec};
use crate::connections::ConnectionService;
use crate::reconnect_links::ReconnectLinks;
use crate::store_io::db;
use signing::{SigningError, SigningSecret};

/// Why a webhook operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No such endpoint or event.
    #[error("{0}")]
    NotFound(String),
    /// The request is not acceptable (the text says why).
    #[error("{0}")]
    Invalid(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An endpoint as the API shows it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    /// Id.
    pub id: String,
    /// Where events go.
    pub url: String,
    /// What it is for.
    pub description: Option<String>,
    /// Event types delivered; empty: all.
    pub event_types: Vec<String>,
    /// Whether events are delivered to it.
    pub enabled: bool,
    /// Why it is disabled.
    pub disabled_reason: Option<String>,
    /// `api` or `config`.
    #[schema(value_type = String)]
    pub source: EndpointSource,
    /// Failing since (ms), while every attempt fails.
    pub failing_since: Option<u64>,
    /// Created (ms).
    pub created_at: u64,
    /// Last changed (ms).
    pub updated_at: u64,
}

impl From<&WebhookEndpoint> for EndpointView {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e.event_types.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            source: e.source,
            failing_since: e.failing_since,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// What may change in an endpoint (`PATCH`): fields present are changed.
#[derive(Debug, Default, Clone)]
pub struct EndpointPatch {
    /// New URL.
    pub url: Option<String>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// Enable (clearing its failure record) or disable it.
    pub enabled: Option<bool>,
}

/// Seal `secret` for endpoint `id`.
pub(crate) fn seal_secret(
    store: &Store,
    id: &str,
    secret: &SigningSecret,
) -> Result<Sealed, StoreError> {
    store.cipher().seal(&secret.expose(), &secret_aad(id))
}

/// Open endpoint `e`'s secret.
pub(crate) fn open_secret(store: &Store, e: &WebhookEndpoint) -> Result<SigningSecret, String> {
    let text = store
        .cipher()
        .open(&e.secret, &secret_aad(&e.id))
        .map_err(|error| format!("the endpoint's secret does not open: {error}"))?;
    SigningSecret::parse(text.expose()).map_err(|e| e.to_string())
}

/// Check an endpoint URL: http(s), a host, no credentials.
pub fn check_url(text: &str) -> Result<(), WebhookError> {
    let url = url::Url::parse(text)
        .map_err(|e| WebhookError::Invalid(format!("url is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(WebhookError::Invalid(
            "url must be an http or https URL with a host".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhookError::Invalid(
            "url must not carry credentials; sign with the endpoint's secret instead".into(),
        ));
    }
    if text.len() > 2048 {
        return Err(WebhookError::Invalid(
            "url is longer than 2048 bytes".into(),
        ));
    }
    Ok(())
}

fn check_types(types: &[String]) -> Result<(), WebhookError> {
    if types.len() > 64 {
        return Err(WebhookError::Invalid("at most 64 event_types".into()));
    }
    for t in types {
        let ok = !t.is_empty()
            && t.len() <= 100
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_' || c == '*');
        if !ok {
            return Err(WebhookError::Invalid(format!(
                "event type {t:?} is not like connection.needs_reauth or connection.*"
            )));
        }
    }
    Ok(())
}

/// Outgoing webhooks of one host.
#[derive(Clone)]
pub struct WebhookService {
    pub(crate) connections: ConnectionService,
    pub(crate) links: ReconnectLinks,
    pub(crate) settings: Arc<WebhookSettings>,
    pub(crate) http: reqwest::Client,
    /// Seconds between keep-alive passes (a keep-alive that is late by two of them has
    /// failed).
    pub(crate) keep_alive_secs: u64,
    /// Deliveries finished this many days ago are pruned (`0`: kept).
    pub(crate) keep_days: u64,
    pub(crate) wake: Arc<tokio::sync::Notify>,
    /// Serialises fan-outs (the task's and a redelivery's).
    pub(crate) fanning: Arc<tokio::sync::Mutex<()>>,
}

impl WebhookService {
    /// Webhooks over `connections`' store and clock.
    pub fn new(
        connections: ConnectionService,
        links: ReconnectLinks,
        settings: WebhookSettings,
        keep_alive_secs: u64,
        keep_days: u64,
    ) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(delivery::ATTEMPT_TIMEOUT)
            .user_agent(concat!("mooring-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            connections,
            links,
            settings: Arc::new(settings),
            http,
            keep_alive_secs,
            keep_days,
            wake: Arc::default(),
            fanning: Arc::default(),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.connections.store
    }

    pub(crate) fn clock(&self) -> &SharedClock {
        &self.connections.clock
    }

    fn now(&self) -> u64 {
        self.clock().now_millis()
    }

    /// Create an endpoint; returns it with its secret (`whsec_…`), shown this once.
    pub async fn create(
        &self,
        url: String,
        description: Option<String>,
        event_types: Vec<String>,
    ) -> Result<(EndpointView, String), WebhookError> {
        check_url(&url)?;
        check_types(&event_types)?;
        let id = new_id("whep");
        let secret = SigningSecret::generate();
        let now = self.now();
        let endpoint = WebhookEndpoint {
            secret: seal_secret(self.store(), &id, &secret)?,
            id,
            url,
            description,
            event_types,
            enabled: true,
            disabled_reason: None,
            source: EndpointSource::Api,
            failing_since: None,
            exhausted_in_a_row: 0,
            created_at: now,
            updated_at: now,
        };
        let view = EndpointView::from(&endpoint);
        db(self.store(), move |s| s.put_webhook_endpoint(&endpoint)).await?;
        Ok((view, secret.expose().to_string()))
    }

    /// Create or update the endpoints named in the configuration (their enabled state
    /// and failure record are kept).
    pub async fn apply_configured(&self) -> Result<(), WebhookError> {
        for spec in &self.settings.endpoints {
            self.apply_spec(spec)
                .await
                .map_err(|e| WebhookError::Invalid(format!("webhook {}: {e}", spec.id)))?;
        }
        Ok(())
    }

    async fn apply_spec(&self, spec: &WebhookSpec) -> Result<(), WebhookError> {
        crate::validate::id("webhook id", &spec.id).map_err(|e| WebhookError::Invalid(e.0))?;
        check_url(&spec.url)?;
        check_types(&spec.event_types)?;
        let secret = SigningSecret::parse(&spec.secret)
            .map_err(|e: SigningError| WebhookError::Invalid(e.to_string()))?;
        let now = self.now();
        let key = spec.id.clone();
        let existing = db(self.store(), move |s| s.webhook_endpoint(&key)).await?;
        let mut endpoint = existing.unwrap_or(WebhookEndpoint {
            id: spec.id.clone(),
            url: String::new(),
            description: None,
            secret: seal_secret(self.store(), &spec.id, &secret)?,
            event_types: vec![],
            enabled: true,
            disabled_reason: None,
            source: EndpointSource::Config,
            failing_since: None,
            exhausted_in_a_row: 0,
            created_at: now,
            updated_at: now,
        });
        endpoint.url = spec.url.clone();
        endpoint.description = spec.description.clone();
        endpoint.event_types = spec.event_types.clone();
        endpoint.secret = seal_secret(self.store(), &spec.id, &secret)?;
        endpoint.source = EndpointSource::Config;
        db(self.store(), move |s| s.put_webhook_endpoint(&endpoint)).await?;
        Ok(())
    }

    /// Every endpoint.
    pub async fn list(&self) -> Result<Vec<EndpointView>, WebhookError> {
        let all = db(self.store(), |s| s.list_webhook_endpoints()).await?;
        Ok(all.iter().map(EndpointView::from).collect())
    }

    async fn endpoint(&self, id: &str) -> Result<WebhookEndpoint, WebhookError> {
        let key = id.to_owned();
        db(self.store(), move |s| s.webhook_endpoint(&key))
            .await?
            .ok_or_else(|| {
                WebhookError::NotFound(format!("webhook endpoint {id:?} does not exist"))
            })
    }

    /// Endpoint `id`.
    pub async fn get(&self, id: &str) -> Result<EndpointView, WebhookError> {
        Ok(EndpointView::from(&self.endpoint(id).await?))
    }

    /// Change endpoint `id`. Disabling cancels its pending deliveries; enabling clears
    /// its failure record.
    pub async fn update(
        &self,
        id: &str,
        patch: EndpointPatch,
    ) -> Result<EndpointView, WebhookError> {
        if let Some(url) = &patch.url {
            check_url(url)?;
        }
        if let Some(types) = &patch.event_types {
            check_types(types)?;
        }
        self.endpoint(id).await?;
        let (key, now) = (id.to_owned(), self.now());
        let updated = db(self.store(), move |s| {
            s.write(|tx| {
                let Some(mut e) = tx.webhook_endpoint(&key)? else {
                    return Ok(None);
                };
                if let Some(url) = patch.url {
                    e.url = url;
                }
                if let Some(description) = patch.description {
                    e.description = description;
                }
                if let Some(types) = patch.event_types {
                    e.event_types = types;
                }
                match patch.enabled {
                    Some(true) if !e.enabled => {
                        e.enabled = true;
                        e.disabled_reason = None;
                        e.failing_since = None;
                        e.exhausted_in_a_row = 0;
                    }
                    Some(false) if e.enabled => {
                        e.enabled = false;
                        e.disabled_reason = Some("disabled by an operator".into());
                        delivery::cancel_pending(tx, &e.id, now)?;
                    }
                    _ => {}
                }
                e.updated_at = now;
                tx.put_webhook_endpoint(&e)?;
                Ok(Some(e))
            })
        })
        .await?;
        updated.map(|e| EndpointView::from(&e)).ok_or_else(|| {
            WebhookError::NotFound(format!("webhook endpoint {id:?} does not exist"))
        })
    }

    /// Delete endpoint `id` and its delivery log.
    pub async fn delete(&self, id: &str) -> Result<(), WebhookError> {
        let key = id.to_owned();
        if db(self.store(), move |s| s.delete_webhook_endpoint(&key)).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound(format!(
                "webhook endpoint {id:?} does not exist"
            )))
        }
    }

    /// Deliveries to endpoint `id` of events before `before`, newest first.
    pub async fn endpoint_deliveries(
        &self,
        id: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<mooring_store::Delivery>, WebhookError> {
        self.endpoint(id).await?;
        let key = id.to_owned();
        Ok(db(self.store(), move |s| {
            s.deliveries_for_endpoint(&key, before, limit)
        })
        .await?)
    }

    /// Deliveries of event `seq`.
    pub async fn event_deliveries(
        &self,
        seq: u64,
    ) -> Result<Vec<mooring_store::Delivery>, WebhookError> {
        if db(self.store(), move |s| s.event(seq)).await?.is_none() {
            return Err(WebhookError::NotFound(format!(
                "event {seq} does not exist"
            )));
        }
        Ok(db(self.store(), move |s| s.deliveries_for_event(seq)).await?)
    }

    /// Ask the delivery task to look for work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
