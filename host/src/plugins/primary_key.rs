//! The meaning the host gives a stream's `primary-key`: the record field its `id` comes
//! from. A page whose records carry that field with a different value is refused, which
//! catches the classic connector bug of an id rendered differently from the field
//! (`"\"42\""` for `42`, a name instead of an id). Records that do not carry the field
//! (synthetic ids) are not checked.

use serde_json::Value;

use crate::runtime::types::SyncRecord;

/// A record whose id disagrees with its primary-key field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "record id {id:?} does not match its primary-key field {field:?} ({value}); the connector must use the field's value as the record id"
)]
pub struct KeyMismatch {
    /// The record id the plugin gave.
    pub id: String,
    /// The stream's primary-key field.
    pub field: String,
    /// The field's value in the record, as JSON.
    pub value: String,
}

/// The text an id must equal for a primary-key value: strings as they are, numbers as
/// their digits; other kinds are not comparable.
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Check the first record of a page that carries `field` (one parse per page keeps this
/// cheap; a connector renders every id the same way). Tombstones are skipped.
pub fn check_page(field: &str, records: &[SyncRecord]) -> Result<(), KeyMismatch> {
    if field.is_empty() {
        return Ok(());
    }
    for record in records.iter().filter(|r| !r.deleted).take(4) {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&record.data) else {
            continue;
        };
        let Some(value) = map.get(field) else {
            continue;
        };
        return match key_text(value) {
            Some(text) if text == record.id => Ok(()),
            Some(_) => Err(KeyMismatch {
                id: record.id.clone(),
                field: field.to_owned(),
                value: value.to_string(),
            }),
            None => Ok(()),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, data: &str) -> SyncRecord {
        SyncRecord {
            id: id.into(),
            data: data.into(),
            deleted: false,
        }
    }

    #[test]
    fn ids_must_match_their_field() {
        let cases: &[(&str, &str, &str, bool)] = &[
            ("id", "42", r#"{"id":42}"#, true),
            ("id", "\"42\"", r#"{"id":42}"#, false),
            ("Id", "abc", r#"{"Id":"abc"}"#, true),
            ("Id", "ABC", r#"{"Id":"abc"}"#, false),
            ("AccountID", "x:2024-01", r#"{"id":"x:2024-01"}"#, true),
            ("id", "7", r#"{"id":{"nested":1}}"#, true),
            ("id", "7", "not json", true),
            ("", "7", r#"{"id":8}"#, true),
        ];
        for (field, id, data, ok) in cases {
            assert_eq!(
                check_page(field, &[record(id, data)]).is_ok(),
                *ok,
                "{field} {id} {data}"
            );
        }
    }

    #[test]
    fn tombstones_are_not_checked() {
        let mut gone = record("1", r#"{"id":2}"#);
        gone.deleted = true;
        assert!(check_page("id", &[gone]).is_ok());
    }
}
