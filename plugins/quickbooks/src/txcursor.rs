//! The cursor of a transaction stream, and the deletion diff of a re-list. Pure.
//!
//! JSON (every field optional):
//! `{"since":"…Z","page":1,"hwm":"…Z","pass":"…Z","cdc":"…Z","relist":2,"relist_at":"…Z","full":"…Z"}`
//!
//! - `since`/`page`/`hwm`: the incremental query, exactly the SDK's
//!   [`Paged`] (`MetaData.LastUpdatedTime >=` bound, page under it, high-water mark);
//! - `pass`: when the current query pass began (its first page);
//! - `cdc`: deletions are known up to this time; the next CDC window starts here;
//! - `relist`/`relist_at`: a re-list in progress (next page, and when it began);
//! - `full`: when the last unbounded pass began (name lists refresh in full daily,
//!   [`full_pass_due`]).

use std::collections::BTreeSet;

use mooring_plugin_sdk::cursor::Paged;
use mooring_plugin_sdk::time;
use serde::{Deserialize, Serialize};

/// Where a transaction stream stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxCursor {
    /// The incremental query.
    pub query: Paged,
    /// When the current query pass began.
    pub pass: Option<i64>,
    /// Deletions are known up to this time.
    pub cdc: Option<i64>,
    /// Next page of a re-list in progress.
    pub relist: Option<u32>,
    /// When that re-list began.
    pub relist_at: Option<i64>,
    /// When the last unbounded (full) query pass began.
    pub full: Option<i64>,
}

#[derive(Serialize, Deserialize, Default)]
struct Wire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hwm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pass: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cdc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relist: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relist_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    full: Option<String>,
}

fn read(t: Option<String>, what: &str) -> Result<Option<i64>, String> {
    t.map(|t| time::parse_rfc3339(&t).ok_or_else(|| format!("`{what}` is not a date: {t}")))
        .transpose()
}

fn write(ms: Option<i64>) -> Option<String> {
    ms.map(time::rfc3339_from_millis)
}

impl TxCursor {
    /// Reads a cursor written by [`TxCursor::encode`] (or by the accounts stream's
    /// plain [`Paged`] cursor); `None` → the first pass.
    pub fn decode(cursor: Option<&str>) -> Result<TxCursor, String> {
        let Some(text) = cursor else {
            return Ok(TxCursor::default());
        };
        let w: Wire = mooring_plugin_sdk::serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(TxCursor {
            query: Paged {
                since: read(w.since, "since")?,
                page: w.page.unwrap_or(1),
                hwm: read(w.hwm, "hwm")?,
            },
            pass: read(w.pass, "pass")?,
            cdc: read(w.cdc, "cdc")?,
            relist: w.relist,
            relist_at: read(w.relist_at, "relist_at")?,
            full: read(w.full, "full")?,
        })
    }

    /// The cursor as JSON text.
    pub fn encode(&self) -> String {
        let w = Wire {
            since: write(self.query.since),
            page: Some(self.query.page()),
            hwm: write(self.query.hwm),
            pass: write(self.pass),
            cdc: write(self.cdc),
            relist: self.relist,
            relist_at: write(self.relist_at),
            full: write(self.full),
        };
        mooring_plugin_sdk::serde_json::to_string(&w).unwrap_or_else(|_| "{}".into())
    }

    /// Whether the query is on the first page of a pass.
    pub fn pass_starting(&self) -> bool {
        self.query.page() == 1 && self.query.hwm.is_none()
    }
}

/// How often a name list is read in full.
pub const FULL_PASS_EVERY_MS: i64 = 86_400_000;

/// Whether a name-list pass starting at `now` should drop its `LastUpdatedTime` bound:
/// a balance QuickBooks derives from transactions (`CurrentBalance`, a customer's
/// `Balance`) changes without bumping the record's `LastUpdatedTime`, so a bounded
/// query never sees it move. A daily unbounded pass brings such fields up to date.
pub fn full_pass_due(last_full: Option<i64>, now: i64) -> bool {
    last_full.is_none_or(|f| now.saturating_sub(f) >= FULL_PASS_EVERY_MS)
}

/// The ids a finished re-list did not return: candidates for deletion, to be
/// confirmed by asking for them by id (a row can be skipped when another one is deleted
/// while the re-list pages, so absence from a re-list alone proves nothing).
pub fn vanished(known: &BTreeSet<String>, relisted: &BTreeSet<String>) -> Vec<String> {
    known.difference(relisted).cloned().collect()
}

/// Of `candidates`, the ones a confirmation query did not return (`still_there`):
/// these are gone.
pub fn confirmed_gone(candidates: &[String], still_there: &BTreeSet<String>) -> Vec<String> {
    candidates
        .iter()
        .filter(|id| !still_there.contains(*id))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_435_702_147_000;

    #[test]
    fn round_trip() {
        let c = TxCursor {
            query: Paged {
                since: Some(S),
                page: 2,
                hwm: Some(S + 1000),
            },
            pass: Some(S - 5000),
            cdc: Some(S - 60_000),
            relist: Some(3),
            relist_at: Some(S),
            full: Some(S - 86_400_000),
        };
        let text = c.encode();
        assert_eq!(TxCursor::decode(Some(&text)), Ok(c));
        assert_eq!(TxCursor::decode(None), Ok(TxCursor::default()));
        // The accounts stream's older plain cursor reads as a query position.
        let old = r#"{"since":"2015-06-30T22:09:07Z","page":1}"#;
        let c = TxCursor::decode(Some(old)).unwrap();
        assert_eq!(c.query.since, Some(S));
        assert_eq!(c.cdc, None);
        assert!(TxCursor::decode(Some("[1]")).is_err());
        assert!(TxCursor::default().pass_starting());
    }

    #[test]
    fn daily_full_pass() {
        assert!(full_pass_due(None, S));
        assert!(!full_pass_due(Some(S), S + 3_600_000));
        assert!(full_pass_due(Some(S), S + FULL_PASS_EVERY_MS));
    }

    #[test]
    fn deletion_diff_never_invents_a_deletion() {
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let known = set(&["1", "2", "3", "4"]);
        // "3" was skipped by the paging (another row vanished), "4" is really gone.
        let relisted = set(&["1", "2", "5"]);
        let candidates = vanished(&known, &relisted);
        assert_eq!(candidates, vec!["3".to_string(), "4".to_string()]);
        let gone = confirmed_gone(&candidates, &set(&["3"]));
        assert_eq!(gone, vec!["4".to_string()]);
        // A resync that sees everything deletes nothing.
        assert!(vanished(&known, &set(&["1", "2", "3", "4"])).is_empty());
        // An empty known set (lost state) deletes nothing either.
        assert!(vanished(&BTreeSet::new(), &relisted).is_empty());
    }
}
