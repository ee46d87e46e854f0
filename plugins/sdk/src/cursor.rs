//! Provider-neutral cursors and their arithmetic. Pure: no host calls.
//!
//! Each cursor is a small value a connector decodes from the `cursor` the host passes
//! to `sync`, advances with what one response contained, and encodes into the
//! batch's `next-cursor`. The JSON forms are stable: the host stores them between
//! syncs, so a new build must read what an older one wrote.
//!
//! | cursor | JSON | for |
//! |---|---|---|
//! | [`Paged`] | `{"since":"2024-05-01T10:00:00Z","page":1,"hwm":"2024-05-01T10:00:00.250Z"}` | pages ordered by a last-modified date under a "modified since" bound (the bound of the current pass, whole second, absent on the first pass; the page to ask next under it; the highest date seen in this pass) |
//! | [`Modified`] | `{"since":"2024-05-01T10:00:00Z"}` | one unpaged request under a "modified since" bound |
//! | [`Offset`] | `{"offset":1234}` | an immutable feed read after the highest number seen |
//! | [`Snapshot`] | `{"ids":["…"]}` | a full refresh: the ids delivered last time, to tombstone the ones that vanish |
//!
//! Dates are epoch milliseconds (`i64`) in memory and RFC 3339 UTC in the JSON. How a
//! bound goes on the wire (an `If-Modified-Since` header, a `>=` in a query language)
//! is the provider's business, in its plugin.
//!
//! ## [`Paged`]: keyset with a page fallback
//!
//! Requests are ordered by the record date, ascending, under an inclusive bound
//! `since` with second precision. After a full page whose dates are ascending, the
//! next request restarts at page 1 with `since` set to the page's highest date
//! truncated to the second. The boundary second is requested again: records sharing it
//! are re-delivered, which the host's idempotent upsert absorbs, and none is skipped.
//! A record modified while a pass runs moves to the end of the order and is still
//! reached, which plain page numbers would not guarantee (the rows behind it shift one
//! page back).
//!
//! When a full page makes no progress (every record in the boundary second), is not
//! ascending (the provider ignored the order) or holds records older than `since` (the
//! provider ignored the bound), the next request keeps `since` and asks the next page.
//! A short page ends the pass: `since` becomes the pass's high-water mark (truncated to
//! the second) and the page goes back to 1.
//!
//! ```
//! use mooring_plugin_sdk::cursor::{PageSummary, Paged};
//!
//! let current = Paged::decode(None).unwrap(); // first pass: no bound, page 1
//! // ...request page `current.page()` under `current.since`, read each record's date...
//! let dates = [Some(1_700_000_000_000), Some(1_700_000_001_500)];
//! let step = current.advance(&PageSummary::of(&dates), 100);
//! assert!(!step.has_more); // a short page ends the pass
//! assert_eq!(step.next.encode(), r#"{"since":"2023-11-14T22:13:21Z","page":1}"#);
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::time::{self, floor_second};

/// Position in a page-paged stream under a "modified since" bound (see the
/// [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paged {
    /// The inclusive bound (epoch ms, whole second); `None` on the first pass.
    pub since: Option<i64>,
    /// Page to request next (1-based; 0 is read as 1).
    pub page: u32,
    /// Highest record date seen in the current pass (epoch ms).
    pub hwm: Option<i64>,
}

/// What one page contained, as far as the cursor is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSummary {
    /// Records on the page.
    pub count: usize,
    /// Highest record date on the page (epoch ms).
    pub max: Option<i64>,
    /// Lowest record date on the page (epoch ms).
    pub min: Option<i64>,
    /// Whether every record had a date and the dates never decreased.
    pub ascending: bool,
}

impl PageSummary {
    /// Summarises a page from its records' dates, in response order (`None`: a record
    /// without a readable date).
    pub fn of(dates: &[Option<i64>]) -> Self {
        let ascending = dates.iter().all(Option::is_some) && dates.windows(2).all(|w| w[0] <= w[1]);
        PageSummary {
            count: dates.len(),
            max: dates.iter().flatten().copied().max(),
            min: dates.iter().flatten().copied().min(),
            ascending,
        }
    }
}

/// The cursor after a page, and whether the host should call again right away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Where to resume.
    pub next: Paged,
    /// Whether another page follows now.
    pub has_more: bool,
}

impl Paged {
    /// The page to request (at least 1).
    pub fn page(&self) -> u32 {
        self.page.max(1)
    }

