//! `mooring plugin watch DIR`: for plugin authors. Polls DIR (not recursively) for
//! `*.wasm` files whose size or modification time changed, waits until a file stops
//! changing (a build may still be writing it), uploads it to the running host and
//! activates the uploaded version. Bytes already uploaded are skipped. Errors are
//! printed and watching goes on; Ctrl-C stops.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::CliError;
use super::client::{Client, PluginView};
use super::plugin::say;

/// Options of `plugin watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Directory holding the built components, e.g.
    /// `target/wasm32-wasip2/release`.
    pub dir: PathBuf,
    /// Approve capabilities beyond the provider's approved set on each activation.
    #[arg(long)]
    pub approve: bool,
    /// Also upload the components already in DIR when watching starts.
    #[arg(long)]
    pub initial: bool,
    /// Milliseconds between two looks at DIR.
    #[arg(long, default_value_t = 500)]
    pub interval_ms: u64,
}

/// What a file looked like at one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug, Default)]
struct Watched {
    /// Last stamp seen.
    seen: Option<Stamp>,
    /// Stamp that was handled (uploaded, or taken as the starting point).
    handled: Option<Stamp>,
    /// sha256 of the bytes last uploaded.
    uploaded: Option<String>,
}

fn scan(dir: &Path) -> Result<BTreeMap<PathBuf, Stamp>, std::io::Error> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "wasm") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() {
            out.insert(
                path,
                Stamp {
                    len: meta.len(),
                    modified: meta.modified().ok(),
                },
            );
        }
    }
    Ok(out)
}

/// Run the watch loop until Ctrl-C.
pub async fn run(client: &Client, args: &WatchArgs, json: bool) -> Result<(), CliError> {
    let dir = &args.dir;
    let mut files: BTreeMap<PathBuf, Watched> = BTreeMap::new();
    let first = scan(dir).map_err(CliError::io("cannot read directory", dir))?;
    if !args.initial {
        for (path, stamp) in first {
            files.insert(
                path,
                Watched {
                    seen: Some(stamp),
                    handled: Some(stamp),
                    uploaded: None,
                },
            );
        }
    }
    let every = Duration::from_millis(args.interval_ms.max(50));
    if !json {
        say(&format!(
            "watching {} for rebuilt *.wasm components; uploading to {} (Ctrl-C stops)",
            dir.display(),
            client.base()
        ));
    }
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => {
                if !json {
                    say(&format!("stopped watching {}", dir.display()));
                }
                return Ok(());
            }
            _ = tokio::time::sleep(every) => {}
        }
        let now = match scan(dir) {
            Ok(now) => now,
            Err(error) => {
                report(
                    json,
                    &json!({"dir": dir, "error": error.to_string()}),
                    &format!("cannot read {}: {error}", dir.display()),
                );
                continue;
            }
        };
        for (path, stamp) in now {
            let entry = files.entry(path.clone()).or_default();
            let settled = entry.seen == Some(stamp);
            entry.seen = Some(stamp);
            // Act once a changed file looked the same at two polls in a row.
            if !settled || entry.handled == Some(stamp) {
                continue;
            }
            entry.handled = Some(stamp);
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    report(
                        json,
                        &json!({"file": path, "error": error.to_string()}),
                        &format!("{}: cannot read: {error}", path.display()),
                    );
                    continue;
                }
            };
            let sha = hex::encode(Sha256::digest(&bytes));
            if entry.uploaded.as_deref() == Some(sha.as_str()) {
                continue;
            }
            match upload_and_activate(client, bytes, args.approve).await {
                Ok(p) => {
                    entry.uploaded = Some(sha);
                    report(
                        json,
                        &json!({"file": path, "id": p.id, "version": p.version, "sha256": p.sha256, "activated": true}),
                        &format!(
                            "{}: uploaded and activated {} {} (sha256 {}…)",
                            file_name(&path),
                            p.id,
                            p.version,
                            p.sha256.get(..12).unwrap_or(&p.sha256)
                        ),
                    );
                }
                Err(error) => report(
                    json,
                    &json!({"file": path, "error": error.to_string()}),
                    &format!("{}: {error}", file_name(&path)),
                ),
            }
        }
    }
}

async fn upload_and_activate(
    client: &Client,
    bytes: Vec<u8>,
    approve: bool,
) -> Result<PluginView, CliError> {
    // A rebuild often keeps its version: replace the bytes stored under it.
    let uploaded: PluginView = client.upload(bytes, true).await?.parse()?;
    match client
        .activate(&uploaded.id, &uploaded.version, approve)
        .await
    {
        Ok(answer) => Ok(answer.parse()?),
        Err(error) if error.code() == Some("capabilities_not_approved") => Err(CliError::Other(
            format!("{error} (restart the watch with --approve to accept it)"),
        )),
        Err(error) => Err(error.into()),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn report(json: bool, value: &serde_json::Value, text: &str) {
    if json {
        say(&value.to_string());
    } else {
        say(text);
    }
}
