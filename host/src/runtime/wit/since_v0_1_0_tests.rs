//! The 0.1.0 conversions are lossless, and the neutral types keep the serde shapes of
//! the 0.1.0 generated types (so nothing the host stored changes).

use super::wit;
use crate::runtime::types as neutral;

fn manifest() -> wit::Manifest {
    wit::Manifest {
        id: "acme".into(),
        name: "Acme".into(),
        version: "1.2.3".into(),
        auth: wit::AuthConfig {
            authorize_url: "https://login.acme.test/authorize".into(),
            token_url: "https://login.acme.test/token".into(),
            revoke_url: Some("https://login.acme.test/revoke".into()),
            default_scopes: vec!["read".into()],
            pkce: true,
            client_auth: wit::ClientAuth::RequestBody,
        },
        allowed_hosts: vec!["api.acme.test".into(), "*.acme.test".into()],
        streams: vec![wit::StreamInfo {
            name: "accounts".into(),
            primary_key: "id".into(),
            cursor_field: Some("updated".into()),
            interval: 300,
            scopes: vec!["read".into()],
        }],
        rate_budget: wit::RateBudget {
            per_minute: Some(60),
            per_day: None,
            concurrency: Some(5),
            minute_remaining_header: Some("x-minute".into()),
            day_remaining_header: None,
            app_minute_remaining_header: Some("x-app".into()),
            default_retry_after: 30,
        },
        token_policy: wit::TokenPolicy {
            refresh_ahead: 120,
            refresh_token_idle_lifetime: Some(86_400),
            keep_alive_after: None,
            grace_window: 60,
        },
    }
}

/// `generated` converts to `expected`, back to itself, and serialises as `expected` does.
fn check<W, N>(generated: W, expected: N)
where
    W: Clone + PartialEq + std::fmt::Debug + serde::Serialize + From<N>,
    N: Clone + PartialEq + std::fmt::Debug + serde::Serialize + From<W>,
{
    let converted = N::from(generated.clone());
    assert_eq!(converted, expected);
    assert_eq!(W::from(converted), generated);
    assert_eq!(
        serde_json::to_value(&generated).unwrap(),
        serde_json::to_value(&expected).unwrap()
    );
}

#[test]
fn manifest_converts_losslessly_with_the_same_serde_shape() {
    let generated = manifest();
    let json = serde_json::to_string(&generated).unwrap();
    let expected: neutral::Manifest = serde_json::from_str(&json).unwrap();
    check(generated, expected);
}

#[test]
fn batches_tenants_and_tokens_keep_their_shape() {
    let batch = wit::Batch {
        records: vec![wit::SyncRecord {
            id: "1".into(),
            data: "{}".into(),
            deleted: true,
        }],
        next_cursor: Some("c".into()),
        has_more: true,
    };
    let json = serde_json::to_string(&batch).unwrap();
    check(
        batch,
        serde_json::from_str::<neutral::Batch>(&json).unwrap(),
    );
    let tenant = wit::Tenant {
        id: "t".into(),
        name: "T".into(),
        metadata: vec![("k".into(), "v".into())],
    };
    let json = serde_json::to_string(&tenant).unwrap();
    check(
        tenant,
        serde_json::from_str::<neutral::Tenant>(&json).unwrap(),
    );
    let info = wit::TokenInfo {
        expires_in: Some(1),
        refresh_token_expires_in: None,
        scopes: vec!["a".into()],
        extra: vec![],
    };
    let json = serde_json::to_string(&info).unwrap();
    check(
        info,
        serde_json::from_str::<neutral::TokenInfo>(&json).unwrap(),
    );
}

#[test]
fn variants_and_enums_keep_their_shape_and_debug_text() {
    let pairs = [
        (
            wit::ConnectorError::RateLimited(7),
            neutral::ConnectorError::RateLimited(7),
        ),
        (
            wit::ConnectorError::ReauthRequired("x".into()),
            neutral::ConnectorError::ReauthRequired("x".into()),
        ),
        (
            wit::ConnectorError::InvalidData("d".into()),
            neutral::ConnectorError::InvalidData("d".into()),
        ),
    ];
    for (generated, expected) in pairs {
        assert_eq!(format!("{generated:?}"), format!("{expected:?}"));
        assert_eq!(generated.to_string(), expected.to_string());
        check(generated, expected);
    }
    check(
        wit::TokenError::InvalidClient("c".into()),
        neutral::TokenError::InvalidClient("c".into()),
    );
    check(
        wit::HttpError::Timeout("t".into()),
        neutral::HttpError::Timeout("t".into()),
    );
    check(
        wit::Credential::ClientBasic,
        neutral::Credential::ClientBasic,
    );
    check(wit::RevokeFormat::Json, neutral::RevokeFormat::Json);
    check(wit::Level::Warn, neutral::Level::Warn);
    assert_eq!(
        format!("{:?}", wit::Level::Warn),
        format!("{:?}", neutral::Level::Warn)
    );
    check(wit::ClientAuth::Basic, neutral::ClientAuth::Basic);
}

#[test]
fn requests_and_responses_convert() {
    let request = wit::Request {
        method: "GET".into(),
        url: "https://api.acme.test/x".into(),
        headers: vec![("accept".into(), "application/json".into())],
        body: vec![1, 2],
        credential: wit::Credential::AccessToken,
    };
    let json = serde_json::to_string(&request).unwrap();
    check(
        request,
        serde_json::from_str::<neutral::Request>(&json).unwrap(),
    );
    let response = wit::Response {
        status: 200,
        headers: vec![],
        body: b"ok".to_vec(),
    };
    let json = serde_json::to_string(&response).unwrap();
    check(
        response,
        serde_json::from_str::<neutral::Response>(&json).unwrap(),
    );
}
