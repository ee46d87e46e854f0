//! Classification tests on the observed QuickBooks bodies.

use super::*;
use crate::faults::tests::observed;

#[test]
fn expired_token_3200_needs_reauth() {
    let (status, body) = observed("401_3200_authentication_failed_json");
    match classify(status, None, &body) {
        ConnectorError::ReauthRequired(m) => {
            assert!(m.contains("3200") && m.contains("reconnect"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn legacy_xml_auth_fault_100_needs_reauth() {
    let (status, body) = observed("401_100_general_authentication_error_xml");
    assert!(matches!(
        classify(status, None, &body),
        ConnectorError::ReauthRequired(m) if m.contains("General Authentication Error")
    ));
}

#[test]
fn application_authorization_3100_names_the_likely_causes() {
    let (status, body) = observed("403_3100_application_authorization_failed_json");
    match classify(status, None, &body) {
        ConnectorError::ReauthRequired(m) => assert!(
            m.starts_with(
                "the app is no longer authorised for this company (disconnected, or \
                 production/sandbox keys mixed)"
            ),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn authorization_failure_120_is_a_missing_permission() {
    let body = br#"{"Fault":{"Error":[{"Message":"Authorization Failure","Detail":"AuthorizationFailure: Unknown Error during Authentication, statusCode: 403","code":"120"}],"type":"AuthorizationFault"},"time":"2018-10-10T00:00:00.000-07:00"}"#;
    assert!(matches!(
        classify(403, None, body),
        ConnectorError::Forbidden(m) if m.contains("lacks permission")
    ));
}

#[test]
fn throttle_3001_xml_is_rate_limited_60_whatever_the_status() {
    let (status, body) = observed("429_3001_throttle_xml");
    assert_eq!(
        classify(status, None, &body),
        ConnectorError::RateLimited(60)
    );
    assert_eq!(classify(403, None, &body), ConnectorError::RateLimited(60));
    assert_eq!(
        classify(429, Some(5), &body),
        ConnectorError::RateLimited(5)
    );
    assert_eq!(classify(429, None, b""), ConnectorError::RateLimited(60));
}

#[test]
fn validation_faults_are_invalid_data() {
    for name in ["400_validation_fault_json", "400_stale_object_5010"] {
        let (status, body) = observed(name);
        assert!(
            matches!(
                classify(status, None, &body),
                ConnectorError::InvalidData(_)
            ),
            "{name}"
        );
    }
    let (_, body) = observed("400_validation_fault_json");
    assert_eq!(
        classify(400, None, &body),
        ConnectorError::InvalidData(
            "QuickBooks rejected the request (HTTP 400) (6240: Duplicate Name Exists Error: The \
             name supplied already exists. : Another customer is already using this name. \
             Please use a different name.)"
                .into()
        )
    );
    let not_found = br#"{"Fault":{"Error":[{"Message":"Object Not Found","Detail":"x","code":"610","element":""}],"type":"ValidationFault"}}"#;
    assert!(
        matches!(classify(400, None, not_found), ConnectorError::InvalidData(m) if m.contains("610"))
    );
    // A fault inside a 200 is still a failure.
    assert!(matches!(
        classify(200, None, not_found),
        ConnectorError::InvalidData(_)
    ));
    let company = br#"{"Fault":{"Error":[{"Message":"Invalid Company Status","code":"6190"}]}}"#;
    assert!(
        matches!(classify(400, None, company), ConnectorError::InvalidData(m) if m.contains("6190"))
    );
}

#[test]
fn statuses_without_a_known_code() {
    assert!(matches!(
        classify(401, None, b""),
        ConnectorError::ReauthRequired(_)
    ));
    assert!(matches!(
        classify(403, None, b"<html/>"),
        ConnectorError::Forbidden(_)
    ));
    for s in [500, 502, 503, 504, 408] {
        assert!(
            matches!(classify(s, None, b"oops"), ConnectorError::Transient(m) if m.ends_with("(oops)")),
            "{s}"
        );
    }
    let system = br#"{"Fault":{"Error":[{"Message":"An application error has occurred","code":"10000"}],"type":"SystemFault"}}"#;
    assert!(matches!(
        classify(500, None, system),
        ConnectorError::Transient(_)
    ));
    assert_eq!(
        classify(404, None, b""),
        ConnectorError::InvalidData("QuickBooks rejected the request (HTTP 404)".into())
    );
}

#[test]
fn xml_throttle_is_rate_limited_and_logged_with_intuit_tid() {
    let (status, body) = observed("429_3001_throttle_xml");
    let error = classify(status, None, &body);
    assert_eq!(error, ConnectorError::RateLimited(DEFAULT_RETRY_AFTER));
    let line = log_line(status, Some("1-5f3b-abc"), &error);
    assert!(line.contains("HTTP 429"), "{line}");
    assert!(line.contains("intuit_tid 1-5f3b-abc"), "{line}");
    assert!(log_line(500, None, &error).contains("intuit_tid -"));
    // The same throttle inside a 200 (faults arrive in 200s too) is still a throttle.
    assert_eq!(
        classify(200, Some(7), &body),
        ConnectorError::RateLimited(7)
    );
}
