//! XChaCha20-Poly1305 sealing of secrets, bound to where they are stored.

use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key::SecretKey;
use crate::error::StoreError;

/// Format version written into every [`Sealed`] value.
pub const SEALED_VERSION: u8 = 1;

/// Length of an XChaCha20 nonce in bytes.
pub const NONCE_LEN: usize = 24;

/// A secret encrypted at rest: version, random nonce and ciphertext (with its tag).
///
/// Serialises as `{"v":1,"nonce":"<base64>","ct":"<base64>"}`. Opening it needs the
/// same key and the same associated data it was sealed with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    v: u8,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
    #[serde(with = "b64")]
    ct: Vec<u8>,
}

impl Sealed {
    /// The format version of this value.
    pub fn version(&self) -> u8 {
        self.v
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("v", &self.v)
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

/// Seals and opens secrets with one [`SecretKey`] (XChaCha20-Poly1305, random nonces).
#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
}

impl Cipher {
    /// A cipher for `key`.
    pub fn new(key: &SecretKey) -> Self {
        Cipher {
            aead: XChaCha20Poly1305::new(key.bytes().into()),
        }
    }

    /// Encrypts `plaintext` under a fresh random nonce, authenticating `aad` with it.
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
            .aead
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| StoreError::InvalidInput("secret too large to encrypt".into()))?;
        Ok(Sealed {
            v: SEALED_VERSION,
            nonce: nonce.to_vec(),
            ct,
        })
    }

    /// Decrypts `sealed`, which must have been sealed with this key and the same `aad`.
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
            self.aead
                .decrypt(XNonce::from_slice(&sealed.nonce), payload)
                .map_err(|_| StoreError::Decrypt("authentication failed"))?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| StoreError::Decrypt("not UTF-8"))?;
        Ok(Secret::new(text))
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
}
