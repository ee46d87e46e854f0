//! Look-ups in WIT `fields` (ordered name/value lists): callback parameters, tenant
//! metadata, token-response extras, headers.

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
}
