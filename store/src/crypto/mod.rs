//! Secrets at rest: the keys (a [`KeyRing`], rotated by `mooring keys`), where they come
//! from, sealing with XChaCha20-Poly1305, and MACs under keys derived from them.

mod cipher;
mod key;
mod keyfile;
mod mac;
mod ring;

pub use cipher::{Cipher, NONCE_LEN, SEALED_VERSION, Sealed, Secret};
pub use key::{KEY_LEN, SecretKey};
pub use keyfile::{
    DEFAULT_KEY_FILE, KeyOrigin, KeySource, load_key_ring, load_or_create_key, write_key_ring,
};
pub use mac::TAG_LEN;
pub(crate) use mac::constant_time_eq;
pub use ring::KeyRing;

/// Associated data for each place a secret is stored.
///
/// Sealing with the AAD of its row binds a ciphertext to that row: copied elsewhere, it no
/// longer opens. A staged grant inside an OAuth flow is sealed with the AAD of the grant id
/// it will have once swapped in, so it moves into the grants table without re-sealing.
pub mod aad {
    /// AAD of the database's key-check value in the meta table.
    pub const KEY_CHECK: &[u8] = b"meta:key_check";

    /// AAD of a grant's access token.
    pub fn grant_access(grant_id: &str) -> Vec<u8> {
        format!("grant:{grant_id}:access").into_bytes()
    }

    /// AAD of a grant's current refresh token.
    pub fn grant_refresh(grant_id: &str) -> Vec<u8> {
        format!("grant:{grant_id}:refresh").into_bytes()
    }

    /// AAD of a grant's previous refresh token (kept for the provider's grace window).
    pub fn grant_previous_refresh(grant_id: &str) -> Vec<u8> {
        format!("grant:{grant_id}:previous_refresh").into_bytes()
    }

    /// AAD of an integration's OAuth client secret.
    pub fn client_secret(integration_id: &str) -> Vec<u8> {
        format!("integration:{integration_id}:client_secret").into_bytes()
    }

    /// AAD of an OAuth flow's PKCE verifier.
    pub fn pkce_verifier(flow_state: &str) -> Vec<u8> {
        format!("flow:{flow_state}:pkce_verifier").into_bytes()
    }
}
