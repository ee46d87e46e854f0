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
//!
//! Record pages go through the SDK's [`json_records`] (one pass, no `Value` tree): the
//! text of each record is byte-identical to parsing the body into a `Value`,
//! converting its MS-JSON dates ([`dates::convert_ms_dates`]) and printing it with
//! `serde_json::to_string` (keys sorted), which `records_tests.rs` checks against
//! that path.
use mooring_plugin_sdk::json_records::{self, Field, Record, RecordsError};
use mooring_plugin_sdk::serde_json::{Map, Value};
use mooring_plugin_sdk::types::{ConnectorError, Response, SyncRecord};

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
        Some(Value::Null) | None => Err(no_collection(def)),
        Some(_) => Err(not_an_array(def)),
    }
}

fn no_collection(def: &StreamDef) -> ConnectorError {
    ConnectorError::InvalidData(format!(
        "Xero's answer for stream `{}` has no `{}` array",
        def.name, def.collection
    ))
}

fn not_an_array(def: &StreamDef) -> ConnectorError {
    ConnectorError::InvalidData(format!(
        "Xero's `{}` for stream `{}` is not an array",
        def.collection, def.name
    ))
}

/// The text of an id field (strings as they are, numbers in decimal).
pub fn id_of(value: &Value, field: &str) -> Option<String> {
    match value.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The top-level fields [`extract`] reads, by their index in [`fields`].
const ID: usize = 0;
const CURSOR: usize = 1;
const NUMBER: usize = 2;
const STATUS: usize = 3;

/// The names of the top-level fields of `def`'s entities that [`extract`] reads (an
/// absent one is an empty name, never read).
fn fields(def: &StreamDef) -> [&'static str; 4] {
    [
        def.primary_key,
        def.cursor_field.unwrap_or_default(),
        "JournalNumber",
        def.status_field.unwrap_or_default(),
    ]
}

/// Every entity of a successful answer for stream `def`, as records: the array
/// `def.collection` of the body, MS-JSON dates converted at any depth.
pub fn extract_page(
    def: &StreamDef,
    response: &Response,
) -> Result<Vec<Extracted>, ConnectorError> {
    let page = json_records::records(
        &response.body,
        def.collection,
        &fields(def),
        dates::convert_ms_date,
    )
    .map_err(|e| match e {
        RecordsError::Json(e) => ConnectorError::InvalidData(format!(
            "HTTP {} body is not the expected JSON ({e}): {}",
            response.status(),
            response.excerpt()
        )),
        RecordsError::Missing => no_collection(def),
        RecordsError::NotArray => not_an_array(def),
    })?;
    page.iter().map(|r| extract(def, r)).collect()
}

/// Turns one entity of a page into a record of stream `def`.
fn extract(def: &StreamDef, entity: Record<'_>) -> Result<Extracted, ConnectorError> {
    let id = match entity.field(ID) {
        Field::Str(s) if !s.trim().is_empty() => s.to_string(),
        Field::Number(n) => n.to_string(),
        _ => {
            return Err(ConnectorError::InvalidData(format!(
                "a record of stream `{}` has no `{}`",
                def.name, def.primary_key
            )));
        }
    };
    let updated = def
        .cursor_field
        .and_then(|_| entity.field(CURSOR).as_str())
        .and_then(dates::parse_xero_date_text);
    let number = entity.field(NUMBER).as_u64();
    let status = def
        .status_field
        .and_then(|_| entity.field(STATUS).as_str())
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
            data: to_json(&Value::Object(kept))?,
            deleted: true,
        }
    } else {
        SyncRecord {
            id,
            data: entity.json().to_string(),
            deleted: is(def.deleted_statuses),
        }
    };
    Ok(Extracted {
        record,
        updated,
        number,
    })
}

/// `value` as JSON text (keys sorted, as `serde_json` prints a `Value`).
fn to_json(value: &Value) -> Result<String, ConnectorError> {
    mooring_plugin_sdk::serde_json::to_string(value)
        .map_err(|e| ConnectorError::InvalidData(format!("record could not be serialised: {e}")))
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
#[path = "records_tests.rs"]
mod tests;
