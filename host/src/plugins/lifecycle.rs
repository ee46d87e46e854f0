//! The plugin lifecycle: upload, approval, activation, rollback, canary and pins.
//!
//! Every decision is written to the store (with its event, in one transaction) before
//! the in-memory registry follows, and decisions are serialised by one lock so the two
//! never disagree. A version's capabilities take effect only once approved: components
//! the operator put in the plugin directory count as approved; an uploaded version that
//! asks for more than its provider's approved set is activated (or canaried, or pinned)
//! only with `approve_capabilities`.

use std::sync::Arc;

use mooring_store::{
    Canary, ConnectionState, Event, EventKind, PluginCapabilities, ProviderPlugins, Store,
    StoreError,
};

use super::capabilities::{self, Escalation};
use crate::clock::SharedClock;
use crate::runtime::cache::ArtifactCache;
use crate::runtime::registry::{PluginSummary, StreamSummary};
use crate::runtime::{Plugin, PluginError, PluginRegistry, Runtime};

/// Why a lifecycle request was refused.
#[derive(Debug, thiserror::Error)]
pub enum PluginLifecycleError {
    /// The bytes are not an acceptable plugin (nothing was stored).
    #[error(transparent)]
    Invalid(#[from] PluginError),
    /// The upload is larger than the configured cap.
    #[error("the component is {size} bytes; uploads are capped at {cap} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        cap: usize,
    },
    /// No such provider or version.
    #[error("{0}")]
    NotFound(String),
    /// The version asks for capabilities the operator has not approved.
    #[error(
        "{provider} {version} {escalation} beyond what is approved for {provider}; repeat with approve_capabilities: true to approve"
    )]
    NotApproved {
        /// Provider id.
        provider: String,
        /// The version.
        version: String,
        /// What it adds.
        escalation: Escalation,
    },
    /// The request conflicts with the current state (no previous version, a version
    /// already stored with other bytes...).
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome of an upload.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The version as listed.
    pub summary: PluginSummary,
    /// False when the same bytes were already stored (nothing changed).
    pub created: bool,
}

/// Upload, approve, activate, roll back, canary and pin plugin versions.
#[derive(Clone)]
pub struct PluginLifecycle {
    pub(super) store: Store,
    pub(super) runtime: Arc<Runtime>,
    pub(super) registry: Arc<PluginRegistry>,
    pub(super) clock: SharedClock,
    pub(super) cache: Arc<dyn ArtifactCache>,
    pub(super) upload_cap: usize,
    /// Serialises decisions so the store and the registry change in the same order.
    pub(super) decisions: Arc<tokio::sync::Mutex<()>>,
}

pub(super) fn plugin_event(at: u64, kind: EventKind, text: String) -> Event {
    Event {
        seq: 0,
        at,
        connection: String::new(),
        kind,
        from: None,
        to: None,
        reason: Some(text),
        cause: None,
        run: None,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PluginLifecycleError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PluginLifecycleError::Store(StoreError::InvalidInput(e.to_string())))?
        .map_err(PluginLifecycleError::Store)
}

