//! The admin API client the CLI uses: the host's base URL and the admin token come from
//! the configuration (never created here), JSON in and out, and the API's error body
//! `{"error": {"code", "message"}}` turned into a [`ClientError::Api`] whose message is
//! the host's own.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use mooring::app::ADMIN_TOKEN_FILE;
use mooring::config::Config;

/// Why a request to the admin API did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No admin token is configured and none was generated into the data directory.
    #[error(
        "no admin token: set MOORING_ADMIN_TOKEN, or run `mooring serve` once with this configuration so that it writes {}",
        path.display()
    )]
    NoToken {
        /// Where the generated token would be.
        path: PathBuf,
    },
    /// The base URL is not usable.
    #[error("{url:?} is not a usable host URL: {reason}")]
    BadUrl {
        /// The text given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing answered (refused, timed out, not HTTP).
    #[error(
        "no mooring host answers at {url}: {reason} (start one with `mooring serve`, or pass --url)"
    )]
    Unreachable {
        /// The base URL.
        url: String,
        /// The transport's complaint.
        reason: String,
    },
    /// The host answered with an error.
    #[error("{message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The API's error code (`capabilities_not_approved`, ...).
        code: String,
        /// The API's message, shown as is.
        message: String,
    },
    /// The host answered with something that is not the expected JSON.
    #[error("unexpected answer from {url} ({status}): {reason}")]
    BadResponse {
        /// The request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What could not be read.
        reason: String,
    },
}

impl ClientError {
    /// The API's error code, for an [`ClientError::Api`].
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A successful answer: the status and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status (200, 201, ...).
    pub status: StatusCode,
    /// The body as JSON (`null` when empty).
    pub body: Value,
    /// The request URL, for messages.
    pub url: String,
}

impl Answer {
    /// The body as `T`, tolerating fields `T` does not know.
    pub fn parse<T: for<'de> Deserialize<'de>>(&self) -> Result<T, ClientError> {
        serde_json::from_value(self.body.clone()).map_err(|e| ClientError::BadResponse {
            url: self.url.clone(),
            status: self.status.as_u16(),
            reason: e.to_string(),
        })
    }
}

