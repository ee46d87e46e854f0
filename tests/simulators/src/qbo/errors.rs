//! QuickBooks error bodies: the gateway's lower-case auth faults (JSON or legacy XML) and
//! the PascalCase `Fault` of data/validation errors (see reference/observed).

use axum::http::StatusCode;
use serde::Serialize;

use crate::clock::real_now_ms;
use crate::error::ErrorResponse;
use crate::qbo::query::QueryError;
use crate::qbo::xml::esc;
use crate::timefmt::qbo_time;

#[derive(Serialize)]
struct GatewayError<'a> {
    message: &'a str,
    detail: Option<&'a str>,
    code: &'a str,
    element: Option<&'a str>,
}

#[derive(Serialize)]
struct GatewayFault<'a> {
    error: Vec<GatewayError<'a>>,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// The Java-serialised envelope the Intuit gateway wraps auth faults in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GatewayEnvelope<'a> {
    warnings: Option<()>,
    intuit_object: Option<()>,
    fault: GatewayFault<'a>,
    report: Option<()>,
    query_response: Option<()>,
    batch_item_response: [(); 0],
    attachable_response: [(); 0],
    sync_error_response: Option<()>,
    request_id: Option<()>,
    time: i64,
    status: Option<()>,
    cdcresponse: [(); 0],
}

fn gateway(
    status: StatusCode,
    message: &str,
    detail: Option<&str>,
    code: &str,
    kind: &str,
) -> ErrorResponse {
    ErrorResponse::json_typed(
        status,
        "application/json;charset=UTF-8",
        &GatewayEnvelope {
            warnings: None,
            intuit_object: None,
            fault: GatewayFault {
                error: vec![GatewayError {
                    message,
                    detail,
                    code,
                    element: None,
                }],
                kind,
            },
            report: None,
            query_response: None,
            batch_item_response: [],
            attachable_response: [],
            sync_error_response: None,
            request_id: None,
            time: real_now_ms(),
            status: None,
            cdcresponse: [],
        },
    )
}

/// 401 code 3200 `AuthenticationFailed` (expired, unknown or revoked token). Without a
/// JSON `Accept`, the legacy XML fault code 100 instead.
pub fn authentication_failed(detail: Option<&str>, accept_json: bool) -> ErrorResponse {
    if !accept_json {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><IntuitResponse xmlns=\"http://schema.intuit.com/finance/v3\" time=\"{}\"><Fault type=\"AuthenticationFault\"><Error code=\"100\"><Message>General Authentication Error</Message><Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401</Detail></Error></Fault></IntuitResponse>",
            qbo_time(real_now_ms())
        );
        return ErrorResponse::text(StatusCode::UNAUTHORIZED, "application/xml", xml);
    }
    gateway(
        StatusCode::UNAUTHORIZED,
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        "3200",
        "AUTHENTICATION",
    )
}

/// 403 code 3100 `ApplicationAuthorizationFailed` (wrong company, app disconnected, user
/// removed from the company).
pub fn authorization_failed() -> ErrorResponse {
    gateway(
        StatusCode::FORBIDDEN,
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        None,
        "3100",
        "SERVICE",
    )
}

#[derive(Serialize)]
struct FaultError<'a> {
    #[serde(rename = "Message")]
    message: &'a str,
    #[serde(rename = "Detail")]
    detail: &'a str,
    code: &'a str,
    element: &'a str,
}

#[derive(Serialize)]
struct Fault<'a> {
    #[serde(rename = "Error")]
    error: Vec<FaultError<'a>>,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct FaultBody<'a> {
    #[serde(rename = "Fault")]
    fault: Fault<'a>,
    time: String,
}

/// A PascalCase data fault, e.g. `ValidationFault` code 610 "Object Not Found".
pub fn data_fault(
    status: StatusCode,
    kind: &str,
    code: &str,
    message: &str,
    detail: &str,
    now: i64,
) -> ErrorResponse {
    ErrorResponse::json_typed(
        status,
        "application/json;charset=UTF-8",
        &FaultBody {
            fault: Fault {
                error: vec![FaultError {
                    message,
                    detail,
                    code,
                    element: "",
                }],
                kind,
            },
            time: qbo_time(now),
        },
    )
}

/// 400 `ValidationFault` 610 "Object Not Found".
pub fn object_not_found(now: i64) -> ErrorResponse {
    data_fault(
        StatusCode::BAD_REQUEST,
        "ValidationFault",
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
        now,
    )
}

