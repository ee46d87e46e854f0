//! Fault parsing tests on the observed QuickBooks bodies (`testdata/`, copied from
//! `shared/reference/observed/quickbooks_error_bodies.json`).

use super::*;

const OBSERVED: &str = include_str!("../testdata/quickbooks_error_bodies.json");

/// The body of an observed entry: its JSON `body`, or its `body_xml`.
pub fn observed(name: &str) -> (u16, Vec<u8>) {
    let all: Value = serde_json::from_str(OBSERVED).expect("fixture is JSON");
    let entry = &all[name];
    let status = entry["status"].as_u64().unwrap_or(200) as u16;
    let body = match (
        entry.get("body"),
        entry.get("body_xml").and_then(Value::as_str),
    ) {
        (Some(b), _) => serde_json::to_vec(b).expect("body"),
        (None, Some(xml)) => xml.as_bytes().to_vec(),
        (None, None) => Vec::new(),
    };
    (status, body)
}

#[test]
fn gateway_json_fault_lower_case() {
    let (_, body) = observed("401_3200_authentication_failed_json");
    let f = parse(&body).expect("fault");
    assert_eq!(f.kind.as_deref(), Some("AUTHENTICATION"));
    assert_eq!(f.first_code(), Some(3200));
    assert_eq!(
        f.errors[0].detail.as_deref(),
        Some("Token expired: XXXXXXXX")
    );
    let (_, body) = observed("403_3100_application_authorization_failed_json");
    let f = parse(&body).expect("fault");
    assert_eq!(f.first_code(), Some(3100));
    assert_eq!(f.errors[0].detail, None);
}

#[test]
fn data_fault_pascal_case() {
    let (_, body) = observed("400_validation_fault_json");
    let f = parse(&body).expect("fault");
    assert_eq!(f.kind.as_deref(), Some("ValidationFault"));
    assert_eq!(f.first_code(), Some(6240));
    assert!(
        f.describe()
            .starts_with("6240: Duplicate Name Exists Error: The name supplied")
    );
    let (_, body) = observed("400_stale_object_5010");
    assert_eq!(parse(&body).and_then(|f| f.first_code()), Some(5010));
}

#[test]
fn xml_faults() {
    let (_, body) = observed("429_3001_throttle_xml");
    let f = parse(&body).expect("fault");
    assert_eq!(f.kind.as_deref(), Some("SERVICE"));
    assert_eq!(f.first_code(), Some(3001));
    assert_eq!(
        f.errors[0].detail.as_deref(),
        Some("The request limit was reached.  Try again later")
    );
    let (_, body) = observed("401_100_general_authentication_error_xml");
    let f = parse(&body).expect("fault");
    assert_eq!(f.first_code(), Some(100));
    assert_eq!(
        f.errors[0].message.as_deref(),
        Some("General Authentication Error")
    );
}

#[test]
fn codes_from_messages_and_odd_bodies() {
    let v = serde_json::json!({"fault": {"error": [{"message": "message=ThrottleExceeded; errorCode=003001; statusCode=429"}]}});
    assert_eq!(from_json(&v).and_then(|f| f.first_code()), Some(3001));
    let v = serde_json::json!({"Fault": {"Error": {"code": 610, "Message": "Object Not Found"}}});
    assert_eq!(from_json(&v).and_then(|f| f.first_code()), Some(610));
    assert_eq!(parse(b"{\"QueryResponse\":{}}"), None);
    assert_eq!(parse(b"<html>Bad gateway</html>"), None);
    assert_eq!(parse(b""), None);
    let x = "<Fault type=\"X\"><Error code=\"6240\"><Message>A &amp; B</Message></Error><Error code=\"0\"></Error></Fault>";
    let f = from_xml(x).expect("fault");
    assert_eq!(f.errors.len(), 2);
    assert_eq!(f.errors[0].message.as_deref(), Some("A & B"));
    assert_eq!(f.errors[1].code.as_deref(), Some("0"));
    assert_eq!(FaultError::default().describe(), "");
}
