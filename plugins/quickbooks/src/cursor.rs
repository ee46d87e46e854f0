//! The `accounts` cursor and its arithmetic. Pure: no host calls.
//!
//! Cursor JSON: `{"since":"2015-06-30T22:09:07Z","page":1,"hwm":"2015-06-30T22:09:07Z"}` —
//! the `MetaData.LastUpdatedTime >=` bound of the current pass (whole second, absent on
//! the first pass), the page to ask next under it (`STARTPOSITION` = (page − 1) × 1000 + 1),
//! and the highest `LastUpdatedTime` seen in this pass.
//!
//! ## Paging (keyset with a page fallback)
//!
//! Queries are ordered by `MetaData.LastUpdatedTime`. After a full page whose times are
//! ascending, the next query restarts at the first position with the bound set to the
//! page's highest time (the bound is inclusive, `>=`, and times have second precision):
//! records sharing that second are re-delivered, which the host's idempotent upsert
//! absorbs, and none is skipped — not even when records change while a pass runs,
//! which plain `STARTPOSITION` paging would not guarantee. A full page that makes no
//! progress (all in one second), is not ascending, or holds records older than the
//! bound (the bound was ignored) moves to the next page under the same bound. A short page ends the pass: the bound becomes the pass's high-water
//! mark and the page goes back to 1.
//!
//! (The same arithmetic as the Xero connector's page-paged streams; a candidate for the
//! SDK.)

use mooring_plugin_sdk::time;
use serde::{Deserialize, Serialize};

/// Position in a query stream paged by `STARTPOSITION` under a `LastUpdatedTime` bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paged {
    /// The `MetaData.LastUpdatedTime >=` bound (epoch ms, whole second); `None` on the first pass.
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

fn floor_second(ms: i64) -> i64 {
    ms - ms.rem_euclid(1000)
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
        let wire: PagedWire = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(Paged {
            since: parse_opt(wire.since.as_deref(), "since")?,
            page: wire.page.unwrap_or(1),
            hwm: parse_opt(wire.hwm.as_deref(), "hwm")?,
        })
    }

    /// The cursor as JSON text.
    pub fn encode(&self) -> String {
        to_json(&PagedWire {
            since: self.since.map(time::rfc3339_from_millis),
            page: Some(self.page()),
            hwm: self.hwm.map(time::rfc3339_from_millis),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct PagedWire {
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

fn to_json<T: Serialize>(value: &T) -> String {
    // Plain structs of strings and numbers always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_435_702_147_000; // 2015-06-30T22:09:07Z

    fn page(dates: &[i64]) -> PageSummary {
        PageSummary::of(&dates.iter().map(|d| Some(*d)).collect::<Vec<_>>())
    }

    #[test]
    fn passes_pages_and_boundaries() {
        let first = Paged::default();
        assert_eq!(first.page(), 1);
        let full = first.advance(&page(&[S, S + 1_000, S + 2_000]), 3);
        assert!(full.has_more);
        assert_eq!(
            full.next,
            Paged {
                since: Some(S + 2_000),
                page: 1,
                hwm: Some(S + 2_000)
            }
        );
        let stuck = full
            .next
            .advance(&page(&[S + 2_000, S + 2_000, S + 2_000]), 3);
        assert_eq!(stuck.next.page, 2);
        assert_eq!(stuck.next.since, Some(S + 2_000));
        let end = stuck.next.advance(&page(&[S + 5_000]), 3);
        assert!(!end.has_more);
        assert_eq!(
            end.next,
            Paged {
                since: Some(S + 5_000),
                page: 1,
                hwm: None
            }
        );
        let unordered = first.advance(&page(&[S + 9_000, S]), 2);
        assert_eq!((unordered.next.since, unordered.next.page), (None, 2));
        let ignored = end.next.advance(&page(&[S, S + 9_000, S + 9_500]), 3);
        assert_eq!(
            (ignored.next.since, ignored.next.page),
            (Some(S + 5_000), 2)
        );
        let empty = end.next.advance(&page(&[]), 3);
        assert_eq!(empty.next.since, Some(S + 5_000));
    }

    #[test]
    fn encoding() {
        let c = Paged {
            since: Some(S),
            page: 2,
            hwm: Some(S + 1_000),
        };
        let text = c.encode();
        assert_eq!(
            text,
            r#"{"since":"2015-06-30T22:09:07Z","page":2,"hwm":"2015-06-30T22:09:08Z"}"#
        );
        assert_eq!(Paged::decode(Some(&text)), Ok(c));
        assert_eq!(Paged::decode(None), Ok(Paged::default()));
        assert!(Paged::decode(Some("7")).is_err());
    }
}
