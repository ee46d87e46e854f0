//! One host instance: configuration, the store, the runtime and the loaded plugins,
//! assembled in the order they depend on each other.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mooring_store::{KeyOrigin, PluginRecord, Store, load_or_create_key};

use crate::auth::grants::GrantService;
use crate::auth::tokens::{ReqwestTransport, TokenEndpoint, TokenTransport};
use crate::auth::{ConnectionService, integrations};
use crate::backends::{StoreArtifacts, StoreState};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::runtime::capabilities::Capabilities;
use crate::runtime::capabilities::http::HttpCapability;
use crate::runtime::registry::PluginSummary;
use crate::runtime::{PluginError, PluginRegistry, Runtime, RuntimeError};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "mooring.redb";
/// File name of the generated admin token inside the data directory.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The data directory or a file in it could not be used.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The store refused to open (wrong key, incompatible schema, corrupt file...).
    #[error(transparent)]
    Store(#[from] mooring_store::StoreError),
    /// The runtime could not be set up.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A plugin in the plugin directory is unusable.
    #[error("plugin {path}: {source}")]
    Plugin {
        /// The component file.
        path: PathBuf,
        /// Why it was refused.
        source: PluginError,
    },
    /// A configured integration is invalid.
    #[error("integration for {provider}: {message}")]
    Integration {
        /// Its provider.
        provider: String,
        /// What is wrong.
        message: String,
    },
    /// A blocking task failed.
    #[error("internal task failed: {0}")]
    Task(String),
}

/// A running host's shared parts.
#[derive(Clone)]
pub struct App {
    /// The resolved configuration.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The plugin runtime.
    pub runtime: Arc<Runtime>,
    /// Loaded plugin versions.
    pub registry: Arc<PluginRegistry>,
    /// Wall clock (injectable for tests).
    pub clock: SharedClock,
    /// The bearer token `/api` requires.
    pub admin_token: Arc<String>,
    /// Grants and token requests.
    pub grants: Arc<GrantService>,
    /// The connection lifecycle.
    pub connections: ConnectionService,
    /// Syncing.
    pub sync: Arc<crate::sync::SyncService>,
}

/// How to open an [`App`] beyond its configuration.
#[derive(Clone)]
pub struct AppOptions {
    /// Wall clock.
    pub clock: SharedClock,
    /// Token-endpoint transport; reqwest when `None` (tests inject faults here).
    pub token_transport: Option<Arc<dyn TokenTransport>>,
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> AppError + 'a {
    move |source| AppError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// The configured admin token, or the one generated into the data directory.
fn admin_token(config: &Config) -> Result<String, AppError> {
    if let Some(token) = &config.admin_token {
        return Ok(token.clone());
    }
    let path = config.data_dir.join(ADMIN_TOKEN_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let token = text.trim().to_owned();
        if !token.is_empty() {
            return Ok(token);
        }
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, &format!("{token}\n")).map_err(io("cannot write admin token", &path))?;
    eprintln!("mooring: generated an admin token in {}", path.display());
    Ok(token)
}

/// Write `text` to a new file only the owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

impl App {
    /// Open the data directory (creating it, the key file and the admin token on first
    /// run), build the runtime and load the plugins: those already in the store, then
    /// the components in the plugin directory.
    pub async fn open(config: Config, clock: SharedClock) -> Result<Self, AppError> {
        Self::open_with(
            config,
            AppOptions {
                clock,
                token_transport: None,
            },
        )
        .await
    }

    /// Like [`open`](Self::open) with explicit options.
    pub async fn open_with(config: Config, options: AppOptions) -> Result<Self, AppError> {
        let clock = options.clock;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(io("cannot create data directory", &config.data_dir))?;
        let (key, origin) = load_or_create_key(
            config.encryption_key.as_deref(),
            config.key_file.as_deref(),
            &config.data_dir,
        )?;
        if let KeyOrigin::Created(path) = &origin {
            eprintln!(
                "mooring: created the encryption key {} (0600); back it up: the database cannot be read without it",
                path.display()
            );
        }
        let db = config.data_dir.join(DB_FILE);
        let store = tokio::task::spawn_blocking(move || Store::open(&db, key))
            .await
            .map_err(|e| AppError::Task(e.to_string()))??;
        let admin_token = admin_token(&config)?;
        let http = Arc::new(HttpCapability::new(
            config.host_overrides.clone(),
            &config.limits,
        )?);
        let transport = options
            .token_transport
            .unwrap_or_else(|| Arc::new(ReqwestTransport(http.client().clone())));
        let grants = Arc::new(GrantService::new(
            store.clone(),
            clock.clone(),
            TokenEndpoint::new(transport),
            config.host_overrides.clone(),
        ));
        let caps = Capabilities::new(
            http,
            grants.clone(),
            Arc::new(StoreState(store.clone())),
            clock.clone(),
        )
        .with_budget_overrides(config.rate_budgets.clone().into_iter().collect());
        let runtime = Arc::new(Runtime::new(config.limits.clone(), caps)?);
        let registry = Arc::new(PluginRegistry::new());
        let queue = crate::sync::SyncQueue::default();
        let connections = ConnectionService {
            queue: queue.clone(),
            store: store.clone(),
            runtime: runtime.clone(),
            registry: registry.clone(),
            grants: grants.clone(),
            clock: clock.clone(),
            overrides: config.host_overrides.clone(),
        };
        let intervals = config.sync_intervals.clone().into_iter().collect();
        let sync = crate::sync::SyncService::new(connections.clone(), intervals, queue);
        let app = Self {
            sync,
            config: Arc::new(config),
            store,
            runtime,
            registry,
            clock,
            admin_token: Arc::new(admin_token),
            grants,
            connections,
        };
        app.load_stored_plugins().await?;
        app.load_plugin_dir().await?;
        app.apply_configured_integrations()?;
        Ok(app)
    }

