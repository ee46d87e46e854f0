//! The 32-byte key that seals secrets at rest.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;
use zeroize::Zeroizing;

use crate::error::StoreError;

/// Length of a [`SecretKey`] in bytes.
pub const KEY_LEN: usize = 32;

/// A 32-byte XChaCha20-Poly1305 key, wiped from memory when dropped.
///
/// Its `Debug` output never shows the bytes.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        SecretKey(Zeroizing::new(bytes))
    }

    /// A new random key from the operating system's CSPRNG (via `rand`'s thread RNG).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut_slice());
        SecretKey(bytes)
    }

    /// Parses key text: 64 hex characters, or standard base64 of 32 bytes.
    /// Surrounding whitespace (a trailing newline in a key file) is ignored.
    pub fn from_text(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        if text.len() == KEY_LEN * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode_to_slice(text, bytes.as_mut_slice()).map_err(|_| invalid(text))?;
            return Ok(SecretKey(bytes));
        }
        // Base64 of 32 bytes is 44 characters (43 without padding); decode into a buffer
        // with room to spare so over-long input is reported, not truncated.
        let mut buf = Zeroizing::new([0u8; 64]);
        if text.len() <= 44
            && let Ok(n) = STANDARD.decode_slice(text, buf.as_mut_slice())
            && n == KEY_LEN
        {
            bytes.copy_from_slice(&buf[..KEY_LEN]);
            return Ok(SecretKey(bytes));
        }
        Err(invalid(text))
    }

    /// The key as 64 lowercase hex characters (the key-file format).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_slice()))
    }

    /// The raw key bytes.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

fn invalid(text: &str) -> StoreError {
    StoreError::InvalidKey(format!(
        "expected 64 hex characters or standard base64 of 32 bytes, got {} characters",
        text.chars().count()
    ))
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_base64() {
        let key = SecretKey::generate();
        let hex = key.to_hex();
        let from_hex = SecretKey::from_text(&format!("{}\n", hex.as_str())).unwrap();
        assert_eq!(from_hex.bytes(), key.bytes());
        let upper = SecretKey::from_text(&hex.to_uppercase()).unwrap();
        assert_eq!(upper.bytes(), key.bytes());

        let b64 = STANDARD.encode(key.bytes());
        assert_eq!(b64.len(), 44);
        let from_b64 = SecretKey::from_text(&b64).unwrap();
        assert_eq!(from_b64.bytes(), key.bytes());
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "",
            "abc",
            &"g".repeat(64),
            &"a".repeat(63),
            &STANDARD.encode([7u8; 31]),
            &STANDARD.encode([7u8; 33]),
            &STANDARD.encode([7u8; 48]),
        ] {
            let err = SecretKey::from_text(bad).unwrap_err();
            assert!(matches!(err, StoreError::InvalidKey(_)), "{bad:?}: {err}");
            assert!(err.to_string().contains("64 hex characters"));
        }
    }

    #[test]
    fn debug_redacts() {
        let key = SecretKey::from_bytes([0xAB; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "SecretKey(***)");
        assert!(!shown.to_lowercase().contains("ab"));
    }
}
