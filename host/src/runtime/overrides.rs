//! Host overrides: deployment config that remaps a host a plugin declares
//! (`api.example.com`) to another base URL (`http://127.0.0.1:9001/prefix`). Applied to
//! outbound calls and to authorize URLs shown to people; this is how tests and demos
//! point real plugins at simulators or provider sandboxes.

use std::collections::HashMap;

use url::Url;

/// Why an override list could not be parsed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OverrideError {
    /// An entry is not `host=base-url`.
    #[error("host override {0:?} is not of the form host=base-url")]
    Malformed(String),
    /// The base URL does not parse or is not http(s).
    #[error("host override for {host}: {reason}")]
    BadBase {
        /// The host being remapped.
        host: String,
        /// What is wrong with its base URL.
        reason: String,
    },
}

/// A set of `host → base URL` remappings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostOverrides {
    map: HashMap<String, Url>,
}

impl HostOverrides {
    /// Parse `host=base-url` pairs separated by commas (whitespace around entries is
    /// ignored; an empty string means no overrides).
    pub fn parse(text: &str) -> Result<Self, OverrideError> {
        let mut overrides = Self::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (host, base) = entry
                .split_once('=')
                .ok_or_else(|| OverrideError::Malformed(entry.to_owned()))?;
            overrides.insert(host.trim(), base.trim())?;
        }
        Ok(overrides)
    }

    /// Add one remapping.
    pub fn insert(&mut self, host: &str, base: &str) -> Result<(), OverrideError> {
        let host = host.to_ascii_lowercase();
        if host.is_empty() || host.contains('/') {
            return Err(OverrideError::Malformed(format!("{host}={base}")));
        }
        let bad = |reason: String| OverrideError::BadBase {
            host: host.clone(),
            reason,
        };
        let url = Url::parse(base).map_err(|e| bad(format!("{base:?} is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad(format!("{base:?} must be an http or https URL")));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad(format!("{base:?} must not carry a query or fragment")));
        }
        self.map.insert(host, url);
        Ok(())
    }

    /// Merge `other` over `self` (entries of `other` win).
    pub fn extend(&mut self, other: HostOverrides) {
        self.map.extend(other.map);
    }

    /// Whether `host` (a URL's host name) is remapped.
    pub fn remaps(&self, host: &str) -> bool {
        self.map.contains_key(&host.to_ascii_lowercase())
    }

    /// Whether `host` is the host of some override's base URL.
    pub fn is_target(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.target_hosts().any(|t| t == host)
    }

    /// The hosts of the override base URLs (lower case, IPv6 in brackets).
    pub fn target_hosts(&self) -> impl Iterator<Item = String> + '_ {
        self.map
            .values()
            .filter_map(|base| base.host_str().map(str::to_ascii_lowercase))
    }

    /// Whether there are no remappings.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The URL to actually use for `url`: unchanged unless its host is remapped, in
    /// which case scheme, host and port come from the base and the base's path is
    /// prefixed to the original path (query kept).
    pub fn apply(&self, url: &Url) -> Url {
        let Some(base) = url
            .host_str()
            .and_then(|h| self.map.get(&h.to_ascii_lowercase()))
        else {
            return url.clone();
        };
        let mut out = base.clone();
        let prefix = base.path().trim_end_matches('/');
        out.set_path(&format!("{prefix}{}", url.path()));
        out.set_query(url.query());
        out
    }

    /// Like [`apply`](Self::apply) for URL text; text that is not a URL is returned as is.
    pub fn apply_str(&self, url: &str) -> String {
        match Url::parse(url) {
            Ok(parsed) => self.apply(&parsed).to_string(),
            Err(_) => url.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaps_host_keeping_path_and_query() {
        let o = HostOverrides::parse(
            " api.example.com=http://127.0.0.1:9001/api.example.com , login.example.com=http://127.0.0.1:9002",
        )
        .expect("parses");
        let u = Url::parse("https://API.example.com/api.xro/2.0/Journals?offset=100").expect("url");
        assert_eq!(
            o.apply(&u).as_str(),
            "http://127.0.0.1:9001/api.example.com/api.xro/2.0/Journals?offset=100"
        );
        assert_eq!(
            o.apply_str("https://login.example.com/authorize?a=b"),
            "http://127.0.0.1:9002/authorize?a=b"
        );
        assert_eq!(
            o.apply_str("https://other.example.com/x"),
            "https://other.example.com/x"
        );
    }

    #[test]
    fn rejects_malformed_entries() {
        assert!(matches!(
            HostOverrides::parse("nonsense"),
            Err(OverrideError::Malformed(_))
        ));
        assert!(matches!(
            HostOverrides::parse("a.com=ftp://x"),
            Err(OverrideError::BadBase { .. })
        ));
        assert!(matches!(
            HostOverrides::parse("a.com=not a url"),
            Err(OverrideError::BadBase { .. })
        ));
        assert!(HostOverrides::parse("").expect("empty ok").is_empty());
    }
}