    /// Create or update the integrations named in the configuration.
    fn apply_configured_integrations(&self) -> Result<(), AppError> {
        let redirect = self.config.redirect_uri();
        for spec in &self.config.integrations {
            integrations::upsert(&self.store, spec, &redirect, self.clock.now_millis()).map_err(
                |e| AppError::Integration {
                    provider: spec.provider.clone(),
                    message: e.to_string(),
                },
            )?;
        }
        Ok(())
    }

    /// Start the background work of a serving host: the sync scheduler (queued syncs
    /// always; interval syncs unless turned off) and the keep-alive of idle grants.
    pub fn spawn_background(&self) -> tokio::task::JoinHandle<()> {
        self.sync.spawn_scheduler(self.config.scheduler);
        let connections = self.connections.clone();
        let every = std::time::Duration::from_secs(self.config.keep_alive_secs.max(1));
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                let refreshed = connections.keep_alive_pass().await;
                if refreshed > 0 {
                    tracing::info!(refreshed, "keep-alive refreshed idle grants");
                }
            }
        })
    }

    /// Load every plugin version kept in the store, activating the recorded ones.
    async fn load_stored_plugins(&self) -> Result<(), AppError> {
        let cache = StoreArtifacts(self.store.clone());
        let active = self.store.active_plugins()?;
        for record in self.store.list_plugins()? {
            let Some(bytes) = self.store.plugin_blob(&record.sha256)? else {
                tracing::warn!(sha256 = %record.sha256, "plugin record without its component; skipped");
                continue;
            };
            match self.runtime.load(&bytes, &cache).await {
                Ok(plugin) => {
                    let is_active = active
                        .iter()
                        .any(|(id, sha)| *id == record.id && *sha == record.sha256);
                    self.registry.insert(plugin, is_active);
                }
                Err(error) => {
                    tracing::warn!(%error, sha256 = %record.sha256, "stored plugin no longer loads; skipped")
                }
            }
        }
        Ok(())
    }

    /// Load every `*.wasm` in the plugin directory; a new version becomes active.
    async fn load_plugin_dir(&self) -> Result<(), AppError> {
        let dir = &self.config.plugin_dir;
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "plugin directory does not exist; no plugins loaded from it");
                return Ok(());
            }
            Err(error) => return Err(io("cannot read plugin directory", dir)(error)),
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(io("cannot read plugin", &path))?;
            self.install(&bytes, true)
                .await
                .map_err(|source| AppError::Plugin {
                    path: path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Validate, compile and register a component, keep it in the store, and
    /// optionally make it the provider's active version.
    pub async fn install(
        &self,
        bytes: &[u8],
        activate: bool,
    ) -> Result<PluginSummary, PluginError> {
        let plugin = self
            .runtime
            .load(bytes, &StoreArtifacts(self.store.clone()))
            .await?;
        let info = plugin.info.clone();
        let persist = || -> Result<(), mooring_store::StoreError> {
            self.store.put_plugin_blob(bytes)?;
            self.store.put_plugin(&PluginRecord {
                sha256: info.sha256.clone(),
                id: info.id.clone(),
                version: info.version.clone(),
                name: info.manifest.name.clone(),
                size: info.size as u64,
                added_at: self.clock.now_millis(),
            })?;
            if activate || self.store.active_plugin(&info.id)?.is_none() {
                self.store.set_active_plugin(&info.id, &info.sha256)?;
            }
            Ok(())
        };
        if let Err(error) = persist() {
            tracing::warn!(%error, plugin = %info.id, "cannot persist plugin; it is loaded for this run only");
        }
        self.registry.insert(plugin, activate);
        let summary = self
            .registry
            .list()
            .into_iter()
            .find(|s| s.sha256 == info.sha256)
            .unwrap_or(PluginSummary {
                id: info.id.clone(),
                name: info.manifest.name.clone(),
                version: info.version.clone(),
                sha256: info.sha256.clone(),
                size: info.size,
                active: activate,
            });
        Ok(summary)
    }
}
