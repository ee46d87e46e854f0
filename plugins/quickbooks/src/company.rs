//! The CompanyInfo answer (`{"CompanyInfo": {...}, "time": ...}`): the company's name
//! for the tenant, and the `companyinfo` stream's one record. Pure.

use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::types::{ConnectorError, SyncRecord};

/// `CompanyInfo.CompanyName`, when present and not blank.
pub fn company_name(body: &Value) -> Option<String> {
    body.pointer("/CompanyInfo/CompanyName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The `company` record: `CompanyInfo` as sent, id = its `Id`.
pub fn company_record(body: &Value) -> Result<SyncRecord, ConnectorError> {
    let info = body
        .get("CompanyInfo")
        .filter(|v| v.is_object())
        .ok_or_else(|| ConnectorError::InvalidData("QuickBooks sent no CompanyInfo".into()))?;
    let id = match info.get("Id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(ConnectorError::InvalidData(
                "QuickBooks' CompanyInfo has no Id".into(),
            ));
        }
    };
    Ok(SyncRecord::new(id, info.to_string()))
}

/// The `preferences` record: `Preferences` as sent, id = its `Id` (or `preferences`
/// when it has none: there is one per company).
pub fn preferences_record(body: &Value) -> Result<SyncRecord, ConnectorError> {
    let prefs = body
        .get("Preferences")
        .filter(|v| v.is_object())
        .ok_or_else(|| ConnectorError::InvalidData("QuickBooks sent no Preferences".into()))?;
    let id = match prefs.get("Id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "preferences".to_string(),
    };
    Ok(SyncRecord::new(id, prefs.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::{self, json};

    const DOC: &str = include_str!("../testdata/intuitdocs_CompanyInfo_read_response.json");

    #[test]
    fn documented_company_info() {
        let body: Value = serde_json::from_str(DOC).unwrap();
        let name = company_name(&body).expect("name");
        assert!(!name.is_empty());
        let rec = company_record(&body).unwrap();
        assert_eq!(rec.id, body["CompanyInfo"]["Id"].as_str().unwrap());
        assert!(rec.data.contains(&name));
        assert!(!rec.deleted);
    }

    #[test]
    fn missing_parts() {
        assert_eq!(
            company_name(&json!({"CompanyInfo": {"CompanyName": "  "}})),
            None
        );
        assert_eq!(company_name(&json!({})), None);
        assert!(company_record(&json!({})).is_err());
        assert!(company_record(&json!({"CompanyInfo": {"CompanyName": "x"}})).is_err());
        let p = preferences_record(&json!({"Preferences": {"Id": "1",
            "CurrencyPrefs": {"MultiCurrencyEnabled": false}}}))
        .unwrap();
        assert_eq!(p.id, "1");
        assert_eq!(
            preferences_record(&json!({"Preferences": {}})).unwrap().id,
            "preferences"
        );
        assert!(preferences_record(&json!({})).is_err());
    }
}
