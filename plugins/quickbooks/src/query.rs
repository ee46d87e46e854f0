//! The QuickBooks query API, pure parts: statements (PROVIDERS.md B3 grammar) and
//! reading `QueryResponse` and entity answers into records.

use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::time;
use mooring_plugin_sdk::types::{ConnectorError, SyncRecord};

/// `MAXRESULTS` per query: QuickBooks' maximum (the default is 100).
pub const MAX_RESULTS: u32 = 1000;

/// A `LastUpdatedTime` bound as QuickBooks writes times: whole seconds with a numeric
/// offset, here UTC (`2015-06-30T22:09:07+00:00`).
pub fn qbo_time(ms: i64) -> String {
    format!("{}+00:00", time::iso8601_seconds_from_millis(ms))
}

/// The 1-based `STARTPOSITION` of `page` (1-based) for pages of `per_page`.
pub fn start_position(page: u32, per_page: u32) -> u64 {
    u64::from(page.max(1) - 1) * u64::from(per_page) + 1
}

/// The incremental query of `entity`, changed at or after `since`, in
/// `LastUpdatedTime` order, one page. Name-list entities (`namelist`) are never
/// deleted, only made inactive, and a default query hides inactive ones: they are
/// asked with `Active IN (true, false)`.
///
/// `SELECT * FROM Account WHERE Active IN (true, false) AND MetaData.LastUpdatedTime >=
/// '2015-06-30T22:09:07+00:00' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000`
pub fn entity_query(entity: &str, namelist: bool, since: Option<i64>, page: u32) -> String {
    let mut conditions = Vec::new();
    if namelist {
        conditions.push("Active IN (true, false)".to_string());
    }
    if let Some(ms) = since {
        conditions.push(format!("MetaData.LastUpdatedTime >= '{}'", qbo_time(ms)));
    }
    let mut q = format!("SELECT * FROM {entity}");
    if !conditions.is_empty() {
        q.push_str(" WHERE ");
        q.push_str(&conditions.join(" AND "));
    }
    q.push_str(&format!(
        " ORDERBY MetaData.LastUpdatedTime STARTPOSITION {} MAXRESULTS {MAX_RESULTS}",
        start_position(page, MAX_RESULTS)
    ));
    q
}

/// The accounts query ([`entity_query`] of `Account`, inactive ones included).
pub fn account_query(since: Option<i64>, page: u32) -> String {
    entity_query("Account", true, since, page)
}

/// One page of a full re-list of `entity`, in `Id` order (a stable order that a
/// concurrent update does not change).
pub fn relist_query(entity: &str, page: u32) -> String {
    format!(
        "SELECT * FROM {entity} ORDERBY Id STARTPOSITION {} MAXRESULTS {MAX_RESULTS}",
        start_position(page, MAX_RESULTS)
    )
}

/// Ids per confirmation query ([`ids_query`]).
pub const IDS_PER_QUERY: usize = 100;

/// `SELECT * FROM {entity} WHERE Id IN ('1', '2')`: which of `ids` still exist.
/// Ids that could break the statement (quotes, backslashes) are left out.
pub fn ids_query(entity: &str, ids: &[String]) -> String {
    let list: Vec<String> = ids
        .iter()
        .filter(|id| !id.contains(['\'', '\\']))
        .map(|id| format!("'{id}'"))
        .collect();
    format!(
        "SELECT * FROM {entity} WHERE Id IN ({}) MAXRESULTS {MAX_RESULTS}",
        list.join(", ")
    )
}

/// The record id of an entity (`Id`, a string or a number).
pub fn id_of(value: &Value) -> Option<String> {
    match value.get("Id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The `entity` array of a `{"QueryResponse": {...}}` answer. An empty result is
/// `{"QueryResponse": {}}` (no entity key): no records.
pub fn entities(mut body: Value, entity: &str) -> Result<Vec<Value>, ConnectorError> {
    let Some(response) = body.get_mut("QueryResponse") else {
        return Err(ConnectorError::InvalidData(
            "QuickBooks' query answer has no QueryResponse".into(),
        ));
    };
    match response.get_mut(entity).map(Value::take) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ConnectorError::InvalidData(format!(
            "QuickBooks' QueryResponse.{entity} is not an array"
        ))),
    }
}

