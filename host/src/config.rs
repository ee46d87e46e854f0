//! Host configuration: embedded defaults, then the TOML file named by `--config` or
//! `MOORING_CONFIG`, then environment variables (each wins over the one before).
//!
//! The settings are listed once, in the README's Configuration table (variable, TOML
//! key, default, meaning); a test here fails when a `MOORING_*` variable the host reads
//! is missing from that table, or the table lists one nothing reads.
//!
//! Webhooks and reconnect links: see [`webhooks`].
//!
//! Runtime limits live under `[limits]` (see [`RuntimeLimits`]).

pub mod webhooks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::auth::integrations::IntegrationSpec;
use crate::runtime::RuntimeLimits;
use crate::runtime::capabilities::budget::BudgetOverride;
use crate::runtime::egress::EgressAllow;
use crate::runtime::overrides::{HostOverrides, OverrideError};

/// Why the configuration could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A setting has an unusable value.
    #[error("invalid setting {name}: {message}")]
    Invalid {
        /// The variable or key.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A host override is malformed.
    #[error(transparent)]
    Override(#[from] OverrideError),
}

/// The TOML file's shape; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    admin_token: Option<String>,
    encryption_key: Option<String>,
    key_file: Option<PathBuf>,
    allow_shared_key_file: Option<bool>,
    plugin_dir: Option<PathBuf>,
    public_url: Option<String>,
    host_overrides: BTreeMap<String, String>,
    limits: Option<RuntimeLimits>,
    integrations: Vec<IntegrationSpec>,
    keep_alive_secs: Option<u64>,
    sync_intervals: BTreeMap<String, u64>,
    scheduler: Option<bool>,
    rate_budgets: BTreeMap<String, BudgetOverride>,
    egress: EgressSection,
    retention: RetentionSection,
    webhooks: Vec<webhooks::WebhookSpec>,
    notifications: webhooks::NotificationsSection,
}

/// `[retention]`: how much history is kept.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RetentionSection {
    events_days: Option<u64>,
    runs_per_stream: Option<u64>,
    interval_secs: Option<u64>,
}

/// How much history the host keeps; pruned by a periodic background task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Delivered events older than this many days are pruned; `0` keeps them all.
    pub events_days: u64,
    /// Finished sync runs beyond the newest this many per stream are pruned; `0` keeps
    /// them all.
    pub runs_per_stream: u64,
    /// Seconds between pruning passes (expired OAuth flows are pruned too).
    pub interval_secs: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            events_days: 30,
            runs_per_stream: 100,
            interval_secs: 3600,
        }
    }
}

/// `[egress]`: what plugins may reach beyond the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct EgressSection {
    allow: Vec<String>,
}