/// A query fault (400 `ValidationFault`): code 4000 "Error parsing query" or 4001
/// "Invalid query". As observed, these errors carry no `element` (QuickBooks-V3-PHP-SDK
/// #8, QuickBooks-V3-DotNET-SDK#111, quickbooks-ruby#628); without a JSON `Accept` the
/// same fault comes as Intuit XML (quickbooks-ruby#403).
pub fn query_fault(err: &QueryError, now: i64, accept_json: bool) -> ErrorResponse {
    let (code, message, detail) = match err {
        QueryError::Parse(d) => ("4000", "Error parsing query", d.as_str()),
        QueryError::Invalid(d) => ("4001", "Invalid query", d.as_str()),
    };
    if !accept_json {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<IntuitResponse xmlns=\"http://schema.intuit.com/finance/v3\" time=\"{}\"><Fault type=\"ValidationFault\"><Error code=\"{code}\"><Message>{message}</Message><Detail>{}</Detail></Error></Fault></IntuitResponse>",
            qbo_time(now),
            esc(detail)
        );
        return ErrorResponse::text(
            StatusCode::BAD_REQUEST,
            "application/xml;charset=UTF-8",
            body,
        );
    }
    #[derive(Serialize)]
    struct QueryErr<'a> {
        #[serde(rename = "Message")]
        message: &'a str,
        #[serde(rename = "Detail")]
        detail: &'a str,
        code: &'a str,
    }
    #[derive(Serialize)]
    struct QueryFault<'a> {
        #[serde(rename = "Error")]
        error: [QueryErr<'a>; 1],
        #[serde(rename = "type")]
        kind: &'a str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "Fault")]
        fault: QueryFault<'a>,
        time: String,
    }
    ErrorResponse::json_typed(
        StatusCode::BAD_REQUEST,
        "application/json;charset=UTF-8",
        &Body {
            fault: QueryFault {
                error: [QueryErr {
                    message,
                    detail,
                    code,
                }],
                kind: "ValidationFault",
            },
            time: qbo_time(now),
        },
    )
}

/// 429 code 3001 `ThrottleExceeded`: always Intuit XML (even when JSON was asked for),
/// no `Retry-After` — byte for byte the observed body, with the simulator's time.
pub fn throttled(now: i64) -> ErrorResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<IntuitResponse time=\"{}\" xmlns=\"http://schema.intuit.com/finance/v3\">\n    <Fault type=\"SERVICE\">\n        <Error code=\"3001\">\n            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n            <Detail>The request limit was reached.  Try again later</Detail>\n        </Error>\n    </Fault>\n</IntuitResponse>",
        qbo_time(now)
    );
    ErrorResponse::text(StatusCode::TOO_MANY_REQUESTS, "application/xml", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_shape_matches_observed() {
        let e = authentication_failed(Some("Token expired: abc"), true);
        let v: serde_json::Value = serde_json::from_str(e.body_text()).unwrap();
        assert_eq!(v["fault"]["error"][0]["code"], "3200");
        assert_eq!(v["fault"]["type"], "AUTHENTICATION");
        assert_eq!(v["batchItemResponse"], serde_json::json!([]));
        assert!(v["intuitObject"].is_null() && v["cdcresponse"].is_array());
        assert!(e.body_text().starts_with(r#"{"warnings":null,"intuitObject":null,"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: abc","code":"3200","element":null}],"type":"AUTHENTICATION"},"report":null"#));
        let f = authorization_failed();
        assert_eq!(f.status, StatusCode::FORBIDDEN);
        assert!(f.body_text().contains(r#""detail":null,"code":"3100""#));
        let x = authentication_failed(None, false);
        assert!(x.body_text().contains("<Error code=\"100\">"));
    }

    #[test]
    fn query_and_throttle_faults() {
        let now = 1_681_017_419_155;
        let e = query_fault(
            &QueryError::Parse("QueryParserError: x <EOF>".into()),
            now,
            true,
        );
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body_text(),
            r#"{"Fault":{"Error":[{"Message":"Error parsing query","Detail":"QueryParserError: x <EOF>","code":"4000"}],"type":"ValidationFault"},"time":"2023-04-08T22:16:59.155-07:00"}"#
        );
        let x = query_fault(
            &QueryError::Invalid("QueryValidationError: y".into()),
            now,
            false,
        );
        assert!(x.body_text().contains("<Error code=\"4001\"><Message>Invalid query</Message><Detail>QueryValidationError: y</Detail>"));
        let t = throttled(now);
        assert_eq!(t.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(t.headers.get("retry-after").is_none());
        assert!(t.body_text().contains("<Error code=\"3001\">"));
        assert!(
            t.body_text()
                .contains("time=\"2023-04-08T22:16:59.155-07:00\"")
        );
    }
}
