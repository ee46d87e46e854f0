//! Finding the encryption keys: explicit text, an explicit key file, or the default key
//! file in the data directory (created on first run). Each holds a [`KeyRing`]: one key,
//! or several after `mooring keys rotate`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::ring::KeyRing;
use crate::error::StoreError;
use crate::private_files;

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

impl KeyOrigin {
    /// The key file, when the keys came from one (so rotation can rewrite it).
    pub fn file(&self) -> Option<&Path> {
        match self {
            KeyOrigin::Environment => None,
            KeyOrigin::File(path) | KeyOrigin::Created(path) => Some(path),
        }
    }
}

/// Where to look for the keys.
#[derive(Debug, Clone, Copy)]
pub struct KeySource<'a> {
    /// Key text (`MOORING_ENCRYPTION_KEY`): one key, or `<id>:<key>` entries separated
    /// by commas. Ignored when blank.
    pub env_key: Option<&'a str>,
    /// An explicit key file (`MOORING_KEY_FILE`), which must exist.
    pub key_file: Option<&'a Path>,
    /// The data directory, home of the default key file.
    pub data_dir: &'a Path,
    /// Accept a key file that group or others can read
    /// (`MOORING_ALLOW_SHARED_KEY_FILE`). Off: such a file is refused.
    pub allow_shared_key_file: bool,
}

/// Resolves the keys for secrets at rest.
///
/// 1. `env_key` wins when it is set and not blank;
/// 2. else `key_file`, which must exist;
/// 3. else `<data_dir>/mooring.key`, read if present, otherwise created with a new random
///    key (mode 0600 on Unix, written as hex plus a newline; `data_dir` is created 0700).
///
/// A key file readable by group or others is refused ([`StoreError::KeyFileShared`])
/// unless `allow_shared_key_file` is set, in which case it is used with a warning.
pub fn load_key_ring(source: &KeySource<'_>) -> Result<(KeyRing, KeyOrigin), StoreError> {
    if let Some(text) = source.env_key.filter(|t| !t.trim().is_empty()) {
        let text = zeroize::Zeroizing::new(text.to_owned());
        let ring = KeyRing::from_text(&text).map_err(|e| context("MOORING_ENCRYPTION_KEY", e))?;
        return Ok((ring, KeyOrigin::Environment));
    }
    let allow = source.allow_shared_key_file;
    if let Some(path) = source.key_file {
        if !path.exists() {
            return Err(StoreError::KeyFileMissing {
                path: path.to_path_buf(),
            });
        }
        let ring = read_key_file(path, allow)?;
        return Ok((ring, KeyOrigin::File(path.to_path_buf())));
    }
    let path = source.data_dir.join(DEFAULT_KEY_FILE);
    if path.exists() {
        let ring = read_key_file(&path, allow)?;
        return Ok((ring, KeyOrigin::File(path)));
    }
    private_files::ensure_private_dir(source.data_dir).map_err(|source_err| {
        StoreError::KeyFile {
            path: source.data_dir.to_path_buf(),
            source: source_err,
        }
    })?;
    match create_key_file(&path) {
        Ok(ring) => Ok((ring, KeyOrigin::Created(path))),
        // Another process created it between our check and our create: use theirs.
        Err(StoreError::KeyFile { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            let ring = read_key_file(&path, allow)?;
            Ok((ring, KeyOrigin::File(path)))
        }
        Err(e) => Err(e),
    }
}

/// [`load_key_ring`] without the shared-key-file exception: a key file readable by group
/// or others is refused.
pub fn load_or_create_key(
    env_key: Option<&str>,
    key_file: Option<&Path>,
    data_dir: &Path,
) -> Result<(KeyRing, KeyOrigin), StoreError> {
    load_key_ring(&KeySource {
        env_key,
        key_file,
        data_dir,
        allow_shared_key_file: false,
    })
}

/// Replaces the key file at `path` with `ring`, atomically and with mode 0600.
pub fn write_key_ring(path: &Path, ring: &KeyRing) -> Result<(), StoreError> {
    let text = ring.to_text();
    private_files::write_private_atomic(path, text.as_bytes()).map_err(|source| {
        StoreError::KeyFile {
            path: path.to_path_buf(),
            source,
        }
    })
}

fn context(what: &str, err: StoreError) -> StoreError {
    match err {
        StoreError::InvalidKey(msg) => StoreError::InvalidKey(format!("{what}: {msg}")),
        other => other,
    }
}

fn read_key_file(path: &Path, allow_shared: bool) -> Result<KeyRing, StoreError> {
    let io_err = |source| StoreError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    check_not_shared(path, &fs::metadata(path).map_err(io_err)?, allow_shared)?;
    let text = zeroize::Zeroizing::new(fs::read_to_string(path).map_err(io_err)?);
    KeyRing::from_text(&text).map_err(|e| context(&format!("key file {}", path.display()), e))
}

#[cfg(unix)]
fn check_not_shared(path: &Path, meta: &fs::Metadata, allow: bool) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    if !allow {
        return Err(StoreError::KeyFileShared {
            path: path.to_path_buf(),
            mode,
        });
    }
    tracing::warn!(
        path = %path.display(),
        mode = format!("{mode:o}"),
        "key file is readable by other users (accepted: MOORING_ALLOW_SHARED_KEY_FILE); \
         restrict it with `chmod 600`"
    );
    Ok(())
}

