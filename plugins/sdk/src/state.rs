//! The per-connection key-value store: raw bytes ([`get`], [`set`], [`delete`]) and
//! JSON values ([`get_json`], [`set_json`]).
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
