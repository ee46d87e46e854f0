//! The `mooring` binary: `mooring serve` runs the host; `mooring plugins` lists plugins.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use mooring::app::App;
use mooring::clock::SystemClock;
use mooring::config::Config;
use mooring::runtime::registry::PluginSummary;

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
    /// List plugins with id, version and sha256: asks a running host, or loads the
    /// data and plugin directories itself when none is running.
    Plugins {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOORING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn serve(config: Config) -> Result<(), String> {
    let app = App::open(config, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    let listen = app.config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    for plugin in app.registry.list() {
        tracing::info!(id = %plugin.id, version = %plugin.version, sha256 = %plugin.sha256, active = plugin.active, "plugin loaded");
    }
    tracing::info!(%listen, allocator = ?app.runtime.allocator(), "mooring is serving");
    let _background = app.spawn_background();
    axum::serve(listener, mooring::api::router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server failed: {e}"))
}

async fn plugins(config: Config, json: bool) -> Result<(), String> {
    let list = match remote_plugins(&config).await {
        Some(list) => list,
        None => {
            let app = App::open(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            app.registry.list()
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!("{:<24} {:<10} {:<6} SHA256", "ID", "VERSION", "ACTIVE");
    for p in list {
        println!(
            "{:<24} {:<10} {:<6} {}",
            p.id,
            p.version,
            if p.active { "yes" } else { "" },
            p.sha256
        );
    }
    Ok(())
}

/// The plugin list from a host running with this configuration, if one answers.
async fn remote_plugins(config: &Config) -> Option<Vec<PluginSummary>> {
    let token = match &config.admin_token {
        Some(token) => token.clone(),
        None => std::fs::read_to_string(config.data_dir.join(mooring::app::ADMIN_TOKEN_FILE))
            .ok()?
            .trim()
            .to_owned(),
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .ok()?;
    let response = client
        .get(format!("http://{}/api/plugins", config.listen))
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    serde_json::from_slice(&response.bytes().await.ok()?).ok()
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match Config::load(cli.config.as_deref()) {
        Err(error) => Err(error.to_string()),
        Ok(config) => match cli.command {
            Command::Serve => serve(config).await,
            Command::Plugins { json } => plugins(config, json).await,
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mooring: {message}");
            ExitCode::FAILURE
        }
    }
}
