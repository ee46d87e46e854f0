//! The `mooring` command line beyond `serve`: the `plugin` subcommands and `plugins`,
//! which talk to a running host's admin API, and `plugin new`, which scaffolds a
//! connector crate.
//!
//! | module | what |
//! |---|---|
//! | [`client`] | the admin API client: base URL and token from the configuration |
//! | [`plugin`] | `plugin add | list | activate | rollback | pin | canary`, and `plugins` |
//! | [`watch`] | `plugin watch DIR`: upload and activate rebuilt components |
//! | [`scaffold`] | `plugin new NAME`: a provider plugin crate on the SDK |
//! | [`table`] | plain-text tables for people |
//! | [`keys`] | `keys rotate | retire | status`: the keys that seal secrets at rest |

pub mod client;
pub mod keys;
pub mod plugin;
pub mod scaffold;
pub mod table;
pub mod watch;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use mooring::config::{Config, ConfigError};

/// Why a CLI command failed. The `Display` text is what the person sees.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration could not be assembled.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The admin API could not be reached or answered with an error.
    #[error(transparent)]
    Api(#[from] client::ClientError),
    /// A file or directory could not be used.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] mooring_store::StoreError),
    /// Scaffolding failed.
    #[error(transparent)]
    Scaffold(#[from] scaffold::ScaffoldError),
    /// Anything else the person must fix, in words.
    #[error("{0}")]
    Other(String),
}

impl CliError {
    /// An [`CliError::Io`] builder for `map_err`.
    pub fn io(what: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CliError::Io { what, path, source }
    }
}

/// Options shared by every command that talks to a running host.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// Base URL of the running host's admin API (default: `MOORING_PUBLIC_URL`, else
    /// `http://<listen>` from the configuration).
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `mooring plugin …`.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Where the host is and how to print.
    #[command(flatten)]
    pub host: HostArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: PluginCommand,
}

/// The `plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Upload a component (`*.wasm`) to the running host; optionally activate it.
    Add {
        /// The component file.
        file: PathBuf,
        /// Make the uploaded version the provider's active one.
        #[arg(long)]
        activate: bool,
        /// Approve capabilities (hosts, endpoints, scopes) beyond the provider's
        /// approved set when activating.
        #[arg(long, requires = "activate")]
        approve: bool,
        /// Replace a component stored under the same version with other bytes (a
        /// rebuild without a version bump).
        #[arg(long)]
        replace: bool,
    },
    /// List every plugin version with its state and capabilities.
    List,
    /// Make VERSION the active version of PROVIDER.
    Activate {
        /// Provider id (`acme`).
        provider: String,
        /// Version to activate (`1.2.0`).
        version: String,
        /// Approve capabilities beyond the provider's approved set.
        #[arg(long)]
        approve: bool,
    },
    /// Go back to the previously active version of PROVIDER.
    Rollback {
        /// Provider id.
        provider: String,
    },
    /// Pin a connection to one plugin version (or unpin it with --unpin).
    Pin {
        /// Connection id.
        connection: String,
        /// Version to pin to.
        #[arg(required_unless_present = "unpin", conflicts_with = "unpin")]
        version: Option<String>,
        /// Follow the provider's active version again.
        #[arg(long)]
        unpin: bool,
    },
    /// Send PERCENT of PROVIDER's connections to VERSION (stable per connection); 0 ends
    /// the canary.
    Canary {
        /// Provider id.
        provider: String,
        /// Canary version.
        version: String,
        /// Share of connections, 0 to 100.
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        percent: u8,
        /// Approve capabilities beyond the provider's approved set.
        #[arg(long)]
        approve: bool,
    },
    /// Watch DIR for rebuilt `*.wasm` components and upload and activate each one into
    /// the running host (for plugin authors). Ctrl-C stops.
    Watch(watch::WatchArgs),
    /// Scaffold a provider plugin crate on the SDK.
    New(scaffold::NewArgs),
}

/// Run a `plugin` subcommand. `config_file` is the global `--config`.
pub async fn run_plugin(
    args: PluginArgs,
    config_file: Option<&std::path::Path>,
) -> Result<(), CliError> {
    if let PluginCommand::New(new) = &args.command {
        return scaffold::run(new);
    }
    let config = Config::load(config_file)?;
    let client = client::Client::from_config(&config, args.host.url.as_deref())?;
    let json = args.host.json;
    match args.command {
        PluginCommand::Add {
            file,
            activate,
            approve,
            replace,
        } => plugin::add(&client, &file, activate, approve, replace, json).await,
        PluginCommand::List => plugin::list(&client, json).await,
        PluginCommand::Activate {
            provider,
            version,
            approve,
        } => plugin::activate(&client, &provider, &version, approve, json).await,
        PluginCommand::Rollback { provider } => plugin::rollback(&client, &provider, json).await,
        PluginCommand::Pin {
            connection,
            version,
            unpin,
        } => {
            let version = if unpin { None } else { version };
            plugin::pin(&client, &connection, version.as_deref(), json).await
        }
        PluginCommand::Canary {
            provider,
            version,
            percent,
            approve,
        } => plugin::canary(&client, &provider, &version, percent, approve, json).await,
        PluginCommand::Watch(watch) => watch::run(&client, &watch, json).await,
        PluginCommand::New(_) => Ok(()),
    }
}
