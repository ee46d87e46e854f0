//! Error types: HTTP error responses in a provider's own shape, and control-API errors.

use axum::http::header::{CONTENT_TYPE, HeaderName};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::model::Provider;

/// A complete HTTP error response, shaped exactly like the real provider's.
#[derive(Clone, Debug)]
pub struct ErrorResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Extra headers (content type is set from the body).
    pub headers: HeaderMap,
    /// The body.
    pub body: ErrorBody,
}

/// The body of an [`ErrorResponse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorBody {
    /// No body at all.
    Empty,
    /// Serialised JSON (field order as the provider sends it) with its content type.
    Json {
        /// The `Content-Type` header value.
        content_type: &'static str,
        /// The serialised JSON.
        text: String,
    },
    /// Any other text (XML, HTML, plain) with its content type.
    Text {
        /// The `Content-Type` header value.
        content_type: &'static str,
        /// The text.
        text: String,
    },
}

impl ErrorResponse {
    /// A JSON body with `application/json; charset=utf-8`.
    pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Self {
        Self::json_typed(status, "application/json; charset=utf-8", body)
    }

    /// A JSON body with the given content type.
    pub fn json_typed<T: Serialize>(
        status: StatusCode,
        content_type: &'static str,
        body: &T,
    ) -> Self {
        let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
        Self {
            status,
            headers: HeaderMap::new(),
            body: ErrorBody::Json { content_type, text },
        }
    }

    /// A text body.
    pub fn text(status: StatusCode, content_type: &'static str, text: impl Into<String>) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: ErrorBody::Text {
                content_type,
                text: text.into(),
            },
        }
    }

    /// No body.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: ErrorBody::Empty,
        }
    }

    /// Adds a header (ignored when the value is not a valid header value).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    /// The body as text (empty for [`ErrorBody::Empty`]); handy in tests.
    pub fn body_text(&self) -> &str {
        match &self.body {
            ErrorBody::Empty => "",
            ErrorBody::Json { text, .. } | ErrorBody::Text { text, .. } => text,
        }
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let (ct, body) = match self.body {
            ErrorBody::Empty => (None, String::new()),
            ErrorBody::Json { content_type, text } | ErrorBody::Text { content_type, text } => {
                (Some(content_type), text)
            }
        };
        let mut resp = (self.status, body).into_response();
        let headers = resp.headers_mut();
        headers.remove(CONTENT_TYPE);
        if let Some(ct) = ct {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        for (k, v) in self.headers.iter() {
            headers.insert(k.clone(), v.clone());
        }
        resp
    }
}

/// An OAuth error from a token or revocation endpoint, before it is rendered in the
/// provider's shape. `error` doubles as the outcome label in the counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status (400 or 401).
    pub status: StatusCode,
    /// RFC 6749 error code, e.g. `invalid_grant`.
    pub error: &'static str,
    /// `error_description`, when the provider sends one.
    pub description: Option<&'static str>,
}

impl OAuthError {
    /// `400` with the given code and no description (Xero's usual, bare shape).
    pub fn bare(error: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: None,
        }
    }

    /// `400` with a description.
    pub fn described(error: &'static str, description: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: Some(description),
        }
    }

    /// Overrides the status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Renders `{"error": ..., "error_description"?: ...}` with the provider's content type.
    pub fn into_error_response(self, provider: Provider) -> ErrorResponse {
        #[derive(Serialize)]
        struct Body {
            error: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            error_description: Option<&'static str>,
        }
        let ct = match provider {
            Provider::Xero => "application/json; charset=utf-8",
            Provider::Quickbooks => "application/json;charset=UTF-8",
        };
        ErrorResponse::json_typed(
            self.status,
            ct,
            &Body {
                error: self.error,
                error_description: self.description,
            },
        )
    }
}

/// Errors of the Rust / `/_sim` control API.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// No app with this client id for this provider.
    #[error("unknown {provider} app {client_id:?}")]
    UnknownApp {
        /// The provider.
        provider: Provider,
        /// The client id asked for.
        client_id: String,
    },
    /// No such user for this provider.
    #[error("unknown {provider} user {user:?}")]
    UnknownUser {
        /// The provider.
        provider: Provider,
        /// The user name asked for.
        user: String,
    },
    /// No organisation / company with this tenant id.
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    /// Something with this key already exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// A redirect URI the provider would refuse to register.
    #[error("redirect URI {uri:?} not allowed: {reason}")]
    InvalidRedirectUri {
        /// The URI.
        uri: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A request argument the control API cannot use.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The authorize helper did not get a redirect back.
    #[error("authorize answered {status} instead of a redirect: {body}")]
    AuthorizeFailed {
        /// HTTP status received.
        status: u16,
        /// Body received (the error page).
        body: String,
    },
    /// HTTP client failure in a helper.
    #[error("http: {0}")]
    Http(String),
    /// Binding or serving failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl SimError {
    /// The HTTP status the `/_sim` routes answer this error with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownApp { .. } | Self::UnknownUser { .. } | Self::UnknownTenant(_) => {
                StatusCode::NOT_FOUND
            }
            Self::Duplicate(_) => StatusCode::CONFLICT,
            Self::InvalidRedirectUri { .. } | Self::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            Self::AuthorizeFailed { .. } | Self::Http(_) => StatusCode::BAD_GATEWAY,
            Self::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}
