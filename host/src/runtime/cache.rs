//! Where compiled plugin artifacts are kept between runs, keyed by the component's
//! sha256 and the engine's compatibility key. Only artifacts this host produced are
//! ever deserialized.

use std::path::PathBuf;

/// A store of compiled artifacts.
pub trait ArtifactCache: Send + Sync {
    /// The artifact for (`sha256`, `engine_key`), if cached.
    fn get(&self, sha256: &str, engine_key: &str) -> Option<Vec<u8>>;
    /// Remember an artifact; failures are logged and otherwise ignored.
    fn put(&self, sha256: &str, engine_key: &str, artifact: &[u8]);
}

/// No caching: every load compiles.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

impl ArtifactCache for NoCache {
    fn get(&self, _: &str, _: &str) -> Option<Vec<u8>> {
        None
    }

    fn put(&self, _: &str, _: &str, _: &[u8]) {}
}

/// Artifacts as files in a directory the host owns.
#[derive(Debug, Clone)]
pub struct DirCache {
    dir: PathBuf,
}

impl DirCache {
    /// Cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, sha256: &str, engine_key: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.{engine_key}.cwasm"))
    }
}

impl ArtifactCache for DirCache {
    fn get(&self, sha256: &str, engine_key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(sha256, engine_key)).ok()
    }

    fn put(&self, sha256: &str, engine_key: &str, artifact: &[u8]) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = self
                .dir
                .join(format!(".{sha256}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, artifact)?;
            std::fs::rename(tmp, self.path(sha256, engine_key))
        };
        if let Err(error) = write() {
            tracing::warn!(%error, dir = %self.dir.display(), "cannot cache a compiled plugin");
        }
    }
}
