//! The catalogue of Xero streams: endpoint, primary key, scope, deletion statuses and
//! how each one is fetched. Pure data; the manifest and the sync code both read it.

/// The Xero accounting API base.
pub const API_BASE: &str = "https://api.xero.com/api.xro/2.0";

/// `pageSize` for the page-paged endpoints (Contacts, Invoices, BankTransactions,
/// ManualJournals).
///
/// Xero's default is 100 and its documented maximum 1000. 500 keeps a page of invoices
/// with line items to a few MB of JSON, well inside the host's 16 MiB body cap and the
/// plugin's 64 MiB memory once parsed, while needing five times fewer calls than the
/// default against the 60/min and 5000/day budgets.
pub const PAGE_SIZE: usize = 500;

/// Xero returns at most this many journals per `/Journals?offset=` call.
pub const JOURNALS_PER_CALL: usize = 100;

/// How a stream is fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One GET returning every record, no cursor (Organisation).
    Single,
    /// One GET returning every record; the cursor remembers the ids seen so that a
    /// record that disappears becomes a tombstone (TrackingCategories).
    Snapshot,
    /// One GET with `If-Modified-Since`, no paging (Accounts).
    Modified,
    /// `page`/`pageSize`, `If-Modified-Since`, ordered by `UpdatedDateUTC ASC`.
    Paged,
    /// `offset` = highest `JournalNumber` seen, 100 per call (Journals).
    Journals,
    /// The trial balance report as of today, one record per account row.
    TrialBalance,
}

/// One stream of the Xero connector.
#[derive(Debug, PartialEq, Eq)]
pub struct StreamDef {
    /// Stream name in the manifest.
    pub name: &'static str,
    /// Path under [`API_BASE`].
    pub path: &'static str,
    /// Key of the array in Xero's response envelope (`Invoices`).
    pub collection: &'static str,
    /// The record field that identifies a record.
    pub primary_key: &'static str,
    /// The field the cursor follows, for incremental streams.
    pub cursor_field: Option<&'static str>,
    /// The granular scope the stream needs.
    pub scope: &'static str,
    /// Default seconds between syncs.
    pub interval: u32,
    /// How the stream is fetched.
    pub kind: Kind,
    /// The record field carrying its status, if any.
    pub status_field: Option<&'static str>,
    /// Statuses that make the record a tombstone (the data is kept).
    pub deleted_statuses: &'static [&'static str],
    /// Statuses that make the record a tombstone whose personal data is dropped.
    pub erased_statuses: &'static [&'static str],
    /// Fixed query parameters.
    pub query: &'static [(&'static str, &'static str)],
}

const SETTINGS: &str = "accounting.settings.read";

/// Every stream, in manifest order.
pub const STREAMS: &[StreamDef] = &[
    StreamDef {
        name: "organisation",
        path: "/Organisation",
        collection: "Organisations",
        primary_key: "OrganisationID",
        cursor_field: None,
        scope: SETTINGS,
        interval: 3600,
        kind: Kind::Single,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "accounts",
        path: "/Accounts",
        collection: "Accounts",
        primary_key: "AccountID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: SETTINGS,
        interval: 3600,
        kind: Kind::Modified,
        status_field: Some("Status"),
        // ARCHIVED accounts still exist (and keep their history): not a deletion.
        deleted_statuses: &["DELETED"],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "tracking_categories",
        path: "/TrackingCategories",
        collection: "TrackingCategories",
        primary_key: "TrackingCategoryID",
        cursor_field: None,
        scope: SETTINGS,
        interval: 3600,
        kind: Kind::Snapshot,
        status_field: Some("Status"),
        deleted_statuses: &["DELETED"],
        erased_statuses: &[],
        query: &[("includeArchived", "true")],
    },
    StreamDef {
        name: "contacts",
        path: "/Contacts",
        collection: "Contacts",
        primary_key: "ContactID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.contacts.read",
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("ContactStatus"),
        deleted_statuses: &[],
        // GDPRREQUEST: the person asked Xero to erase their data; we drop our copy too.
        erased_statuses: &["GDPRREQUEST"],
        // Without it an ARCHIVED contact is never returned, so an archiving would be missed.
        query: &[("includeArchived", "true")],
    },
    StreamDef {
        name: "invoices",
        path: "/Invoices",
        collection: "Invoices",
        primary_key: "InvoiceID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.invoices.read",
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        deleted_statuses: &["DELETED", "VOIDED"],
        erased_statuses: &[],
        query: &[("includeArchived", "true"), ("unitdp", "4")],
    },
    StreamDef {
        name: "bank_transactions",
        path: "/BankTransactions",
        collection: "BankTransactions",
        primary_key: "BankTransactionID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.banktransactions.read",
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        // The spec's enum has VOIDED too; like a voided invoice it has no accounting effect.
        deleted_statuses: &["DELETED", "VOIDED"],
        erased_statuses: &[],
        query: &[("unitdp", "4")],
    },
    StreamDef {
        name: "manual_journals",
        path: "/ManualJournals",
        collection: "ManualJournals",
        primary_key: "ManualJournalID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.manualjournals.read",
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        // ARCHIVED manual journals still exist: not a deletion.
        deleted_statuses: &["DELETED", "VOIDED"],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "journals",
        path: "/Journals",
        collection: "Journals",
        primary_key: "JournalID",
        cursor_field: Some("JournalNumber"),
        scope: "accounting.journals.read",
        interval: 900,
        kind: Kind::Journals,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "trial_balance",
        path: "/Reports/TrialBalance",
        collection: "Reports",
        primary_key: "AccountID",
        cursor_field: None,
        scope: "accounting.reports.trialbalance.read",
        interval: 3600,
        kind: Kind::TrialBalance,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[],
    },
];

/// The stream called `name`.
pub fn find(name: &str) -> Option<&'static StreamDef> {
    STREAMS.iter().find(|s| s.name == name)
}

/// The scopes requested when an integration names none: the granular model (apps
/// created on or after 2026-03-02), the identity scopes and `offline_access` for a
/// refresh token.
pub const DEFAULT_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.settings.read",
    "accounting.contacts.read",
    "accounting.invoices.read",
    "accounting.banktransactions.read",
    "accounting.manualjournals.read",
    "accounting.journals.read",
    "accounting.reports.trialbalance.read",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for s in STREAMS {
            assert_eq!(find(s.name), Some(s));
            assert_eq!(STREAMS.iter().filter(|o| o.name == s.name).count(), 1);
        }
        assert_eq!(find("payments"), None);
    }

    #[test]
    fn every_stream_scope_is_requested_by_default() {
        for s in STREAMS {
            assert!(DEFAULT_SCOPES.contains(&s.scope), "{}", s.name);
        }
    }

    #[test]
    fn paged_streams_follow_updated_date() {
        for s in STREAMS.iter().filter(|s| s.kind == Kind::Paged) {
            assert_eq!(s.cursor_field, Some("UpdatedDateUTC"));
            assert!(s.status_field.is_some());
        }
    }
}
