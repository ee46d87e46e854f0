//! The `accounts` cursor: the SDK's keyset-with-page-fallback [`Paged`] cursor
//! ([`mooring_plugin_sdk::cursor`], where its arithmetic and its tests live), put to
//! QuickBooks' use.
//!
//! Cursor JSON: `{"since":"2015-06-30T22:09:07Z","page":1,"hwm":"2015-06-30T22:09:07Z"}` —
//! the `MetaData.LastUpdatedTime >=` bound of the current pass (whole second, absent on
//! the first pass), the page to ask next under it (`STARTPOSITION` = (page − 1) × 1000 +
//! 1, [`crate::query::start_position`]), and the highest `LastUpdatedTime` seen in this
//! pass.
//!
//! Queries are ordered by `MetaData.LastUpdatedTime`; the bound is inclusive (`>=`)
//! and times have second precision, which is what [`Paged`]'s keyset paging needs.

pub use mooring_plugin_sdk::cursor::{PageSummary, Paged};

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_435_702_147_000; // 2015-06-30T22:09:07Z

    /// The stored form of this connector's cursor (the host keeps it between syncs).
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