/// One entity as a record: id = `Id`, data as sent (QuickBooks dates are already
/// ISO 8601), never deleted (an inactive account is not a deletion). Also returns its
/// `MetaData.LastUpdatedTime` in epoch ms.
pub fn record(entity: &str, value: &Value) -> Result<(SyncRecord, Option<i64>), ConnectorError> {
    let id = id_of(value)
        .ok_or_else(|| ConnectorError::InvalidData(format!("a QuickBooks {entity} has no Id")))?;
    let updated = value
        .pointer("/MetaData/LastUpdatedTime")
        .and_then(Value::as_str)
        .and_then(time::parse_rfc3339);
    Ok((SyncRecord::new(id, value.to_string()), updated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::{self, json};

    const ACCOUNTS: &str = include_str!("../testdata/intuitdocs_Account_query_response.json");

    #[test]
    fn statements() {
        assert_eq!(
            account_query(None, 1),
            "SELECT * FROM Account WHERE Active IN (true, false) ORDERBY \
             MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000"
        );
        assert_eq!(
            account_query(Some(1_435_702_147_900), 3),
            "SELECT * FROM Account WHERE Active IN (true, false) AND \
             MetaData.LastUpdatedTime >= '2015-06-30T22:09:07+00:00' ORDERBY \
             MetaData.LastUpdatedTime STARTPOSITION 2001 MAXRESULTS 1000"
        );
        assert_eq!(start_position(0, 1000), 1);
        assert_eq!(start_position(2, 1000), 1001);
        assert_eq!(
            entity_query("Invoice", false, None, 2),
            "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1001 \
             MAXRESULTS 1000"
        );
        assert_eq!(
            entity_query("Bill", false, Some(1_435_702_147_000), 1),
            "SELECT * FROM Bill WHERE MetaData.LastUpdatedTime >= '2015-06-30T22:09:07+00:00' \
             ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000"
        );
        assert_eq!(
            relist_query("Payment", 3),
            "SELECT * FROM Payment ORDERBY Id STARTPOSITION 2001 MAXRESULTS 1000"
        );
        assert_eq!(
            ids_query("Invoice", &["1".into(), "x'y".into(), "22".into()]),
            "SELECT * FROM Invoice WHERE Id IN ('1', '22') MAXRESULTS 1000"
        );
    }

    #[test]
    fn documented_query_response() {
        let body: Value = serde_json::from_str(ACCOUNTS).unwrap();
        let items = entities(body, "Account").unwrap();
        assert!(!items.is_empty());
        let (rec, updated) = record("Account", &items[0]).unwrap();
        assert_eq!(rec.id, "92");
        assert!(!rec.deleted);
        // 2015-06-23T09:38:18-07:00
        assert_eq!(updated, Some(1_435_077_498_000));
        let back: Value = serde_json::from_str(&rec.data).unwrap();
        assert_eq!(back, items[0]);
    }

    #[test]
    fn empty_and_broken_answers() {
        assert!(
            entities(json!({"QueryResponse": {}, "time": "t"}), "Account")
                .unwrap()
                .is_empty()
        );
        assert!(entities(json!({"time": "t"}), "Account").is_err());
        assert!(entities(json!({"QueryResponse": {"Account": 1}}), "Account").is_err());
        assert!(record("Account", &json!({"Name": "x"})).is_err());
        let (r, u) = record("Account", &json!({"Id": 7, "Active": false})).unwrap();
        assert_eq!((r.id.as_str(), r.deleted, u), ("7", false, None));
    }
}
