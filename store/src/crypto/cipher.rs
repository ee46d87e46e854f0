//! XChaCha20-Poly1305 sealing of secrets, bound to where they are stored, under the keys
//! of a [`KeyRing`].

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key::SecretKey;
use super::mac::{self, TAG_LEN};
use super::ring::KeyRing;
use crate::error::StoreError;

/// Format version written into every [`Sealed`] value.
pub const SEALED_VERSION: u8 = 1;

/// Length of an XChaCha20 nonce in bytes.
pub const NONCE_LEN: usize = 24;

/// A secret encrypted at rest: version, random nonce, ciphertext (with its tag) and the
/// id of the key that sealed it.
///
/// Serialises as `{"v":1,"nonce":"<base64>","ct":"<base64>","kid":2}`; `kid` is left out
/// for key id 0, so values written before key rotation existed (which have no `kid`) are
/// key id 0, and a store that never rotated writes exactly what it always did. Opening
/// it needs the key with that id and the same associated data it was sealed with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    v: u8,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
    #[serde(with = "b64")]
    ct: Vec<u8>,
    #[serde(default, skip_serializing_if = "is_zero")]
    kid: u32,
}

fn is_zero(id: &u32) -> bool {
    *id == 0
}

impl Sealed {
    /// The format version of this value.
    pub fn version(&self) -> u8 {
        self.v
    }

    /// The id of the key that sealed it (0 for values written before rotation).
    pub fn key_id(&self) -> u32 {
        self.kid
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("v", &self.v)
            .field("kid", &self.kid)
            .field("len", &self.ct.len())
            .finish_non_exhaustive()
    }
}

/// A decrypted secret. Wiped from memory when dropped; `Debug` prints `Secret(***)`.
/// Deliberately not `PartialEq`: compare secrets in constant time (`subtle`) if ever needed.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps secret text.
    pub fn new(text: impl Into<String>) -> Self {
        Secret(Zeroizing::new(text.into()))
    }

    /// The secret text. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret::new(text)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Seals and opens secrets with the keys of a [`KeyRing`] (XChaCha20-Poly1305, random
/// nonces): new values under the current key, existing ones under the key they name.
/// Cheap to clone.
#[derive(Clone)]
pub struct Cipher {
    keys: Arc<BTreeMap<u32, KeySlot>>,
    current: u32,
}

/// One key of the ring, ready to use.
struct KeySlot {
    aead: XChaCha20Poly1305,
    /// Key for MACs over data that must not be altered, derived from the key.
    mac: Zeroizing<[u8; TAG_LEN]>,
}

/// Purpose label of the key that authenticates compiled plugin artifacts.
const ARTIFACT_MAC_PURPOSE: &str = "compiled-artifact-mac";

impl Cipher {
    /// A cipher for one key, as key id 0.
    pub fn new(key: &SecretKey) -> Self {
        Cipher::from_ring(&KeyRing::single(key.clone()))
    }

    /// A cipher for every key of `ring`; its current key seals.
    pub fn from_ring(ring: &KeyRing) -> Self {
        let keys = ring
            .iter()
            .map(|(id, key)| {
                let slot = KeySlot {
                    aead: XChaCha20Poly1305::new(key.bytes().into()),
                    mac: mac::derive_key(key.bytes(), ARTIFACT_MAC_PURPOSE),
                };
                (id, slot)
            })
            .collect();
        Cipher {
            keys: Arc::new(keys),
            current: ring.current_id(),
        }
    }

    /// The id of the key that seals new values.
    pub fn key_id(&self) -> u32 {
        self.current
    }

    /// Every key id this cipher can open, ascending.
    pub fn key_ids(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    fn slot(&self, id: u32) -> Result<&KeySlot, StoreError> {
        self.keys.get(&id).ok_or(StoreError::Decrypt(
            "sealed under a key id the key ring does not hold",
        ))
    }

    /// Encrypts `plaintext` under the current key and a fresh random nonce,
    /// authenticating `aad` with it.
    ///
    /// `aad` names where the value will be stored (see [`crate::crypto::aad`]), so a
    /// ciphertext copied to another row fails to open. The only failure is a plaintext
    /// too large for the cipher (far beyond anything Mooring stores).
    pub fn seal(&self, plaintext: &str, aad: &[u8]) -> Result<Sealed, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad,
        };
        let ct = self
            .slot(self.current)?
            .aead
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| StoreError::InvalidInput("secret too large to encrypt".into()))?;
        Ok(Sealed {
            v: SEALED_VERSION,
            nonce: nonce.to_vec(),
            ct,
            kid: self.current,
        })
    }

    /// Decrypts `sealed` with the key it names, which must be in the ring; `aad` must be
    /// the one it was sealed with.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Secret, StoreError> {
        if sealed.v != SEALED_VERSION {
            return Err(StoreError::Decrypt("unknown sealed-value version"));
        }
        if sealed.nonce.len() != NONCE_LEN {
            return Err(StoreError::Decrypt("bad nonce length"));
        }
        let payload = Payload {
            msg: &sealed.ct,
            aad,
        };
        let plain = Zeroizing::new(
            self.slot(sealed.kid)?
                .aead
                .decrypt(XNonce::from_slice(&sealed.nonce), payload)
                .map_err(|_| StoreError::Decrypt("authentication failed"))?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| StoreError::Decrypt("not UTF-8"))?;
        Ok(Secret::new(text))
    }

    /// `sealed` under the current key: opened and sealed again (same `aad`) when another
    /// key sealed it, `None` when it already is under the current key.
    pub fn reseal(&self, sealed: &Sealed, aad: &[u8]) -> Result<Option<Sealed>, StoreError> {
        if sealed.kid == self.current {
            return Ok(None);
        }
        let secret = self.open(sealed, aad)?;
        self.seal(secret.expose(), aad).map(Some)
    }

    /// HMAC-SHA256 over `parts` under the artifact-MAC key derived from key `id`, or
    /// `None` when the ring does not hold that key.
    pub(crate) fn artifact_mac(&self, id: u32, parts: &[&[u8]]) -> Option<[u8; TAG_LEN]> {
        let slot = self.keys.get(&id)?;
        Some(mac::hmac_sha256(slot.mac.as_slice(), parts))
    }
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

