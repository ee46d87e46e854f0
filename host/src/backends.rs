//! The store-backed implementations of runtime backends: plugin state and the
//! compiled-artifact cache. Each store call runs on the blocking pool.

use mooring_store::Store;

use crate::runtime::cache::ArtifactCache;
use crate::runtime::capabilities::broker::BoxFuture;
use crate::runtime::capabilities::state::StateUsage;
use crate::runtime::capabilities::{StateBackend, StateError};

/// Plugin state kept in the redb store, per connection.
#[derive(Clone)]
pub struct StoreState(pub Store);

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, mooring_store::StoreError> + Send + 'static,
) -> Result<T, StateError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StateError::Backend(e.to_string()))?
        .map_err(|e| StateError::Backend(e.to_string()))
}

impl StateBackend for StoreState {
    fn get<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StateError>> {
        let (store, connection, key) = (self.0.clone(), connection.to_owned(), key.to_owned());
        Box::pin(blocking(move || store.state_get(&connection, &key)))
    }

    fn set<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
        value: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        let (store, connection, key) = (self.0.clone(), connection.to_owned(), key.to_owned());
        Box::pin(blocking(move || store.state_set(&connection, &key, &value)))
    }

    fn delete<'a>(
        &'a self,
        connection: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        let (store, connection, key) = (self.0.clone(), connection.to_owned(), key.to_owned());
        Box::pin(blocking(move || {
            store.state_delete(&connection, &key).map(|_| ())
        }))
    }

    fn usage<'a>(
        &'a self,
        connection: &'a str,
        except: &'a str,
    ) -> BoxFuture<'a, Result<StateUsage, StateError>> {
        let (store, connection, except) =
            (self.0.clone(), connection.to_owned(), except.to_owned());
        Box::pin(blocking(move || {
            let (keys, bytes) = store.state_usage(&connection, &except)?;
            Ok(StateUsage { keys, bytes })
        }))
    }
}

/// Compiled artifacts cached in the redb store. Each carries an HMAC-SHA256 under a key
/// derived from the encryption key; [`Store::compiled`] hands out only artifacts whose
/// MAC verifies (an altered one is dropped and reported absent), so the runtime compiles
/// again instead of deserialising bytes this host did not produce.
#[derive(Clone)]
pub struct StoreArtifacts(pub Store);

impl ArtifactCache for StoreArtifacts {
    fn get(&self, sha256: &str, engine_key: &str) -> Option<Vec<u8>> {
        match self.0.compiled(sha256, engine_key) {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "cannot read the compiled-plugin cache");
                None
            }
        }
    }

    fn put(&self, sha256: &str, engine_key: &str, artifact: &[u8]) {
        if let Err(error) = self.0.put_compiled(sha256, engine_key, artifact) {
            tracing::warn!(%error, "cannot cache a compiled plugin");
        }
    }
}