    /// The cursor after a page described by `page`, for pages of `page_size` records.
    pub fn advance(&self, page: &PageSummary, page_size: usize) -> Step {
        let hwm = self.hwm.max(page.max);
        if page.count < page_size {
            let since = self.since.max(hwm.map(floor_second));
            return Step {
                next: Paged {
                    since,
                    page: 1,
                    hwm: None,
                },
                has_more: false,
            };
        }
        let boundary = page.max.map(floor_second);
        // Keyset only when the page can be trusted: ascending, and nothing older than
        // the bound asked (a provider ignoring the bound would otherwise be re-read
        // from the start after every page).
        let trusted = page.ascending && page.min >= self.since;
        let next = if trusted && boundary > self.since {
            Paged {
                since: boundary,
                page: 1,
                hwm,
            }
        } else {
            Paged {
                since: self.since,
                page: self.page().saturating_add(1),
                hwm,
            }
        };
        Step {
            next,
            has_more: true,
        }
    }

    /// Reads a cursor written by [`Paged::encode`]; `None` → the first pass.
    pub fn decode(cursor: Option<&str>) -> Result<Self, String> {
        let Some(text) = cursor else {
            return Ok(Self::default());
        };
        let wire: DatedWire = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(Paged {
            since: parse_opt(wire.since.as_deref(), "since")?,
            page: wire.page.unwrap_or(1),
            hwm: parse_opt(wire.hwm.as_deref(), "hwm")?,
        })
    }

    /// The cursor as JSON text.
    pub fn encode(&self) -> String {
        to_json(&DatedWire {
            since: self.since.map(time::rfc3339_from_millis),
            page: Some(self.page()),
            hwm: self.hwm.map(time::rfc3339_from_millis),
        })
    }
}

/// Position in an unpaged stream under a "modified since" bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modified {
    /// The bound (epoch ms, whole second); `None` on the first call.
    pub since: Option<i64>,
}

impl Modified {
    /// The cursor after a response whose highest record date is `max`.
    pub fn advance(&self, max: Option<i64>) -> Modified {
        Modified {
            since: self.since.max(max.map(floor_second)),
        }
    }

    /// Reads a cursor written by [`Modified::encode`]; `None` → the first call.
    pub fn decode(cursor: Option<&str>) -> Result<Self, String> {
        let Some(text) = cursor else {
            return Ok(Self::default());
        };
        let wire: DatedWire = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(Modified {
            since: parse_opt(wire.since.as_deref(), "since")?,
        })
    }

    /// The cursor as JSON text.
    pub fn encode(&self) -> String {
        to_json(&DatedWire {
            since: self.since.map(time::rfc3339_from_millis),
            page: None,
            hwm: None,
        })
    }
}

/// Position in an offset stream: an immutable feed read after the highest number
/// seen (Xero's Journals: a `JournalNumber`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offset {
    /// Highest number seen.
    pub offset: u64,
}

impl Offset {
    /// The cursor after a call that returned `count` records whose highest number is
    /// `max`, when a full call holds `per_call` records. More follow while a call comes
    /// back full and moved the offset forward.
    pub fn advance(&self, count: usize, max: Option<u64>, per_call: usize) -> (Offset, bool) {
        let next = Offset {
            offset: self.offset.max(max.unwrap_or(0)),
        };
        (next, count >= per_call && next.offset > self.offset)
    }

    /// Reads a cursor written by [`Offset::encode`]; `None` → offset 0.
    pub fn decode(cursor: Option<&str>) -> Result<Self, String> {
        decode_json(cursor)
    }

    /// The cursor as JSON text.
    pub fn encode(&self) -> String {
        to_json(self)
    }
}

/// The ids a full refresh delivered, so that the next one can tombstone the ids that
/// vanished. Kept in the cursor, which the host commits with the page: a page that is
/// never committed leaves the previous snapshot in place.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Ids delivered last time, in order.
    pub ids: Vec<String>,
}

impl Snapshot {
    /// The ids of `self` that are not in `current`.
    pub fn vanished(&self, current: &[String]) -> Vec<String> {
        self.ids
            .iter()
            .filter(|id| !current.contains(id))
            .cloned()
            .collect()
    }

    /// Reads a cursor written by [`Snapshot::encode`]; `None` → no ids.
    pub fn decode(cursor: Option<&str>) -> Result<Self, String> {
        decode_json(cursor)
    }

    /// The cursor as JSON text.
    pub fn encode(&self) -> String {
        to_json(self)
    }
}

/// The JSON form of [`Paged`] and [`Modified`].
#[derive(Serialize, Deserialize)]
struct DatedWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hwm: Option<String>,
}

fn parse_opt(text: Option<&str>, what: &str) -> Result<Option<i64>, String> {
    text.map(|t| time::parse_rfc3339(t).ok_or_else(|| format!("`{what}` is not a date: {t}")))
        .transpose()
}

fn decode_json<T: Default + DeserializeOwned>(cursor: Option<&str>) -> Result<T, String> {
    match cursor {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Plain structs of strings and numbers always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
#[path = "cursor_tests.rs"]
mod tests;
