//! A generated QuickBooks Online company's ledger: the name lists (Customer, Vendor,
//! Item) and the transactions that post to the general ledger (Invoice, SalesReceipt,
//! CreditMemo, Payment, Bill, BillPayment, VendorCredit, Purchase, Deposit, Transfer,
//! JournalEntry), each stored as the exact JSON the Accounting API returns plus its
//! double-entry postings.
//!
//! - [`generate`]: the seeded generator ([`QboSize`] presets up to ~100k ledger lines).
//! - `render`: the wire JSON of each entity.
//! - [`totals`]: sums over the postings (per-month per-account totals, trial balances),
//!   which the reports and the truth view share.
//! - [`mutate`]: touch, deactivate, delete and create, stamped from the simulator clock.
//!
//! Postings are signed cents: positive = debit, negative = credit; every transaction's
//! postings sum to zero. Dates are company-local days (days since 1970-01-01); the
//! companies are on a fixed `-07:00` like every documented sample.

pub mod generate;
pub mod mutate;
mod names;
mod plan;
mod render;
pub(crate) use render::day_str as render_day;
pub mod totals;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::Millis;
use crate::timefmt::qbo_meta_time;

pub use generate::{QboSize, generate_company};

/// An entity type the ledger holds (the query/CDC entity name is [`EntityKind::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum EntityKind {
    /// `Customer` (name list).
    Customer,
    /// `Vendor` (name list).
    Vendor,
    /// `Item` (name list).
    Item,
    /// `Invoice`.
    Invoice,
    /// `SalesReceipt`.
    SalesReceipt,
    /// `CreditMemo`.
    CreditMemo,
    /// `Payment`.
    Payment,
    /// `Bill`.
    Bill,
    /// `BillPayment`.
    BillPayment,
    /// `VendorCredit`.
    VendorCredit,
    /// `Purchase`.
    Purchase,
    /// `Deposit`.
    Deposit,
    /// `Transfer`.
    Transfer,
    /// `JournalEntry`.
    JournalEntry,
}

impl EntityKind {
    /// Every kind, name lists first.
    pub const ALL: [EntityKind; 14] = [
        Self::Customer,
        Self::Vendor,
        Self::Item,
        Self::Invoice,
        Self::SalesReceipt,
        Self::CreditMemo,
        Self::Payment,
        Self::Bill,
        Self::BillPayment,
        Self::VendorCredit,
        Self::Purchase,
        Self::Deposit,
        Self::Transfer,
        Self::JournalEntry,
    ];

    /// The transaction kinds (they post to the ledger and are hard-deleted).
    pub const TRANSACTIONS: [EntityKind; 11] = [
        Self::Invoice,
        Self::SalesReceipt,
        Self::CreditMemo,
        Self::Payment,
        Self::Bill,
        Self::BillPayment,
        Self::VendorCredit,
        Self::Purchase,
        Self::Deposit,
        Self::Transfer,
        Self::JournalEntry,
    ];

    /// The entity name as the API spells it (`"JournalEntry"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Vendor => "Vendor",
            Self::Item => "Item",
            Self::Invoice => "Invoice",
            Self::SalesReceipt => "SalesReceipt",
            Self::CreditMemo => "CreditMemo",
            Self::Payment => "Payment",
            Self::Bill => "Bill",
            Self::BillPayment => "BillPayment",
            Self::VendorCredit => "VendorCredit",
            Self::Purchase => "Purchase",
            Self::Deposit => "Deposit",
            Self::Transfer => "Transfer",
            Self::JournalEntry => "JournalEntry",
        }
    }

    /// The kind named exactly `name` (entity names are case-sensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Customer, Vendor, Item: never deleted, made inactive instead; queries see only
    /// active ones unless they filter on `Active`.
    pub fn is_name_list(self) -> bool {
        matches!(self, Self::Customer | Self::Vendor | Self::Item)
    }
}

/// One ledger line of a transaction: signed cents on an account (`+` debit, `-` credit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Posting {
    /// Account `Id`.
    pub account: u64,
    /// Signed cents: positive = debit, negative = credit.
    pub amount: i64,
}

