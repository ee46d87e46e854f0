//! The `mooring` binary: `mooring serve` runs the host; `mooring plugins` lists plugins;
//! `mooring plugin …` manages plugin versions of a running host and scaffolds new
//! plugins (see [`cli`]).

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use mooring::app::App;
use mooring::clock::SystemClock;
use mooring::config::Config;
use mooring::sync::SHUTDOWN_GRACE;

/// Mooring: a connector host for accounting integrations.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (also `MOORING_CONFIG`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the host: load plugins, serve the API, the OAuth callback and /healthz.
    Serve,
    /// List plugins with id, version and sha256: asks the running host; when none
    /// answers, reads what the store holds (creating nothing).
    Plugins {
        /// Where the host is and how to print.
        #[command(flatten)]
        host: cli::HostArgs,
    },
    /// Manage the plugin versions of a running host; scaffold a new plugin.
    Plugin(cli::PluginArgs),
    /// Rotate, retire or show the keys that seal secrets at rest (stop the host first).
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: cli::keys::KeysAction,
    },
}

/// Logs to stderr, filtered by `MOORING_LOG`; `MOORING_LOG_FORMAT=json` writes one JSON
/// object per line (timestamp, level, target, message and fields) for log collectors.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOORING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match std::env::var("MOORING_LOG_FORMAT").as_deref() {
        Ok("json") => builder.json().flatten_event(true).init(),
        Ok("text") | Err(_) => builder.init(),
        Ok(other) => {
            builder.init();
            tracing::warn!(
                format = other,
                "MOORING_LOG_FORMAT must be `text` or `json`; writing text"
            );
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let app = App::open(config, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    let configured = app.config.listen;
    let listener = tokio::net::TcpListener::bind(configured)
        .await
        .map_err(|e| format!("cannot listen on {configured}: {e}"))?;
    // The bound address: with port 0 the system picked one, and this line names it.
    let listen = listener.local_addr().unwrap_or(configured);
    for plugin in app.plugins.list().unwrap_or_default() {
        tracing::info!(id = %plugin.id, version = %plugin.version, sha256 = %plugin.sha256, active = plugin.active, "plugin loaded");
    }
    tracing::info!(%listen, allocator = ?app.runtime.allocator(), "mooring is serving");
    let _background = app.spawn_background();
    let sync = app.sync.clone();
    let (signalled_tx, mut signalled) = tokio::sync::watch::channel(false);
    let server = mooring::api::serve(listener, mooring::api::router(app), async move {
        stop_requested().await;
        signalled_tx.send_replace(true);
    });
    tokio::pin!(server);
    let ended = tokio::select! {
        biased;
        result = &mut server => Some(result),
        _ = signalled.wait_for(|stop| *stop) => None,
    };
    if !*signalled.borrow() {
        // The server stopped without a signal.
        return ended
            .unwrap_or(Ok(()))
            .map_err(|e| format!("server failed: {e}"));
    }
    // SIGTERM or SIGINT: stop scheduling, let each page in flight commit (or abandon it
    // after the grace), close the runs, finish the HTTP requests in flight, exit 0. The
    // server may already have finished its graceful stop; the runs never have.
    tracing::info!(grace = ?SHUTDOWN_GRACE, "shutting down");
    let served = async {
        match ended {
            Some(result) => Ok(result),
            None => tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await,
        }
    };
    let (abandoned, served) = tokio::join!(sync.drain(SHUTDOWN_GRACE), served);
    if let Ok(Err(e)) = served {
        return Err(format!("server failed: {e}"));
    }
    tracing::info!(abandoned, "mooring stopped");
    Ok(())
}

/// Resolves on the first SIGTERM or SIGINT (Ctrl-C).
async fn stop_requested() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let config_file = cli.config.as_deref();
    match cli.command {
        Command::Serve => {
            mooring::heap_trim::spawn();
            serve(Config::load(config_file).map_err(|e| e.to_string())?).await
        }
        Command::Plugins { host } => {
            let config = Config::load(config_file).map_err(|e| e.to_string())?;
            cli::plugin::plugins(&config, host.url.as_deref(), host.json)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Plugin(args) => cli::run_plugin(args, config_file)
            .await
            .map_err(|e| e.to_string()),
        Command::Keys { action } => {
            let config = Config::load(config_file).map_err(|e| e.to_string())?;
            println!("{}", cli::keys::run(config, action).await?);
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mooring: {message}");
            ExitCode::FAILURE
        }
    }
}
