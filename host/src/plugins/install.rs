//! Getting components into the host: the ones kept in the store and the operator's
//! plugin directory at start, and uploads through the API.

use mooring_store::{EventKind, PluginRecord, StoreError};

use super::capabilities;
use super::lifecycle::{PluginLifecycle, PluginLifecycleError, Uploaded, plugin_event};
use crate::runtime::Plugin;
use crate::runtime::registry::PluginSummary;

impl PluginLifecycle {
    /// Load every version kept in the store (oldest first, so a re-uploaded version's
    /// newest bytes win) and restore the active pointers and canaries. A version that
    /// no longer loads is reported and skipped.
    pub async fn load_stored(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mut records = self.store.list_plugins()?;
        records.sort_by_key(|r| r.added_at);
        for record in records {
            let bytes = match self.store.plugin_blob(&record.sha256) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    problems.push(format!(
                        "{} {}: component missing",
                        record.id, record.version
                    ));
                    continue;
                }
                Err(error @ StoreError::BlobTampered { .. }) => {
                    tracing::error!(%error, "stored plugin component altered; skipped");
                    problems.push(format!("{} {}: {error}", record.id, record.version));
                    continue;
                }
                Err(error) => return Err(error),
            };
            match self.runtime.load(&bytes, self.cache.as_ref()).await {
                Ok(plugin) => self.registry.insert(plugin, false),
                Err(error) => {
                    tracing::warn!(%error, sha256 = %record.sha256, "stored plugin no longer loads; skipped");
                    problems.push(format!("{} {}: {error}", record.id, record.version));
                }
            }
        }
        for (provider, sha) in self.store.active_plugins()? {
            if let Some(plugin) = self.registry.by_sha256(&sha) {
                let _ = self.registry.activate(&provider, &plugin.info.version);
            }
        }
        for decisions in self.store.list_provider_plugins()? {
            if let Some(canary) = decisions.canary
                && let Some(plugin) = self.registry.by_sha256(&canary.sha256)
            {
                let _ = self.registry.set_canary(
                    &decisions.provider,
                    Some((&plugin.info.version, canary.percent)),
                );
            }
        }
        Ok(problems)
    }

    /// Install a component the operator put in the plugin directory: stored, its
    /// capabilities approved, and activated when it is new to this host or its
    /// provider has no active version (a known component never moves the pointer, so
    /// activations made through the API survive a restart).
    pub async fn install_operator_component(
        &self,
        bytes: &[u8],
    ) -> Result<PluginSummary, PluginLifecycleError> {
        let _guard = self.decisions.lock().await;
        let sha = mooring_store::sha256_hex(bytes);
        let known = self.store.plugin(&sha)?.is_some();
        let plugin = self.runtime.load(bytes, self.cache.as_ref()).await?;
        self.persist_component(bytes, &plugin)?;
        let provider = plugin.info.id.clone();
        let caps = capabilities::of_manifest(&plugin.info.manifest);
        let activate = !known || self.store.active_plugin(&provider)?.is_none();
        let at = self.clock.now_millis();
        let sha_for_store = plugin.info.sha256.clone();
        let event = activate.then(|| {
            plugin_event(
                at,
                EventKind::PluginActivated,
                format!(
                    "{provider} {} from the plugin directory",
                    plugin.info.version
                ),
            )
        });
        self.store
            .update_provider_plugins(&provider, at, event.as_ref(), |p| {
                p.approved = capabilities::union(&p.approved, &caps);
                if activate && p.active.as_deref() != Some(sha_for_store.as_str()) {
                    if let Some(previous) = p.active.take() {
                        p.history.push(previous);
                    }
                    p.active = Some(sha_for_store.clone());
                }
                Ok(())
            })?;
        self.registry.insert(plugin.clone(), activate);
        Ok(self.summary(&plugin)?)
    }

    fn persist_component(&self, bytes: &[u8], plugin: &Plugin) -> Result<(), StoreError> {
        let info = &plugin.info;
        if self.store.plugin(&info.sha256)?.is_some() {
            return Ok(());
        }
        self.store.put_plugin_blob(bytes)?;
        self.store.put_plugin(&PluginRecord {
            sha256: info.sha256.clone(),
            id: info.id.clone(),
            version: info.version.clone(),
            name: info.manifest.name.clone(),
            size: info.size as u64,
            added_at: self.clock.now_millis(),
        })
    }

    /// Upload a component: validated (a component of a supported world whose
    /// `describe()` returns a valid manifest), stored by sha256 and compiled once.
    /// Not activated. The same bytes again change nothing. Another component under a
    /// version already stored is refused unless `replace` (for authors' rebuilds);
    /// a replaced active version stays active only if it asks for nothing new.
    pub async fn upload(
        &self,
        bytes: &[u8],
        replace: bool,
    ) -> Result<Uploaded, PluginLifecycleError> {
        if bytes.len() > self.upload_cap {
            return Err(PluginLifecycleError::TooLarge {
                size: bytes.len(),
                cap: self.upload_cap,
            });
        }
        let _guard = self.decisions.lock().await;
        let sha = mooring_store::sha256_hex(bytes);
        if let Some(plugin) = self.registry.by_sha256(&sha) {
            return Ok(Uploaded {
                summary: self.summary(&plugin)?,
                created: false,
            });
        }
        let plugin = self.runtime.load(bytes, self.cache.as_ref()).await?;
        let info = plugin.info.clone();
        let existing = self.registry.version(&info.id, &info.version);
        if let Some(existing) = &existing {
            if !replace {
                return Err(PluginLifecycleError::Conflict(format!(
                    "{} {} is already stored with other bytes (sha256 {}); bump the version, or upload with replace=true",
                    info.id, info.version, existing.info.sha256
                )));
            }
            if self.registry.is_active(existing) {
                let escalation = capabilities::beyond(
                    &capabilities::of_manifest(&info.manifest),
                    &self.approved_set(&info.id)?,
                );
                if !escalation.is_empty() {
                    return Err(PluginLifecycleError::NotApproved {
                        provider: info.id.clone(),
                        version: info.version.clone(),
                        escalation,
                    });
                }
            }
        }
        self.persist_component(bytes, &plugin)?;
        let at = self.clock.now_millis();
        let replaced_active = existing
            .as_ref()
            .is_some_and(|e| self.registry.is_active(e));
        let sha_for_store = info.sha256.clone();
        self.store.update_provider_plugins(
            &info.id,
            at,
            Some(&plugin_event(
                at,
                EventKind::PluginUploaded,
                format!("{} {} (sha256 {})", info.id, info.version, info.sha256),
            )),
            |p| {
                if replaced_active {
                    p.active = Some(sha_for_store.clone());
                }
                Ok(())
            },
        )?;
        self.registry.insert(plugin.clone(), false);
        Ok(Uploaded {
            summary: self.summary(&plugin)?,
            created: true,
        })
    }
}
