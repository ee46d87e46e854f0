//! Egress: every outbound permission check, in one place, for the requests a plugin
//! asks for and for the host's own token-endpoint requests. Each rule works on the
//! parsed URL the plugin (or its manifest) named, before any override is applied; the
//! address rule also runs after DNS resolution, in [`EgressResolver`].
//!
//! | rule | applies to | unless |
//! |---|---|---|
//! | only `http`/`https` with a host; never `user:pass@` | every URL | never |
//! | the host is one the version declared (its approved allowed hosts) | plugin requests | never |
//! | no client credentials towards the token or revoke endpoint (normalised host and path) | plugin `client-basic` | never |
//! | credentials only over `https` | plugin requests with a credential; host token requests | the host is remapped (the base's scheme is used) |
//! | the scheme's default port only | manifests; requests | `ports`; remapped |
//! | no IP literals | manifests; requests | `ip-literals`; remapped |
//! | no loopback, private, link-local, CGNAT, unspecified, multicast or metadata address, literal or resolved | requests | remapped; `private-addresses` lifts it for RFC 1918, CGNAT and IPv6 unique-local |
//! | an override's target is reached only through the override | requests | never |
//!
//! The operator's allowances come from `MOORING_EGRESS_ALLOW` (see [`EgressAllow`]).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

use super::allow::AllowedHosts;
use super::overrides::HostOverrides;
use super::types::Credential;

/// What the operator lets through beyond the defaults (`MOORING_EGRESS_ALLOW`, or
/// `allow` under `[egress]`): a comma list of `ip-literals`, `ports`,
/// `private-addresses`. Each widens what a plugin can reach; the default is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EgressAllow {
    /// `ip-literals`: manifests and requests may name IP addresses (the address rule
    /// still applies to them).
    pub ip_literals: bool,
    /// `ports`: manifests and requests may name non-default ports.
    pub ports: bool,
    /// `private-addresses`: RFC 1918, CGNAT and IPv6 unique-local addresses may be
    /// reached (loopback, link-local, unspecified and metadata addresses stay refused:
    /// remap a host to reach those).
    pub private_addresses: bool,
}

/// An allowance name that is not one of the known ones.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("egress allowance {0:?} is not one of ip-literals, ports, private-addresses")]
pub struct UnknownAllowance(pub String);

impl EgressAllow {
    /// Parse a comma list of allowance names (whitespace ignored, empty = none).
    pub fn parse(text: &str) -> Result<Self, UnknownAllowance> {
        let mut allow = Self::default();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            allow.add(name)?;
        }
        Ok(allow)
    }

    /// Turn on one allowance by name.
    pub fn add(&mut self, name: &str) -> Result<(), UnknownAllowance> {
        match name.trim().to_ascii_lowercase().as_str() {
            "ip-literals" => self.ip_literals = true,
            "ports" => self.ports = true,
            "private-addresses" => self.private_addresses = true,
            _ => return Err(UnknownAllowance(name.to_owned())),
        }
        Ok(())
    }
}

/// Why an address is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918, IPv6 unique-local (`fc00::/7`) and site-local.
    Private,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// Carrier-grade NAT, `100.64.0.0/10`.
    SharedCgnat,
    /// A cloud metadata service (`169.254.169.254`, `fd00:ec2::254`).
    Metadata,
    /// Multicast.
    Multicast,
    /// Broadcast, `240.0.0.0/4`, IETF protocol assignments, benchmarking.
    Reserved,
}

impl std::fmt::Display for AddressKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "an unspecified",
            Self::Loopback => "a loopback",
            Self::Private => "a private",
            Self::LinkLocal => "a link-local",
            Self::SharedCgnat => "a carrier-grade NAT",
            Self::Metadata => "a cloud metadata",
            Self::Multicast => "a multicast",
            Self::Reserved => "a reserved",
        })
    }
}

