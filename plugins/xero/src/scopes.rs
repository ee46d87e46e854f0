//! Granted scopes: where Xero reports them, and whether they cover what a stream
//! needs. They are kept in state with the SDK's [`mooring_plugin_sdk::state::store_granted_scopes`].

use mooring_plugin_sdk::serde_json::Value;

/// The broader or legacy scopes that also grant `required`: its write form
/// (`accounting.settings` covers `accounting.settings.read`) and, for the 2026
/// granular scopes, the broad scope they were split from (`accounting.transactions`
/// covers invoices, bank transactions and manual journals; `accounting.reports.read`
/// covers every report).
fn granted_by(required: &str) -> Vec<String> {
    let mut out = vec![required.to_string()];
    if let Some(write) = required.strip_suffix(".read") {
        out.push(write.to_string());
    }
    let transactions = [
        "accounting.invoices.read",
        "accounting.payments.read",
        "accounting.banktransactions.read",
        "accounting.manualjournals.read",
    ];
    if transactions.contains(&required) {
        out.push("accounting.transactions.read".into());
        out.push("accounting.transactions".into());
    }
    if required.starts_with("accounting.reports.") && required.ends_with(".read") {
        out.push("accounting.reports.read".into());
    }
    out
}

/// Whether `granted` covers `required`.
pub fn covers(granted: &[String], required: &str) -> bool {
    granted_by(required)
        .iter()
        .any(|s| granted.iter().any(|g| g == s))
}

/// The `scope` claim of a Xero access token (an array in the JWT; a space-separated
/// string is accepted too).
pub fn from_claims(claims: &Value) -> Vec<String> {
    match claims.get("scope") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::json;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_write_and_broad_scopes_cover() {
        let granular = v(&["accounting.invoices.read", "accounting.settings"]);
        assert!(covers(&granular, "accounting.invoices.read"));
        assert!(covers(&granular, "accounting.settings.read"));
        assert!(!covers(&granular, "accounting.journals.read"));
        let broad = v(&["accounting.transactions.read", "accounting.reports.read"]);
        assert!(covers(&broad, "accounting.manualjournals.read"));
        assert!(covers(&broad, "accounting.banktransactions.read"));
        assert!(covers(&broad, "accounting.reports.trialbalance.read"));
        assert!(!covers(&broad, "accounting.contacts.read"));
        assert!(!covers(&[], "accounting.contacts.read"));
    }

    #[test]
    fn claims_scope() {
        assert_eq!(
            from_claims(&json!({"scope": ["openid", "accounting.settings.read"]})),
            v(&["openid", "accounting.settings.read"])
        );
        assert_eq!(from_claims(&json!({"scope": "a b"})), v(&["a", "b"]));
        assert!(from_claims(&json!({})).is_empty());
    }
}
