//! Sealing and opening the host's secrets, each bound to where it is stored (the
//! associated data), so a ciphertext copied to another row does not open.

use mooring_store::crypto::aad;
use mooring_store::{Sealed, Store, StoreError};

use crate::runtime::capabilities::broker::SecretText;

/// Where a secret lives; used as the AEAD associated data.
#[derive(Debug, Clone, Copy)]
pub enum Slot<'a> {
    /// An integration's client secret.
    ClientSecret(&'a str),
    /// A grant's access token.
    Access(&'a str),
    /// A grant's refresh token.
    Refresh(&'a str),
    /// A grant's previous refresh token (kept for the grace window).
    PreviousRefresh(&'a str),
    /// A flow's PKCE verifier.
    Pkce(&'a str),
}

impl Slot<'_> {
    /// The store's associated data for this slot.
    fn aad(self) -> Vec<u8> {
        match self {
            Slot::ClientSecret(id) => aad::client_secret(id),
            Slot::Access(id) => aad::grant_access(id),
            Slot::Refresh(id) => aad::grant_refresh(id),
            Slot::PreviousRefresh(id) => aad::grant_previous_refresh(id),
            Slot::Pkce(state) => aad::pkce_verifier(state),
        }
    }
}

/// Seal `plaintext` for `slot`.
pub fn seal(store: &Store, slot: Slot<'_>, plaintext: &str) -> Result<Sealed, StoreError> {
    store.cipher().seal(plaintext, &slot.aad())
}

/// Open the secret sealed for `slot`.
pub fn open(store: &Store, slot: Slot<'_>, sealed: &Sealed) -> Result<SecretText, StoreError> {
    let secret = store.cipher().open(sealed, &slot.aad())?;
    Ok(SecretText::new(secret.expose().to_owned()))
}

/// A random URL-safe token of `bytes` random bytes (ids, OAuth `state`, PKCE verifiers).
pub fn random_token(bytes: usize) -> String {
    use base64::Engine as _;
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A new id with a readable prefix (`conn_…`, `grant_…`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(rand::random::<[u8; 10]>()))
}
