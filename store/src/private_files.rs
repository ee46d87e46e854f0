//! Files and directories only the owner may read: the data directory (0700), the
//! database, key ring and admin token (0600). Unix only; elsewhere these do nothing.

use std::fs;
use std::io::Write as _;
use std::path::Path;

/// Mode of the data directory.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the database, key and token files.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) with mode 0700, or tightens an existing one to 0700.
///
/// An existing directory is changed only when it is open to group or others, is not
/// sticky (so `/tmp` is never touched) and the process may change it (it owns it); when
/// it may not, a warning is logged and the directory is used as it is.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
        builder.create(dir)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0
            && mode & 0o1000 == 0
            && let Err(error) = fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
        {
            tracing::warn!(
                dir = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                %error,
                "the data directory is open to other users and cannot be restricted to 0700"
            );
        }
    }
    Ok(())
}

/// Sets an existing file to mode 0600 when it is open to group or others. A file the
/// process may not change (not its owner) is left as it is, with a warning.
pub fn restrict_file(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(meta) = fs::metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0
            && let Err(error) = fs::set_permissions(path, fs::Permissions::from_mode(FILE_MODE))
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", mode & 0o777),
                %error,
                "file is readable by other users and cannot be restricted to 0600"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Writes `bytes` to `path` atomically with mode 0600: a temporary file in the same
/// directory, synced, then renamed over `path` (and the directory synced), so a crash
/// leaves either the old content or the new, never a mix.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        restrict_file(&tmp);
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The permission bits of `path` (`None` when it cannot be read, or not on Unix).
pub fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn dirs_and_files_become_private() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("a/data");
        ensure_private_dir(&data).unwrap();
        assert_eq!(mode_of(&data), Some(0o700));

        fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&data).unwrap();
        assert_eq!(
            mode_of(&data),
            Some(0o700),
            "an existing open directory is tightened"
        );

        let sticky = root.path().join("shared");
        fs::create_dir(&sticky).unwrap();
        fs::set_permissions(&sticky, fs::Permissions::from_mode(0o1777)).unwrap();
        ensure_private_dir(&sticky).unwrap();
        assert_eq!(
            mode_of(&sticky),
            Some(0o1777),
            "sticky directories are left alone"
        );

        let file = data.join("token");
        fs::write(&file, "x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        restrict_file(&file);
        assert_eq!(mode_of(&file), Some(0o600));

        let ring = data.join("ring");
        fs::write(&ring, "old").unwrap();
        fs::set_permissions(&ring, fs::Permissions::from_mode(0o644)).unwrap();
        write_private_atomic(&ring, b"new").unwrap();
        assert_eq!(fs::read_to_string(&ring).unwrap(), "new");
        assert_eq!(mode_of(&ring), Some(0o600));
        assert_eq!(
            fs::read_dir(&data).unwrap().count(),
            2,
            "no temporary file left"
        );
    }
}