/// Serde helpers: bytes as standard base64 text.
mod b64 {
    use super::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> Cipher {
        Cipher::new(&SecretKey::generate())
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let c = cipher();
        let a = c.seal("tok-123", b"grant:g1:access").unwrap();
        let b = c.seal("tok-123", b"grant:g1:access").unwrap();
        assert_ne!(a, b, "each seal uses a new nonce");
        assert_eq!(c.open(&a, b"grant:g1:access").unwrap().expose(), "tok-123");
        assert_eq!(c.open(&b, b"grant:g1:access").unwrap().expose(), "tok-123");
    }

    #[test]
    fn aad_binds_location() {
        let c = cipher();
        let s = c.seal("tok", b"grant:g1:access").unwrap();
        for other in [&b"grant:g2:access"[..], b"grant:g1:refresh", b""] {
            assert!(matches!(c.open(&s, other), Err(StoreError::Decrypt(_))));
        }
    }

    #[test]
    fn other_key_or_tampering_fails() {
        let s = cipher().seal("tok", b"x").unwrap();
        assert!(matches!(
            cipher().open(&s, b"x"),
            Err(StoreError::Decrypt(_))
        ));

        let c = cipher();
        let mut t = c.seal("tok", b"x").unwrap();
        if let Some(byte) = t.ct.first_mut() {
            *byte ^= 1;
        }
        assert!(matches!(c.open(&t, b"x"), Err(StoreError::Decrypt(_))));
        let mut k = c.seal("tok", b"x").unwrap();
        k.kid = 5;
        assert!(matches!(c.open(&k, b"x"), Err(StoreError::Decrypt(_))));
        let mut v = c.seal("tok", b"x").unwrap();
        v.v = 9;
        assert!(matches!(c.open(&v, b"x"), Err(StoreError::Decrypt(_))));
    }

    #[test]
    fn serde_shape_and_redaction() {
        let c = cipher();
        let s = c.seal("super-secret", b"x").unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.starts_with("{\"v\":1,\"nonce\":\""), "{json}");
        assert!(!json.contains("super-secret"));
        let back: Sealed = serde_json::from_str(&json).unwrap();
        assert_eq!(c.open(&back, b"x").unwrap().expose(), "super-secret");

        assert_eq!(format!("{:?}", Secret::new("super-secret")), "Secret(***)");
        assert!(!format!("{s:?}").contains("super-secret"));
        assert_eq!(format!("{c:?}"), "Cipher(***)");
    }

    #[test]
    fn key_ids_select_keys_and_reseal_moves_to_current() {
        let old = SecretKey::generate();
        let before = Cipher::new(&old);
        let legacy = before.seal("tok", b"x").unwrap();
        let json = serde_json::to_string(&legacy).unwrap();
        assert!(!json.contains("kid"), "key id 0 is not written: {json}");

        let (ring, new_id) = KeyRing::single(old).with_new_key().unwrap();
        let after = Cipher::from_ring(&ring);
        assert_eq!((after.key_id(), after.key_ids()), (new_id, vec![0, 1]));
        assert_eq!(after.open(&legacy, b"x").unwrap().expose(), "tok");
        let moved = after.reseal(&legacy, b"x").unwrap().unwrap();
        assert_eq!(moved.key_id(), 1);
        assert!(
            serde_json::to_string(&moved)
                .unwrap()
                .ends_with(",\"kid\":1}")
        );
        assert!(after.reseal(&moved, b"x").unwrap().is_none());
        assert_eq!(after.open(&moved, b"x").unwrap().expose(), "tok");
        // The old key alone cannot open what the new key sealed.
        assert!(matches!(
            before.open(&moved, b"x"),
            Err(StoreError::Decrypt(_))
        ));
        let retired = Cipher::from_ring(&ring.current_only());
        assert!(matches!(
            retired.open(&legacy, b"x"),
            Err(StoreError::Decrypt(_))
        ));
        assert!(retired.reseal(&legacy, b"x").is_err());
    }
}
