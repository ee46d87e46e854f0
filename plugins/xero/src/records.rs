//! Turning Xero response envelopes into records: the entity array, the primary key,
//! deletion statuses, MS-JSON dates. Pure.
//!
//! Deletion statuses (see [`crate::streams::STREAMS`]):
//!
//! | stream | tombstone when | why |
//! |---|---|---|
//! | `accounts`, `tracking_categories` | `Status` DELETED | ARCHIVED accounts/categories still exist and carry history |
//! | `invoices`, `manual_journals` | `Status` DELETED or VOIDED | both leave a document with no accounting effect; ARCHIVED manual journals still exist |
//! | `bank_transactions` | `Status` DELETED or VOIDED | the spec's enum has both, with the same meaning as on invoices |
//! | `contacts` | `ContactStatus` GDPRREQUEST | the person asked Xero to erase their data: the tombstone keeps only the id and status, never the personal data; ARCHIVED is not a deletion |
//! | `journals` | never | journals are immutable; a void produces a new reversing journal |
//!
//! A tombstone keeps the record as Xero last sent it (status included), except for
//! erasures, whose data is reduced to the id and the status.

use mooring_plugin_sdk::serde_json::{Map, Value};
use mooring_plugin_sdk::types::{ConnectorError, SyncRecord};

use crate::dates;
use crate::streams::StreamDef;

/// One record of a page, with what the cursor needs from it.
#[derive(Debug, PartialEq)]
pub struct Extracted {
    /// The record for the host.
    pub record: SyncRecord,
    /// The stream's cursor date (`UpdatedDateUTC`), epoch ms, if readable.
    pub updated: Option<i64>,
    /// `JournalNumber`, for journals.
    pub number: Option<u64>,
}

/// Takes the array `def.collection` out of a response envelope. A missing key is
/// `invalid-data`: Xero always sends it, possibly empty.
pub fn take_collection(body: &mut Value, def: &StreamDef) -> Result<Vec<Value>, ConnectorError> {
    match body.get_mut(def.collection).map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        Some(Value::Null) | None => Err(ConnectorError::InvalidData(format!(
            "Xero's answer for stream `{}` has no `{}` array",
            def.name, def.collection
        ))),
        Some(_) => Err(ConnectorError::InvalidData(format!(
            "Xero's `{}` for stream `{}` is not an array",
            def.collection, def.name
        ))),
    }
}

