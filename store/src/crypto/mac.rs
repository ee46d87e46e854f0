//! HMAC-SHA256 (RFC 2104) over `sha2`, and the keys derived from the encryption key for
//! authenticating data that is not secret but must not be altered (compiled plugins).

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// Length of an HMAC-SHA256 tag in bytes.
pub const TAG_LEN: usize = 32;

const BLOCK: usize = 64;

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut block = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        block[..TAG_LEN].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    let mut outer = Sha256::new();
    let mut ipad = Zeroizing::new([0u8; BLOCK]);
    let mut opad = Zeroizing::new([0u8; BLOCK]);
    for i in 0..BLOCK {
        ipad[i] = block[i] ^ 0x36;
        opad[i] = block[i] ^ 0x5c;
    }
    inner.update(ipad.as_slice());
    for part in parts {
        inner.update(part);
    }
    outer.update(opad.as_slice());
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// A 32-byte key for `purpose`, derived from `key` (HMAC-SHA256 keyed by the encryption
/// key over a domain-separation label: the HKDF-Expand step with one block). Keys derived
/// for different purposes are independent, and none reveals the encryption key.
pub(crate) fn derive_key(key: &[u8], purpose: &str) -> Zeroizing<[u8; TAG_LEN]> {
    Zeroizing::new(hmac_sha256(
        key,
        &[b"mooring key derivation v1\0", purpose.as_bytes(), &[1]],
    ))
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_hex(key: &[u8], data: &[u8]) -> String {
        hex::encode(hmac_sha256(key, &[data]))
    }

    /// RFC 4231 test cases 1, 2 and 6 (short key, text key, key longer than a block).
    #[test]
    fn rfc4231_vectors() {
        assert_eq!(
            tag_hex(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            tag_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            tag_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn parts_concatenate_and_purposes_separate() {
        let key = [7u8; 32];
        assert_eq!(
            hmac_sha256(&key, &[b"ab", b"c"]),
            hmac_sha256(&key, &[b"abc"])
        );
        let a = derive_key(&key, "artifact-mac");
        let b = derive_key(&key, "other");
        assert_ne!(a.as_slice(), b.as_slice());
        assert_ne!(a.as_slice(), key.as_slice());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
