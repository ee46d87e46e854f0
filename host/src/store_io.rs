//! Running store operations from async code: every store call is synchronous and a
//! write waits for `fsync`, so [`db`] runs it on tokio's blocking pool.

use mooring_store::{Store, StoreError};

/// Run a store operation on the blocking pool.
pub async fn db<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| StoreError::InvalidInput(format!("store task failed: {e}")))?
}
