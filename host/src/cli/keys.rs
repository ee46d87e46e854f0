//! `mooring keys rotate | retire | status`: the keys that seal secrets at rest, on the
//! data directory of a stopped host (the commands open the database, so they fail
//! while a host runs on it).
//!
//! The keys are a ring in the key file (`MOORING_KEY_FILE`, else
//! `<data dir>/mooring.key`): `<id>:<key>` lines, the highest id sealing new values.
//! `rotate` adds a key and moves every secret to it in one transaction; the old keys
//! keep opening the database until `retire`, which first moves anything still under
//! an old key and then leaves only the current key in the file. Keys given in
//! `MOORING_ENCRYPTION_KEY` cannot be rotated (the host cannot rewrite them): move them
//! into a key file first. See [`mooring_store::rotation`].

use std::fmt::Write as _;

use clap::Subcommand;
use mooring::config::Config;
use mooring_store::KeySource;
use mooring_store::rotation::{self, KeyStatus};

/// What `mooring keys` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum KeysAction {
    /// Add a new key and re-seal every secret under it, in one transaction. The old
    /// keys stay in the key file (and keep opening the database) until `retire`.
    Rotate,
    /// Remove every key but the current one from the key file, after re-sealing
    /// anything still under an old key. Refused while any value still needs an old key.
    Retire,
    /// Show the keys and how many stored values each protects.
    Status,
}

/// Runs `action` on the data directory of `config` and returns what to print.
/// Errors are sentences for the operator; no key material appears in either.
pub async fn run(config: Config, action: KeysAction) -> Result<String, String> {
    tokio::task::spawn_blocking(move || run_blocking(&config, action))
        .await
        .map_err(|e| format!("internal task failed: {e}"))?
}

fn run_blocking(config: &Config, action: KeysAction) -> Result<String, String> {
    let db = config.data_dir.join(mooring::app::DB_FILE);
    let source = KeySource {
        env_key: config.encryption_key.as_deref(),
        key_file: config.key_file.as_deref(),
        data_dir: &config.data_dir,
        allow_shared_key_file: config.allow_shared_key_file,
    };
    let stopped = |e: mooring_store::StoreError| match e {
        mooring_store::StoreError::AlreadyOpen { .. } => {
            format!("{e}: stop the host first (`mooring keys` needs the database to itself)")
        }
        other => other.to_string(),
    };
    match action {
        KeysAction::Rotate => {
            let done = rotation::rotate(&db, &source).map_err(stopped)?;
            Ok(format!(
                "added key {id} to {file} (keys {ids}); re-sealed {secrets} secrets and \
                 renewed {artifacts} compiled-plugin MACs under key {id} in one transaction \
                 ({dropped} unverifiable artifacts dropped).\n\
                 The old keys still open the database; run `mooring keys retire` to remove \
                 them. Back up {file} now.",
                id = done.key_id,
                file = done.key_file.display(),
                ids = join(&done.key_ids),
                secrets = done.report.secrets,
                artifacts = done.report.artifacts,
                dropped = done.report.artifacts_dropped,
            ))
        }
        KeysAction::Retire => {
            let done = rotation::retire(&db, &source).map_err(stopped)?;
            Ok(format!(
                "retired keys {retired} from {file}; key {id} is the only key \
                 ({moved} values were still under old keys and were re-sealed first).\n\
                 Backups of the database taken before the rotation need the retired keys: \
                 keep a copy of them with those backups, nowhere else.",
                retired = join(&done.retired),
                file = done.key_file.display(),
                id = done.key_id,
                moved = done.report.secrets + done.report.artifacts,
            ))
        }
        KeysAction::Status => rotation::status(&db, &source)
            .map(|s| describe(&s))
            .map_err(stopped),
    }
}

fn join(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(status: &KeyStatus) -> String {
    let mut out = String::new();
    let from = status.key_file.as_ref().map_or_else(
        || "MOORING_ENCRYPTION_KEY".to_owned(),
        |p| p.display().to_string(),
    );
    let _ = writeln!(
        out,
        "keys in {from}: {} (current: {})",
        join(&status.key_ids),
        status.key_id
    );
    for id in &status.key_ids {
        let secrets = status.usage.secrets.get(id).copied().unwrap_or(0);
        let artifacts = status.usage.artifacts.get(id).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "key {id}: {secrets} sealed values, {artifacts} compiled-plugin MACs"
        );
    }
    let stale = status.usage.stale(status.key_id);
    if stale > 0 {
        let _ = writeln!(
            out,
            "{stale} values are under old keys: `mooring keys retire` re-seals them first"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(data: &std::path::Path) -> Config {
        let data = data.display().to_string();
        Config::resolve(None, move |name| {
            (name == "MOORING_DATA_DIR").then(|| data.clone())
        })
        .expect("config")
    }

    #[tokio::test]
    async fn rotate_status_retire_with_restarts() {
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("data");
        let db = data.join(mooring::app::DB_FILE);
        {
            let (ring, _) = mooring_store::load_or_create_key(None, None, &data).expect("key");
            let store = mooring_store::Store::open(&db, ring).expect("open");
            let sealed = store
                .cipher()
                .seal(
                    "CLIENT-SECRET",
                    &mooring_store::crypto::aad::client_secret("i"),
                )
                .expect("seal");
            store
                .put_integration(&mooring_store::Integration {
                    id: "i".into(),
                    provider: "acme".into(),
                    client_id: "c".into(),
                    client_secret: sealed,
                    scopes: vec![],
                    redirect_uri: "http://localhost/oauth/callback".into(),
                    created_at: 1,
                })
                .expect("put");
        }
        let key_text = std::fs::read_to_string(data.join("mooring.key")).expect("key");

        let rotated = run(config(&data), KeysAction::Rotate)
            .await
            .expect("rotate");
        assert!(
            rotated.contains("added key 1") && rotated.contains("2 secrets"),
            "{rotated}"
        );
        let status = run(config(&data), KeysAction::Status)
            .await
            .expect("status");
        assert!(status.contains("0, 1 (current: 1)"), "{status}");
        assert!(status.contains("key 1: 2 sealed values"), "{status}");
        let retired = run(config(&data), KeysAction::Retire)
            .await
            .expect("retire");
        assert!(retired.contains("retired keys 0"), "{retired}");
        for text in [&rotated, &status, &retired] {
            assert!(
                !text.contains(key_text.trim()),
                "no key material is printed"
            );
        }
        let err = run(config(&data), KeysAction::Retire)
            .await
            .expect_err("again");
        assert!(err.contains("nothing to retire"), "{err}");

        // The host's next start reads the one remaining key.
        let (ring, _) = mooring_store::load_or_create_key(None, None, &data).expect("key");
        let store = mooring_store::Store::open(&db, ring).expect("open");
        let i = store.integration("i").expect("read").expect("there");
        let secret = store
            .cipher()
            .open(
                &i.client_secret,
                &mooring_store::crypto::aad::client_secret("i"),
            )
            .expect("open");
        assert_eq!(secret.expose(), "CLIENT-SECRET");
        let err = run(config(&data), KeysAction::Status)
            .await
            .expect_err("busy");
        assert!(err.contains("stop the host first"), "{err}");
    }
}
