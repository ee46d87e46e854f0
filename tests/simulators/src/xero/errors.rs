//! Xero's API error bodies (RFC 7807-like, PascalCase; see reference/observed).

use axum::http::StatusCode;
use serde::Serialize;

use crate::clock::Millis;
use crate::error::ErrorResponse;
use crate::ids::uuid_v4;
use crate::timefmt::xero_expired_at;

/// `{"Type":null,"Title":...,"Status":...,"Detail":...,"Instance":"<guid>","Extensions":{}}`
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "Type")]
    kind: Option<&'a str>,
    #[serde(rename = "Title")]
    title: &'a str,
    #[serde(rename = "Status")]
    status: u16,
    #[serde(rename = "Detail")]
    detail: &'a str,
    #[serde(rename = "Instance")]
    instance: String,
    #[serde(rename = "Extensions")]
    extensions: Empty,
}

#[derive(Serialize)]
struct Empty {}

fn problem(status: StatusCode, title: &str, detail: &str) -> ErrorResponse {
    ErrorResponse::json(
        status,
        &Problem {
            kind: None,
            title,
            status: status.as_u16(),
            detail,
            instance: uuid_v4(),
            extensions: Empty {},
        },
    )
}

/// 401 `TokenExpired: token expired at MM/DD/YYYY HH:MM:SS`.
pub fn token_expired(expired_at: Millis) -> ErrorResponse {
    problem(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        &format!(
            "TokenExpired: token expired at {}",
            xero_expired_at(expired_at)
        ),
    )
}

/// 401 `AuthorizationUnsuccessful` (missing, unknown or revoked token).
pub fn unauthorized() -> ErrorResponse {
    problem(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "AuthorizationUnsuccessful",
    )
}

/// 403 `AuthenticationUnsuccessful` (tenant missing, unknown or not connected).
pub fn forbidden() -> ErrorResponse {
    problem(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "AuthenticationUnsuccessful",
    )
}

/// An Accounting API exception body: `{"ErrorNumber":n,"Type":...,"Message":...}`.
#[derive(Serialize)]
struct ApiException<'a> {
    #[serde(rename = "ErrorNumber")]
    number: u16,
    #[serde(rename = "Type")]
    kind: &'a str,
    #[serde(rename = "Message")]
    message: &'a str,
    #[serde(rename = "Elements", skip_serializing_if = "Option::is_none")]
    elements: Option<serde_json::Value>,
}

/// 400 `QueryParseException` (ErrorNumber 16): a `where` or `order` Xero cannot parse.
pub fn query_parse(message: &str) -> ErrorResponse {
    ErrorResponse::json(
        StatusCode::BAD_REQUEST,
        &ApiException {
            number: 16,
            kind: "QueryParseException",
            message,
            elements: None,
        },
    )
}

/// 400 `ValidationException` (ErrorNumber 10) with one validation message, e.g. a
/// report `date` that is not a date.
pub fn validation(message: &str) -> ErrorResponse {
    ErrorResponse::json(
        StatusCode::BAD_REQUEST,
        &ApiException {
            number: 10,
            kind: "ValidationException",
            message: "A validation exception occurred",
            elements: Some(serde_json::json!([{"ValidationErrors": [{"Message": message}]}])),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_shapes() {
        let e = token_expired(1_681_017_419_000);
        let v: serde_json::Value = serde_json::from_str(e.body_text()).unwrap();
        assert_eq!(
            v["Detail"],
            "TokenExpired: token expired at 04/09/2023 05:16:59"
        );
        assert!(
            e.body_text()
                .starts_with(r#"{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"#)
        );
        assert!(e.body_text().ends_with(r#","Extensions":{}}"#));
        assert_eq!(forbidden().status, StatusCode::FORBIDDEN);
    }
}
