//! A plugin version's capabilities (the hosts it calls, its OAuth endpoints, the scopes
//! it asks for), read from its manifest, and what a version adds beyond the set the
//! operator approved for its provider.

use std::collections::BTreeSet;
use std::fmt;

use mooring_store::PluginCapabilities;
use serde::Serialize;

use crate::runtime::allow::AllowedHosts;
use crate::runtime::types::Manifest;

/// The capabilities `manifest` asks for, each list sorted and deduplicated. Endpoints
/// are normalised (scheme and host lower-case, default port dropped) so that spelling
/// alone never counts as a new endpoint.
pub fn of_manifest(manifest: &Manifest) -> PluginCapabilities {
    let hosts: BTreeSet<String> = manifest
        .allowed_hosts
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let endpoints: BTreeSet<String> = [
        Some(&manifest.auth.authorize_url),
        Some(&manifest.auth.token_url),
        manifest.auth.revoke_url.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|u| normalise_endpoint(u))
    .collect();
    let scopes: BTreeSet<String> = manifest
        .auth
        .default_scopes
        .iter()
        .chain(manifest.streams.iter().flat_map(|s| s.scopes.iter()))
        .cloned()
        .collect();
    PluginCapabilities {
        allowed_hosts: hosts.into_iter().collect(),
        endpoints: endpoints.into_iter().collect(),
        scopes: scopes.into_iter().collect(),
    }
}

/// An endpoint URL in the form capabilities compare: parsed and re-serialised (which
/// lower-cases scheme and host and drops a default port), without a trailing slash.
pub fn normalise_endpoint(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(parsed) => parsed.as_str().trim_end_matches('/').to_owned(),
        Err(_) => url.trim().to_owned(),
    }
}

/// `a` and `b` together.
pub fn union(a: &PluginCapabilities, b: &PluginCapabilities) -> PluginCapabilities {
    let merge = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter()
            .chain(y)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    PluginCapabilities {
        allowed_hosts: merge(&a.allowed_hosts, &b.allowed_hosts),
        endpoints: merge(&a.endpoints, &b.endpoints),
        scopes: merge(&a.scopes, &b.scopes),
    }
}

/// What a version asks for beyond the approved set: empty when it asks for nothing new.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Hosts not approved (a host covered by an approved `*.domain` pattern is approved).
    pub allowed_hosts: Vec<String>,
    /// Endpoints not approved.
    pub endpoints: Vec<String>,
    /// Scopes not approved.
    pub scopes: Vec<String>,
}

impl Escalation {
    /// Whether the version asks for nothing beyond the approved set.
    pub fn is_empty(&self) -> bool {
        self.allowed_hosts.is_empty() && self.endpoints.is_empty() && self.scopes.is_empty()
    }
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (what, items) in [
            ("hosts", &self.allowed_hosts),
            ("endpoints", &self.endpoints),
            ("scopes", &self.scopes),
        ] {
            if !items.is_empty() {
                parts.push(format!("{what} {}", items.join(", ")));
            }
        }
        if parts.is_empty() {
            f.write_str("nothing new")
        } else {
            write!(f, "adds {}", parts.join("; "))
        }
    }
}

/// What `candidate` asks for that `approved` does not cover.
pub fn beyond(candidate: &PluginCapabilities, approved: &PluginCapabilities) -> Escalation {
    let patterns = AllowedHosts::new(&approved.allowed_hosts).unwrap_or_default();
    let host_ok = |host: &String| {
        approved.allowed_hosts.contains(host) || (!host.starts_with("*.") && patterns.allows(host))
    };
    Escalation {
        allowed_hosts: candidate
            .allowed_hosts
            .iter()
            .filter(|h| !host_ok(h))
            .cloned()
            .collect(),
        endpoints: candidate
            .endpoints
            .iter()
            .filter(|e| !approved.endpoints.contains(e))
            .cloned()
            .collect(),
        scopes: candidate
            .scopes
            .iter()
            .filter(|s| !approved.scopes.contains(s))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(hosts: &[&str], endpoints: &[&str], scopes: &[&str]) -> PluginCapabilities {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        PluginCapabilities {
            allowed_hosts: v(hosts),
            endpoints: v(endpoints),
            scopes: v(scopes),
        }
    }

    #[test]
    fn escalation_table() {
        let approved = caps(
            &["api.example.com", "*.files.example.com"],
            &["https://login.example.com/token"],
            &["read", "offline"],
        );
        let cases: &[(PluginCapabilities, &str)] = &[
            (caps(&["api.example.com"], &[], &["read"]), "nothing new"),
            (caps(&["eu.files.example.com"], &[], &[]), "nothing new"),
            (
                caps(&["evil.example.net"], &[], &[]),
                "adds hosts evil.example.net",
            ),
            (
                caps(&["*.example.com"], &[], &[]),
                "adds hosts *.example.com",
            ),
            (
                caps(&[], &["https://evil.example.net/token"], &["write"]),
                "adds endpoints https://evil.example.net/token; scopes write",
            ),
        ];
        for (candidate, expected) in cases {
            assert_eq!(
                beyond(candidate, &approved).to_string(),
                *expected,
                "{candidate:?}"
            );
        }
    }

    #[test]
    fn endpoints_compare_normalised() {
        assert_eq!(
            normalise_endpoint("HTTPS://Login.Example.com:443/token/"),
            "https://login.example.com/token"
        );
        let approved = caps(&[], &["https://login.example.com/token"], &[]);
        let candidate = caps(
            &[],
            &[&normalise_endpoint("https://LOGIN.example.com/token")],
            &[],
        );
        assert!(beyond(&candidate, &approved).is_empty());
    }

    #[test]
    fn union_merges_sorted() {
        let u = union(&caps(&["b"], &[], &["x"]), &caps(&["a", "b"], &[], &["y"]));
        assert_eq!(u.allowed_hosts, vec!["a", "b"]);
        assert_eq!(u.scopes, vec!["x", "y"]);
    }
}