/// A client of one host's admin API.
#[derive(Debug, Clone)]
pub struct Client {
    base: url::Url,
    token: Option<String>,
    token_path: PathBuf,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The base URL a CLI command talks to: `--url`, else the configuration's public URL
/// (`MOORING_PUBLIC_URL`, else `http://<listen>`).
pub fn base_url(config: &Config, flag: Option<&str>) -> String {
    flag.unwrap_or(&config.public_url)
        .trim_end_matches('/')
        .to_owned()
}

/// The admin token: `MOORING_ADMIN_TOKEN` (or the config file's `admin_token`), else the
/// one `mooring serve` generated into the data directory. Never creates anything.
pub fn admin_token(config: &Config) -> Option<String> {
    if let Some(token) = config.admin_token.as_ref().filter(|t| !t.is_empty()) {
        return Some(token.clone());
    }
    let text = std::fs::read_to_string(config.data_dir.join(ADMIN_TOKEN_FILE)).ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl Client {
    /// A client for the host this configuration describes (`flag`: `--url`).
    pub fn from_config(config: &Config, flag: Option<&str>) -> Result<Self, ClientError> {
        Self::new(
            &base_url(config, flag),
            admin_token(config),
            config.data_dir.join(ADMIN_TOKEN_FILE),
        )
    }

    /// A client of `base` with `token`; `token_path` only names the file in the
    /// error when the token is missing.
    pub fn new(
        base: &str,
        token: Option<String>,
        token_path: PathBuf,
    ) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl {
            url: base.to_owned(),
            reason,
        };
        let parsed = url::Url::parse(base).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(bad("expected http://host:port or https://host".into()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            base: parsed,
            token,
            token_path,
            http,
        })
    }

    /// The base URL, for messages.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// Whether an admin token is known.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// `base` + the percent-encoded path `segments`.
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Whether something answers `GET /healthz` with a success.
    pub async fn healthy(&self) -> bool {
        let url = self.url(&["healthz"]);
        matches!(
            self.http.get(url).timeout(Duration::from_secs(5)).send().await,
            Ok(r) if r.status().is_success()
        )
    }

    /// Send one request under `/api` and read its JSON answer.
    pub async fn request(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Answer, ClientError> {
        self.request_query(method, segments, None, body).await
    }

    /// [`request`](Self::request) with a query string.
    async fn request_query(
        &self,
        method: Method,
        segments: &[&str],
        query: Option<&str>,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Answer, ClientError> {
        let token = self.token.as_ref().ok_or_else(|| ClientError::NoToken {
            path: self.token_path.clone(),
        })?;
        let mut path = vec!["api"];
        path.extend_from_slice(segments);
        let mut url = self.url(&path);
        url.set_query(query);
        let mut request = self.http.request(method, url.clone()).bearer_auth(token);
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base().to_owned(),
            reason: describe_transport(&e),
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: self.base().to_owned(),
                reason: describe_transport(&e),
            })?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => ClientError::Api {
                    status: status.as_u16(),
                    code: body.error.code,
                    message: if body.error.message.is_empty() {
                        format!("the host answered {status}")
                    } else {
                        body.error.message
                    },
                },
                Err(_) => ClientError::Api {
                    status: status.as_u16(),
                    code: String::new(),
                    message: format!(
                        "the host answered {status} to {url}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    ),
                },
            });
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| ClientError::BadResponse {
                url: url.to_string(),
                status: status.as_u16(),
                reason: format!("not JSON: {e}"),
            })?
        };
        Ok(Answer {
            status,
            body,
            url: url.to_string(),
        })
    }

    /// `GET /api/plugins`.
    pub async fn plugins(&self) -> Result<Answer, ClientError> {
        self.request(Method::GET, &["plugins"], None).await
    }

    /// `POST /api/plugins` with the component bytes: 201 new, 200 already there.
    /// `replace`: replace other bytes stored under the same version (an author's
    /// rebuild) instead of being refused.
    pub async fn upload(&self, bytes: Vec<u8>, replace: bool) -> Result<Answer, ClientError> {
        let query = replace.then_some("replace=true");
        self.request_query(
            Method::POST,
            &["plugins"],
            query,
            Some(("application/wasm", bytes)),
        )
        .await
    }

    /// `POST /api/plugins/{provider}/activate`.
    pub async fn activate(
        &self,
        provider: &str,
        version: &str,
        approve: bool,
    ) -> Result<Answer, ClientError> {
        let body = serde_json::json!({"version": version, "approve_capabilities": approve});
        self.post_json(&["plugins", provider, "activate"], &body)
            .await
    }

    /// `POST /api/plugins/{provider}/rollback`.
    pub async fn rollback(&self, provider: &str) -> Result<Answer, ClientError> {
        self.post_json(&["plugins", provider, "rollback"], &serde_json::json!({}))
            .await
    }

    /// `POST /api/plugins/{provider}/canary`.
    pub async fn canary(
        &self,
        provider: &str,
        version: &str,
        percent: u8,
        approve: bool,
    ) -> Result<Answer, ClientError> {
        let body = serde_json::json!({"version": version, "percent": percent, "approve_capabilities": approve});
        self.post_json(&["plugins", provider, "canary"], &body)
            .await
    }

    /// `PATCH /api/connections/{id}` `{"plugin_version": …}` (`None` unpins).
    pub async fn pin(
        &self,
        connection: &str,
        version: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let body = serde_json::json!({"plugin_version": version});
        self.request(
            Method::PATCH,
            &["connections", connection],
            Some(("application/json", json_bytes(&body))),
        )
        .await
    }

    async fn post_json(&self, segments: &[&str], body: &Value) -> Result<Answer, ClientError> {
        self.request(
            Method::POST,
            segments,
            Some(("application/json", json_bytes(body))),
        )
        .await
    }
}

fn json_bytes(value: &Value) -> Vec<u8> {
    // Serialising a `Value` cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The innermost cause of a transport error: "connection refused" rather than
/// "error sending request".
fn describe_transport(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    if error.is_timeout() {
        format!("timed out ({text})")
    } else {
        text
    }
}

/// One plugin version as `GET /api/plugins` lists it. Fields the host adds later are
/// ignored; fields an older host lacks take their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginView {
    /// Provider id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Semver version.
    pub version: String,
    /// sha256 of the component.
    #[serde(default)]
    pub sha256: String,
    /// Component size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Whether this is the provider's active version.
    #[serde(default)]
    pub active: bool,
    /// Whether its capabilities are approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// What it may reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<CapabilitiesView>,
    /// Share of connections on this version as a canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<u8>,
    /// WIT world version it implements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world: Option<String>,
}

/// A version's capabilities as the API lists them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapabilitiesView {
    /// Hosts it may call.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// OAuth authorize endpoint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub authorize_url: String,
    /// OAuth token endpoint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_url: String,
    /// OAuth revocation endpoint.
    #[serde(default)]
    pub revoke_url: Option<String>,
    /// Every endpoint it may send credentials to (hosts that list them as one set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
}