/// The kind of a non-public address, `None` for a public one. IPv6 forms that embed an
/// IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
pub fn address_kind(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<AddressKind> {
    let [a, b, c, _] = ip.octets();
    let kind = if ip == Ipv4Addr::new(169, 254, 169, 254) {
        AddressKind::Metadata
    } else if a == 0 {
        AddressKind::Unspecified
    } else if ip.is_loopback() {
        AddressKind::Loopback
    } else if ip.is_private() {
        AddressKind::Private
    } else if ip.is_link_local() {
        AddressKind::LinkLocal
    } else if a == 100 && (64..128).contains(&b) {
        AddressKind::SharedCgnat
    } else if ip.is_multicast() {
        AddressKind::Multicast
    } else if a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && (b & 0xfe) == 18) {
        AddressKind::Reserved
    } else {
        return None;
    };
    Some(kind)
}

fn v6_kind(ip: Ipv6Addr) -> Option<AddressKind> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return v4_kind(mapped);
    }
    let kind = if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        AddressKind::Metadata
    } else if ip.is_unspecified() {
        AddressKind::Unspecified
    } else if ip.is_loopback() {
        AddressKind::Loopback
    } else if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
        return v4_kind(v4(s[6], s[7]));
    } else if s[0] == 0x2002 {
        // 6to4: 2002:AABB:CCDD::/48 embeds a.b.c.d.
        return v4_kind(v4(s[1], s[2]));
    } else if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfec0 {
        AddressKind::Private
    } else if (s[0] & 0xffc0) == 0xfe80 {
        AddressKind::LinkLocal
    } else if (s[0] & 0xff00) == 0xff00 {
        AddressKind::Multicast
    } else {
        return None;
    };
    Some(kind)
}

/// Why an outbound request (or a manifest URL) is refused. The bracketed code in the
/// message is stable; [`code`](Self::code) returns it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EgressError {
    /// Not an absolute http(s) URL with a host.
    #[error("egress denied [bad-url]: {0:?} is not an absolute http(s) URL with a host")]
    BadUrl(String),
    /// The URL carries `user:password@`.
    #[error("egress denied [userinfo]: URLs with user:password@ are never used (host {host:?})")]
    Userinfo {
        /// The URL's host.
        host: String,
    },
    /// The host is not among the version's approved allowed hosts.
    #[error("egress denied [undeclared-host]: host {host:?} is not in the plugin's allowed hosts")]
    UndeclaredHost {
        /// The host.
        host: String,
    },
    /// `client-basic` towards the token or revoke endpoint.
    #[error(
        "egress denied [oauth-endpoint]: client credentials are not sent to the {endpoint} endpoint from a plugin; use the oauth import"
    )]
    OAuthEndpoint {
        /// `token` or `revoke`.
        endpoint: &'static str,
    },
    /// A credential over plain http to a host that is not remapped.
    #[error(
        "egress denied [plaintext-credential]: credentials go only over https, not to {scheme}://{host}"
    )]
    PlaintextCredential {
        /// The URL's scheme.
        scheme: String,
        /// The URL's host.
        host: String,
    },
    /// A non-default port without the operator's `ports` allowance.
    #[error("egress denied [port]: port {port} of {host:?} is not the default (allowance: ports)")]
    Port {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// An IP literal without the operator's `ip-literals` allowance.
    #[error("egress denied [ip-literal]: {host} is an IP literal (allowance: ip-literals)")]
    IpLiteral {
        /// The literal as the URL shows it.
        host: String,
    },
    /// The literal or resolved address is not a public one.
    #[error("egress denied [address]: {host} is {kind} address ({addr})")]
    Address {
        /// The host named.
        host: String,
        /// The offending address.
        addr: IpAddr,
        /// What kind of address it is.
        kind: AddressKind,
    },
    /// The host is the target of an operator's override, named directly.
    #[error(
        "egress denied [override-target]: {host:?} is reached only through the host override that targets it"
    )]
    OverrideTarget {
        /// The host.
        host: String,
    },
}

