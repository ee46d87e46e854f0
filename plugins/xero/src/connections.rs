//! Xero tenant discovery, pure parts: the consent's id in the access token's claims,
//! the `/connections` answer, the tenants it gives, and which app connections are stale duplicates.

use mooring_plugin_sdk::serde_json::{self, Value};
use mooring_plugin_sdk::types::{ConnectorError, Tenant};
use serde::Deserialize;

/// `GET https://api.xero.com/connections` (Bearer only, no tenant header).
pub const CONNECTIONS_URL: &str = "https://api.xero.com/connections";

/// Tenant metadata: the app connection's id, for `DELETE /connections/{id}`.
pub const META_CONNECTION_ID: &str = "connection_id";
/// Tenant metadata: `ORGANISATION`, `PRACTICE`, ...
pub const META_TENANT_TYPE: &str = "tenant_type";
/// Tenant metadata: the consent that created the connection.
pub const META_AUTH_EVENT_ID: &str = "auth_event_id";

/// One entry of `/connections`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// The app connection's id (for DELETE).
    pub id: String,
    /// The consent that created or last refreshed it.
    #[serde(default)]
    pub auth_event_id: Option<String>,
    /// The organisation: the `xero-tenant-id` value.
    pub tenant_id: String,
    /// `ORGANISATION`, `PRACTICE`, ...
    #[serde(default)]
    pub tenant_type: Option<String>,
    /// The organisation's name.
    #[serde(default)]
    pub tenant_name: Option<String>,
}

/// Parses a `/connections` body.
pub fn parse_connections(body: &[u8]) -> Result<Vec<Connection>, ConnectorError> {
    serde_json::from_slice(body).map_err(|e| {
        ConnectorError::InvalidData(format!(
            "Xero's /connections answer is not the expected list: {e}"
        ))
    })
}

/// The consent's `authentication_event_id` claim (`authEventId` of `/connections`).
pub fn auth_event_id(claims: &Value) -> Option<String> {
    claims
        .get("authentication_event_id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One tenant per connection entry: id = `tenantId`, name = `tenantName` (the id when
/// Xero sends none), metadata `connection_id`, `tenant_type`, `auth_event_id`.
pub fn tenants(connections: &[Connection]) -> Vec<Tenant> {
    connections
        .iter()
        .map(|c| {
            let name = c
                .tenant_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| c.tenant_id.clone());
            Tenant::new(&c.tenant_id, name)
                .with_metadata(META_CONNECTION_ID, &c.id)
                .with_metadata(META_TENANT_TYPE, c.tenant_type.clone().unwrap_or_default())
                .with_metadata(
                    META_AUTH_EVENT_ID,
                    c.auth_event_id.clone().unwrap_or_default(),
                )
        })
        .collect()
}

/// Ids of connections in `all` that duplicate one of this consent's organisations
/// under another connection id: the older entries a re-consent leaves behind (Xero's
/// "reconnect" quirk), deleted so they never block the next re-authorisation.
pub fn stale_duplicates(consent: &[Connection], all: &[Connection]) -> Vec<String> {
    all.iter()
        .filter(|c| consent.iter().any(|n| n.tenant_id == c.tenant_id))
        .filter(|c| !consent.iter().any(|n| n.id == c.id))
        .map(|c| c.id.clone())
        .collect()
}

/// Connection ids in `all` that link organisation `tenant_id`.
pub fn ids_for_tenant(all: &[Connection], tenant_id: &str) -> Vec<String> {
    all.iter()
        .filter(|c| c.tenant_id.eq_ignore_ascii_case(tenant_id))
        .map(|c| c.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"[
      {"id":"7cb59f93-2964-421d-bb5e-a0f7a4572a44","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d",
       "tenantId":"fe79f7dd-b6d4-4a92-ba7b-538af6289c58","tenantType":"ORGANISATION","tenantName":"Demo Company (NZ)",
       "createdDateUtc":"2019-12-07T18:46:19.5165400","updatedDateUtc":"2019-12-07T18:46:19.5187840"},
      {"id":"old-1","authEventId":"e0","tenantId":"fe79f7dd-b6d4-4a92-ba7b-538af6289c58",
       "tenantType":"ORGANISATION","tenantName":"Demo Company (NZ)"},
      {"id":"other","authEventId":"e0","tenantId":"aaaa","tenantType":"PRACTICE","tenantName":""}
    ]"#;

    #[test]
    fn parses_the_documented_list() {
        let all = parse_connections(LIST.as_bytes()).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].tenant_name.as_deref(), Some("Demo Company (NZ)"));
        assert!(parse_connections(b"{\"Title\":\"Unauthorized\"}").is_err());
        assert_eq!(parse_connections(b"[]").unwrap(), vec![]);
    }

    #[test]
    fn tenants_carry_connection_metadata() {
        let all = parse_connections(LIST.as_bytes()).unwrap();
        let t = tenants(&all[..1]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, "fe79f7dd-b6d4-4a92-ba7b-538af6289c58");
        assert_eq!(t[0].name, "Demo Company (NZ)");
        assert_eq!(
            t[0].metadata,
            vec![
                (
                    "connection_id".to_string(),
                    "7cb59f93-2964-421d-bb5e-a0f7a4572a44".to_string()
                ),
                ("tenant_type".to_string(), "ORGANISATION".to_string()),
                (
                    "auth_event_id".to_string(),
                    "d99ecdfe-391d-43d2-b834-17636ba90e8d".to_string()
                ),
            ]
        );
        // A blank name falls back on the id.
        assert_eq!(tenants(&all[2..])[0].name, "aaaa");
    }

    #[test]
    fn stale_duplicates_are_other_entries_of_the_same_organisations() {
        let all = parse_connections(LIST.as_bytes()).unwrap();
        let consent = vec![all[0].clone()];
        assert_eq!(stale_duplicates(&consent, &all), vec!["old-1".to_string()]);
        assert!(stale_duplicates(&all, &all).is_empty());
        assert!(stale_duplicates(&[], &all).is_empty());
        assert_eq!(
            ids_for_tenant(&all, "FE79F7DD-B6D4-4A92-BA7B-538AF6289C58"),
            vec![
                "7cb59f93-2964-421d-bb5e-a0f7a4572a44".to_string(),
                "old-1".to_string()
            ]
        );
    }

    #[test]
    fn claims_and_auth_event() {
        let claims = serde_json::json!({"nbf": 1, "authentication_event_id": "d99ecdfe", "scope": ["openid"]});
        assert_eq!(auth_event_id(&claims).as_deref(), Some("d99ecdfe"));
        assert_eq!(auth_event_id(&serde_json::json!({"sub": "x"})), None);
        assert_eq!(
            auth_event_id(&serde_json::json!({"authentication_event_id": " "})),
            None
        );
    }
}
