//! Plugin versions per provider, in memory: the loaded versions, the active pointer and
//! the canary. Activation swaps one pointer; calls in flight keep the `Arc<Plugin>` they
//! started with, so they finish on their version. A connection runs its pin if it has
//! one, else the canary if its stable bucket falls in the canary's share, else the
//! active version.
//!
//! The registry only mirrors decisions; the plugin lifecycle (`crate::plugins`) makes
//! them, checks approvals and persists them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use mooring_store::PluginCapabilities;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::plugin::Plugin;

/// Why a registry operation failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// No plugin with that provider id is loaded.
    #[error("no plugin {0:?} is loaded")]
    UnknownProvider(String),
    /// The provider has no such version.
    #[error("plugin {id:?} has no version {version:?}")]
    UnknownVersion {
        /// Provider id.
        id: String,
        /// Requested version.
        version: String,
    },
}

/// One line of the plugin listing (`GET /api/plugins`, `mooring plugin list`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PluginSummary {
    /// Provider id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Semver version.
    pub version: String,
    /// sha256 of the component.
    pub sha256: String,
    /// Component size in bytes.
    pub size: usize,
    /// Whether this version is the provider's active one.
    pub active: bool,
    /// Whether everything this version asks for is within the provider's approved set.
    #[serde(default)]
    pub approved: bool,
    /// What this version asks for: hosts, OAuth endpoints, scopes.
    #[serde(default)]
    pub capabilities: PluginCapabilities,
    /// The share of connections running this version as a canary, if it is one.
    #[serde(default)]
    pub canary_percent: Option<u8>,
    /// The WIT world version the component implements.
    #[serde(default)]
    pub world: String,
    /// Its streams: name, primary key, cursor format, interval.
    #[serde(default)]
    pub streams: Vec<StreamSummary>,
}

/// A stream as the plugin listing shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StreamSummary {
    /// Stream name.
    pub name: String,
    /// The record field that identifies a record (the record id).
    pub primary_key: String,
    /// The cursor format; a version that changes it re-lists the stream.
    pub cursor_field: Option<String>,
    /// Default seconds between syncs.
    pub interval: u32,
}

#[derive(Debug, Default)]
struct Provider {
    active: Option<Arc<Plugin>>,
    versions: BTreeMap<semver::Version, Arc<Plugin>>,
    canary: Option<(Arc<Plugin>, u8)>,
}

/// Which version of a provider a connection runs, and why.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The plugin version.
    pub plugin: Arc<Plugin>,
    /// How it was chosen.
    pub via: Selection,
}

/// How a connection's plugin version was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The connection's pin.
    Pinned,
    /// The provider's canary (the connection's bucket is in its share).
    Canary,
    /// The provider's active version.
    Active,
}

/// The loaded plugins of this host.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    providers: RwLock<HashMap<String, Provider>>,
}

fn version_of(plugin: &Plugin) -> semver::Version {
    semver::Version::parse(&plugin.info.version).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}

