//! Query parameters and headers of list endpoints: paging, `If-Modified-Since`, `order`.
//!
//! - Parameter names are case-insensitive (Xero's are).
//! - `page` is 1-based; a missing `page` means "everything" (no `pagination` object);
//!   a non-numeric or non-positive `page` is page 1 (as Xero's bank-feeds spec documents
//!   for its identical paging). `pageSize` defaults to 100 and is capped at 1000.
//! - `If-Modified-Since` is inclusive at whole-second precision: the header's
//!   milliseconds are dropped (pyxero#261, xero_gateway#145 — re-sending the last
//!   `UpdatedDateUTC` returns that record again) and a record matches when its
//!   timestamp is `>=` the header ("records created or modified since this timestamp",
//!   spec). An unreadable header is ignored (everything is returned), as Xero does.

use std::cmp::Ordering;

use axum::http::HeaderMap;

use crate::client_auth::Params;
use crate::clock::Millis;
use crate::xero::dates::parse_if_modified_since;

/// Default `pageSize`.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest `pageSize`.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// Parsed query string.
pub(crate) struct Query(Params);

impl Query {
    /// Parses a raw query string.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(Params::parse(raw.unwrap_or_default().as_bytes()))
    }

    /// The first non-empty value of `name` (case-insensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Whether `name` is `true` (case-insensitive).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// A comma-separated list (items trimmed, surrounding quotes removed).
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().trim_matches('"').to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A requested page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Paging {
    /// 1-based page.
    pub(crate) page: u32,
    /// Items per page.
    pub(crate) size: u32,
}

impl Paging {
    /// `Some` when `page` is present.
    pub(crate) fn from_query(q: &Query) -> Option<Self> {
        let page = q.get("page")?;
        let page = page.parse::<u32>().ok().filter(|p| *p > 0).unwrap_or(1);
        let size = q
            .get("pageSize")
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|s| *s > 0)
            .map_or(DEFAULT_PAGE_SIZE, |s| s.min(MAX_PAGE_SIZE));
        Some(Self { page, size })
    }

    /// The slice of `0..total` on this page.
    pub(crate) fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page as usize - 1)
            .saturating_mul(self.size as usize)
            .min(total);
        start..(start + self.size as usize).min(total)
    }

    /// The `pagination` object.
    pub(crate) fn json(&self, total: usize) -> String {
        let count = total.div_ceil(self.size as usize);
        format!(
            r#"{{"page":{},"pageSize":{},"pageCount":{},"itemCount":{}}}"#,
            self.page, self.size, count, total
        )
    }
}

/// The `If-Modified-Since` instant, whole seconds; `None` if absent or unreadable.
pub(crate) fn if_modified_since(headers: &HeaderMap) -> Option<Millis> {
    headers
        .get("if-modified-since")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_if_modified_since)
}

/// A value to sort by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortKey {
    /// Numbers and times.
    Int(i64),
    /// Text (compared case-insensitively: the key is lower-cased).
    Str(String),
}

impl SortKey {
    /// A text key.
    pub(crate) fn text(s: &str) -> Self {
        Self::Str(s.to_lowercase())
    }
}

/// `order=Field [ASC|DESC][, Field2 ...]`: (field in lower case, descending).
pub(crate) fn parse_order(raw: Option<&str>) -> Result<Vec<(String, bool)>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|part| {
            let mut words = part.split_whitespace();
            let field = words
                .next()
                .ok_or_else(|| format!("Syntax error in order clause '{raw}'"))?;
            let desc = match words.next().map(str::to_ascii_uppercase).as_deref() {
                None | Some("ASC") => false,
                Some("DESC") => true,
                Some(w) => return Err(format!("Syntax error '{w}' in order clause")),
            };
            if words.next().is_some() || !field.chars().all(|c| c.is_alphanumeric() || c == '.') {
                return Err(format!("Syntax error in order clause '{raw}'"));
            }
            Ok((field.to_ascii_lowercase(), desc))
        })
        .collect()
}

/// Sorts `idx` (stable, so ties keep the default order) by the `order` fields, using
/// `key(item, field)`; an unknown field is a `QueryParseException` message.
pub(crate) fn sort_by<T>(
    idx: &mut [usize],
    items: &[T],
    order: &[(String, bool)],
    type_name: &str,
    key: impl Fn(&T, &str) -> Option<SortKey>,
) -> Result<(), String> {
    if order.is_empty() {
        return Ok(());
    }
    if let Some(first) = items.first() {
        for (field, _) in order {
            if key(first, field).is_none() {
                return Err(format!(
                    "No property or field '{field}' exists in type '{type_name}'"
                ));
            }
        }
    }
    let mut keyed: Vec<(Vec<Option<SortKey>>, usize)> = idx
        .iter()
        .map(|&i| (order.iter().map(|(f, _)| key(&items[i], f)).collect(), i))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for (n, (_, desc)) in order.iter().enumerate() {
            let o = a[n].cmp(&b[n]);
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    for (slot, (_, i)) in idx.iter_mut().zip(keyed) {
        *slot = i;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_math() {
        let q = Query::parse(Some("Page=3&pagesize=40"));
        let p = Paging::from_query(&q).unwrap();
        assert_eq!(p, Paging { page: 3, size: 40 });
        assert_eq!(p.range(95), 80..95);
        assert_eq!(
            p.json(95),
            r#"{"page":3,"pageSize":40,"pageCount":3,"itemCount":95}"#
        );
        assert_eq!(p.range(10), 10..10);
        let p = Paging::from_query(&Query::parse(Some("page=x&pageSize=5000"))).unwrap();
        assert_eq!(
            p,
            Paging {
                page: 1,
                size: 1_000
            }
        );
        assert!(Paging::from_query(&Query::parse(Some("pageSize=5"))).is_none());
        assert_eq!(
            Paging { page: 1, size: 100 }.json(0),
            r#"{"page":1,"pageSize":100,"pageCount":0,"itemCount":0}"#
        );
    }

    #[test]
    fn order_clauses() {
        assert_eq!(
            parse_order(Some("UpdatedDateUTC DESC, InvoiceID")).unwrap(),
            vec![("updateddateutc".into(), true), ("invoiceid".into(), false)]
        );
        assert!(parse_order(Some("Date SIDEWAYS")).is_err());
        assert!(parse_order(Some("Date; DROP")).is_err());
        let items = [3, 1, 2];
        let mut idx = vec![0, 1, 2];
        sort_by(&mut idx, &items, &[("n".into(), true)], "Int", |v, f| {
            (f == "n").then_some(SortKey::Int(*v))
        })
        .unwrap();
        assert_eq!(idx, vec![0, 2, 1]);
        assert!(sort_by(&mut idx, &items, &[("x".into(), false)], "Int", |_, _| None).is_err());
    }
}