#[cfg(not(unix))]
fn check_not_shared(_path: &Path, _meta: &fs::Metadata, _allow: bool) -> Result<(), StoreError> {
    Ok(())
}

fn create_key_file(path: &Path) -> Result<KeyRing, StoreError> {
    let io_err = |source| StoreError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(private_files::FILE_MODE);
    }
    let mut file = options.open(path).map_err(io_err)?;
    let ring = KeyRing::single(super::SecretKey::generate());
    file.write_all(ring.to_text().as_bytes()).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(ring)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;

    #[test]
    fn env_key_wins() {
        let dir = tempfile::tempdir().unwrap();
        let text = SecretKey::generate().to_hex();
        let missing = dir.path().join("nope");
        let (ring, origin) = load_or_create_key(Some(&text), Some(&missing), dir.path()).unwrap();
        assert_eq!(origin, KeyOrigin::Environment);
        assert_eq!(ring.to_text().trim(), text.as_str());
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
        private_files::write_private_atomic(&path, format!("{}\n", text.as_str()).as_bytes())
            .unwrap();
        let (ring, origin) = load_or_create_key(Some("  "), Some(&path), dir.path()).unwrap();
        assert_eq!(origin, KeyOrigin::File(path.clone()));
        assert_eq!(ring.to_text().trim(), text.as_str());

        private_files::write_private_atomic(&path, b"not a key").unwrap();
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
        assert_eq!(content, first.to_text().as_str());
        assert_eq!(private_files::mode_of(&data), Some(0o700));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let (second, origin) = load_or_create_key(None, None, &data).unwrap();
        assert_eq!(origin, KeyOrigin::File(path));
        assert_eq!(second.to_text().as_str(), first.to_text().as_str());
    }

    #[cfg(unix)]
    #[test]
    fn shared_key_file_is_refused_unless_allowed() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.key");
        let text = SecretKey::generate().to_hex();
        fs::write(&path, text.as_bytes()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create_key(None, Some(&path), dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::KeyFileShared { mode: 0o644, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        let chmod = format!("chmod 600 {}", path.display());
        assert!(msg.contains(&chmod), "{msg}");
        assert!(msg.contains("MOORING_ALLOW_SHARED_KEY_FILE"), "{msg}");
        assert!(!msg.contains(text.as_str()));

        let allowed = KeySource {
            env_key: None,
            key_file: Some(&path),
            data_dir: dir.path(),
            allow_shared_key_file: true,
        };
        let (ring, _) = load_key_ring(&allowed).unwrap();
        assert_eq!(ring.to_text().trim(), text.as_str());

        // The default key file is checked the same way.
        let data = dir.path().join("data");
        load_or_create_key(None, None, &data).unwrap();
        let default = data.join(DEFAULT_KEY_FILE);
        fs::set_permissions(&default, fs::Permissions::from_mode(0o640)).unwrap();
        let err = load_or_create_key(None, None, &data).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn rings_round_trip_through_the_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let (ring, origin) = load_or_create_key(None, None, dir.path()).unwrap();
        let path = origin.file().unwrap().to_path_buf();
        let (grown, id) = ring.with_new_key().unwrap();
        write_key_ring(&path, &grown).unwrap();
        assert_eq!(private_files::mode_of(&path), Some(0o600));
        let (read, origin) = load_or_create_key(None, None, dir.path()).unwrap();
        assert_eq!(origin, KeyOrigin::File(path));
        assert_eq!((read.ids(), read.current_id()), (vec![0, id], id));

        let env = format!(
            "0:{},1:{}",
            SecretKey::generate().to_hex().as_str(),
            SecretKey::generate().to_hex().as_str()
        );
        let (ring, origin) = load_or_create_key(Some(&env), None, dir.path()).unwrap();
        assert_eq!((ring.ids(), origin.file()), (vec![0, 1], None));
    }
}
