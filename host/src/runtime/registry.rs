//! Plugin versions per provider and the active pointer. Activation swaps one pointer;
//! calls in flight keep the `Arc<Plugin>` they started with, so they finish on their
//! version. A connection may pin a version; rollback is activating the previous one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

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

/// One line of the plugin listing.
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
}

#[derive(Debug)]
struct Provider {
    active: Arc<Plugin>,
    versions: BTreeMap<semver::Version, Arc<Plugin>>,
}

/// The loaded plugins of this host.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    providers: RwLock<HashMap<String, Provider>>,
}

fn version_of(plugin: &Plugin) -> semver::Version {
    semver::Version::parse(&plugin.info.version).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
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

    /// Add a version. It becomes active when `activate` is set or when it is the
    /// provider's first. Re-adding the same version replaces it.
    pub fn insert(&self, plugin: Arc<Plugin>, activate: bool) {
        let mut providers = self.write();
        let id = plugin.info.id.clone();
        let version = version_of(&plugin);
        match providers.get_mut(&id) {
            Some(provider) => {
                let replaces_active = provider.active.info.version == plugin.info.version;
                provider.versions.insert(version, plugin.clone());
                if activate || replaces_active {
                    provider.active = plugin;
                }
            }
            None => {
                let mut versions = BTreeMap::new();
                versions.insert(version, plugin.clone());
                providers.insert(
                    id,
                    Provider {
                        active: plugin,
                        versions,
                    },
                );
            }
        }
    }

    /// The active version of `id`.
    pub fn active(&self, id: &str) -> Option<Arc<Plugin>> {
        self.read().get(id).map(|p| p.active.clone())
    }

    /// A specific version of `id`.
    pub fn version(&self, id: &str, version: &str) -> Option<Arc<Plugin>> {
        let version = semver::Version::parse(version).ok()?;
        self.read().get(id)?.versions.get(&version).cloned()
    }

    /// The version a connection should use: its pin if set, else the active one.
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

    /// Make `version` the active one of `id`, returning the previously active plugin.
    pub fn activate(&self, id: &str, version: &str) -> Result<Arc<Plugin>, RegistryError> {
        let parsed =
            semver::Version::parse(version).map_err(|_| RegistryError::UnknownVersion {
                id: id.to_owned(),
                version: version.to_owned(),
            })?;
        let mut providers = self.write();
        let provider = providers
            .get_mut(id)
            .ok_or_else(|| RegistryError::UnknownProvider(id.to_owned()))?;
        let next = provider.versions.get(&parsed).cloned().ok_or_else(|| {
            RegistryError::UnknownVersion {
                id: id.to_owned(),
                version: version.to_owned(),
            }
        })?;
        Ok(std::mem::replace(&mut provider.active, next))
    }

    /// Every loaded version, sorted by id then version.
    pub fn list(&self) -> Vec<PluginSummary> {
        let providers = self.read();
        let mut out: Vec<PluginSummary> = providers
            .values()
            .flat_map(|p| {
                p.versions.values().map(|plugin| PluginSummary {
                    id: plugin.info.id.clone(),
                    name: plugin.info.manifest.name.clone(),
                    version: plugin.info.version.clone(),
                    sha256: plugin.info.sha256.clone(),
                    size: plugin.info.size,
                    active: Arc::ptr_eq(plugin, &p.active),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (a.id.as_str(), version_key(&a.version)).cmp(&(b.id.as_str(), version_key(&b.version)))
        });
        out
    }
}

fn version_key(v: &str) -> semver::Version {
    semver::Version::parse(v).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}
