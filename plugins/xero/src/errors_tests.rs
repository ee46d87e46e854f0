//! Classification tests on the real Xero bodies of
//! `shared/reference/observed/xero_error_bodies.json` (copied to `testdata/`).

use super::*;

const OBSERVED: &str = include_str!("../testdata/xero_error_bodies.json");

/// The body of one observed entry, as bytes.
fn observed(name: &str) -> (u16, Vec<u8>) {
    let all: Value = serde_json::from_str(OBSERVED).expect("fixture is JSON");
    let entry = &all[name];
    let status = entry["status"].as_u64().expect("status") as u16;
    let body = match entry.get("body") {
        Some(b) => serde_json::to_vec(b).expect("body"),
        None => Vec::new(),
    };
    (status, body)
}

fn granted(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

fn ctx<'a>(granted: Option<&'a [String]>, connected: Option<bool>) -> ErrorContext<'a> {
    ErrorContext {
        tenant_name: "UK Ltd",
        required_scope: Some("accounting.journals.read"),
        granted_scopes: granted,
        tenant_connected: connected,
    }
}

#[test]
fn token_expired_401_needs_reauth() {
    let (status, body) = observed("401_token_expired");
    let all = granted(&["accounting.journals.read"]);
    match classify(status, None, &body, &ctx(Some(&all), None)) {
        ConnectorError::ReauthRequired(m) => {
            assert!(
                m.contains("TokenExpired: token expired at 04/09/2023 05:16:59"),
                "{m}"
            );
            assert!(m.contains("reconnect"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn authorization_unsuccessful_401_needs_reauth() {
    let (status, body) = observed("401_authorization_unsuccessful");
    match classify(status, None, &body, &ctx(None, None)) {
        ConnectorError::ReauthRequired(m) => {
            assert!(m.contains("AuthorizationUnsuccessful"), "{m}");
            assert!(m.contains("revoked"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn authentication_unsuccessful_403_with_scope_granted_is_a_lost_organisation() {
    let (status, body) = observed("403_authentication_unsuccessful");
    let all = granted(&["openid", "accounting.journals.read"]);
    assert_eq!(
        classify(status, None, &body, &ctx(Some(&all), None)),
        ConnectorError::ReauthRequired(
            "Xero refused organisation 'UK Ltd' (AuthenticationUnsuccessful): the organisation \
             was disconnected or the user lost access"
                .into()
        )
    );
    // Unknown grants: same answer.
    assert!(matches!(
        classify(status, None, &body, &ctx(None, Some(false))),
        ConnectorError::ReauthRequired(_)
    ));
}

#[test]
fn authentication_unsuccessful_403_without_the_scope_is_forbidden() {
    let (status, body) = observed("403_authentication_unsuccessful");
    let some = granted(&["openid", "accounting.settings.read"]);
    match classify(status, None, &body, &ctx(Some(&some), None)) {
        ConnectorError::Forbidden(m) => {
            assert!(
                m.starts_with("missing scope accounting.journals.read"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A 401 for a scope never granted is the scope's fault too.
    let (status, body) = observed("401_authorization_unsuccessful");
    assert!(matches!(
        classify(status, None, &body, &ctx(Some(&some), None)),
        ConnectorError::Forbidden(m) if m.starts_with("missing scope accounting.journals.read")
    ));
}

#[test]
fn forbidden_403_while_still_connected_is_not_a_dead_grant() {
    let (status, body) = observed("403_authentication_unsuccessful");
    let all = granted(&["accounting.journals.read"]);
    match classify(status, None, &body, &ctx(Some(&all), Some(true))) {
        ConnectorError::Forbidden(m) => {
            assert!(m.contains("'UK Ltd'") && m.contains("is connected"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unauthorized_401_while_the_token_works_is_the_endpoint_not_the_grant() {
    // Premium-gated /Journals: scope granted, token fine, organisation connected.
    let (status, body) = observed("401_authorization_unsuccessful");
    let all = granted(&["accounting.journals.read"]);
    match classify(status, None, &body, &ctx(Some(&all), Some(true))) {
        ConnectorError::Forbidden(m) => {
            assert!(m.contains("scope accounting.journals.read"), "{m}");
            assert!(m.contains("'UK Ltd'") && m.contains("premium"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // Token fine but the organisation gone: reconnect.
    assert!(matches!(
        classify(status, None, &body, &ctx(Some(&all), Some(false))),
        ConnectorError::ReauthRequired(_)
    ));
}

#[test]
fn validation_exception_400_is_invalid_data_with_messages() {
    let (status, body) = observed("400_validation_exception");
    assert_eq!(
        classify(status, None, &body, &ErrorContext::default()),
        ConnectorError::InvalidData(
            "Xero rejected the request (HTTP 400 ValidationException): A validation exception \
             occurred; Please enter a unique Name."
                .into()
        )
    );
}

#[test]
fn rate_limited_429_uses_retry_after() {
    let (status, body) = observed("429_rate_limited");
    assert_eq!(
        classify(status, Some(60), &body, &ErrorContext::default()),
        ConnectorError::RateLimited(60)
    );
    assert_eq!(
        classify(429, Some(66_975), b"", &ErrorContext::default()),
        ConnectorError::RateLimited(66_975)
    );
    assert_eq!(
        classify(429, None, b"", &ErrorContext::default()),
        ConnectorError::RateLimited(DEFAULT_RETRY_AFTER)
    );
}

#[test]
fn server_errors_are_transient_and_others_invalid() {
    for s in [500, 502, 503, 504, 408] {
        assert!(
            matches!(
                classify(s, None, b"<html>down</html>", &ErrorContext::default()),
                ConnectorError::Transient(m) if m.contains(&s.to_string())
            ),
            "{s}"
        );
    }
    assert_eq!(
        classify(
            404,
            None,
            b"The resource you're looking for cannot be found",
            &ErrorContext::default()
        ),
        ConnectorError::InvalidData(
            "Xero rejected the request (HTTP 404): The resource you're looking for cannot be found"
                .into()
        )
    );
    assert_eq!(
        classify(400, None, b"", &ErrorContext::default()),
        ConnectorError::InvalidData("Xero rejected the request (HTTP 400)".into())
    );
}

#[test]
fn token_endpoint_body_is_read_without_panicking() {
    let (_, body) = observed("400_token_endpoint_invalid_grant");
    assert_eq!(parse_problem(&body), XeroProblem::default());
    assert_eq!(parse_problem(b"not json"), XeroProblem::default());
}