impl PluginLifecycle {
    /// A lifecycle over `store` and `registry`; uploads over `upload_cap` bytes are
    /// refused.
    pub fn new(
        store: Store,
        runtime: Arc<Runtime>,
        registry: Arc<PluginRegistry>,
        clock: SharedClock,
        cache: Arc<dyn ArtifactCache>,
        upload_cap: usize,
    ) -> Self {
        Self {
            store,
            runtime,
            registry,
            clock,
            cache,
            upload_cap,
            decisions: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The registry this lifecycle drives.
    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    pub(super) fn approved_set(&self, provider: &str) -> Result<PluginCapabilities, StoreError> {
        Ok(self
            .store
            .provider_plugins(provider)?
            .map(|p| p.approved)
            .unwrap_or_default())
    }

    /// Every loaded version with its capabilities and whether they are approved,
    /// sorted by provider then version.
    pub fn list(&self) -> Result<Vec<PluginSummary>, StoreError> {
        let mut out = Vec::new();
        for provider in self.registry.providers() {
            let approved = self.approved_set(&provider)?;
            let canary = self.registry.canary(&provider);
            for plugin in self.registry.versions(&provider) {
                out.push(self.summary_with(&plugin, &approved, canary.as_ref()));
            }
        }
        Ok(out)
    }

    /// The listing line of one loaded version.
    pub fn summary(&self, plugin: &Plugin) -> Result<PluginSummary, StoreError> {
        let approved = self.approved_set(&plugin.info.id)?;
        let canary = self.registry.canary(&plugin.info.id);
        Ok(self.summary_with(plugin, &approved, canary.as_ref()))
    }

    fn summary_with(
        &self,
        plugin: &Plugin,
        approved: &PluginCapabilities,
        canary: Option<&(Arc<Plugin>, u8)>,
    ) -> PluginSummary {
        let info = &plugin.info;
        let caps = capabilities::of_manifest(&info.manifest);
        PluginSummary {
            id: info.id.clone(),
            name: info.manifest.name.clone(),
            version: info.version.clone(),
            sha256: info.sha256.clone(),
            size: info.size,
            active: self.registry.is_active(plugin),
            approved: capabilities::beyond(&caps, approved).is_empty(),
            capabilities: caps,
            canary_percent: canary
                .filter(|(c, _)| c.info.sha256 == info.sha256)
                .map(|(_, p)| *p),
            world: plugin.wit_version().as_str().to_owned(),
            streams: info
                .manifest
                .streams
                .iter()
                .map(|s| StreamSummary {
                    name: s.name.clone(),
                    primary_key: s.primary_key.clone(),
                    cursor_field: s.cursor_field.clone(),
                    interval: s.interval,
                })
                .collect(),
        }
    }

    fn loaded(&self, provider: &str, version: &str) -> Result<Arc<Plugin>, PluginLifecycleError> {
        self.registry.version(provider, version).ok_or_else(|| {
            PluginLifecycleError::NotFound(format!(
                "plugin {provider:?} has no version {version:?}"
            ))
        })
    }

    /// The escalation check: Ok with the capabilities to approve, or NotApproved.
    fn check_approval(
        &self,
        plugin: &Plugin,
        approve: bool,
    ) -> Result<PluginCapabilities, PluginLifecycleError> {
        let caps = capabilities::of_manifest(&plugin.info.manifest);
        let escalation = capabilities::beyond(&caps, &self.approved_set(&plugin.info.id)?);
        if !escalation.is_empty() && !approve {
            return Err(PluginLifecycleError::NotApproved {
                provider: plugin.info.id.clone(),
                version: plugin.info.version.clone(),
                escalation,
            });
        }
        Ok(caps)
    }

    /// Make `version` the provider's active version. New calls use it at once; calls
    /// in flight finish on theirs.
    pub async fn activate(
        &self,
        provider: &str,
        version: &str,
        approve: bool,
    ) -> Result<PluginSummary, PluginLifecycleError> {
        let _guard = self.decisions.lock().await;
        let plugin = self.loaded(provider, version)?;
        let caps = self.check_approval(&plugin, approve)?;
        let at = self.clock.now_millis();
        let sha = plugin.info.sha256.clone();
        let previous = self
            .registry
            .active(provider)
            .map(|p| p.info.version.clone());
        let text = match &previous {
            Some(previous) if previous != version => {
                format!("{provider} {version} activated (was {previous})")
            }
            _ => format!("{provider} {version} activated"),
        };
        let ended_canary = self.store.update_provider_plugins(
            provider,
            at,
            Some(&plugin_event(at, EventKind::PluginActivated, text)),
            |p| {
                p.approved = capabilities::union(&p.approved, &caps);
                if p.active.as_deref() != Some(sha.as_str()) {
                    if let Some(previous) = p.active.take() {
                        p.history.push(previous);
                    }
                    p.active = Some(sha.clone());
                }
                let ends = p.canary.as_ref().is_some_and(|c| c.sha256 == sha);
                if ends {
                    p.canary = None;
                }
                Ok(ends)
            },
        )?;
        self.registry
            .activate(provider, version)
            .map_err(|e| PluginLifecycleError::NotFound(e.to_string()))?;
        if ended_canary {
            let _ = self.registry.set_canary(provider, None);
        }
        Ok(self.summary(&plugin)?)
    }

    /// Make the previously active version active again.
    pub async fn rollback(&self, provider: &str) -> Result<PluginSummary, PluginLifecycleError> {
        let _guard = self.decisions.lock().await;
        let current = self.registry.active(provider).ok_or_else(|| {
            PluginLifecycleError::NotFound(format!("no plugin {provider:?} is loaded"))
        })?;
        let decisions = self.store.provider_plugins(provider)?.unwrap_or_default();
        let target = decisions
            .history
            .iter()
            .rev()
            .find(|sha| **sha != current.info.sha256)
            .and_then(|sha| self.registry.by_sha256(sha))
            .ok_or_else(|| {
                PluginLifecycleError::Conflict(format!(
                    "{provider} has no previously active version to roll back to"
                ))
            })?;
        let at = self.clock.now_millis();
        let target_sha = target.info.sha256.clone();
        let text = format!(
            "{provider} rolled back from {} to {}",
            current.info.version, target.info.version
        );
        self.store.update_provider_plugins(
            provider,
            at,
            Some(&plugin_event(at, EventKind::PluginRolledBack, text)),
            |p: &mut ProviderPlugins| {
                while let Some(sha) = p.history.pop() {
                    if sha == target_sha {
                        break;
                    }
                }
                p.active = Some(target_sha.clone());
                Ok(())
            },
        )?;
        self.registry
            .activate(provider, &target.info.version)
            .map_err(|e| PluginLifecycleError::NotFound(e.to_string()))?;
        Ok(self.summary(&target)?)
    }

    /// Run `version` on `percent` % of the provider's connections (stable per
    /// connection); 0 ends the canary.
    pub async fn canary(
        &self,
        provider: &str,
        version: &str,
        percent: u32,
        approve: bool,
    ) -> Result<(), PluginLifecycleError> {
        if percent > 100 {
            return Err(PluginLifecycleError::BadRequest(format!(
                "percent must be 0-100, got {percent}"
            )));
        }
        let _guard = self.decisions.lock().await;
        let at = self.clock.now_millis();
        if percent == 0 {
            self.store.update_provider_plugins(
                provider,
                at,
                Some(&plugin_event(
                    at,
                    EventKind::PluginCanary,
                    format!("{provider} canary ended"),
                )),
                |p| {
                    p.canary = None;
                    Ok(())
                },
            )?;
            let _ = self.registry.set_canary(provider, None);
            return Ok(());
        }
        let plugin = self.loaded(provider, version)?;
        if self.registry.is_active(&plugin) {
            return Err(PluginLifecycleError::Conflict(format!(
                "{provider} {version} is already the active version"
            )));
        }
        let caps = self.check_approval(&plugin, approve)?;
        let sha = plugin.info.sha256.clone();
        let percent = percent as u8;
        self.store.update_provider_plugins(
            provider,
            at,
            Some(&plugin_event(
                at,
                EventKind::PluginCanary,
                format!("{provider} {version} runs on {percent}% of connections"),
            )),
            |p| {
                p.approved = capabilities::union(&p.approved, &caps);
                p.canary = Some(Canary {
                    sha256: sha.clone(),
                    percent,
                });
                Ok(())
            },
        )?;
        self.registry
            .set_canary(provider, Some((version, percent)))
            .map_err(|e| PluginLifecycleError::NotFound(e.to_string()))?;
        Ok(())
    }

    /// Pin `connection` (of `provider`) to `version`, or unpin it with `None`. A pinned
    /// version must be approved.
    pub async fn pin(
        &self,
        connection: &str,
        provider: &str,
        version: Option<&str>,
        approve: bool,
    ) -> Result<mooring_store::Connection, PluginLifecycleError> {
        let _guard = self.decisions.lock().await;
        let caps = match version {
            Some(version) => {
                let plugin = self.loaded(provider, version)?;
                Some(self.check_approval(&plugin, approve)?)
            }
            None => None,
        };
        let at = self.clock.now_millis();
        let id = connection.to_owned();
        let provider = provider.to_owned();
        let version = version.map(str::to_owned);
        let store = self.store.clone();
        blocking(move || {
            if let Some(caps) = &caps {
                store.update_provider_plugins(&provider, at, None, |p| {
                    p.approved = capabilities::union(&p.approved, caps);
                    Ok(())
                })?;
            }
            store.write(|tx| {
                let mut conn = tx
                    .connection(&id)?
                    .filter(|c| c.state != ConnectionState::Deleted)
                    .ok_or_else(|| {
                        StoreError::InvalidInput(format!("connection {id:?} does not exist"))
                    })?;
                conn.pinned_version = version.clone();
                conn.updated_at = at;
                tx.put_connection(&conn)?;
                tx.append_event(&Event {
                    seq: 0,
                    at,
                    connection: id.clone(),
                    kind: EventKind::ConnectionPluginPinned,
                    from: None,
                    to: None,
                    reason: Some(match &version {
                        Some(v) => format!("pinned to {provider} {v}"),
                        None => format!("unpinned; follows the active {provider} version"),
                    }),
                    cause: None,
                    run: None,
                })?;
                Ok(conn)
            })
        })
        .await
    }
}
