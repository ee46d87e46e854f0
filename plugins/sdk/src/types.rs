//! Every type of `mooring:connector/types`, plus small constructors that keep a
//! manifest or a batch short to write.
//!
//! The WIT records are plain Rust structs with public fields, so a struct literal is
//! always available; the helpers here only fill in the boring parts.

use serde::Serialize;

pub use crate::bindings::mooring::connector::types::*;

impl Manifest {
    /// A manifest with its identity and OAuth endpoints and nothing else: no allowed
    /// hosts, no streams, [`RateBudget::none`], [`TokenPolicy::none`]. Add the hosts
    /// with [`Manifest::allowed_hosts`] (the host refuses a manifest whose token or
    /// revoke URL is on an undeclared host) and the streams with [`Manifest::stream`];
    /// set the rest with struct update syntax (`Manifest { token_policy, ..m }`).
    ///
    /// ```
    /// # use mooring_plugin_sdk::types::{AuthConfig, Manifest, StreamInfo};
    /// let m = Manifest::new(
    ///     "acme",
    ///     "Acme Books",
    ///     "1.0.0",
    ///     AuthConfig::new("https://login.acme.example/authorize", "https://api.acme.example/token"),
    /// )
    /// .allowed_hosts(&["api.acme.example"])
    /// .stream(StreamInfo::new("invoices", "id"));
    /// assert_eq!(m.streams.len(), 1);
    /// ```
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        version: impl Into<String>,
        auth: AuthConfig,
    ) -> Self {
        Manifest {
            id: id.into(),
            name: name.into(),
            version: version.into(),
            auth,
            allowed_hosts: Vec::new(),
            streams: Vec::new(),
            rate_budget: RateBudget::none(),
            token_policy: TokenPolicy::none(),
        }
    }

    /// The hosts the connector may call (exact names, or `*.example.com`), replacing
    /// any set before.
    pub fn allowed_hosts(mut self, hosts: &[&str]) -> Self {
        self.allowed_hosts = hosts.iter().map(|h| h.to_string()).collect();
        self
    }

    /// Appends one stream.
    pub fn stream(mut self, stream: StreamInfo) -> Self {
        self.streams.push(stream);
        self
    }
}

impl AuthConfig {
    /// An OAuth 2.0 provider with these two endpoints: no revocation endpoint, no
    /// default scopes, no PKCE, client authentication with HTTP Basic. Refine with
    /// struct update syntax: `AuthConfig { pkce: true, ..AuthConfig::new(a, t) }`.
    pub fn new(authorize_url: impl Into<String>, token_url: impl Into<String>) -> Self {
        AuthConfig {
            authorize_url: authorize_url.into(),
            token_url: token_url.into(),
            revoke_url: None,
            default_scopes: Vec::new(),
            pkce: false,
            client_auth: ClientAuth::Basic,
        }
    }
}

impl RateBudget {
    /// No budget at all: no per-minute, per-day or concurrency limit, no headers to
    /// read, and no default wait after a 429 without `Retry-After`.
    pub fn none() -> Self {
        RateBudget {
            per_minute: None,
            per_day: None,
            concurrency: None,
            minute_remaining_header: None,
            day_remaining_header: None,
            app_minute_remaining_header: None,
            default_retry_after: 0,
        }
    }
}

impl Default for RateBudget {
    /// Same as [`RateBudget::none`].
    fn default() -> Self {
        Self::none()
    }
}

impl TokenPolicy {
    /// Refresh only when the access token has expired, refresh tokens never idle out,
    /// no keep-alive refreshes, no grace window.
    pub fn none() -> Self {
        TokenPolicy {
            refresh_ahead: 0,
            refresh_token_idle_lifetime: None,
            keep_alive_after: None,
            grace_window: 0,
        }
    }
}

impl Default for TokenPolicy {
    /// Same as [`TokenPolicy::none`].
    fn default() -> Self {
        Self::none()
    }
}

impl StreamInfo {
    /// A full-refresh stream named `name` whose records are keyed by `primary_key`,
    /// synced hourly, needing no particular scope. Chain the other setters to refine.
    pub fn new(name: impl Into<String>, primary_key: impl Into<String>) -> Self {
        StreamInfo {
            name: name.into(),
            primary_key: primary_key.into(),
            cursor_field: None,
            interval: 3600,
            scopes: Vec::new(),
        }
    }

