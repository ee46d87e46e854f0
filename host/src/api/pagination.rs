//! Cursor pagination of the API's lists: `?limit=` (each list's default and maximum
//! are in [`Paging`]) and `?cursor=` (opaque: pass back what the previous page gave).
//!
//! Lists that were bare JSON arrays stay arrays (clients index them), and carry the
//! next page's cursor in the `X-Next-Cursor` response header, absent on the last page.
//! The records feed, already an object, carries it as `next_cursor` (null at the end).
//!
//! A cursor is a letter naming the list and lowercase hex: the position after which
//! the next page starts (a sequence number, a run id, or a connection id's bytes).
//! Any string matching a list's documented pattern is a valid position; anything else
//! is 400 `invalid_cursor`.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiError;

/// Response header carrying the next page's cursor of an array list.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

/// How one list pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The letter its cursors start with.
    pub letter: char,
    /// Items per page when `limit` is absent.
    pub default_limit: usize,
    /// Largest `limit` accepted.
    pub max_limit: usize,
}

/// `GET /api/connections`, ordered by id.
pub const CONNECTIONS: Paging = Paging {
    letter: 'c',
    default_limit: 1000,
    max_limit: 1000,
};
/// `GET /api/events`, oldest first.
pub const EVENTS: Paging = Paging {
    letter: 'e',
    default_limit: 1000,
    max_limit: 1000,
};
/// `GET /api/connections/{id}/events`, newest first.
pub const CONNECTION_EVENTS: Paging = Paging {
    letter: 'v',
    default_limit: 1000,
    max_limit: 1000,
};
/// `GET /api/connections/{id}/runs`, newest first.
pub const RUNS: Paging = Paging {
    letter: 'r',
    default_limit: 200,
    max_limit: 1000,
};
/// `GET /api/connections/{id}/records/{stream}`, in change order.
pub const RECORDS: Paging = Paging {
    letter: 's',
    default_limit: 100,
    max_limit: 1000,
};

fn invalid_cursor() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
        "cursor is not one this list handed out; pass back the previous page's cursor unchanged",
    )
}

impl Paging {
    /// The page size: `given`, else the default; 400 outside 1..=max.
    pub fn limit(&self, given: Option<usize>) -> Result<usize, ApiError> {
        let limit = given.unwrap_or(self.default_limit);
        if (1..=self.max_limit).contains(&limit) {
            Ok(limit)
        } else {
            Err(ApiError::bad_request(format!(
                "limit must be between 1 and {}",
                self.max_limit
            )))
        }
    }

    /// The cursor for the position after `seq`.
    pub fn seq_cursor(&self, seq: u64) -> String {
        format!("{}{seq:x}", self.letter)
    }

    /// The position a [`seq_cursor`](Self::seq_cursor) names.
    pub fn parse_seq(&self, cursor: &str) -> Result<u64, ApiError> {
        let hex = cursor
            .strip_prefix(self.letter)
            .ok_or_else(invalid_cursor)?;
        if hex.is_empty()
            || hex.len() > 16
            || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(invalid_cursor());
        }
        u64::from_str_radix(hex, 16).map_err(|_| invalid_cursor())
    }

    /// The cursor for the position after the id `id`.
    pub fn id_cursor(&self, id: &str) -> String {
        format!("{}{}", self.letter, hex::encode(id.as_bytes()))
    }

    /// The position an [`id_cursor`](Self::id_cursor) names.
    pub fn parse_id(&self, cursor: &str) -> Result<String, ApiError> {
        let text = cursor
            .strip_prefix(self.letter)
            .ok_or_else(invalid_cursor)?;
        if text.is_empty()
            || text.len() > 256
            || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(invalid_cursor());
        }
        let bytes = hex::decode(text).map_err(|_| invalid_cursor())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A sequence number given as `after`: 0 when absent; 400 above `i64::MAX` (the
/// largest the document's `int64` allows; no sequence number gets there).
pub fn position(after: Option<u64>) -> Result<u64, ApiError> {
    let after = after.unwrap_or(0);
    if i64::try_from(after).is_ok() {
        Ok(after)
    } else {
        Err(ApiError::bad_request(format!(
            "after must be at most {}",
            i64::MAX
        )))
    }
}

/// The first `limit` of `items` and, when more followed, the cursor `cursor_of` gives
/// for the last one kept. `items` should hold up to `limit + 1`.
pub fn page<T>(
    mut items: Vec<T>,
    limit: usize,
    cursor_of: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(cursor_of);
        (items, next)
    } else {
        (items, None)
    }
}

/// A page of an array list: the items as a JSON array, the next page's cursor in
/// [`NEXT_CURSOR_HEADER`].
#[derive(Debug)]
pub struct Paged<T> {
    /// This page.
    pub items: Vec<T>,
    /// The next page's cursor; none on the last page.
    pub next_cursor: Option<String>,
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.items).into_response();
        if let Some(cursor) = self.next_cursor
            && let Ok(value) = HeaderValue::from_str(&cursor)
        {
            response.headers_mut().insert(NEXT_CURSOR_HEADER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        assert_eq!(EVENTS.parse_seq(&EVENTS.seq_cursor(0)), Ok(0));
        assert_eq!(EVENTS.parse_seq(&EVENTS.seq_cursor(u64::MAX)), Ok(u64::MAX));
        for bad in ["", "e", "r1", "e+1", "eA", "e12345678901234567", "e 1"] {
            assert!(EVENTS.parse_seq(bad).is_err(), "{bad:?}");
        }
        let id = "conn-é/1";
        assert_eq!(
            CONNECTIONS.parse_id(&CONNECTIONS.id_cursor(id)).as_deref(),
            Ok(id)
        );
        for bad in ["c", "c1", "e00", "cZZ"] {
            assert!(CONNECTIONS.parse_id(bad).is_err(), "{bad:?}");
        }
        assert!(RECORDS.limit(Some(0)).is_err());
        assert!(RECORDS.limit(Some(1001)).is_err());
        assert_eq!(RECORDS.limit(None), Ok(100));
    }

    #[test]
    fn a_page_names_its_successor_only_when_more_follow() {
        let (items, next) = page(vec![1, 2, 3], 2, |n| format!("e{n}"));
        assert_eq!((items, next.as_deref()), (vec![1, 2], Some("e2")));
        let (items, next) = page(vec![1, 2], 2, |n| format!("e{n}"));
        assert_eq!((items, next), (vec![1, 2], None));
    }
}