/// The text of an id field (strings as they are, numbers in decimal).
pub fn id_of(value: &Value, field: &str) -> Option<String> {
    match value.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Turns one Xero entity into a record of stream `def`.
pub fn extract(def: &StreamDef, mut value: Value) -> Result<Extracted, ConnectorError> {
    let id = id_of(&value, def.primary_key).ok_or_else(|| {
        ConnectorError::InvalidData(format!(
            "a record of stream `{}` has no `{}`",
            def.name, def.primary_key
        ))
    })?;
    let updated = def
        .cursor_field
        .and_then(|f| value.get(f))
        .and_then(dates::parse_xero_date);
    let number = value.get("JournalNumber").and_then(Value::as_u64);
    let status = def
        .status_field
        .and_then(|f| value.get(f))
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    let is = |list: &[&str]| status.as_deref().is_some_and(|s| list.contains(&s));
    let record = if is(def.erased_statuses) {
        let mut kept = Map::new();
        kept.insert(def.primary_key.to_string(), Value::String(id.clone()));
        if let (Some(field), Some(s)) = (def.status_field, &status) {
            kept.insert(field.to_string(), Value::String(s.clone()));
        }
        SyncRecord {
            id,
            data: Value::Object(kept).to_string(),
            deleted: true,
        }
    } else {
        dates::convert_ms_dates(&mut value);
        SyncRecord {
            id,
            data: value.to_string(),
            deleted: is(def.deleted_statuses),
        }
    };
    Ok(Extracted {
        record,
        updated,
        number,
    })
}

/// Extracts every entity of `items`.
pub fn extract_all(def: &StreamDef, items: Vec<Value>) -> Result<Vec<Extracted>, ConnectorError> {
    items.into_iter().map(|v| extract(def, v)).collect()
}

/// A tombstone for a record that vanished from a full refresh. Its data is `null`, so
/// the host keeps the last data it saw.
pub fn vanished(id: String) -> SyncRecord {
    SyncRecord {
        id,
        data: "null".to_string(),
        deleted: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::find;
    use mooring_plugin_sdk::serde_json::{self, json};

    fn def(name: &str) -> &'static StreamDef {
        find(name).expect("stream")
    }

    #[test]
    fn live_invoice_with_dates_converted() {
        let inv = json!({"InvoiceID": "d4956132", "Status": "AUTHORISED",
            "Date": "/Date(1539993600000+0000)/", "UpdatedDateUTC": "/Date(1541176290160+0000)/",
            "LineItems": [{"LineAmount": 40.00, "UnitAmount": 123.45}]});
        let e = extract(def("invoices"), inv).unwrap();
        assert_eq!(e.record.id, "d4956132");
        assert!(!e.record.deleted);
        assert_eq!(e.updated, Some(1_541_176_290_160));
        let data: Value = serde_json::from_str(&e.record.data).unwrap();
        assert_eq!(data["Date"], "2018-10-20T00:00:00Z");
        assert_eq!(data["UpdatedDateUTC"], "2018-11-02T16:31:30.160Z");
        assert!(e.record.data.contains("123.45"), "{}", e.record.data);
        assert!(!e.record.data.contains("123.4500000"), "{}", e.record.data);
    }

    #[test]
    fn deletion_statuses_per_stream() {
        let cases = [
            ("invoices", "Status", "VOIDED", true),
            ("invoices", "Status", "DELETED", true),
            ("invoices", "Status", "PAID", false),
            ("manual_journals", "Status", "VOIDED", true),
            ("manual_journals", "Status", "ARCHIVED", false),
            ("bank_transactions", "Status", "DELETED", true),
            ("accounts", "Status", "ARCHIVED", false),
            ("accounts", "Status", "DELETED", true),
            ("tracking_categories", "Status", "DELETED", true),
            ("contacts", "ContactStatus", "ARCHIVED", false),
        ];
        for (stream, field, status, deleted) in cases {
            let d = def(stream);
            let v = json!({ d.primary_key: "id-1", field: status, "Name": "x" });
            let e = extract(d, v).unwrap();
            assert_eq!(e.record.deleted, deleted, "{stream} {status}");
            assert!(e.record.data.contains(status), "tombstones keep their data");
        }
    }

    #[test]
    fn gdpr_request_erases_personal_data() {
        let v = json!({"ContactID": "c-1", "ContactStatus": "GDPRREQUEST",
            "Name": "Jane Doe", "EmailAddress": "jane@example.com"});
        let e = extract(def("contacts"), v).unwrap();
        assert!(e.record.deleted);
        assert_eq!(
            e.record.data,
            r#"{"ContactID":"c-1","ContactStatus":"GDPRREQUEST"}"#
        );
    }

    #[test]
    fn journals_carry_their_number_and_missing_ids_are_refused() {
        let j = json!({"JournalID": "j-1", "JournalNumber": 30,
            "CreatedDateUTC": "/Date(1541176243467+0000)/"});
        let e = extract(def("journals"), j).unwrap();
        assert_eq!(e.number, Some(30));
        assert!(e.record.data.contains("2018-11-02T16:30:43.467Z"));
        assert!(matches!(
            extract(def("journals"), json!({"JournalNumber": 1})),
            Err(ConnectorError::InvalidData(m)) if m.contains("JournalID")
        ));
        assert_eq!(id_of(&json!({"n": 7}), "n").as_deref(), Some("7"));
        assert_eq!(id_of(&json!({"n": " "}), "n"), None);
    }

    #[test]
    fn collections() {
        let d = def("invoices");
        let mut body = json!({"Status": "OK", "Invoices": [{"InvoiceID": "a"}]});
        assert_eq!(take_collection(&mut body, d).unwrap().len(), 1);
        assert!(take_collection(&mut json!({"Status": "OK"}), d).is_err());
        assert!(take_collection(&mut json!({"Invoices": {}}), d).is_err());
        let t = vanished("x".into());
        assert!(t.deleted && t.data == "null");
    }
}
