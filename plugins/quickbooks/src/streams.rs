//! The catalogue of QuickBooks streams: which entity or report each one reads and
//! how. Pure data; the manifest and the sync code both read it.

/// How a stream is fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `GET companyinfo/{realm}`: one record.
    CompanyInfo,
    /// `GET preferences`: one record.
    Preferences,
    /// A name-list entity (never hard-deleted, only made inactive): query API with
    /// `Active IN (true, false)`, incremental on `MetaData.LastUpdatedTime`.
    NameList,
    /// A transaction entity (hard-deleted): query API incremental on
    /// `MetaData.LastUpdatedTime`, deletions from CDC or a re-list.
    Transaction,
    /// `reports/TrialBalance` as of today, one record per account.
    TrialBalance,
    /// `reports/ProfitAndLoss` by month, one record per account and month.
    ProfitAndLoss,
    /// `reports/BalanceSheet` by month, one record per account and month end.
    BalanceSheet,
    /// `reports/GeneralLedger`, one month per page, one record per account and month.
    GeneralLedger,
    /// `common.accounts`: the chart in the common model.
    CommonAccounts,
    /// `common.actuals`: monthly actuals in the common model.
    CommonActuals,
}

/// One stream of the QuickBooks connector.
#[derive(Debug, PartialEq, Eq)]
pub struct StreamDef {
    /// Stream name in the manifest.
    pub name: &'static str,
    /// The query-API entity (`Invoice`), or the report name.
    pub entity: &'static str,
    /// How it is fetched.
    pub kind: Kind,
    /// Default seconds between syncs.
    pub interval: u32,
}

const fn s(name: &'static str, entity: &'static str, kind: Kind, interval: u32) -> StreamDef {
    StreamDef {
        name,
        entity,
        kind,
        interval,
    }
}

const HOUR: u32 = 3600;
const QUARTER: u32 = 900;
const DAY: u32 = 86_400;

/// Every stream, in manifest order, which is the order of priority the host starts a
/// company's streams in (several at once, up to the realm's concurrency): the chart of
/// accounts and company facts, then the ledger (journal entries, general ledger, trial
/// balance) and the common model built on them, then reports, then transactions and
/// name lists.
pub const STREAMS: &[StreamDef] = &[
    s("accounts", "Account", Kind::NameList, HOUR),
    s("companyinfo", "CompanyInfo", Kind::CompanyInfo, HOUR),
    s("preferences", "Preferences", Kind::Preferences, HOUR),
    s(
        "journal_entries",
        "JournalEntry",
        Kind::Transaction,
        QUARTER,
    ),
    s("general_ledger", "GeneralLedger", Kind::GeneralLedger, DAY),
    s("trial_balance", "TrialBalance", Kind::TrialBalance, HOUR),
    s("common.accounts", "Account", Kind::CommonAccounts, HOUR),
    s(
        "common.actuals",
        "ProfitAndLoss+BalanceSheet",
        Kind::CommonActuals,
        HOUR,
    ),
    s(
        "profit_and_loss",
        "ProfitAndLoss",
        Kind::ProfitAndLoss,
        HOUR,
    ),
    s("balance_sheet", "BalanceSheet", Kind::BalanceSheet, HOUR),
    s("invoices", "Invoice", Kind::Transaction, QUARTER),
    s("sales_receipts", "SalesReceipt", Kind::Transaction, QUARTER),
    s("credit_memos", "CreditMemo", Kind::Transaction, QUARTER),
    s("payments", "Payment", Kind::Transaction, QUARTER),
    s("bills", "Bill", Kind::Transaction, QUARTER),
    s("bill_payments", "BillPayment", Kind::Transaction, QUARTER),
    s("vendor_credits", "VendorCredit", Kind::Transaction, QUARTER),
    s("purchases", "Purchase", Kind::Transaction, QUARTER),
    s("deposits", "Deposit", Kind::Transaction, QUARTER),
    s("transfers", "Transfer", Kind::Transaction, QUARTER),
    s("customers", "Customer", Kind::NameList, QUARTER),
    s("vendors", "Vendor", Kind::NameList, QUARTER),
    s("items", "Item", Kind::NameList, HOUR),
];

/// The stream called `name`.
pub fn find(name: &str) -> Option<&'static StreamDef> {
    STREAMS.iter().find(|s| s.name == name)
}

/// The record key of a stream's records.
pub fn primary_key(def: &StreamDef) -> &'static str {
    match def.kind {
        Kind::TrialBalance
        | Kind::ProfitAndLoss
        | Kind::BalanceSheet
        | Kind::GeneralLedger
        | Kind::CommonActuals => "id",
        Kind::CommonAccounts => "id",
        _ => "Id",
    }
}

/// The field an incremental stream's cursor follows.
pub fn cursor_field(def: &StreamDef) -> Option<&'static str> {
    match def.kind {
        Kind::NameList | Kind::Transaction | Kind::CommonAccounts => {
            Some("MetaData.LastUpdatedTime")
        }
        _ => None,
    }
}

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
        let tx = STREAMS
            .iter()
            .filter(|s| s.kind == Kind::Transaction)
            .count();
        assert_eq!(tx, 11, "the eleven ledger transaction entities");
    }
}
