//! The allow-list of hosts a plugin may call, from its manifest. Checked on the URL's
//! host name before any DNS lookup happens.

/// Hosts a plugin declared: exact names, or `*.example.com` for any subdomain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    exact: Vec<String>,
    suffixes: Vec<String>,
}

/// Why a manifest's host pattern is not acceptable.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("allowed host {0:?} is not a host name or *.domain pattern")]
pub struct BadHostPattern(pub String);

impl AllowedHosts {
    /// Build from manifest patterns, rejecting anything that is not a plain host name
    /// or a `*.` wildcard over at least two labels.
    pub fn new(patterns: &[String]) -> Result<Self, BadHostPattern> {
        let mut hosts = Self::default();
        for pattern in patterns {
            let p = pattern.trim().to_ascii_lowercase();
            if Self::is_ip_literal(&p) {
                // Stored as a URL shows it (`2130706433` → `127.0.0.1`, `[::1]`), so it
                // matches `Url::host_str`. Whether literals are acceptable at all is the
                // egress policy's call.
                let host = literal(&p).ok_or_else(|| BadHostPattern(pattern.clone()))?;
                hosts.exact.push(host.to_string());
                continue;
            }
            let (name, wildcard) = match p.strip_prefix("*.") {
                Some(rest) => (rest.to_owned(), true),
                None => (p.clone(), false),
            };
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !name.starts_with('.')
                && !name.ends_with('.')
                && !name.contains("..")
                && (!wildcard || name.contains('.'));
            if !valid {
                return Err(BadHostPattern(pattern.clone()));
            }
            if wildcard {
                hosts.suffixes.push(format!(".{name}"));
            } else {
                hosts.exact.push(name);
            }
        }
        Ok(hosts)
    }

    /// Whether `pattern` names an IP address (any form a URL accepts: dotted, decimal,
    /// hex, IPv6 with or without brackets) rather than a host name.
    pub fn is_ip_literal(pattern: &str) -> bool {
        literal(&pattern.trim().to_ascii_lowercase()).is_some()
    }

    /// Whether `host` (a URL's host name) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.exact.contains(&host) || self.suffixes.iter().any(|s| host.ends_with(s.as_str()))
    }
}

/// `text` as an IP-address host, if it is one.
fn literal(text: &str) -> Option<url::Host> {
    let bracketed = if text.contains(':') && !text.starts_with('[') {
        format!("[{text}]")
    } else {
        text.to_owned()
    };
    match url::Host::parse(&bracketed).ok()? {
        url::Host::Domain(_) => None,
        ip => Some(ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(p: &[&str]) -> AllowedHosts {
        AllowedHosts::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("valid")
    }

    #[test]
    fn exact_and_wildcard_matching() {
        let h = hosts(&["api.example.com", "*.example.net"]);
        assert!(h.allows("api.example.com"));
        assert!(h.allows("API.EXAMPLE.COM"));
        assert!(h.allows("api.eu.example.net"));
        assert!(!h.allows("example.net"));
        assert!(!h.allows("evilexample.net"));
        assert!(!h.allows("api.example.com.evil.org"));
        assert!(!h.allows("example.com"));
    }

    #[test]
    fn ip_literals_are_stored_as_urls_show_them() {
        let h = hosts(&["2130706433", "::1", "0x7f000002"]);
        assert!(h.allows("127.0.0.1") && h.allows("[::1]") && h.allows("127.0.0.2"));
        assert!(AllowedHosts::is_ip_literal("[::ffff:127.0.0.1]"));
        assert!(AllowedHosts::is_ip_literal("0.0.0.0"));
        assert!(!AllowedHosts::is_ip_literal("api.example.com"));
        assert!(!AllowedHosts::is_ip_literal("localhost"));
    }

    #[test]
    fn rejects_bad_patterns() {
        for bad in [
            "",
            "*",
            "*.com",
            "a b.com",
            "http://x.com",
            "x.com/",
            "*.*.com",
            "a..b",
        ] {
            assert!(
                AllowedHosts::new(&[bad.to_string()]).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
