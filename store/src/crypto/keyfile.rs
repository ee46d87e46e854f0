//! Finding the encryption key: explicit text, an explicit key file, or the default key
//! file in the data directory (created on first run).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::key::SecretKey;
use crate::error::StoreError;

/// File name of the default key file inside the data directory.
pub const DEFAULT_KEY_FILE: &str = "mooring.key";

/// Where the key in use came from, so the host can tell the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Key text given directly (`MOORING_ENCRYPTION_KEY`).
    Environment,
    /// An existing key file (`MOORING_KEY_FILE`, or the default one).
    File(PathBuf),
    /// The default key file, created just now: print where it is and tell the operator
    /// to back it up, since the database cannot be read without it.
    Created(PathBuf),
}

/// Resolves the key for secrets at rest.
///
/// 1. `env_key` (key text: 64 hex characters or base64 of 32 bytes) wins when it is set
///    and not blank;
/// 2. else `key_file`, which must exist;
/// 3. else `<data_dir>/mooring.key`, read if present, otherwise created with a new random
///    key (mode 0600 on Unix, written as hex plus a newline; `data_dir` is created too).
///
/// A key file readable by group or others is used, with a `tracing` warning.
pub fn load_or_create_key(
    env_key: Option<&str>,
    key_file: Option<&Path>,
    data_dir: &Path,
) -> Result<(SecretKey, KeyOrigin), StoreError> {
    if let Some(text) = env_key.filter(|t| !t.trim().is_empty()) {
        let key = SecretKey::from_text(text).map_err(|e| context("MOORING_ENCRYPTION_KEY", e))?;
        return Ok((key, KeyOrigin::Environment));
    }
    if let Some(path) = key_file {
        if !path.exists() {
            return Err(StoreError::KeyFileMissing {
                path: path.to_path_buf(),
            });
        }
        let key = read_key_file(path)?;
        return Ok((key, KeyOrigin::File(path.to_path_buf())));
    }
    let path = data_dir.join(DEFAULT_KEY_FILE);
    if path.exists() {
        let key = read_key_file(&path)?;
        return Ok((key, KeyOrigin::File(path)));
    }
    fs::create_dir_all(data_dir).map_err(|source| StoreError::KeyFile {
        path: data_dir.to_path_buf(),
        source,
    })?;
    match create_key_file(&path) {
        Ok(key) => Ok((key, KeyOrigin::Created(path))),
        // Another process created it between our check and our create: use theirs.
        Err(StoreError::KeyFile { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            let key = read_key_file(&path)?;
            Ok((key, KeyOrigin::File(path)))
        }
        Err(e) => Err(e),
    }
}

fn context(what: &str, err: StoreError) -> StoreError {
    match err {
        StoreError::InvalidKey(msg) => StoreError::InvalidKey(format!("{what}: {msg}")),
        other => other,
    }
}

fn read_key_file(path: &Path) -> Result<SecretKey, StoreError> {
    let io_err = |source| StoreError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    warn_if_shared(path, &fs::metadata(path).map_err(io_err)?);
    let text = zeroize::Zeroizing::new(fs::read_to_string(path).map_err(io_err)?);
    SecretKey::from_text(&text).map_err(|e| context(&format!("key file {}", path.display()), e))
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, meta: &fs::Metadata) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", mode & 0o777),
            "key file is readable by other users; restrict it with `chmod 600`"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path, _meta: &fs::Metadata) {}

fn create_key_file(path: &Path) -> Result<SecretKey, StoreError> {
    let io_err = |source| StoreError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err)?;
    let key = SecretKey::generate();
    let mut line = key.to_hex();
    line.push('\n');
    file.write_all(line.as_bytes()).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_key_wins() {
        let dir = tempfile::tempdir().unwrap();
        let text = SecretKey::generate().to_hex();
        let missing = dir.path().join("nope");
        let (key, origin) = load_or_create_key(Some(&text), Some(&missing), dir.path()).unwrap();
        assert_eq!(origin, KeyOrigin::Environment);
        assert_eq!(key.to_hex().as_str(), text.as_str());
        assert!(!dir.path().join(DEFAULT_KEY_FILE).exists());

        let err = load_or_create_key(Some("short"), None, dir.path()).unwrap_err();
        assert!(err.to_string().contains("MOORING_ENCRYPTION_KEY"), "{err}");
    }

    #[test]
    fn explicit_key_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.key");
        let err = load_or_create_key(None, Some(&missing), dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::KeyFileMissing { .. }));
        assert!(err.to_string().contains("MOORING_KEY_FILE"));

        let path = dir.path().join("given.key");
        let text = SecretKey::generate().to_hex();
        fs::write(&path, format!("{}\n", text.as_str())).unwrap();
        let (key, origin) = load_or_create_key(Some("  "), Some(&path), dir.path()).unwrap();
        assert_eq!(origin, KeyOrigin::File(path.clone()));
        assert_eq!(key.to_hex().as_str(), text.as_str());

        fs::write(&path, "not a key").unwrap();
        let err = load_or_create_key(None, Some(&path), dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::InvalidKey(_)));
        assert!(err.to_string().contains("given.key"), "{err}");
    }

    #[test]
    fn default_key_file_created_0600_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (first, origin) = load_or_create_key(None, None, &data).unwrap();
        let path = data.join(DEFAULT_KEY_FILE);
        assert_eq!(origin, KeyOrigin::Created(path.clone()));
        let content = fs::read_to_string(&path).unwrap();
        assert_eq!(content, format!("{}\n", first.to_hex().as_str()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let (second, origin) = load_or_create_key(None, None, &data).unwrap();
        assert_eq!(origin, KeyOrigin::File(path));
        assert_eq!(second.to_hex().as_str(), first.to_hex().as_str());
    }
}