    /// Makes the stream incremental, following `field`.
    pub fn cursor_field(mut self, field: impl Into<String>) -> Self {
        self.cursor_field = Some(field.into());
        self
    }

    /// Default seconds between syncs.
    pub fn interval(mut self, seconds: u32) -> Self {
        self.interval = seconds;
        self
    }

    /// Scopes the stream needs.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }
}

impl Tenant {
    /// A tenant with no metadata.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Tenant {
            id: id.into(),
            name: name.into(),
            metadata: Vec::new(),
        }
    }

    /// Adds one metadata entry (a provider fact needed again later).
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }

    /// The metadata value under `name`, if any.
    pub fn metadata(&self, name: &str) -> Option<&str> {
        crate::fields::get(&self.metadata, name)
    }
}

impl SyncRecord {
    /// A live record whose data is already JSON text.
    pub fn new(id: impl Into<String>, data: impl Into<String>) -> Self {
        SyncRecord {
            id: id.into(),
            data: data.into(),
            deleted: false,
        }
    }

    /// A live record whose data is `value` serialised to JSON.
    pub fn json<T: Serialize + ?Sized>(
        id: impl Into<String>,
        value: &T,
    ) -> Result<Self, ConnectorError> {
        let data = serde_json::to_string(value).map_err(|e| {
            ConnectorError::InvalidData(format!("record could not be serialised: {e}"))
        })?;
        Ok(Self::new(id, data))
    }

    /// A tombstone: the provider says record `id` was deleted. Its data is `{}`.
    pub fn tombstone(id: impl Into<String>) -> Self {
        SyncRecord {
            id: id.into(),
            data: "{}".to_string(),
            deleted: true,
        }
    }
}

impl Batch {
    /// One page of records, the cursor to resume after it (`None` keeps the current
    /// one) and whether another page follows right away.
    pub fn new(records: Vec<SyncRecord>, next_cursor: Option<String>, has_more: bool) -> Self {
        Batch {
            records,
            next_cursor,
            has_more,
        }
    }

    /// No records, cursor unchanged, nothing more to fetch.
    pub fn empty() -> Self {
        Self::new(Vec::new(), None, false)
    }
}

impl TokenInfo {
    /// The extra (non-secret) token-response field `name` as the host passed it on: a
    /// string value as it is (`bearer`), any other value as JSON text (`8726400`,
    /// `{"authentication_event_id": …}` for `access_token_claims`).
    pub fn extra(&self, name: &str) -> Option<&str> {
        crate::fields::get(&self.extra, name)
    }