/// The resolved configuration of one host process. Its `Debug` output redacts secrets.
#[derive(Clone)]
pub struct Config {
    /// Address to serve on.
    pub listen: std::net::SocketAddr,
    /// Where the redb file, the key file and the generated admin token live.
    pub data_dir: PathBuf,
    /// Bearer token for `/api`; generated when unset.
    pub admin_token: Option<String>,
    /// Key for secrets at rest, as text (hex or base64 of 32 bytes).
    pub encryption_key: Option<String>,
    /// File holding the key for secrets at rest.
    pub key_file: Option<PathBuf>,
    /// Accept a key file that group or others can read (refused otherwise).
    pub allow_shared_key_file: bool,
    /// Components to load at start.
    pub plugin_dir: PathBuf,
    /// Base of the redirect URI (`<public url>/oauth/callback`).
    pub public_url: String,
    /// Remapped plugin hosts.
    pub host_overrides: HostOverrides,
    /// Limits for plugin calls.
    pub limits: RuntimeLimits,
    /// Integrations to create or update at start.
    pub integrations: Vec<IntegrationSpec>,
    /// Seconds between keep-alive passes over idle grants.
    pub keep_alive_secs: u64,
    /// Sync interval overrides: `provider/stream` or `stream` → seconds.
    pub sync_intervals: BTreeMap<String, u64>,
    /// Per-provider corrections of the manifests' rate budgets.
    pub rate_budgets: BTreeMap<String, BudgetOverride>,
    /// Whether streams sync on their interval (otherwise only when queued: on request,
    /// after a connect or a reconnect).
    pub scheduler: bool,
    /// What plugin egress may reach beyond the defaults (IP literals, ports, private
    /// addresses).
    pub egress: EgressAllow,
    /// How much history is kept.
    pub retention: Retention,
    /// Webhook endpoints, delivery retries, expiry warnings and reconnect links.
    pub webhooks: webhooks::WebhookSettings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("admin_token", &redacted(&self.admin_token))
            .field("encryption_key", &redacted(&self.encryption_key))
            .field("key_file", &self.key_file)
            .field("allow_shared_key_file", &self.allow_shared_key_file)
            .field("plugin_dir", &self.plugin_dir)
            .field("public_url", &self.public_url)
            .field("host_overrides", &self.host_overrides)
            .field("limits", &self.limits)
            .field(
                "integrations",
                &self
                    .integrations
                    .iter()
                    .map(|i| (&i.provider, &i.client_id))
                    .collect::<Vec<_>>(),
            )
            .field("keep_alive_secs", &self.keep_alive_secs)
            .field("sync_intervals", &self.sync_intervals)
            .field("scheduler", &self.scheduler)
            .field("rate_budgets", &self.rate_budgets)
            .field("egress", &self.egress)
            .field("retention", &self.retention)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

impl Config {
    /// Resolve from an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::resolve(file, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// Resolve from an optional file and the given variable lookup (testable).
    pub fn resolve(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file_path = file
            .map(Path::to_path_buf)
            .or_else(|| env("MOORING_CONFIG").map(PathBuf::from));
        let parsed = match &file_path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            }
            None => FileConfig::default(),
        };
        let listen_text = env("MOORING_LISTEN")
            .or(parsed.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text.parse().map_err(|e| ConfigError::Invalid {
            name: "MOORING_LISTEN",
            message: format!("{listen_text:?} is not an address like 127.0.0.1:8080 ({e})"),
        })?;
        let public_url = env("MOORING_PUBLIC_URL")
            .or(parsed.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim_end_matches('/').to_owned();
        url::Url::parse(&public_url).map_err(|e| ConfigError::Invalid {
            name: "MOORING_PUBLIC_URL",
            message: format!("{public_url:?} is not a URL ({e})"),
        })?;
        let mut host_overrides = HostOverrides::default();
        for (host, base) in &parsed.host_overrides {
            host_overrides.insert(host, base)?;
        }
        if let Some(text) = env("MOORING_HOST_OVERRIDES") {
            host_overrides.extend(HostOverrides::parse(&text)?);
        }
        let mut integrations = parsed.integrations;
        if let Some(text) = env("MOORING_INTEGRATIONS") {
            let listed: Vec<IntegrationSpec> =
                serde_json::from_str(&text).map_err(|e| ConfigError::Invalid {
                    name: "MOORING_INTEGRATIONS",
                    message: format!("expected a JSON array of integrations: {e}"),
                })?;
            integrations.extend(listed);
        }
        let keep_alive_secs = match env("MOORING_KEEP_ALIVE_SECS") {
            Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
                name: "MOORING_KEEP_ALIVE_SECS",
                message: format!("{text:?} is not a number of seconds"),
            })?,
            None => parsed.keep_alive_secs.unwrap_or(3600),
        };
        let mut sync_intervals = parsed.sync_intervals;
        if let Some(text) = env("MOORING_SYNC_INTERVALS") {
            for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let parsed_entry = entry
                    .split_once('=')
                    .and_then(|(k, v)| Some((k.trim().to_owned(), v.trim().parse::<u64>().ok()?)));
                let (stream, secs) = parsed_entry.ok_or_else(|| ConfigError::Invalid {
                    name: "MOORING_SYNC_INTERVALS",
                    message: format!("{entry:?} is not stream=seconds"),
                })?;
                sync_intervals.insert(stream, secs);
            }
        }
        let scheduler = match env("MOORING_SCHEDULER").as_deref() {
            Some("on" | "true" | "1") => true,
            Some("off" | "false" | "0") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "MOORING_SCHEDULER",
                    message: format!("{other:?} is not on or off"),
                });
            }
            None => parsed.scheduler.unwrap_or(true),
        };
        let mut rate_budgets = parsed.rate_budgets;
        if let Some(text) = env("MOORING_RATE_BUDGETS") {
            for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let bad = || ConfigError::Invalid {
                    name: "MOORING_RATE_BUDGETS",
                    message: format!(
                        "{entry:?} is not provider.per_minute|per_day|concurrency=number"
                    ),
                };
                let (key, value) = entry.split_once('=').ok_or_else(bad)?;
                let (provider, field) = key.trim().split_once('.').ok_or_else(bad)?;
                let value: u32 = value.trim().parse().map_err(|_| bad())?;
                let entry = rate_budgets.entry(provider.to_owned()).or_default();
                match field {
                    "per_minute" => entry.per_minute = Some(value),
                    "per_day" => entry.per_day = Some(value),
                    "concurrency" => entry.concurrency = Some(value),
                    _ => return Err(bad()),
                }
            }
        }
        let allow_shared_key_file = match env("MOORING_ALLOW_SHARED_KEY_FILE").as_deref() {
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "MOORING_ALLOW_SHARED_KEY_FILE",
                    message: format!("{other:?} is not true or false"),
                });
            }
            None => parsed.allow_shared_key_file.unwrap_or(false),
        };
        let egress_text =
            env("MOORING_EGRESS_ALLOW").unwrap_or_else(|| parsed.egress.allow.join(","));
        let egress = EgressAllow::parse(&egress_text).map_err(|e| ConfigError::Invalid {
            name: "MOORING_EGRESS_ALLOW",
            message: e.to_string(),
        })?;
        let number = |name: &'static str, file: Option<u64>, default: u64| match env(name) {
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| ConfigError::Invalid {
                    name,
                    message: format!("{text:?} is not a whole number"),
                }),
            None => Ok(file.unwrap_or(default)),
        };
        let defaults = Retention::default();
        let retention = Retention {
            events_days: number(
                "MOORING_RETENTION_EVENTS_DAYS",
                parsed.retention.events_days,
                defaults.events_days,
            )?,
            runs_per_stream: number(
                "MOORING_RETENTION_RUNS_PER_STREAM",
                parsed.retention.runs_per_stream,
                defaults.runs_per_stream,
            )?,
            interval_secs: number(
                "MOORING_RETENTION_INTERVAL_SECS",
                parsed.retention.interval_secs,
                defaults.interval_secs,
            )?
            .max(1),
        };
        let webhook_env = |name: &str| match name {
            "MOORING_WEBHOOKS"
            | "MOORING_WEBHOOK_RETRY_HOURS"
            | "MOORING_WEBHOOK_DEAD_AFTER"
            | "MOORING_EXPIRING_DAYS"
            | "MOORING_RECONNECT_LINK_DAYS" => env(name),
            _ => None,
        };
        let webhooks = webhooks::resolve(parsed.webhooks, parsed.notifications, &webhook_env)?;
        Ok(Self {
            webhooks,
            retention,
            egress,
            rate_budgets,
            sync_intervals,
            scheduler,
            integrations,
            keep_alive_secs,
            listen,
            data_dir: env("MOORING_DATA_DIR")
                .map(PathBuf::from)
                .or(parsed.data_dir)
                .unwrap_or_else(|| PathBuf::from("./data")),
            admin_token: env("MOORING_ADMIN_TOKEN").or(parsed.admin_token),
            encryption_key: env("MOORING_ENCRYPTION_KEY").or(parsed.encryption_key),
            key_file: env("MOORING_KEY_FILE")
                .map(PathBuf::from)
                .or(parsed.key_file),
            allow_shared_key_file,
            plugin_dir: env("MOORING_PLUGIN_DIR")
                .map(PathBuf::from)
                .or(parsed.plugin_dir)
                .unwrap_or_else(|| PathBuf::from("./target/plugins")),
            public_url,
            host_overrides,
            limits: parsed.limits.unwrap_or_default(),
        })
    }

    /// The OAuth redirect URI.
    pub fn redirect_uri(&self) -> String {
        format!("{}/oauth/callback", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn embedded_defaults() {
        let c = Config::resolve(None, env(&[])).expect("defaults");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.redirect_uri(), "http://127.0.0.1:8080/oauth/callback");
        assert!(c.admin_token.is_none() && c.host_overrides.is_empty());
    }

    #[test]
    fn env_wins_over_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/m\"\n[host_overrides]\n\"api.example.com\" = \"http://127.0.0.1:1/x\"\n[limits]\nmemory_bytes = 1048576\n",
        )
        .expect("write");
        let c =
            Config::resolve(Some(&path), env(&[("MOORING_LISTEN", "0.0.0.0:7000")])).expect("ok");
        assert_eq!(c.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(c.data_dir, PathBuf::from("/srv/m"));
        assert_eq!(c.limits.memory_bytes, 1 << 20);
        assert_eq!(
            c.host_overrides.apply_str("https://api.example.com/a"),
            "http://127.0.0.1:1/x/a"
        );
    }

    #[test]
    fn integrations_and_intervals_from_the_environment() {
        let c = Config::resolve(
            None,
            env(&[
                (
                    "MOORING_INTEGRATIONS",
                    r#"[{"id":"x","provider":"acme","client_id":"a","client_secret":"b"}]"#,
                ),
                ("MOORING_SYNC_INTERVALS", "journals=300, acme/accounts=60"),
                ("MOORING_SCHEDULER", "off"),
            ]),
        )
        .expect("ok");
        assert_eq!(c.integrations.len(), 1);
        assert_eq!(c.integrations[0].provider, "acme");
        assert!(
            !format!("{c:?}").contains("\"b\""),
            "Debug must not print the secret"
        );
        assert_eq!(c.sync_intervals.get("journals"), Some(&300));
        assert_eq!(c.sync_intervals.get("acme/accounts"), Some(&60));
        assert!(!c.scheduler);
        let c = Config::resolve(
            None,
            env(&[(
                "MOORING_RATE_BUDGETS",
                "acme.per_day=1000, acme.per_minute=30",
            )]),
        )
        .expect("ok");
        assert_eq!(c.rate_budgets["acme"].per_day, Some(1000));
        assert_eq!(c.rate_budgets["acme"].per_minute, Some(30));
        assert!(Config::resolve(None, env(&[("MOORING_RATE_BUDGETS", "acme.hourly=1")])).is_err());
        let err =
            Config::resolve(None, env(&[("MOORING_INTEGRATIONS", "{")])).expect_err("bad json");
        assert!(err.to_string().contains("MOORING_INTEGRATIONS"), "{err}");
    }

    #[test]
    fn egress_allowances_from_file_or_environment() {
        assert_eq!(
            Config::resolve(None, env(&[])).expect("ok").egress,
            EgressAllow::default()
        );
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "[egress]\nallow = [\"ports\"]\n").expect("write");
        let c = Config::resolve(Some(&path), env(&[])).expect("ok");
        assert!(c.egress.ports && !c.egress.ip_literals);
        let c = Config::resolve(
            Some(&path),
            env(&[("MOORING_EGRESS_ALLOW", "ip-literals,private-addresses")]),
        )
        .expect("ok");
        assert!(c.egress.ip_literals && c.egress.private_addresses && !c.egress.ports);
        let err = Config::resolve(None, env(&[("MOORING_EGRESS_ALLOW", "all")])).expect_err("bad");
        assert!(err.to_string().contains("MOORING_EGRESS_ALLOW"), "{err}");
    }

    #[test]
    fn shared_key_file_allowance() {
        assert!(
            !Config::resolve(None, env(&[]))
                .expect("ok")
                .allow_shared_key_file
        );
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "allow_shared_key_file = true\n").expect("write");
        assert!(
            Config::resolve(Some(&path), env(&[]))
                .expect("ok")
                .allow_shared_key_file
        );
        let off = env(&[("MOORING_ALLOW_SHARED_KEY_FILE", "false")]);
        assert!(
            !Config::resolve(Some(&path), off)
                .expect("ok")
                .allow_shared_key_file
        );
        let err = Config::resolve(None, env(&[("MOORING_ALLOW_SHARED_KEY_FILE", "maybe")]))
            .expect_err("bad");
        assert!(
            err.to_string().contains("MOORING_ALLOW_SHARED_KEY_FILE"),
            "{err}"
        );
    }

    #[test]
    fn retention_from_file_or_environment() {
        assert_eq!(
            Config::resolve(None, env(&[])).expect("ok").retention,
            Retention::default()
        );
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "[retention]\nevents_days = 7\nruns_per_stream = 5\n")
            .expect("write");
        let c = Config::resolve(
            Some(&path),
            env(&[("MOORING_RETENTION_RUNS_PER_STREAM", "9")]),
        )
        .expect("ok");
        assert_eq!(
            c.retention,
            Retention {
                events_days: 7,
                runs_per_stream: 9,
                interval_secs: 3600
            }
        );
        let err = Config::resolve(None, env(&[("MOORING_RETENTION_EVENTS_DAYS", "-1")]))
            .expect_err("bad");
        assert!(
            err.to_string().contains("MOORING_RETENTION_EVENTS_DAYS"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let err = Config::resolve(None, env(&[("MOORING_LISTEN", "nope")])).expect_err("bad");
        assert!(err.to_string().contains("MOORING_LISTEN"), "{err}");
        let err = Config::resolve(None, env(&[("MOORING_HOST_OVERRIDES", "x")])).expect_err("bad");
        assert!(err.to_string().contains("host=base-url"), "{err}");
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "unknown_key = 1\n").expect("write");
        assert!(matches!(
            Config::resolve(Some(&path), env(&[])),
            Err(ConfigError::Parse { .. })
        ));
    }
}

#[cfg(test)]
#[path = "config_doc_tests.rs"]
mod doc_tests;
