//! Change data capture (PROVIDERS.md B3), pure parts: reading a
//! `GET cdc?entities=…&changedSince=…` answer and deciding the window.
//!
//! QuickBooks hard-deletes transactions; only CDC tells, and only for the last 30
//! days, with at most 1,000 objects per answer (shared by every entity asked). So:
//!
//! - a window reaching back more than [`MAX_LOOKBACK_MS`] (30 days less a safety
//!   hour) cannot be asked at all: the stream falls back to a full re-list
//!   ([`Plan::Relist`]);
//! - an answer holding [`CAP`] objects is saturated (some changes may be missing): the
//!   window is shrunk towards now ([`shrink`]) and asked again, and the part left
//!   uncovered is settled by a re-list;
//! - otherwise the deleted stubs (`"status": "Deleted"`) become tombstones.

use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::types::ConnectorError;

use crate::query;

/// Objects per CDC answer at most.
pub const CAP: usize = 1000;
/// CDC looks back 30 days at most.
pub const WINDOW_MS: i64 = 30 * 86_400_000;
/// The longest window the connector asks: 30 days less an hour of safety margin.
pub const MAX_LOOKBACK_MS: i64 = WINDOW_MS - 3_600_000;
/// Smallest window worth shrinking to.
pub const MIN_WINDOW_MS: i64 = 60_000;
/// How far before the request time the next window starts (clock skew between the
/// host and QuickBooks; re-delivered tombstones are harmless).
pub const OVERLAP_MS: i64 = 60_000;
/// Shrinks per sync before giving up on CDC and re-listing.
pub const MAX_SHRINKS: u32 = 8;

/// What to do for deletions after a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Ask CDC for changes since this time (epoch ms).
    Cdc(i64),
    /// The window is older than CDC allows: re-list everything and diff.
    Relist,
}

/// The plan for deletions since `since` (epoch ms), at `now`.
pub fn plan(since: i64, now: i64) -> Plan {
    if now.saturating_sub(since) > MAX_LOOKBACK_MS {
        Plan::Relist
    } else {
        Plan::Cdc(since)
    }
}

/// A saturated window `[since, now]` shrunk to its later half (whole second);
/// `None` when it is already under [`MIN_WINDOW_MS`].
pub fn shrink(since: i64, now: i64) -> Option<i64> {
    let span = now.saturating_sub(since);
    if span < MIN_WINDOW_MS {
        return None;
    }
    let mid = since.saturating_add(span / 2);
    Some(mid - mid.rem_euclid(1000))
}

/// The start of the next window after a CDC call made at `requested_at`.
pub fn next_since(since: i64, requested_at: i64) -> i64 {
    since.max(requested_at.saturating_sub(OVERLAP_MS))
}

/// What one CDC answer says about one entity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Ids of the entity's objects deleted in the window.
    pub deleted: Vec<String>,
    /// Ids of the entity's objects created or changed in the window.
    pub changed: Vec<String>,
    /// Objects in the whole answer, every entity counted.
    pub total: usize,
}

impl Changes {
    /// Whether the answer hit the cap, so that changes may be missing.
    pub fn saturated(&self) -> bool {
        self.total >= CAP
    }
}

/// Reads a CDC answer for `entity`:
/// `{"CDCResponse":[{"QueryResponse":[{"Invoice":[…],"startPosition":1,…},{}]}],"time":…}`.
pub fn parse(body: &Value, entity: &str) -> Result<Changes, ConnectorError> {
    let blocks = body
        .get("CDCResponse")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ConnectorError::InvalidData("QuickBooks' CDC answer has no CDCResponse".into())
        })?;
    let mut out = Changes::default();
    for block in blocks {
        let responses: Vec<&Value> = match block.get("QueryResponse") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        for response in responses {
            let Some(map) = response.as_object() else {
                continue;
            };
            for (key, value) in map {
                let Some(objects) = value.as_array() else {
                    continue;
                };
                out.total = out.total.saturating_add(objects.len());
                if key != entity {
                    continue;
                }
                for object in objects {
                    let Some(id) = query::id_of(object) else {
                        continue;
                    };
                    let deleted = object
                        .get("status")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("deleted"));
                    if deleted {
                        out.deleted.push(id);
                    } else {
                        out.changed.push(id);
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::json;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn windows() {
        assert_eq!(plan(NOW - DAY, NOW), Plan::Cdc(NOW - DAY));
        assert_eq!(plan(NOW - 29 * DAY, NOW), Plan::Cdc(NOW - 29 * DAY));
        assert_eq!(
            plan(NOW - 30 * DAY, NOW),
            Plan::Relist,
            "the edge is not trusted"
        );
        assert_eq!(plan(NOW - 400 * DAY, NOW), Plan::Relist);
        let s = shrink(NOW - 10 * DAY, NOW).unwrap();
        assert_eq!(s, NOW - 5 * DAY);
        assert_eq!(shrink(NOW - 59_000, NOW), None);
        // Repeated shrinking converges on now and stops.
        let mut since = NOW - 29 * DAY;
        let mut steps = 0;
        while let Some(next) = shrink(since, NOW) {
            assert!(next > since && next <= NOW);
            since = next;
            steps += 1;
        }
        assert!(steps < 30, "{steps}");
        assert_eq!(next_since(NOW - DAY, NOW), NOW - OVERLAP_MS);
        assert_eq!(next_since(NOW, NOW), NOW, "never moves back");
    }

    #[test]
    fn documented_answer_with_a_deleted_stub() {
        let body = json!({"CDCResponse": [{"QueryResponse": [
            {"Customer": [{"Id": "1", "DisplayName": "TestCustomer", "Active": true}],
             "startPosition": 1, "maxResults": 1},
            {"Invoice": [{"Id": "130", "DocNumber": "1037"},
                         {"Id": "2359", "status": "Deleted", "domain": "QBO",
                          "MetaData": {"LastUpdatedTime": "2021-12-15T09:14:16-08:00"}}],
             "startPosition": 1, "maxResults": 2, "totalCount": 2}]}],
            "time": "2016-01-01T00:00:00"});
        let c = parse(&body, "Invoice").unwrap();
        assert_eq!(c.deleted, vec!["2359".to_string()]);
        assert_eq!(c.changed, vec!["130".to_string()]);
        assert_eq!(c.total, 3);
        assert!(!c.saturated());
        let p = parse(&body, "Payment").unwrap();
        assert!(p.deleted.is_empty() && p.changed.is_empty());
    }

    #[test]
    fn empty_and_saturated_answers() {
        let empty = json!({"CDCResponse": [{"QueryResponse": [{}]}], "time": "t"});
        assert_eq!(parse(&empty, "Invoice").unwrap(), Changes::default());
        assert!(parse(&json!({"time": "t"}), "Invoice").is_err());
        let many: Vec<Value> = (0..CAP).map(|i| json!({"Id": i.to_string()})).collect();
        let full = json!({"CDCResponse": [{"QueryResponse": [{"Bill": many}]}]});
        assert!(
            parse(&full, "Invoice").unwrap().saturated(),
            "other entities count"
        );
    }
}