    /// The access token's claims, when it is a JWT: the host passes them as the extra
    /// field `access_token_claims`, JSON text of an object (also read when the object
    /// arrives as a JSON string holding that text). Always a JSON object; `None` when
    /// the field is absent or is not such an object.
    ///
    /// ```
    /// # use mooring_plugin_sdk::types::TokenInfo;
    /// let info = TokenInfo {
    ///     expires_in: Some(1800),
    ///     refresh_token_expires_in: None,
    ///     scopes: vec![],
    ///     extra: vec![("access_token_claims".into(), r#"{"sub":"u-1"}"#.into())],
    /// };
    /// assert_eq!(info.claims().unwrap()["sub"], "u-1");
    /// ```
    pub fn claims(&self) -> Option<serde_json::Value> {
        use serde_json::Value;
        match serde_json::from_str::<Value>(self.extra("access_token_claims")?).ok()? {
            v @ Value::Object(_) => Some(v),
            Value::String(inner) => match serde_json::from_str::<Value>(&inner).ok()? {
                v @ Value::Object(_) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    /// The extra field `name` as an unsigned number, whether the provider sent it as a
    /// JSON number (`8726400`) or as a numeric string (`"8726400"`).
    pub fn extra_u64(&self, name: &str) -> Option<u64> {
        let raw = self.extra(name)?.trim();
        let raw = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(raw);
        raw.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_builder_sets_fields() {
        let s = StreamInfo::new("journals", "JournalID")
            .cursor_field("JournalNumber")
            .interval(900)
            .scopes(&["accounting.journals.read"]);
        assert_eq!(s.name, "journals");
        assert_eq!(s.primary_key, "JournalID");
        assert_eq!(s.cursor_field.as_deref(), Some("JournalNumber"));
        assert_eq!(s.interval, 900);
        assert_eq!(s.scopes, vec!["accounting.journals.read".to_string()]);
    }

    #[test]
    fn auth_config_defaults() {
        let a = AuthConfig {
            pkce: true,
            ..AuthConfig::new("https://login/authorize", "https://login/token")
        };
        assert_eq!(a.authorize_url, "https://login/authorize");
        assert_eq!(a.token_url, "https://login/token");
        assert_eq!(a.revoke_url, None);
        assert!(a.pkce);
        assert_eq!(a.client_auth, ClientAuth::Basic);
    }

    #[test]
    fn defaults_are_empty() {
        assert_eq!(RateBudget::default(), RateBudget::none());
        assert_eq!(RateBudget::none().per_minute, None);
        assert_eq!(TokenPolicy::default().grace_window, 0);
    }

    #[test]
    fn records_and_batches() {
        let r = SyncRecord::json("7", &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(r.data, r#"{"a":1}"#);
        assert!(!r.deleted);
        let t = SyncRecord::tombstone("8");
        assert!(t.deleted);
        let b = Batch::new(vec![r, t], Some("c".into()), true);
        assert_eq!(b.records.len(), 2);
        assert!(Batch::empty().records.is_empty());
    }

    #[test]
    fn token_info_extra() {
        let info = TokenInfo {
            expires_in: Some(3600),
            refresh_token_expires_in: None,
            scopes: vec![],
            extra: vec![
                ("x_refresh_token_expires_in".into(), "8726400".into()),
                ("token_type".into(), "\"bearer\"".into()),
                ("quoted".into(), "\"42\"".into()),
            ],
        };
        assert_eq!(info.extra("token_type"), Some("\"bearer\""));
        assert_eq!(
            info.extra_u64("x_refresh_token_expires_in"),
            Some(8_726_400)
        );
        assert_eq!(info.extra_u64("quoted"), Some(42));
        assert_eq!(info.extra_u64("token_type"), None);
        assert_eq!(info.extra_u64("missing"), None);
    }

    #[test]
    fn token_info_claims() {
        let with = |claims: &str| TokenInfo {
            expires_in: None,
            refresh_token_expires_in: None,
            scopes: vec![],
            extra: vec![("access_token_claims".into(), claims.into())],
        };
        let text = r#"{"nbf":1,"authentication_event_id":"d99ecdfe","scope":["openid"]}"#;
        let claims = with(text).claims().unwrap();
        assert_eq!(claims["authentication_event_id"], "d99ecdfe");
        let quoted = serde_json::to_string(text).unwrap();
        assert_eq!(with(&quoted).claims(), Some(claims));
        assert_eq!(with("[1]").claims(), None);
        assert_eq!(with("not json").claims(), None);
        assert_eq!(with(r#""[1]""#).claims(), None);
        let none = TokenInfo {
            extra: vec![],
            ..with("")
        };
        assert_eq!(none.claims(), None);
    }

    #[test]
    fn minimal_manifest() {
        let m = Manifest::new(
            "test-x",
            "Test: x",
            "1.0.0",
            AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("a", "id"))
        .stream(StreamInfo::new("b", "id"));
        assert_eq!(
            (m.id.as_str(), m.name.as_str(), m.version.as_str()),
            ("test-x", "Test: x", "1.0.0")
        );
        assert_eq!(m.auth.token_url, "https://api.test.invalid/token");
        assert_eq!(m.allowed_hosts, vec!["api.test.invalid".to_string()]);
        let names: Vec<&str> = m.streams.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(m.rate_budget, RateBudget::none());
        assert_eq!(m.token_policy, TokenPolicy::none());
    }

    #[test]
    fn tenant_metadata() {
        let t = Tenant::new("t", "T").with_metadata("connection-id", "c-9");
        assert_eq!(t.metadata("connection-id"), Some("c-9"));
        assert_eq!(t.metadata("other"), None);
    }
}