/// The stable bucket (0-99) of `connection` for `provider`'s canary: the same connection
/// always lands in the same bucket, so raising the share only adds connections.
pub fn canary_bucket(provider: &str, connection: &str) -> u8 {
    let digest = Sha256::digest(format!("{provider}\0{connection}").as_bytes());
    let n = u16::from_be_bytes([digest[0], digest[1]]);
    (n % 100) as u8
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Provider>> {
        self.providers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Provider>> {
        self.providers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Add a version (replacing a loaded component of the same version). It becomes
    /// active when `activate` is set, or when it replaces the active version's bytes.
    pub fn insert(&self, plugin: Arc<Plugin>, activate: bool) {
        let mut providers = self.write();
        let provider = providers.entry(plugin.info.id.clone()).or_default();
        let version = version_of(&plugin);
        let replaces_active = provider
            .active
            .as_ref()
            .is_some_and(|a| a.info.version == plugin.info.version);
        provider.versions.insert(version, plugin.clone());
        if activate || replaces_active {
            provider.active = Some(plugin);
        }
    }

    /// The active version of `id`.
    pub fn active(&self, id: &str) -> Option<Arc<Plugin>> {
        self.read().get(id).and_then(|p| p.active.clone())
    }

    /// A specific version of `id`.
    pub fn version(&self, id: &str, version: &str) -> Option<Arc<Plugin>> {
        let version = semver::Version::parse(version).ok()?;
        self.read().get(id)?.versions.get(&version).cloned()
    }

    /// The loaded component with this sha256, if any.
    pub fn by_sha256(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.read()
            .values()
            .flat_map(|p| p.versions.values())
            .find(|p| p.info.sha256 == sha256)
            .cloned()
    }

    /// Every loaded version of `id`, oldest first.
    pub fn versions(&self, id: &str) -> Vec<Arc<Plugin>> {
        self.read()
            .get(id)
            .map(|p| p.versions.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every provider id with at least one loaded version.
    pub fn providers(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.read().keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The version a connection should use when only its pin is known: the pin if
    /// set, else the active one.
    pub fn resolve(&self, id: &str, pinned: Option<&str>) -> Result<Arc<Plugin>, RegistryError> {
        match pinned {
            Some(version) => {
                self.version(id, version)
                    .ok_or_else(|| RegistryError::UnknownVersion {
                        id: id.to_owned(),
                        version: version.to_owned(),
                    })
            }
            None => self
                .active(id)
                .ok_or_else(|| RegistryError::UnknownProvider(id.to_owned())),
        }
    }

    /// The version `connection` runs: its pin, else the canary when the connection's
    /// bucket is within the canary's share, else the active version.
    pub fn resolve_for(
        &self,
        id: &str,
        pinned: Option<&str>,
        connection: &str,
    ) -> Result<Resolved, RegistryError> {
        if pinned.is_some() {
            return self.resolve(id, pinned).map(|plugin| Resolved {
                plugin,
                via: Selection::Pinned,
            });
        }
        let providers = self.read();
        let provider = providers
            .get(id)
            .ok_or_else(|| RegistryError::UnknownProvider(id.to_owned()))?;
        if let Some((canary, percent)) = &provider.canary
            && canary_bucket(id, connection) < *percent
        {
            return Ok(Resolved {
                plugin: canary.clone(),
                via: Selection::Canary,
            });
        }
        provider
            .active
            .clone()
            .map(|plugin| Resolved {
                plugin,
                via: Selection::Active,
            })
            .ok_or_else(|| RegistryError::UnknownProvider(id.to_owned()))
    }

    /// Make `version` the active one of `id`, returning the previously active plugin.
    pub fn activate(&self, id: &str, version: &str) -> Result<Option<Arc<Plugin>>, RegistryError> {
        let next = self
            .version(id, version)
            .ok_or_else(|| RegistryError::UnknownVersion {
                id: id.to_owned(),
                version: version.to_owned(),
            })?;
        let mut providers = self.write();
        let provider = providers.entry(id.to_owned()).or_default();
        Ok(provider.active.replace(next))
    }

    /// Run `version` of `id` on `percent` % of its connections; `None` ends the canary.
    pub fn set_canary(&self, id: &str, canary: Option<(&str, u8)>) -> Result<(), RegistryError> {
        let next = match canary {
            Some((version, percent)) => Some((
                self.version(id, version)
                    .ok_or_else(|| RegistryError::UnknownVersion {
                        id: id.to_owned(),
                        version: version.to_owned(),
                    })?,
                percent.min(100),
            )),
            None => None,
        };
        let mut providers = self.write();
        let provider = providers
            .get_mut(id)
            .ok_or_else(|| RegistryError::UnknownProvider(id.to_owned()))?;
        provider.canary = next;
        Ok(())
    }

    /// The canary of `id`: its version and share, if one runs.
    pub fn canary(&self, id: &str) -> Option<(Arc<Plugin>, u8)> {
        self.read().get(id).and_then(|p| p.canary.clone())
    }

    /// Whether `plugin` is its provider's active version.
    pub fn is_active(&self, plugin: &Plugin) -> bool {
        self.read()
            .get(&plugin.info.id)
            .and_then(|p| p.active.as_ref())
            .is_some_and(|a| a.info.sha256 == plugin.info.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::canary_bucket;

    #[test]
    fn canary_buckets_are_stable_and_spread() {
        assert_eq!(canary_bucket("acme", "c1"), canary_bucket("acme", "c1"));
        let buckets: Vec<u8> = (0..1000)
            .map(|i| canary_bucket("acme", &format!("conn-{i}")))
            .collect();
        assert!(buckets.iter().all(|b| *b < 100));
        let under_ten = buckets.iter().filter(|b| **b < 10).count();
        assert!((50..150).contains(&under_ten), "about 10%: {under_ten}");
    }
}
