//! Extractors for the admin API that answer a refused request in the API's error shape
//! (`{"error": {"code", "message"}}`) instead of axum's plain-text rejections, and that
//! never quote the value that was refused (a `client_secret` sent as a number must not
//! come back in the answer).
//!
//! | extractor | wraps | refusals |
//! |---|---|---|
//! | [`ApiJson`] | `axum::Json` | 415 `unsupported_media_type`, 400 `invalid_json`, 422 `invalid_body`, 413 `too_large` |
//! | [`ApiQuery`] | `axum::extract::Query` | 400 `invalid_query` |
//! | [`ApiPath`] | `axum::extract::Path` | 400 `invalid_path` |
//! | [`ApiBytes`] | `axum::body::Bytes` | 413 `too_large`, 400 `bad_request` |

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// A JSON body; refusals in the API's error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

/// A query string; refusals in the API's error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

/// Path parameters; refusals in the API's error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

/// A raw body; refusals (too large, unreadable) in the API's error shape.
#[derive(Debug, Clone, Default)]
pub struct ApiBytes(pub Bytes);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(&request) {
            return Err(json_rejection(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = <Bytes as FromRequest<S>>::from_request(request, state)
            .await
            .map_err(|r| bytes_rejection(&r))?;
        parse(&bytes).map(ApiJson)
    }
}

/// Whether the request says its body is JSON (`application/json` or `…+json`).
fn json_content_type(request: &Request) -> bool {
    let Some(value) = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `bytes` as a `T`. Every body of the API is an object (or `null` where it is
/// optional): an array is refused even where serde would read a struct from one.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "the JSON body must be an object",
        ));
    }
    match Json::<T>::from_bytes(bytes) {
        Ok(Json(value)) => Ok(value),
        Err(rejection) => Err(json_rejection(rejection)),
    }
}

impl<T, S> OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none()
        {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(request, state)
            .await
            .map(Some)
    }
}

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match <Query<T> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

impl<S> FromRequest<S> for ApiBytes
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match <Bytes as FromRequest<S>>::from_request(request, state).await {
            Ok(bytes) => Ok(ApiBytes(bytes)),
            Err(rejection) => Err(bytes_rejection(&rejection)),
        }
    }
}

/// Deserialises a `u32` also from a JSON number with a zero fraction (`9.0`), which
/// JSON Schema counts as an integer.
pub fn whole_u32<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    use serde::Deserialize as _;
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    });
    whole.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        serde::de::Error::custom("invalid value, expected a whole number from 0 to 4294967295")
    })
}

/// 413 `too_large` for a body over its limit, else 400 `bad_request`.
fn body_refused(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "too_large",
            "the request body is larger than this route accepts",
        )
    } else {
        ApiError::bad_request("the request body could not be read")
    }
}

fn bytes_rejection(rejection: &BytesRejection) -> ApiError {
    body_refused(rejection.status())
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(error) => {
            let position = find_source::<serde_path_to_error::Error<serde_json::Error>>(&error)
                .map(|e| {
                    format!(
                        " (line {}, column {})",
                        e.inner().line(),
                        e.inner().column()
                    )
                })
                .unwrap_or_default();
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON{position}"),
            )
        }
        JsonRejection::JsonDataError(error) => {
            let detail = find_source::<serde_path_to_error::Error<serde_json::Error>>(&error)
                .map(|e| {
                    let inner = e.inner();
                    let text = inner.to_string();
                    let suffix = format!(" at line {} column {}", inner.line(), inner.column());
                    let text = text.strip_suffix(&suffix).unwrap_or(&text);
                    located(&e.path().to_string(), text)
                })
                .unwrap_or_else(|| "it does not have the expected fields and types".to_owned());
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("the JSON body was refused: {detail}"),
            )
        }
        other => body_refused(other.status()),
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    let detail = find_source::<serde_path_to_error::Error<serde::de::value::Error>>(rejection)
        .map(|e| located(&e.path().to_string(), &e.inner().to_string()))
        .unwrap_or_else(|| "a parameter has the wrong type or value".to_owned());
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("the query string was refused: {detail}"),
    )
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    match rejection {
        PathRejection::MissingPathParams(_) => ApiError::internal(rejection.body_text()),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "a path segment is not valid (it must be UTF-8 text)",
        ),
    }
}

/// The first error of type `E` in `error`'s source chain (itself included).
fn find_source<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut current = Some(error);
    let mut depth = 0;
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        depth += 1;
        if depth > 8 {
            return None;
        }
        current = e.source();
    }
    None
}

