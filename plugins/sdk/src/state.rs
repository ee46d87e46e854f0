//! The per-connection key-value store: raw bytes ([`get`], [`set`], [`delete`]), JSON
//! values ([`get_json`], [`set_json`]) and the granted scopes
//! ([`store_granted_scopes`], [`granted_scopes`]).
//!
//! The store is scoped by the host to the one connection a call works for; keys and
//! values are small (the host enforces limits and `set` fails past them).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::ConnectorError;

pub use crate::bindings::mooring::connector::state::{delete, get, set};

/// The JSON value under `key`: `Ok(None)` when absent, `invalid-data` when the
/// stored bytes are not a `T`.
///
/// ```ignore
/// let counter: u64 = state::get_json("counter")?.unwrap_or(0);
/// ```
pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, ConnectorError> {
    decode(key, get(key).as_deref())
}

/// Stores `value` as JSON under `key`. Fails with `invalid-data` when the value cannot
/// be serialised or the host refuses it (key or value over its limits).
pub fn set_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), ConnectorError> {
    let bytes = encode(key, value)?;
    set(key, &bytes).map_err(|e| ConnectorError::InvalidData(format!("state `{key}`: {e}")))
}

/// The key under which [`store_granted_scopes`] keeps the granted scopes, as a JSON
/// array of strings.
pub const GRANTED_SCOPES_KEY: &str = "granted_scopes";

/// Keeps the scopes a token response reported as granted (`TokenInfo::scopes`), for
/// telling a person later which scope a failing stream lacks. Best effort: an empty
/// list (the provider did not say) is not stored, so it never hides an earlier answer,
/// and a refusal by the host is only logged.
pub fn store_granted_scopes(scopes: &[String]) {
    if scopes.is_empty() {
        return;
    }
    if let Err(e) = set_json(GRANTED_SCOPES_KEY, scopes) {
        crate::log::warn!("could not keep the granted scopes: {}", e.reason());
    }
}

/// The scopes kept by [`store_granted_scopes`]; `None` when none were kept or they
/// cannot be read.
pub fn granted_scopes() -> Option<Vec<String>> {
    get_json(GRANTED_SCOPES_KEY).ok().flatten()
}

fn decode<T: DeserializeOwned>(
    key: &str,
    bytes: Option<&[u8]>,
) -> Result<Option<T>, ConnectorError> {
    match bytes {
        None => Ok(None),
        Some(b) => serde_json::from_slice(b).map(Some).map_err(|e| {
            ConnectorError::InvalidData(format!("state `{key}` is not the expected JSON: {e}"))
        }),
    }
}

fn encode<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Vec<u8>, ConnectorError> {
    serde_json::to_vec(value).map_err(|e| {
        ConnectorError::InvalidData(format!("state `{key}` could not be serialised: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let bytes = encode("k", &vec![1u64, 2]).unwrap();
        assert_eq!(bytes, b"[1,2]");
        assert_eq!(
            decode::<Vec<u64>>("k", Some(&bytes)).unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(decode::<u64>("k", None).unwrap(), None);
    }

    #[test]
    fn bad_json_is_invalid_data() {
        match decode::<u64>("counter", Some(b"nope")) {
            Err(ConnectorError::InvalidData(m)) => assert!(m.contains("counter")),
            other => panic!("{other:?}"),
        }
    }
}