impl EgressError {
    /// The stable code of this refusal (`address`, `plaintext-credential`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUrl(_) => "bad-url",
            Self::Userinfo { .. } => "userinfo",
            Self::UndeclaredHost { .. } => "undeclared-host",
            Self::OAuthEndpoint { .. } => "oauth-endpoint",
            Self::PlaintextCredential { .. } => "plaintext-credential",
            Self::Port { .. } => "port",
            Self::IpLiteral { .. } => "ip-literal",
            Self::Address { .. } => "address",
            Self::OverrideTarget { .. } => "override-target",
        }
    }
}

/// The egress refusal somewhere in `error`'s source chain (the resolver's refusal
/// reaches callers wrapped in the HTTP client's errors).
pub fn denial_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a EgressError> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<EgressError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// One request a plugin asks for, with what the checks need of its version.
#[derive(Debug, Clone, Copy)]
pub struct PluginRequest<'a> {
    /// The URL as the plugin wrote it.
    pub url: &'a str,
    /// The credential it asks the host to inject.
    pub credential: Credential,
    /// The version's approved allowed hosts.
    pub approved: &'a AllowedHosts,
    /// The manifest's token endpoint.
    pub token_url: &'a str,
    /// The manifest's revoke endpoint.
    pub revoke_url: Option<&'a str>,
}

/// The deployment's egress policy: host overrides plus the operator's allowances.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    overrides: HostOverrides,
    allow: EgressAllow,
}

impl EgressPolicy {
    /// A policy over `overrides` with `allow`.
    pub fn new(overrides: HostOverrides, allow: EgressAllow) -> Self {
        Self { overrides, allow }
    }

    /// The deployment's host overrides.
    pub fn overrides(&self) -> &HostOverrides {
        &self.overrides
    }

    /// The operator's allowances.
    pub fn allow(&self) -> EgressAllow {
        self.allow
    }

    /// The DNS resolver for the egress HTTP client.
    pub fn resolver(&self) -> EgressResolver {
        EgressResolver {
            allow: self.allow,
            targets: Arc::new(self.overrides.target_hosts().collect()),
        }
    }

    /// A manifest's allowed-hosts entry: IP literals need `ip-literals`.
    pub fn check_manifest_host(&self, pattern: &str) -> Result<(), EgressError> {
        if !self.allow.ip_literals && AllowedHosts::is_ip_literal(pattern) {
            return Err(EgressError::IpLiteral {
                host: pattern.to_owned(),
            });
        }
        Ok(())
    }

    /// A manifest endpoint: an http(s) URL without userinfo; IP literals and
    /// non-default ports need the operator's allowance.
    pub fn check_manifest_url(&self, text: &str) -> Result<Url, EgressError> {
        let url = parse(text)?;
        let host = host_of(&url);
        if let Some(port) = url.port()
            && !self.allow.ports
        {
            return Err(EgressError::Port { host, port });
        }
        if !self.allow.ip_literals && !matches!(url.host(), Some(Host::Domain(_))) {
            return Err(EgressError::IpLiteral { host });
        }
        Ok(url)
    }

    /// Check a plugin's request; returns the URL to send it to (overrides applied).
    pub fn plugin_request(&self, request: &PluginRequest<'_>) -> Result<Url, EgressError> {
        let url = parse(request.url)?;
        let host = host_of(&url);
        if !request.approved.allows(&host) {
            return Err(EgressError::UndeclaredHost { host });
        }
        if matches!(request.credential, Credential::ClientBasic) {
            if same_endpoint(&url, request.token_url) {
                return Err(EgressError::OAuthEndpoint { endpoint: "token" });
            }
            if request.revoke_url.is_some_and(|r| same_endpoint(&url, r)) {
                return Err(EgressError::OAuthEndpoint { endpoint: "revoke" });
            }
        }
        self.outbound(&url, !matches!(request.credential, Credential::None))
    }

