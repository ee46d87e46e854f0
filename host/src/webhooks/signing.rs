//! Standard Webhooks signatures: `webhook-signature: v1,<base64(HMAC-SHA256(secret,
//! "{id}.{timestamp}.{body}"))>`, where the secret is the base64 after `whsec_`.
//!
//! The secret is held in a [`SigningSecret`] whose `Debug` prints nothing of it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// The prefix of a signing secret's text.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of randomness in a generated secret.
pub const SECRET_BYTES: usize = 32;
/// A receiver accepts a timestamp this far from its own clock (seconds).
pub const TOLERANCE_SECS: u64 = 5 * 60;

/// Why a signing secret or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// The secret is not `whsec_` + base64 of at least 24 bytes.
    #[error("a webhook secret is whsec_ followed by base64 of 24 to 64 random bytes")]
    BadSecret,
    /// No `v1` signature in the header matches.
    #[error("no webhook signature matches")]
    Mismatch,
    /// The timestamp is too far from now (a replay, or a skewed clock).
    #[error("the webhook timestamp is outside the tolerance")]
    Stale,
}

/// A webhook signing secret (the decoded key bytes).
#[derive(Clone)]
pub struct SigningSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(***)")
    }
}

impl SigningSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        rand::fill(&mut bytes[..]);
        Self(bytes)
    }

    /// Parse `whsec_<base64>` (24 to 64 key bytes).
    pub fn parse(text: &str) -> Result<Self, SigningError> {
        let encoded = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SigningError::BadSecret)?;
        let bytes = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| SigningError::BadSecret)?,
        );
        if !(24..=64).contains(&bytes.len()) {
            return Err(SigningError::BadSecret);
        }
        Ok(Self(bytes))
    }

    /// The `whsec_…` text (shown once, at creation; sealed at rest).
    pub fn expose(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(&*self.0)))
    }

    /// The `webhook-signature` value for message `id` sent at `timestamp` (unix seconds).
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let tag = hmac_sha256(
            &self.0,
            &[
                id.as_bytes(),
                b".",
                timestamp.to_string().as_bytes(),
                b".",
                body,
            ],
        );
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Check a received message as a receiver would: one of the space-separated `v1,`
    /// signatures in `header` must match and `timestamp` must be within
    /// [`TOLERANCE_SECS`] of `now_secs`.
    pub fn verify(
        &self,
        id: &str,
        timestamp: u64,
        body: &[u8],
        header: &str,
        now_secs: u64,
    ) -> Result<(), SigningError> {
        if now_secs.abs_diff(timestamp) > TOLERANCE_SECS {
            return Err(SigningError::Stale);
        }
        let expected = self.sign(id, timestamp, body);
        let matches = header
            .split_whitespace()
            .filter(|s| s.starts_with("v1,"))
            .any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())));
        if matches {
            Ok(())
        } else {
            Err(SigningError::Mismatch)
        }
    }
}

/// HMAC-SHA256 (RFC 2104) of the concatenation of `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    let mut outer = Sha256::new();
    let ipad: Zeroizing<Vec<u8>> = Zeroizing::new(block.iter().map(|b| b ^ 0x36).collect());
    let opad: Zeroizing<Vec<u8>> = Zeroizing::new(block.iter().map(|b| b ^ 0x5c).collect());
    inner.update(&*ipad);
    for part in parts {
        inner.update(part);
    }
    outer.update(&*opad);
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (and its reference libraries'
    /// tests), checked independently with Python's `hmac` module.
    #[test]
    fn standard_webhooks_test_vector() {
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("ok");
        let body = br#"{"test": 2432232314}"#;
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = format!("v1,bm90IHRoaXMgb25l {signature}");
        assert_eq!(
            secret.verify(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                body,
                &header,
                1_614_265_400
            ),
            Ok(())
        );
        assert_eq!(
            secret.verify(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                b"{}",
                &header,
                1_614_265_330
            ),
            Err(SigningError::Mismatch)
        );
        assert_eq!(
            secret.verify("m", 1_614_265_330, body, &header, 1_614_275_330),
            Err(SigningError::Stale)
        );
    }

    /// RFC 4231 test case 2.
    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hex::encode(hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn generated_secrets_round_trip_and_do_not_print() {
        let secret = SigningSecret::generate();
        let text = secret.expose();
        assert!(text.starts_with("whsec_"));
        let again = SigningSecret::parse(&text).expect("parse");
        assert_eq!(again.sign("a", 1, b"b"), secret.sign("a", 1, b"b"));
        assert_eq!(format!("{secret:?}"), "SigningSecret(***)");
        for bad in [
            "",
            "whsec_",
            "whsec_!!!",
            "sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_AAAA",
        ] {
            assert_eq!(
                SigningSecret::parse(bad).map(|_| ()),
                Err(SigningError::BadSecret)
            );
        }
    }
}
