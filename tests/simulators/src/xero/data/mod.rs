//! A simulated Xero organisation's accounting data: generated deterministically, mutated
//! over time, rendered exactly as the Accounting API returns it.
//!
//! - [`generate`]: seeded generator of a whole organisation ([`OrgSize`] presets).
//! - [`ledger`]: the general ledger, derived from the documents (every journal balances).
//! - [`mutate`]: changes for incremental-sync tests (touch, void, pay, add, archive).
//! - `render`, `render_docs`: the wire JSON of each record.
//! - [`truth`]: every record as the API would return it, for record-for-record checks.

pub mod chart;
pub mod generate;
pub mod ledger;
pub mod mutate;
mod names;
mod plan;
pub mod records;
pub(crate) mod render;
pub(crate) mod render_docs;
pub mod size;
#[cfg(test)]
mod tests;
pub mod truth;

use rand::rngs::StdRng;
use serde::Serialize;

pub use chart::{Country, Locale, Roles};
pub use mutate::NewInvoice;
pub use records::*;
pub use size::{GenerateOptions, OrgSize};
pub use truth::XeroTruth;

use crate::clock::Millis;

/// The `Organisation` record's own fields.
#[derive(Clone, Debug)]
pub struct OrgProfile {
    /// `OrganisationID` (the tenant id).
    pub id: String,
    /// `Name`.
    pub name: String,
    /// `LegalName`.
    pub legal_name: String,
    /// `CreatedDateUTC`.
    pub created: Millis,
    /// `ShortCode`, e.g. `!mBdtL`.
    pub short_code: String,
    /// `APIKey`.
    pub api_key: String,
    /// `TaxNumber`.
    pub tax_number: String,
}

/// One organisation's data.
#[derive(Clone, Debug)]
pub struct OrgData {
    /// Organisation record fields.
    pub profile: OrgProfile,
    /// Country.
    pub country: Country,
    /// Country settings.
    pub locale: Locale,
    /// Accounts the ledger posts to.
    pub roles: Roles,
    /// Chart of accounts.
    pub accounts: Vec<Account>,
    /// Tracking categories (active and archived).
    pub tracking: Vec<TrackingCategory>,
    /// Contacts, in creation order.
    pub contacts: Vec<Contact>,
    /// Invoices and bills, in creation order.
    pub invoices: Vec<Invoice>,
    /// Bank transactions, in creation order.
    pub bank_transactions: Vec<BankTransaction>,
    /// Manual journals, in creation order.
    pub manual_journals: Vec<ManualJournal>,
    /// Credit notes, in creation order (none are generated; added by mutations).
    pub credit_notes: Vec<CreditNote>,
    /// The general ledger, by increasing `JournalNumber` (= increasing `CreatedDateUTC`).
    pub journals: Vec<Journal>,
    /// Drives ids and journal-number gaps of later mutations (deterministic).
    pub(crate) rng: StdRng,
    /// Last ACCREC invoice number used (`INV-0042` → 42).
    pub(crate) last_invoice_number: u32,
}

/// Counts of an organisation's records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DataSummary {
    /// Accounts.
    pub accounts: usize,
    /// Tracking categories.
    pub tracking_categories: usize,
    /// Contacts.
    pub contacts: usize,
    /// Invoices.
    pub invoices: usize,
    /// Bank transactions.
    pub bank_transactions: usize,
    /// Manual journals.
    pub manual_journals: usize,
    /// Journals.
    pub journals: usize,
    /// Journal lines.
    pub journal_lines: usize,
    /// Highest `JournalNumber` (0 without journals).
    pub last_journal_number: i64,
}

impl OrgData {
    /// Record counts.
    pub fn summary(&self) -> DataSummary {
        DataSummary {
            accounts: self.accounts.len(),
            tracking_categories: self.tracking.len(),
            contacts: self.contacts.len(),
            invoices: self.invoices.len(),
            bank_transactions: self.bank_transactions.len(),
            manual_journals: self.manual_journals.len(),
            journals: self.journals.len(),
            journal_lines: self.journals.iter().map(|j| j.lines.len()).sum(),
            last_journal_number: self.journals.last().map_or(0, |j| j.number),
        }
    }

    /// The account at `idx` (indexes come from the data itself).
    pub fn account(&self, idx: u16) -> Option<&Account> {
        self.accounts.get(usize::from(idx))
    }

    /// Index of the invoice with this id.
    pub fn invoice_index(&self, id: &str) -> Option<usize> {
        let id = Id::parse(id)?;
        self.invoices.iter().position(|i| i.id == id)
    }

    /// Index of the credit note with this id.
    pub fn credit_note_index(&self, id: &str) -> Option<usize> {
        let id = Id::parse(id)?;
        self.credit_notes.iter().position(|c| c.id == id)
    }

    /// Index of the contact with this id.
    pub fn contact_index(&self, id: &str) -> Option<usize> {
        let id = Id::parse(id)?;
        self.contacts.iter().position(|c| c.id == id)
    }

    /// Index of the account with this id or code.
    pub fn account_index(&self, id_or_code: &str) -> Option<usize> {
        let id = Id::parse(id_or_code);
        self.accounts
            .iter()
            .position(|a| Some(a.id) == id || a.code == id_or_code)
    }
}
