//! Look-ups in WIT `fields` (ordered name/value lists): callback parameters, tenant
//! metadata, token-response extras, headers; and [`id_of`], a record id from JSON.

use crate::types::ConnectorError;

/// The first value under `name` (exact, case-sensitive match).
pub fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The first value under `name`, comparing names ASCII case-insensitively (as for
/// HTTP headers).
pub fn get_ignore_case<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The first value under `name`, or `invalid-data("missing parameter `name`")`.
///
/// Handy in `complete_authorization`: `let code = fields::require(&params, "code")?;`.
pub fn require<'a>(fields: &'a [(String, String)], name: &str) -> Result<&'a str, ConnectorError> {
    get(fields, name)
        .ok_or_else(|| ConnectorError::InvalidData(format!("missing parameter `{name}`")))
}

/// A record id as text from a JSON value: a string as is (no quotes), a number as its
/// digits; `None` for anything else (null, bool, array, object) and for an empty string.
///
/// `value.to_string()` would quote a JSON string (`"INV-1"` becomes `"\"INV-1\""`), so
/// use this for [`SyncRecord`](crate::types::SyncRecord) ids and tenant ids:
///
/// ```
/// use mooring_plugin_sdk::fields::id_of;
/// use mooring_plugin_sdk::serde_json::json;
/// assert_eq!(id_of(&json!(42)).as_deref(), Some("42"));
/// assert_eq!(id_of(&json!("INV-1")).as_deref(), Some("INV-1"));
/// assert_eq!(id_of(&json!(null)), None);
/// ```
pub fn id_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f() -> Vec<(String, String)> {
        vec![
            ("code".into(), "abc".into()),
            ("Content-Type".into(), "text/plain".into()),
            ("code".into(), "second".into()),
        ]
    }

    #[test]
    fn first_match_wins() {
        assert_eq!(get(&f(), "code"), Some("abc"));
        assert_eq!(get(&f(), "content-type"), None);
        assert_eq!(get_ignore_case(&f(), "content-type"), Some("text/plain"));
    }

    #[test]
    fn require_reports_the_name() {
        assert_eq!(require(&f(), "code").unwrap(), "abc");
        match require(&f(), "realmId") {
            Err(ConnectorError::InvalidData(m)) => assert!(m.contains("realmId")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn ids_are_rendered_without_quotes() {
        use serde_json::json;
        assert_eq!(id_of(&json!(7)).as_deref(), Some("7"));
        assert_eq!(id_of(&json!(-3)).as_deref(), Some("-3"));
        assert_eq!(
            id_of(&json!(12345678901234_u64)).as_deref(),
            Some("12345678901234")
        );
        assert_eq!(id_of(&json!("a-1")).as_deref(), Some("a-1"));
        assert_eq!(id_of(&json!("")), None);
        assert_eq!(id_of(&json!(true)), None);
        assert_eq!(id_of(&json!({"id": 1})), None);
    }
}
