//! The cursors of Xero's streams: the SDK's provider-neutral cursors
//! ([`mooring_plugin_sdk::cursor`], where their arithmetic and its tests live), put to
//! Xero's use.
//!
//! | stream kind | cursor JSON | meaning |
//! |---|---|---|
//! | page-paged (`contacts`, `invoices`, `bank_transactions`, `manual_journals`) | [`Paged`]: `{"since":"2024-05-01T10:00:00Z","page":1,"hwm":"2024-05-01T10:00:00.250Z"}` | `If-Modified-Since` of the current pass (whole second, absent on the first pass), the `page` to ask next under it (`order=UpdatedDateUTC ASC`), and the highest `UpdatedDateUTC` seen in this pass |
//! | `accounts` | [`Modified`]: `{"since":"2024-05-01T10:00:00Z"}` | `If-Modified-Since` for the next call |
//! | `journals` | [`Offset`]: `{"offset":1234}` | highest `JournalNumber` seen |
//! | `tracking_categories`, `trial_balance` | [`Snapshot`]: `{"ids":["…"]}` | ids delivered by the last full refresh, to tombstone the ones that vanish |
//!
//! `since` goes out as the `If-Modified-Since` header in the form Xero documents
//! ([`crate::dates::if_modified_since`]); Xero compares it with `UpdatedDateUTC`,
//! inclusively, at second precision, which is what [`Paged`]'s keyset paging needs.

pub use mooring_plugin_sdk::cursor::{Modified, Offset, PageSummary, Paged, Snapshot};

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_700_000_000_000; // 2023-11-14T22:13:20Z

    /// The cursors this connector has stored stay readable, and read back the same.
    #[test]
    fn stored_cursor_formats() {
        let paged = r#"{"since":"2023-11-14T22:13:20Z","page":3,"hwm":"2023-11-14T22:13:20.250Z"}"#;
        let p = Paged::decode(Some(paged)).unwrap();
        assert_eq!(
            p,
            Paged {
                since: Some(S),
                page: 3,
                hwm: Some(S + 250)
            }
        );
        assert_eq!(p.encode(), paged);
        let modified = r#"{"since":"2023-11-14T22:13:21Z"}"#;
        assert_eq!(Modified::decode(Some(modified)).unwrap().encode(), modified);
        let offset = r#"{"offset":140}"#;
        assert_eq!(Offset::decode(Some(offset)).unwrap().offset, 140);
        assert_eq!(Offset { offset: 140 }.encode(), offset);
        let snapshot = r#"{"ids":["a","b","c"]}"#;
        assert_eq!(Snapshot::decode(Some(snapshot)).unwrap().encode(), snapshot);
    }
}
