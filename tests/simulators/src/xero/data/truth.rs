//! Every record of an organisation as the Accounting API would return it (full form:
//! invoices with line items, archived contacts, options and categories included), so a
//! test can compare a full sync record for record.

use serde::Serialize;
use serde_json::Value;

use super::OrgData;
use super::render::{self, balances};
use super::render_docs;
use crate::clock::Millis;

/// The ground truth of one organisation (records in creation order; journals by number).
#[derive(Clone, Debug, Default, Serialize)]
pub struct XeroTruth {
    /// The `Organisation` record.
    pub organisation: Value,
    /// `Accounts`.
    pub accounts: Vec<Value>,
    /// `TrackingCategories` (with archived categories and options).
    pub tracking_categories: Vec<Value>,
    /// `Contacts` (archived ones too), with `Balances` as of the truth's time.
    pub contacts: Vec<Value>,
    /// `Invoices`, with `LineItems`.
    pub invoices: Vec<Value>,
    /// `CreditNotes`, with `LineItems`.
    pub credit_notes: Vec<Value>,
    /// `BankTransactions`.
    pub bank_transactions: Vec<Value>,
    /// `ManualJournals`.
    pub manual_journals: Vec<Value>,
    /// `Journals`, by `JournalNumber`.
    pub journals: Vec<Value>,
}

fn values<T>(items: &[T], mut write: impl FnMut(&mut String, &T)) -> Vec<Value> {
    items
        .iter()
        .map(|item| {
            let mut s = String::new();
            write(&mut s, item);
            serde_json::from_str(&s).unwrap_or(Value::Null)
        })
        .collect()
}

impl XeroTruth {
    /// Renders `d` as of `now`.
    pub fn of(d: &OrgData, now: Millis) -> Self {
        let mut org = String::new();
        render::organisation(&mut org, d);
        let bal = balances(d, now);
        Self {
            organisation: serde_json::from_str(&org).unwrap_or(Value::Null),
            accounts: values(&d.accounts, |s, a| render::account(s, d, a)),
            tracking_categories: values(&d.tracking, |s, c| render::tracking_category(s, c, true)),
            contacts: d
                .contacts
                .iter()
                .zip(&bal)
                .map(|(c, b)| {
                    let mut s = String::new();
                    render::contact(&mut s, c, Some(b));
                    serde_json::from_str(&s).unwrap_or(Value::Null)
                })
                .collect(),
            invoices: values(&d.invoices, |s, i| render_docs::invoice(s, d, i, true)),
            credit_notes: values(&d.credit_notes, |s, c| render_docs::credit_note(s, d, c)),
            bank_transactions: values(&d.bank_transactions, |s, b| {
                render_docs::bank_transaction(s, d, b)
            }),
            manual_journals: values(&d.manual_journals, |s, m| {
                render_docs::manual_journal(s, d, m)
            }),
            journals: values(&d.journals, |s, j| render_docs::journal(s, d, j)),
        }
    }

    /// Total number of journal lines.
    pub fn journal_line_count(&self) -> usize {
        self.journals
            .iter()
            .map(|j| j["JournalLines"].as_array().map_or(0, Vec::len))
            .sum()
    }
}
