//! Checks on what a plugin's `describe()` returns, before the host trusts it.

use std::collections::HashSet;

use url::Url;

use super::allow::AllowedHosts;
use super::egress::{EgressError, EgressPolicy};
use super::types::Manifest;

/// Why a manifest is not acceptable; each names the offending field.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    /// `id` is not lower-kebab-case.
    #[error("manifest id {0:?} must be 1-64 characters of a-z, 0-9 and '-'")]
    BadId(String),
    /// `version` is not semver.
    #[error("manifest version {version:?} is not a semantic version: {reason}")]
    BadVersion {
        /// The version text.
        version: String,
        /// The parser's complaint.
        reason: String,
    },
    /// An endpoint is not an absolute http(s) URL.
    #[error("manifest {field} {url:?} is not an absolute http(s) URL")]
    BadUrl {
        /// Which endpoint.
        field: &'static str,
        /// Its text.
        url: String,
    },
    /// An allowed-hosts entry is malformed.
    #[error(transparent)]
    BadHost(#[from] super::allow::BadHostPattern),
    /// The token or revoke endpoint is on a host the plugin did not declare.
    #[error("manifest {field} host {host:?} is not in allowed-hosts")]
    UndeclaredEndpoint {
        /// Which endpoint.
        field: &'static str,
        /// Its host.
        host: String,
    },
    /// A host or endpoint the deployment's egress policy refuses (IP literal, port,
    /// userinfo).
    #[error("manifest {field}: {source}")]
    Egress {
        /// Which field.
        field: &'static str,
        /// The egress rule it breaks.
        source: EgressError,
    },
    /// A token-policy duration beyond [`MAX_POLICY_SECS`].
    #[error(
        "manifest token-policy {field} is {seconds} seconds; the limit is {MAX_POLICY_SECS} (10 years)"
    )]
    BadPolicy {
        /// Which field.
        field: &'static str,
        /// Its value.
        seconds: u64,
    },
    /// Two streams share a name, or a stream has an empty name or key.
    #[error("manifest stream {0:?} is duplicated or incomplete")]
    BadStream(String),
}

fn parse_endpoint(
    field: &'static str,
    text: &str,
    egress: &EgressPolicy,
) -> Result<Url, ManifestError> {
    egress.check_manifest_url(text).map_err(|e| match e {
        EgressError::BadUrl(_) => ManifestError::BadUrl {
            field,
            url: text.to_owned(),
        },
        source => ManifestError::Egress { field, source },
    })
}

/// Longest token-policy duration a manifest may state, in seconds (10 years): far
/// beyond any provider's, and small enough that `now + seconds * 1000` cannot overflow.
pub const MAX_POLICY_SECS: u64 = 10 * 365 * 86_400;

/// Validate `manifest` under the default egress policy (no allowances).
pub fn validate(manifest: &Manifest) -> Result<(semver::Version, AllowedHosts), ManifestError> {
    validate_for(manifest, &EgressPolicy::default())
}

/// Validate `manifest`, returning its parsed version and allow-list; its hosts and
/// endpoints must pass `egress`'s manifest rules (no userinfo; IP literals and
/// non-default ports only with the operator's allowance).
pub fn validate_for(
    manifest: &Manifest,
    egress: &EgressPolicy,
) -> Result<(semver::Version, AllowedHosts), ManifestError> {
    let id_ok = !manifest.id.is_empty()
        && manifest.id.len() <= 64
        && manifest
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !manifest.id.starts_with('-');
    if !id_ok {
        return Err(ManifestError::BadId(manifest.id.clone()));
    }
    let version =
        semver::Version::parse(&manifest.version).map_err(|e| ManifestError::BadVersion {
            version: manifest.version.clone(),
            reason: e.to_string(),
        })?;
    let allowed = AllowedHosts::new(&manifest.allowed_hosts)?;
    for host in &manifest.allowed_hosts {
        egress
            .check_manifest_host(host)
            .map_err(|source| ManifestError::Egress {
                field: "allowed-hosts",
                source,
            })?;
    }
    parse_endpoint("authorize-url", &manifest.auth.authorize_url, egress)?;
    let mut endpoints = vec![(
        "token-url",
        parse_endpoint("token-url", &manifest.auth.token_url, egress)?,
    )];
    if let Some(revoke) = &manifest.auth.revoke_url {
        endpoints.push(("revoke-url", parse_endpoint("revoke-url", revoke, egress)?));
    }
    for (field, url) in endpoints {
        let host = url.host_str().unwrap_or_default();
        if !allowed.allows(host) {
            return Err(ManifestError::UndeclaredEndpoint {
                field,
                host: host.to_owned(),
            });
        }
    }
    let policy = &manifest.token_policy;
    for (field, seconds) in [
        ("refresh-ahead", Some(policy.refresh_ahead)),
        (
            "refresh-token-idle-lifetime",
            policy.refresh_token_idle_lifetime,
        ),
        ("keep-alive-after", policy.keep_alive_after),
        ("grace-window", Some(policy.grace_window)),
    ] {
        if let Some(seconds) = seconds.filter(|s| *s > MAX_POLICY_SECS) {
            return Err(ManifestError::BadPolicy { field, seconds });
        }
    }
    let mut names = HashSet::new();
    for stream in &manifest.streams {
        if stream.name.is_empty()
            || stream.primary_key.is_empty()
            || !names.insert(stream.name.as_str())
        {
            return Err(ManifestError::BadStream(stream.name.clone()));
        }
    }
    Ok((version, allowed))
}
