//! A loaded plugin version: validated, compiled once, pre-instantiated once.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::allow::AllowedHosts;
use super::cache::ArtifactCache;
use super::context::CallContext;
use super::manifest::ManifestError;
use super::types::Manifest;
use super::wit::{self, ConnectorPre, WitVersion, WorldError};
use super::{CallError, Runtime};

/// What the host knows about a plugin version; shared by all its calls.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// Provider id from the manifest.
    pub id: String,
    /// Semver version from the manifest.
    pub version: String,
    /// sha256 of the component bytes, lower-case hex.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// The manifest as `describe()` returned it.
    pub manifest: Manifest,
    /// The parsed allow-list.
    pub allowed: AllowedHosts,
}

impl PluginInfo {
    /// A placeholder used while `describe()` runs: no hosts allowed.
    fn describing(sha256: &str, size: usize) -> Self {
        Self {
            id: "(describing)".into(),
            version: "0.0.0".into(),
            sha256: sha256.to_owned(),
            size,
            manifest: empty_manifest(),
            allowed: AllowedHosts::default(),
        }
    }
}

/// A manifest with every field empty or off (a base for placeholders and tests).
pub(crate) fn empty_manifest() -> Manifest {
    use super::types::*;
    Manifest {
        id: String::new(),
        name: String::new(),
        version: String::new(),
        auth: AuthConfig {
            authorize_url: String::new(),
            token_url: String::new(),
            revoke_url: None,
            default_scopes: vec![],
            pkce: false,
            client_auth: ClientAuth::Basic,
        },
        allowed_hosts: vec![],
        streams: vec![],
        rate_budget: RateBudget {
            per_minute: None,
            per_day: None,
            concurrency: None,
            minute_remaining_header: None,
            day_remaining_header: None,
            app_minute_remaining_header: None,
            default_retry_after: 60,
        },
        token_policy: TokenPolicy {
            refresh_ahead: 0,
            refresh_token_idle_lifetime: None,
            keep_alive_after: None,
            grace_window: 0,
        },
    }
}

/// One plugin version, ready to instantiate.
pub struct Plugin {
    /// Facts about this version.
    pub info: Arc<PluginInfo>,
    pub(crate) pre: ConnectorPre,
}

impl Plugin {
    /// The `mooring:connector` world version the component implements.
    pub fn wit_version(&self) -> WitVersion {
        self.pre.version()
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Why a component could not be loaded as a plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// Not a WebAssembly component (a core module, or not wasm at all).
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// A component of a world version this host does not support (the message names
    /// the supported ones).
    #[error(transparent)]
    UnsupportedWorld(#[from] WorldError),
    /// A component of a supported version that does not implement its world (missing
    /// or mistyped exports, imports the host does not provide).
    #[error("the component does not implement the {0}")]
    Incompatible(String),
    /// `describe()` failed.
    #[error("describe() failed: {0}")]
    Describe(#[from] CallError),
    /// `describe()` returned an unacceptable manifest.
    #[error("invalid manifest: {0}")]
    Manifest(#[from] ManifestError),
}

/// sha256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Runtime {
    /// Load a component: compile it (or reuse a cached artifact of this host's own
    /// making), check it implements the world, pre-instantiate it once, and run
    /// `describe()` to read and validate its manifest.
    pub async fn load(
        &self,
        bytes: &[u8],
        cache: &dyn ArtifactCache,
    ) -> Result<Arc<Plugin>, PluginError> {
        let sha256 = sha256_hex(bytes);
        let component = self.compile(&sha256, bytes, cache).await?;
        let version = wit::detect(&self.engine, &component)?;
        let incompatible = |e: wasmtime::Error| {
            PluginError::Incompatible(format!("{}@{version} world: {e:#}", wit::PACKAGE))
        };
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(incompatible)?;
        let pre = ConnectorPre::new(version, pre).map_err(incompatible)?;
        let describing = Arc::new(PluginInfo::describing(&sha256, bytes.len()));
        let manifest = self
            .run_instance(
                pre.instance_pre(),
                describing,
                CallContext::detached(),
                move |instance, store| Box::pin(version.describe_checked(instance, store)),
            )
            .await?;
        let (version, allowed) = super::manifest::validate_for(&manifest, self.caps.http.egress())?;
        let info = PluginInfo {
            id: manifest.id.clone(),
            version: version.to_string(),
            sha256,
            size: bytes.len(),
            manifest,
            allowed,
        };
        Ok(Arc::new(Plugin {
            info: Arc::new(info),
            pre,
        }))
    }

    async fn compile(
        &self,
        sha256: &str,
        bytes: &[u8],
        cache: &dyn ArtifactCache,
    ) -> Result<Component, PluginError> {
        if let Some(artifact) = cache.get(sha256, &self.compat_key) {
            // SAFETY: the cache only holds artifacts this host serialised itself, keyed by
            // the component's hash and this engine's compatibility key.
            match unsafe { Component::deserialize(&self.engine, &artifact) } {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(%error, sha256, "discarding an unusable cached artifact")
                }
            }
        }
        if !wasmparser_is_component(bytes) {
            return Err(PluginError::Invalid(
                "expected a component (wasm32-wasip2 build), found a core module or other bytes"
                    .into(),
            ));
        }
        let engine = self.engine.clone();
        let owned = bytes.to_vec();
        self.compilations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &owned))
            .await
            .map_err(|e| PluginError::Invalid(format!("compilation task failed: {e}")))?
            .map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        match component.serialize() {
            Ok(artifact) => cache.put(sha256, &self.compat_key, &artifact),
            Err(error) => tracing::warn!(%error, "cannot serialise a compiled plugin"),
        }
        Ok(component)
    }
}

/// Whether `bytes` start with the component-model preamble (magic + layer 1).
fn wasmparser_is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[0..4] == *b"\0asm" && bytes[6..8] == [1, 0]
}
