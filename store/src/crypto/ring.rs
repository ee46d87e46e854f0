//! The key ring: every key that may have sealed a stored value, by key id. The highest
//! id is the current key, which seals new values; older keys only open.
//!
//! Text format (a key file, or `MOORING_ENCRYPTION_KEY`): one entry per line (or
//! separated by commas in an environment variable), each `<id>:<key>` with the key as 64
//! hex characters or base64 of 32 bytes. An entry without `<id>:` is key id 0, so the
//! original one-key file is a ring of one key. Blank lines and `#` comments are ignored.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::key::SecretKey;
use crate::error::StoreError;

/// Keys by id; never empty. `Debug` shows the ids only.
#[derive(Clone)]
pub struct KeyRing {
    keys: BTreeMap<u32, SecretKey>,
}

impl KeyRing {
    /// A ring holding `key` as key id 0 (the id of every value sealed before rotation).
    pub fn single(key: SecretKey) -> Self {
        KeyRing {
            keys: BTreeMap::from([(0, key)]),
        }
    }

    /// Parses ring text (see the module documentation). Errors name the entry, never
    /// the key text.
    pub fn from_text(text: &str) -> Result<Self, StoreError> {
        let mut keys = BTreeMap::new();
        let entries = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default())
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty());
        for (n, entry) in entries.enumerate() {
            let (id, key_text) = match entry.split_once(':') {
                Some((id, key)) => {
                    let id = id.trim().parse::<u32>().map_err(|_| {
                        StoreError::InvalidKey(format!(
                            "entry {}: the key id before ':' must be a number",
                            n + 1
                        ))
                    })?;
                    (id, key)
                }
                None => (0, entry),
            };
            let key = SecretKey::from_text(key_text).map_err(|e| match e {
                StoreError::InvalidKey(msg) => {
                    StoreError::InvalidKey(format!("entry {} (key id {id}): {msg}", n + 1))
                }
                other => other,
            })?;
            if keys.insert(id, key).is_some() {
                return Err(StoreError::InvalidKey(format!("key id {id} appears twice")));
            }
        }
        if keys.is_empty() {
            return Err(StoreError::InvalidKey("no key found".into()));
        }
        Ok(KeyRing { keys })
    }

    /// The ring as key-file text: a comment line, then `<id>:<hex>` per key, in id
    /// order. A ring of only key id 0 is written as the bare key (the original format).
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        if self.keys.len() == 1
            && let Some(key) = self.keys.get(&0)
        {
            out.push_str(key.to_hex().as_str());
            out.push('\n');
            return out;
        }
        out.push_str("# Mooring key ring: <key id>:<key>; the highest id seals new values\n");
        for (id, key) in &self.keys {
            out.push_str(&id.to_string());
            out.push(':');
            out.push_str(key.to_hex().as_str());
            out.push('\n');
        }
        out
    }

    /// The id of the current key (the highest).
    pub fn current_id(&self) -> u32 {
        self.keys.keys().next_back().copied().unwrap_or(0)
    }

    /// Every key id, ascending.
    pub fn ids(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// The key with this id.
    pub fn get(&self, id: u32) -> Option<&SecretKey> {
        self.keys.get(&id)
    }

    /// The ring plus a new random key, which becomes current; returns its id.
    pub fn with_new_key(&self) -> Result<(KeyRing, u32), StoreError> {
        let id = self
            .current_id()
            .checked_add(1)
            .ok_or_else(|| StoreError::InvalidKey("no key id left after u32::MAX".into()))?;
        let mut keys = self.keys.clone();
        keys.insert(id, SecretKey::generate());
        Ok((KeyRing { keys }, id))
    }

    /// The ring with only its current key.
    pub fn current_only(&self) -> KeyRing {
        KeyRing {
            keys: self
                .keys
                .iter()
                .next_back()
                .map(|(id, key)| (*id, key.clone()))
                .into_iter()
                .collect(),
        }
    }

    /// Every (id, key), ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &SecretKey)> {
        self.keys.iter().map(|(id, key)| (*id, key))
    }
}

impl From<SecretKey> for KeyRing {
    fn from(key: SecretKey) -> Self {
        KeyRing::single(key)
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("ids", &self.ids())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_key_is_id_zero_and_round_trips() {
        let key = SecretKey::generate();
        let ring = KeyRing::from_text(&format!("{}\n", key.to_hex().as_str())).unwrap();
        assert_eq!(ring.ids(), vec![0]);
        assert_eq!(
            ring.to_text().as_str(),
            format!("{}\n", key.to_hex().as_str())
        );
    }

    #[test]
    fn entries_with_ids_comments_and_commas() {
        let (a, b) = (SecretKey::generate(), SecretKey::generate());
        let text = format!(
            "# ring\n\n0:{}\n  3:{}  # newest\n",
            a.to_hex().as_str(),
            b.to_hex().as_str()
        );
        let ring = KeyRing::from_text(&text).unwrap();
        assert_eq!(ring.ids(), vec![0, 3]);
        assert_eq!(ring.current_id(), 3);
        let again = KeyRing::from_text(ring.to_text().as_str()).unwrap();
        assert_eq!(again.ids(), vec![0, 3]);
        let env = format!("0:{},3:{}", a.to_hex().as_str(), b.to_hex().as_str());
        assert_eq!(KeyRing::from_text(&env).unwrap().ids(), vec![0, 3]);

        let (grown, id) = ring.with_new_key().unwrap();
        assert_eq!((id, grown.ids()), (4, vec![0, 3, 4]));
        assert_eq!(grown.current_only().ids(), vec![4]);
        assert_eq!(format!("{grown:?}"), "KeyRing { ids: [0, 3, 4], .. }");
    }

    #[test]
    fn bad_rings_are_refused_without_echoing_keys() {
        let key = SecretKey::generate();
        let hex = key.to_hex();
        for bad in [
            String::new(),
            "# only a comment\n".into(),
            format!("x:{}", hex.as_str()),
            format!("1:{}\n1:{}", hex.as_str(), hex.as_str()),
            format!("{}\n{}", hex.as_str(), hex.as_str()),
            "1:not-a-key".into(),
        ] {
            let err = KeyRing::from_text(&bad).unwrap_err();
            assert!(matches!(err, StoreError::InvalidKey(_)), "{bad:?}");
            assert!(!err.to_string().contains(hex.as_str()));
        }
    }
}
