//! `mooring plugin add | list | activate | rollback | pin | canary` against a running
//! host, and `mooring plugins`, which falls back to reading the store when no host
//! answers (never creating a data directory, key or token to do so).

use std::path::Path;

use serde_json::Value;

use super::CliError;
use super::client::{Answer, Client, ClientError, PluginView};
use super::table::Table;
use mooring::app::DB_FILE;
use mooring::config::Config;

/// The default key file inside the data directory (as `mooring-store` names it).
const KEY_FILE: &str = "mooring.key";

/// Write `text` and a newline on stdout. A closed stdout (`mooring … | head`) is not
/// an error worth a panic: the output is dropped.
pub fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json(value: &Value) {
    say(&serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The plugin table people read.
pub fn plugin_table(list: &[PluginView]) -> String {
    let mut table = Table::new(&[
        "ID", "VERSION", "ACTIVE", "APPROVED", "CANARY", "SIZE", "SHA256", "HOSTS",
    ]);
    for p in list {
        table.row(vec![
            p.id.clone(),
            p.version.clone(),
            if p.active { "yes" } else { "" }.into(),
            match p.approved {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
            p.canary_percent
                .map(|c| format!("{c}%"))
                .unwrap_or_default(),
            p.size.to_string(),
            p.sha256.clone(),
            p.capabilities
                .as_ref()
                .map(|c| c.allowed_hosts.join(","))
                .unwrap_or_default(),
        ]);
    }
    table.render()
}

fn summary_line(p: &PluginView) -> String {
    format!(
        "{} {} (sha256 {}…, {} bytes){}",
        p.id,
        p.version,
        short(&p.sha256),
        p.size,
        if p.active { ", active" } else { "" }
    )
}

fn parse_list(answer: &Answer) -> Result<Vec<PluginView>, ClientError> {
    answer.parse()
}

/// `plugin add FILE [--activate [--approve]]`.
pub async fn add(
    client: &Client,
    file: &Path,
    activate: bool,
    approve: bool,
    replace: bool,
    json: bool,
) -> Result<(), CliError> {
    let bytes = std::fs::read(file).map_err(CliError::io("cannot read component", file))?;
    let uploaded = client.upload(bytes, replace).await?;
    let summary: PluginView = uploaded.parse()?;
    if !json {
        let verb = if uploaded.status.as_u16() == 201 {
            "uploaded"
        } else {
            "already uploaded (same bytes):"
        };
        say(&format!("{verb} {}", summary_line(&summary)));
    }
    if !activate {
        if json {
            print_json(&uploaded.body);
        }
        return Ok(());
    }
    let activated = activate_version(client, &summary.id, &summary.version, approve).await?;
    if json {
        print_json(&activated.body);
    } else {
        say(&format!("activated {}", summary_line(&activated.parse()?)));
    }
    Ok(())
}

/// Activate and say so; on a capability refusal, add how to approve.
async fn activate_version(
    client: &Client,
    provider: &str,
    version: &str,
    approve: bool,
) -> Result<Answer, CliError> {
    match client.activate(provider, version, approve).await {
        Ok(answer) => Ok(answer),
        Err(error) if error.code() == Some("capabilities_not_approved") => Err(CliError::Other(
            format!("{error}\nreview the difference, then approve it with --approve"),
        )),
        Err(error) => Err(error.into()),
    }
}

/// `plugin list`.
pub async fn list(client: &Client, json: bool) -> Result<(), CliError> {
    let answer = client.plugins().await?;
    if json {
        print_json(&answer.body);
    } else {
        say(plugin_table(&parse_list(&answer)?).trim_end());
    }
    Ok(())
}

/// `plugin activate PROVIDER VERSION [--approve]`.
pub async fn activate(
    client: &Client,
    provider: &str,
    version: &str,
    approve: bool,
    json: bool,
) -> Result<(), CliError> {
    let answer = activate_version(client, provider, version, approve).await?;
    if json {
        print_json(&answer.body);
    } else {
        let p: PluginView = answer.parse()?;
        say(&format!("activated {}", summary_line(&p)));
    }
    Ok(())
}

/// `plugin rollback PROVIDER`.
pub async fn rollback(client: &Client, provider: &str, json: bool) -> Result<(), CliError> {
    let answer = client.rollback(provider).await?;
    if json {
        print_json(&answer.body);
    } else {
        let p: PluginView = answer.parse()?;
        say(&format!("rolled back: {}", summary_line(&p)));
    }
    Ok(())
}

/// `plugin pin CONNECTION VERSION | --unpin`.
pub async fn pin(
    client: &Client,
    connection: &str,
    version: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let answer = client.pin(connection, version).await?;
    if json {
        print_json(&answer.body);
        return Ok(());
    }
    match answer.body.get("pinned_version").and_then(Value::as_str) {
        Some(pinned) => say(&format!(
            "connection {connection} is pinned to version {pinned}"
        )),
        None => say(&format!(
            "connection {connection} follows its provider's active version"
        )),
    }
    Ok(())
}

/// `plugin canary PROVIDER VERSION PERCENT`.
pub async fn canary(
    client: &Client,
    provider: &str,
    version: &str,
    percent: u8,
    approve: bool,
    json: bool,
) -> Result<(), CliError> {
    let answer = match client.canary(provider, version, percent, approve).await {
        Ok(answer) => answer,
        Err(error) if error.code() == Some("capabilities_not_approved") => {
            return Err(CliError::Other(format!(
                "{error}\nreview the difference, then approve it with --approve"
            )));
        }
        Err(error) => return Err(error.into()),
    };
    if json {
        print_json(&answer.body);
    } else if percent == 0 {
        say(&format!("canary of {provider} ended"));
    } else {
        say(&format!(
            "{percent}% of {provider}'s connections now run version {version}"
        ));
    }
    Ok(())
}

/// `mooring plugins [--json]`: the running host's list; when no host answers, what the
/// store holds (read only when it exists); otherwise a clear error. Creates nothing.
pub async fn plugins(config: &Config, url: Option<&str>, json: bool) -> Result<(), CliError> {
    let client = Client::from_config(config, url)?;
    let remote = if client.has_token() {
        match client.plugins().await {
            Ok(answer) => Some(answer),
            Err(ClientError::Unreachable { .. }) => None,
            Err(error) => return Err(error.into()),
        }
    } else if client.healthy().await {
        // A host answers but we cannot authenticate: say so rather than list the store.
        return Err(ClientError::NoToken {
            path: config.data_dir.join(mooring::app::ADMIN_TOKEN_FILE),
        }
        .into());
    } else {
        None
    };
    if let Some(answer) = remote {
        if json {
            print_json(&answer.body);
        } else {
            say(plugin_table(&parse_list(&answer)?).trim_end());
        }
        return Ok(());
    }
    let list = stored_plugins(config, client.base()).await?;
    eprintln!(
        "mooring: no host answers at {}; listing what is stored in {} (not loaded)",
        client.base(),
        config.data_dir.display()
    );
    if json {
        print_json(&serde_json::to_value(&list).unwrap_or(Value::Null));
    } else {
        say(plugin_table(&list).trim_end());
    }
    Ok(())
}

/// The plugin versions kept in the store, when the store exists and its key is at hand.
async fn stored_plugins(config: &Config, url: &str) -> Result<Vec<PluginView>, CliError> {
    let db = config.data_dir.join(DB_FILE);
    if !db.exists() {
        return Err(CliError::Other(format!(
            "no mooring host answers at {url}, and nothing is stored in {} (no {DB_FILE}): start one with `mooring serve`, or pass --url",
            config.data_dir.display()
        )));
    }
    let default_key = config.data_dir.join(KEY_FILE);
    let key_known =
        config.encryption_key.is_some() || config.key_file.is_some() || default_key.exists();
    if !key_known {
        return Err(CliError::Other(format!(
            "no mooring host answers at {url}, and the store {} has no key at hand: set MOORING_ENCRYPTION_KEY or MOORING_KEY_FILE",
            db.display()
        )));
    }
    // With a key given or a key file present, this only reads: nothing is created.
    let (key, _) = mooring_store::load_key_ring(&mooring_store::KeySource {
        env_key: config.encryption_key.as_deref(),
        key_file: config.key_file.as_deref(),
        data_dir: &config.data_dir,
        allow_shared_key_file: config.allow_shared_key_file,
    })?;
    let store = tokio::task::spawn_blocking(move || mooring_store::Store::open(&db, key))
        .await
        .map_err(|e| CliError::Other(format!("internal task failed: {e}")))??;
    let active = store.active_plugins()?;
    let mut list: Vec<PluginView> = store
        .list_plugins()?
        .into_iter()
        .map(|r| PluginView {
            active: active
                .iter()
                .any(|(id, sha)| *id == r.id && *sha == r.sha256),
            id: r.id,
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            size: r.size,
            ..PluginView::default()
        })
        .collect();
    list.sort_by(|a, b| {
        (a.id.as_str(), version_key(&a.version)).cmp(&(b.id.as_str(), version_key(&b.version)))
    });
    Ok(list)
}

fn version_key(v: &str) -> semver::Version {
    semver::Version::parse(v).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}