    /// Check one of the host's own token-endpoint requests (it always carries
    /// credentials); returns the URL to send it to (overrides applied).
    pub fn host_request(&self, text: &str) -> Result<Url, EgressError> {
        self.outbound(&parse(text)?, true)
    }

    /// The rules every outbound request shares, on the URL as named.
    fn outbound(&self, url: &Url, credential: bool) -> Result<Url, EgressError> {
        let host = host_of(url);
        if self.overrides.remaps(&host) {
            return Ok(self.overrides.apply(url));
        }
        if credential && url.scheme() != "https" {
            return Err(EgressError::PlaintextCredential {
                scheme: url.scheme().to_owned(),
                host,
            });
        }
        if let Some(port) = url.port()
            && !self.allow.ports
        {
            return Err(EgressError::Port { host, port });
        }
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            if !self.allow.ip_literals {
                return Err(EgressError::IpLiteral { host });
            }
            check_address(self.allow, &host, ip)?;
        }
        if self.overrides.is_target(&host) {
            return Err(EgressError::OverrideTarget { host });
        }
        Ok(url.clone())
    }
}

fn check_address(allow: EgressAllow, host: &str, addr: IpAddr) -> Result<(), EgressError> {
    match address_kind(addr) {
        Some(AddressKind::Private | AddressKind::SharedCgnat) if allow.private_addresses => Ok(()),
        Some(kind) => Err(EgressError::Address {
            host: host.to_owned(),
            addr,
            kind,
        }),
        None => Ok(()),
    }
}

fn parse(text: &str) -> Result<Url, EgressError> {
    let url = Url::parse(text).map_err(|_| EgressError::BadUrl(text.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(EgressError::BadUrl(text.to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EgressError::Userinfo {
            host: host_of(&url),
        });
    }
    Ok(url)
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// Whether `url` names the endpoint `endpoint`, compared as a server would likely read
/// them: host without case or trailing dot; path percent-decoded, without case, `//`
/// runs, dot segments, `;` parameters or a trailing slash. Scheme, port and query are
/// ignored, so neither can dodge the rule.
pub fn same_endpoint(url: &Url, endpoint: &str) -> bool {
    Url::parse(endpoint).is_ok_and(|e| endpoint_key(url) == endpoint_key(&e))
}

fn endpoint_key(url: &Url) -> (String, String) {
    let host = host_of(url).trim_end_matches('.').to_owned();
    let mut path = url.path().to_owned();
    for _ in 0..3 {
        path = percent_decode(&path);
    }
    let lower = path.to_lowercase();
    let mut segments: Vec<&str> = Vec::new();
    for segment in lower.split(['/', '\\']) {
        match segment.split(';').next().unwrap_or_default() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    (host, segments.join("/"))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The egress HTTP client's DNS resolver: resolves with the system resolver and drops
/// non-public addresses (see [`address_kind`]), refusing a name that has none left.
/// Names that are an override's target are resolved as they are: the static checks
/// ([`EgressPolicy`]) let a request reach such a name only through its override.
#[derive(Debug, Clone)]
pub struct EgressResolver {
    allow: EgressAllow,
    targets: Arc<HashSet<String>>,
}

impl EgressResolver {
    /// Keep the acceptable addresses of `host`; refuse when none remain.
    pub fn filter(
        &self,
        host: &str,
        addrs: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, EgressError> {
        if self.targets.contains(&host.to_ascii_lowercase()) {
            return Ok(addrs);
        }
        let mut refused = None;
        let kept: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match check_address(self.allow, host, a.ip()) {
                Ok(()) => true,
                Err(e) => {
                    refused.get_or_insert(e);
                    false
                }
            })
            .collect();
        match refused {
            Some(error) if kept.is_empty() => Err(error),
            _ => Ok(kept),
        }
    }
}

impl reqwest::dns::Resolve for EgressResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = resolver.filter(&host, found)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
#[path = "egress_tests.rs"]
mod tests;