/// One entity: its wire JSON and what the simulator needs to know about it.
#[derive(Clone, Debug)]
pub struct Record {
    /// Entity type.
    pub kind: EntityKind,
    /// `Id`.
    pub id: u64,
    /// The JSON the API returns (kept in step with the fields below).
    pub body: Value,
    /// `MetaData.CreateTime` (whole second).
    pub created: Millis,
    /// `MetaData.LastUpdatedTime` (whole second); for a deleted record, the deletion.
    pub updated: Millis,
    /// `SyncToken`.
    pub sync_token: u64,
    /// `Active` (name lists; transactions are always active).
    pub active: bool,
    /// When the record was deleted (transactions only); a deleted record is invisible to
    /// queries and reports, and a stub in CDC.
    pub deleted: Option<Millis>,
    /// `TxnDate` as a company-local day number (transactions).
    pub txn_date: Option<i64>,
    /// The ledger lines (transactions), summing to zero.
    pub postings: Vec<Posting>,
}

impl Record {
    /// Rewrites `Id`, `SyncToken`, `Active` (name lists) and `MetaData` in the body.
    pub(crate) fn sync_body(&mut self) {
        if let Some(m) = self.body.as_object_mut() {
            m.insert("Id".into(), json!(self.id.to_string()));
            m.insert("SyncToken".into(), json!(self.sync_token.to_string()));
            m.insert("domain".into(), json!("QBO"));
            m.insert("sparse".into(), json!(false));
            if self.kind.is_name_list() {
                m.insert("Active".into(), json!(self.active));
            }
            m.insert(
                "MetaData".into(),
                json!({
                    "CreateTime": qbo_meta_time(self.created),
                    "LastUpdatedTime": qbo_meta_time(self.updated),
                }),
            );
        }
    }

    /// Whether queries and reports see the record.
    pub fn is_live(&self) -> bool {
        self.deleted.is_none()
    }

    /// The CDC stub of a deleted record.
    pub fn deleted_stub(&self) -> Value {
        json!({
            "Id": self.id.to_string(),
            "status": "Deleted",
            "domain": "QBO",
            "MetaData": {"LastUpdatedTime": qbo_meta_time(self.updated)},
        })
    }
}

/// Every non-account entity of a company, by kind, each list in `Id` order.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Records by kind.
    pub entities: BTreeMap<EntityKind, Vec<Record>>,
    /// The `Preferences` entity (None for a company generated without a ledger).
    pub preferences: Option<Value>,
    /// Next transaction `Id` (one sequence for every transaction kind).
    pub(crate) next_txn_id: u64,
    /// Seed of later generated records (deterministic).
    pub(crate) seed: u64,
    /// Records created after generation (mixes into the seed).
    pub(crate) created_since: u64,
}

/// Counts of a company's records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerSummary {
    /// Live records per entity name.
    pub live: BTreeMap<String, usize>,
    /// Deleted records per entity name.
    pub deleted: BTreeMap<String, usize>,
    /// Postings of live transactions.
    pub ledger_lines: usize,
}

impl Ledger {
    /// The records of `kind` (empty slice if none).
    pub fn records(&self, kind: EntityKind) -> &[Record] {
        self.entities.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// The record of `kind` with `Id` `id`.
    pub fn record(&self, kind: EntityKind, id: u64) -> Option<&Record> {
        let list = self.records(kind);
        list.binary_search_by_key(&id, |r| r.id)
            .ok()
            .and_then(|i| list.get(i))
    }

    pub(crate) fn record_mut(&mut self, kind: EntityKind, id: u64) -> Option<&mut Record> {
        let list = self.entities.get_mut(&kind)?;
        let i = list.binary_search_by_key(&id, |r| r.id).ok()?;
        list.get_mut(i)
    }

    /// Every live transaction.
    pub fn live_transactions(&self) -> impl Iterator<Item = &Record> {
        EntityKind::TRANSACTIONS
            .into_iter()
            .flat_map(|k| self.records(k).iter())
            .filter(|r| r.is_live())
    }

    /// Record counts and ledger lines.
    pub fn summary(&self) -> LedgerSummary {
        let mut s = LedgerSummary::default();
        for kind in EntityKind::ALL {
            let list = self.records(kind);
            let deleted = list.iter().filter(|r| !r.is_live()).count();
            s.live.insert(kind.name().into(), list.len() - deleted);
            s.deleted.insert(kind.name().into(), deleted);
        }
        s.ledger_lines = self.live_transactions().map(|r| r.postings.len()).sum();
        s
    }
}
