//! One host instance: configuration, the store, the runtime and the loaded plugins,
//! assembled in the order they depend on each other.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mooring_store::private_files::{ensure_private_dir, restrict_file};
use mooring_store::{KeyOrigin, KeySource, Store, load_key_ring};

use crate::auth::grants::GrantService;
use crate::auth::integrations;
use crate::auth::tokens::{ReqwestTransport, TokenEndpoint, TokenTransport};
use crate::backends::{StoreArtifacts, StoreState};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::connections::ConnectionService;
use crate::connections::health::RefusedGrants;
use crate::plugins::PluginLifecycle;
use crate::runtime::capabilities::Capabilities;
use crate::runtime::capabilities::http::HttpCapability;
use crate::runtime::egress::EgressPolicy;
use crate::runtime::{PluginRegistry, Runtime, RuntimeError};

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
    /// A configured webhook endpoint is invalid.
    #[error("{0}")]
    Webhook(String),
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
    /// Upload, approval, activation, rollback, canary and pins of plugin versions.
    pub plugins: PluginLifecycle,
    /// Components that could not be loaded at start, with the reason (they were
    /// skipped; the rest are served).
    pub plugin_problems: Arc<std::sync::RwLock<Vec<String>>>,
    /// Signed webhooks from the event outbox.
    pub webhooks: crate::webhooks::WebhookService,
    /// Shareable reconnect links.
    pub links: crate::reconnect_links::ReconnectLinks,
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
    restrict_file(&path);
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
    let mut file = options.open(path)?;
    // `mode` applies only to a new file: tighten one that already existed.
    restrict_file(path);
    file.write_all(text.as_bytes())
}

impl App {
    /// Open the data directory (creating it 0700, and the key file and the admin token
    /// 0600, on first run; tightening them when loosened), build the runtime and load the
    /// plugins: those already in the store, then the components in the plugin directory.
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
        ensure_private_dir(&config.data_dir)
            .map_err(io("cannot create data directory", &config.data_dir))?;
        let (key, origin) = load_key_ring(&KeySource {
            env_key: config.encryption_key.as_deref(),
            key_file: config.key_file.as_deref(),
            data_dir: &config.data_dir,
            allow_shared_key_file: config.allow_shared_key_file,
        })?;
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
        crate::metrics::install();
        let http = Arc::new(HttpCapability::with_egress(
            EgressPolicy::new(config.host_overrides.clone(), config.egress),
            &config.limits,
        )?);
        let transport = options
            .token_transport
            .unwrap_or_else(|| Arc::new(ReqwestTransport(http.client().clone())));
        let grants = Arc::new(
            GrantService::new(
                store.clone(),
                clock.clone(),
                TokenEndpoint::new(transport),
                config.host_overrides.clone(),
            )
            .with_egress(http.egress().clone())
            .with_refusals(RefusedGrants::new(store.clone(), clock.clone())),
        );
        let caps = Capabilities::new(
            http,
            grants.clone(),
            Arc::new(StoreState(store.clone())),
            clock.clone(),
        )
        .with_flows(grants.flows_in_flight())
        .with_budget_overrides(config.rate_budgets.clone().into_iter().collect());
        let runtime = Arc::new(Runtime::new(config.limits.clone(), caps)?);
        let registry = Arc::new(PluginRegistry::new());
        let queue = crate::sync::SyncQueue::default();
        let ready = queue.clone();
        let connections = ConnectionService {
            ready: Arc::new(move |id: &str| ready.push(id)),
            store: store.clone(),
            runtime: runtime.clone(),
            registry: registry.clone(),
            grants: grants.clone(),
            clock: clock.clone(),
            overrides: config.host_overrides.clone(),
        };
        let intervals = config.sync_intervals.clone().into_iter().collect();
        let sync = crate::sync::SyncService::new(connections.clone(), intervals, queue);
        // Runs a crash cut off are closed before anything can sync again.
        sync.close_interrupted_runs().await?;
        let plugins = PluginLifecycle::new(
            store.clone(),
            runtime.clone(),
            registry.clone(),
            clock.clone(),
            Arc::new(StoreArtifacts(store.clone())),
            config.limits.upload_bytes,
        );
        let links = crate::reconnect_links::ReconnectLinks::new(
            connections.clone(),
            &config.public_url,
            config.webhooks.link_ttl_ms,
        );
        let webhooks = crate::webhooks::WebhookService::new(
            connections.clone(),
            links.clone(),
            config.webhooks.clone(),
            config.keep_alive_secs,
            config.retention.events_days,
        );
        let app = Self {
            webhooks,
            links,
            plugins,
            plugin_problems: Arc::default(),
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
        let mut problems = app.plugins.load_stored().await?;
        problems.extend(app.load_plugin_dir().await?);
        if let Ok(mut slot) = app.plugin_problems.write() {
            *slot = problems;
        }
        app.apply_configured_integrations()?;
        app.webhooks
            .apply_configured()
            .await
            .map_err(|e| AppError::Webhook(e.to_string()))?;
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
    /// always; interval syncs unless turned off), retention pruning (see
    /// [`crate::retention`]) and the keep-alive of idle grants.
    pub fn spawn_background(&self) -> tokio::task::JoinHandle<()> {
        self.sync.spawn_scheduler(self.config.scheduler);
        self.webhooks.spawn();
        crate::retention::spawn(
            self.store.clone(),
            self.clock.clone(),
            self.config.retention,
        );
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

    /// Load every `*.wasm` in the plugin directory as an operator-approved component.
    /// A component that does not load is reported and skipped; the rest are served.
    async fn load_plugin_dir(&self) -> Result<Vec<String>, AppError> {
        let dir = &self.config.plugin_dir;
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "plugin directory does not exist; no plugins loaded from it");
                return Ok(Vec::new());
            }
            Err(error) => return Err(io("cannot read plugin directory", dir)(error)),
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        paths.sort();
        let mut problems = Vec::new();
        for path in paths {
            let result = match std::fs::read(&path) {
                Ok(bytes) => self
                    .plugins
                    .install_operator_component(&bytes)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(error) => Err(format!("cannot read: {error}")),
            };
            if let Err(problem) = result {
                tracing::error!(path = %path.display(), "plugin skipped: {problem}");
                problems.push(format!("{}: {problem}", path.display()));
            }
        }
        Ok(problems)
    }
}