/// `field <path>: <what>`, with the path only when it is made of field names and
/// indices (a map key a client chose is never repeated back).
fn located(path: &str, message: &str) -> String {
    let what = describe(message);
    // For an unknown field the path ends with the key the client sent: not repeated.
    let plain = !message.starts_with("unknown field")
        && !path.is_empty()
        && path != "."
        && path.len() <= 100
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
    if plain {
        format!("field `{path}`: {what}")
    } else {
        what
    }
}

/// What serde said went wrong, without the value it was given. serde writes the
/// offending value before `, expected …` and the expectation (which comes from the
/// target type, never from the input) after it.
pub(crate) fn describe(message: &str) -> String {
    if let Some(field) = message.strip_prefix("missing field ") {
        if field.len() <= 100 && !field.contains(',') {
            return format!("missing field {field}");
        }
        return "a required field is missing".to_owned();
    }
    let expected = message
        .rfind(", expected ")
        .map(|at| &message[at + ", expected ".len()..])
        .filter(|e| e.len() <= 300);
    let unknown_field = message.starts_with("unknown field");
    match (unknown_field, expected) {
        (true, Some(expected)) => format!("unknown field; expected {expected}"),
        (true, None) => "unknown field".to_owned(),
        (false, Some(expected)) => format!("wrong type or value; expected {expected}"),
        (false, None) => "wrong type or value".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::response::IntoResponse;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Secret {
        client_secret: String,
        #[serde(default)]
        n: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
    }

    fn request(uri: &str, content_type: Option<&str>, body: &str) -> Request {
        let mut builder = axum::http::Request::builder().method("POST").uri(uri);
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(Body::from(body.to_owned())).expect("request")
    }

    /// Run both extractors on `request`; the refusal as (status, JSON body).
    async fn refusal(request: Request) -> (u16, serde_json::Value) {
        let (mut parts, body) = request.into_parts();
        let error = match ApiQuery::<Q>::from_request_parts(&mut parts, &()).await {
            Err(error) => error,
            Ok(_) => {
                let request = Request::from_parts(parts, body);
                match <ApiJson<Secret> as FromRequest<()>>::from_request(request, &()).await {
                    Err(error) => error,
                    Ok(_) => return (200, serde_json::Value::Null),
                }
            }
        };
        let response = error.into_response();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn refusals_are_json_and_never_quote_the_value() {
        let json = Some("application/json");
        let cases = [
            (
                request("/x", json, r#"{"client_secret": 987654321}"#),
                422,
                "invalid_body",
            ),
            (
                request("/x", json, r#"{"client_secret": "s", "n": "hunter2"}"#),
                422,
                "invalid_body",
            ),
            (
                request("/x", json, r#"{"client_secret": "s", "hunter2": 1}"#),
                422,
                "invalid_body",
            ),
            (
                request("/x", json, r#"{"client_secret": "#),
                400,
                "invalid_json",
            ),
            (
                request("/x", Some("text/plain"), "{}"),
                415,
                "unsupported_media_type",
            ),
            (request("/x", None, "{}"), 415, "unsupported_media_type"),
            (
                request("/x?limit=hunter2", json, r#"{"client_secret": "s"}"#),
                400,
                "invalid_query",
            ),
            (request("/x", json, "{}"), 422, "invalid_body"),
        ];
        for (req, status, code) in cases {
            let (got, body) = refusal(req).await;
            assert_eq!(got, status, "{body}");
            assert_eq!(body["error"]["code"], code, "{body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                !message.contains("987654321") && !message.contains("hunter2"),
                "{message}"
            );
        }
        let (_, body) = refusal(request("/x", json, "{}")).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("missing field `client_secret`"),
            "{body}"
        );
        let (_, body) = refusal(request("/x", json, r#"{"client_secret": 5}"#)).await;
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("client_secret") && message.contains("expected a string"),
            "{message}"
        );
    }

    #[test]
    fn describe_keeps_only_the_expectation() {
        assert_eq!(
            describe("invalid type: string \"a, expected b\", expected u32"),
            "wrong type or value; expected u32"
        );
        assert_eq!(
            describe("unknown variant `zzz`, expected one of `a`, `b`"),
            "wrong type or value; expected one of `a`, `b`"
        );
        assert_eq!(describe("something else"), "wrong type or value");
    }
}
