//! The catalogue of Xero streams: endpoint, primary key, scope, deletion statuses and
//! how each one is fetched. Pure data; the manifest and the sync code both read it.

/// The Xero accounting API base.
pub const API_BASE: &str = "https://api.xero.com/api.xro/2.0";

/// `pageSize` for the page-paged endpoints (Contacts, Invoices, BankTransactions,
/// ManualJournals).
///
/// Xero's default is 100 and its maximum 1000; every paged endpoint this connector
/// reads (Contacts, Invoices, CreditNotes, Payments, BankTransactions, ManualJournals)
/// takes `pageSize`. 1000 makes a full sync ten times cheaper than the default
/// against the 60/min and 5000/day budgets; a page of invoices with line items stays
/// a few MB of JSON, inside the host's 16 MiB body cap.
pub const PAGE_SIZE: usize = 1000;

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
    /// The profit and loss report by month, one record per account and month.
    ProfitAndLoss,
    /// The balance sheet by month end, one record per account and month.
    BalanceSheet,
    /// `common.accounts`: `/Accounts` in the common model.
    CommonAccounts,
    /// `common.actuals`: monthly actuals from the two monthly reports.
    CommonActuals,
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
    /// Further scopes it needs (streams built from several endpoints).
    pub also: &'static [&'static str],
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

/// Every stream, in manifest order, which is the order of priority the host starts a
/// connection's streams in (several at once, up to the tenant's concurrency): the
/// organisation's facts, the chart of accounts, then the ledger (journals, manual
/// journals, trial balance) and the common model built on them, then reports, then the
/// documents and contacts.
pub const STREAMS: &[StreamDef] = &[
    StreamDef {
        name: "organisation",
        path: "/Organisation",
        collection: "Organisations",
        primary_key: "OrganisationID",
        cursor_field: None,
        scope: SETTINGS,
        also: &[],
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
        also: &[],
        interval: 3600,
        kind: Kind::Modified,
        status_field: Some("Status"),
        // ARCHIVED accounts still exist (and keep their history): not a deletion.
        deleted_statuses: &["DELETED"],
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
        also: &[],
        interval: 900,
        kind: Kind::Journals,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "manual_journals",
        path: "/ManualJournals",
        collection: "ManualJournals",
        primary_key: "ManualJournalID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.manualjournals.read",
        also: &[],
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        // ARCHIVED manual journals still exist: not a deletion.
        deleted_statuses: &["DELETED", "VOIDED"],
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
        also: &[],
        interval: 3600,
        kind: Kind::TrialBalance,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "common.accounts",
        path: "/Accounts",
        collection: "Accounts",
        primary_key: "id",
        cursor_field: Some("UpdatedDateUTC"),
        scope: SETTINGS,
        also: &[],
        interval: 3600,
        kind: Kind::CommonAccounts,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "common.actuals",
        path: "/Reports/ProfitAndLoss",
        collection: "Reports",
        primary_key: "id",
        cursor_field: None,
        scope: PNL,
        also: &[BS, SETTINGS],
        interval: 3600,
        kind: Kind::CommonActuals,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[("timeframe", "MONTH")],
    },
    StreamDef {
        name: "profit_and_loss",
        path: "/Reports/ProfitAndLoss",
        collection: "Reports",
        primary_key: "id",
        cursor_field: None,
        scope: PNL,
        also: &[SETTINGS],
        interval: 3600,
        kind: Kind::ProfitAndLoss,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[("timeframe", "MONTH")],
    },
    StreamDef {
        name: "balance_sheet",
        path: "/Reports/BalanceSheet",
        collection: "Reports",
        primary_key: "id",
        cursor_field: None,
        scope: BS,
        also: &[SETTINGS],
        interval: 3600,
        kind: Kind::BalanceSheet,
        status_field: None,
        deleted_statuses: &[],
        erased_statuses: &[],
        query: &[("timeframe", "MONTH")],
    },
    StreamDef {
        name: "bank_transactions",
        path: "/BankTransactions",
        collection: "BankTransactions",
        primary_key: "BankTransactionID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.banktransactions.read",
        also: &[],
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        // The spec's enum has VOIDED too; like a voided invoice it has no accounting effect.
        deleted_statuses: &["DELETED", "VOIDED"],
        erased_statuses: &[],
        query: &[("unitdp", "4")],
    },
    StreamDef {
        name: "invoices",
        path: "/Invoices",
        collection: "Invoices",
        primary_key: "InvoiceID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.invoices.read",
        also: &[],
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        deleted_statuses: &["DELETED", "VOIDED"],
        erased_statuses: &[],
        query: &[("includeArchived", "true"), ("unitdp", "4")],
    },
    StreamDef {
        name: "credit_notes",
        path: "/CreditNotes",
        collection: "CreditNotes",
        primary_key: "CreditNoteID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.invoices.read",
        also: &[],
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        // Like invoices: both leave a document with no accounting effect.
        deleted_statuses: &["DELETED", "VOIDED"],
        erased_statuses: &[],
        query: &[("unitdp", "4")],
    },
    StreamDef {
        name: "payments",
        path: "/Payments",
        collection: "Payments",
        primary_key: "PaymentID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: PAYMENTS,
        also: &[],
        interval: 900,
        kind: Kind::Paged,
        status_field: Some("Status"),
        // A payment is AUTHORISED or DELETED (deleting one reverses it).
        deleted_statuses: &["DELETED"],
        erased_statuses: &[],
        query: &[],
    },
    StreamDef {
        name: "contacts",
        path: "/Contacts",
        collection: "Contacts",
        primary_key: "ContactID",
        cursor_field: Some("UpdatedDateUTC"),
        scope: "accounting.contacts.read",
        also: &[],
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
        name: "tracking_categories",
        path: "/TrackingCategories",
        collection: "TrackingCategories",
        primary_key: "TrackingCategoryID",
        cursor_field: None,
        scope: SETTINGS,
        also: &[],
        interval: 3600,
        kind: Kind::Snapshot,
        status_field: Some("Status"),
        deleted_statuses: &["DELETED"],
        erased_statuses: &[],
        query: &[("includeArchived", "true")],
    },
];

const PAYMENTS: &str = "accounting.payments.read";
const PNL: &str = "accounting.reports.profitandloss.read";
const BS: &str = "accounting.reports.balancesheet.read";

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
    PAYMENTS,
    PNL,
    BS,
];

/// Scopes some streams need beyond the defaults. Empty today: payments, the monthly
/// reports and `common.actuals` are what finance tools import, so their scopes are
/// requested by default. The host only syncs the streams whose scopes the grant holds.
pub const OPTIONAL_SCOPES: &[&str] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for s in STREAMS {
            assert_eq!(find(s.name), Some(s));
            assert_eq!(STREAMS.iter().filter(|o| o.name == s.name).count(), 1);
        }
        assert_eq!(find("nope"), None);
    }

    #[test]
    fn every_stream_scope_is_known() {
        let known =
            |scope: &&str| DEFAULT_SCOPES.contains(scope) || OPTIONAL_SCOPES.contains(scope);
        for s in STREAMS {
            assert!(known(&s.scope), "{}", s.name);
            assert!(s.also.iter().all(known), "{}", s.name);
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
