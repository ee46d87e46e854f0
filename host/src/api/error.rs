//! The API's error shape: `{"error": {"code": "...", "message": "..."}}`, the `/api`
//! router's 405 answer, and [`json_errors`], the safety net that gives any other
//! error response under `/api` (one axum or a layer wrote as plain text or empty) the
//! same shape.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error with its HTTP status, a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`not_found`, `unauthorized`, ...).
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 500 `internal`; the detail is logged, not returned.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the host log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// The `/api` router's answer to a method a route does not take (axum adds `Allow`).
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; the Allow header lists the ones it takes",
    )
}

/// The code and message for an error response that arrived without the API's shape.
fn shape_for(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("bad_request", "the request was refused"),
        StatusCode::NOT_FOUND => ("not_found", "no such API route"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this route does not take that method; the Allow header lists the ones it takes",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too_large",
            "the request body is larger than this route accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body is not sent with the content type this route takes",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => (
            "invalid_body",
            "the body does not have the expected fields and types",
        ),
        s if s.is_server_error() => ("internal", "internal error; see the host log"),
        _ => ("error", "the request was refused"),
    }
}

/// Middleware for `/api`: an error response (4xx, 5xx) that is not JSON is replaced
/// by one in the API's shape with the same status and headers (`Allow` kept). Its
/// original body is dropped, so a value it quoted never reaches the client.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, _body) = response.into_parts();
    let (code, message) = shape_for(status);
    let mut replaced = ApiError::new(status, code, message).into_response();
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            replaced.headers_mut().append(name.clone(), value.clone());
        }
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn plain_errors_are_reshaped_and_keep_their_headers() {
        let plain = (
            StatusCode::METHOD_NOT_ALLOWED,
            [(axum::http::header::ALLOW, "GET,HEAD")],
            "",
        )
            .into_response();
        let reshaped = json_errors(plain).await;
        assert_eq!(reshaped.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reshaped.headers()["allow"], "GET,HEAD");
        assert_eq!(
            body_of(reshaped).await["error"]["code"],
            "method_not_allowed"
        );

        let quoted = (StatusCode::UNPROCESSABLE_ENTITY, "secret 12345 was refused").into_response();
        let body = body_of(json_errors(quoted).await).await;
        assert_eq!(body["error"]["code"], "invalid_body");
        assert!(!body.to_string().contains("12345"));

        let ok = json_errors((StatusCode::OK, "fine").into_response()).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
}
