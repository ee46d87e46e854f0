//! Changes over time for incremental-sync tests. Each bumps `UpdatedDateUTC` to the
//! simulator clock's "now" and, where Xero does, posts new journals (approval, payment,
//! reversal on void) — journals themselves are never edited.
//!
//! Faithful gaps: raising an invoice sets the contact's `IsCustomer`/`IsSupplier` and
//! changes its `Balances` *without* bumping the contact's `UpdatedDateUTC` (PROVIDERS.md
//! A5 quirk 11).

use rand::Rng;
use serde::Deserialize;

use super::OrgData;
use super::ledger::{self, JournalHead};
use super::records::{
    AmountTypes, Contact, CreditNote, Id, Invoice, Line, Payment, TaxKind, line_amounts, totals,
};
use crate::clock::{DAY, Millis};
use crate::error::SimError;
use crate::xero::dates::{midnight, parse_ymd};

/// A new invoice or bill with one line (`/_sim` JSON: the same field names).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct NewInvoice {
    /// `ACCREC` (default) or `ACCPAY`.
    pub kind: String,
    /// Contact id; default: the first active contact.
    pub contact_id: Option<String>,
    /// `DRAFT`, `SUBMITTED` or `AUTHORISED` (default; posts a journal).
    pub status: String,
    /// Line amount excluding tax, e.g. `100.0`.
    pub amount: f64,
    /// Line description.
    pub description: String,
    /// Account code; default: the first revenue (ACCREC) or expense (ACCPAY) account.
    pub account_code: Option<String>,
    /// `YYYY-MM-DD`; default: today.
    pub date: Option<String>,
    /// `Reference`.
    pub reference: String,
}

impl Default for NewInvoice {
    fn default() -> Self {
        Self {
            kind: "ACCREC".into(),
            contact_id: None,
            status: "AUTHORISED".into(),
            amount: 100.0,
            description: "Consulting services".into(),
            account_code: None,
            date: None,
            reference: String::new(),
        }
    }
}

fn bad(msg: impl Into<String>) -> SimError {
    SimError::InvalidArgument(msg.into())
}

fn not_found(what: &str, id: &str) -> SimError {
    SimError::InvalidArgument(format!("no {what} {id:?} in this organisation"))
}

impl OrgData {
    fn stamp(&mut self, at: Millis) -> Millis {
        at + self.rng.random_range(3..40)
    }

    fn invoice_mut(&mut self, id: &str) -> Result<usize, SimError> {
        self.invoice_index(id)
            .ok_or_else(|| not_found("invoice", id))
    }

    /// Bumps an invoice's `UpdatedDateUTC` (an edit that posts nothing).
    pub fn touch_invoice(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let i = self.invoice_mut(id)?;
        self.invoices[i].updated = now;
        Ok(now)
    }

    /// Voids an AUTHORISED invoice without payments: status VOIDED, a reversing journal.
    pub fn void_invoice(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let i = self.invoice_mut(id)?;
        let inv = &self.invoices[i];
        if inv.status != "AUTHORISED" || !inv.payments.is_empty() {
            return Err(bad(format!(
                "only AUTHORISED invoices without payments can be voided (this one is {})",
                inv.status
            )));
        }
        let source = inv.id;
        let created = self.post_reversal(now, source).unwrap_or(now);
        let updated = self.stamp(created);
        let inv = &mut self.invoices[i];
        inv.status = "VOIDED";
        inv.updated = updated;
        Ok(updated)
    }

    /// Deletes a DRAFT or SUBMITTED invoice (nothing was posted, nothing is).
    pub fn delete_invoice(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let i = self.invoice_mut(id)?;
        let inv = &mut self.invoices[i];
        if !matches!(inv.status, "DRAFT" | "SUBMITTED") {
            return Err(bad(format!(
                "only DRAFT or SUBMITTED invoices can be deleted (this one is {})",
                inv.status
            )));
        }
        inv.status = "DELETED";
        inv.updated = now;
        Ok(now)
    }

    /// Pays an AUTHORISED invoice (`amount` in cents, default: the amount due), dated
    /// today: posts the payment journal; PAID once nothing is due.
    pub fn pay_invoice(
        &mut self,
        id: &str,
        amount: Option<i64>,
        now: Millis,
    ) -> Result<Millis, SimError> {
        let i = self.invoice_mut(id)?;
        let inv = &self.invoices[i];
        let due = inv.amount_due();
        let amount = amount.unwrap_or(due);
        if inv.status != "AUTHORISED" || amount <= 0 || amount > due {
            return Err(bad(format!(
                "cannot pay {amount} cents on a {} invoice with {due} cents due",
                inv.status
            )));
        }
        let bank = self.roles.banks[0];
        let payment = Payment {
            id: Id::random(&mut self.rng),
            date: midnight(now),
            amount,
            bank,
        };
        let roles = self.roles.clone();
        let lines = ledger::payment_lines(&mut self.rng, &roles, inv, &payment);
        let head = JournalHead {
            date: payment.date,
            reference: None,
            source_id: payment.id,
            source_type: if inv.kind == "ACCREC" {
                "ACCRECPAYMENT"
            } else {
                "ACCPAYPAYMENT"
            },
        };
        let created = self.post(now, head, lines);
        let updated = self.stamp(created);
        let inv = &mut self.invoices[i];
        inv.payments.push(payment);
        if inv.amount_due() == 0 {
            inv.status = "PAID";
        }
        inv.updated = updated;
        Ok(updated)
    }

    /// Raises a new invoice or bill; returns its `InvoiceID`.
    pub fn add_invoice(&mut self, spec: &NewInvoice, now: Millis) -> Result<String, SimError> {
        let kind = match spec.kind.to_ascii_uppercase().as_str() {
            "ACCREC" => "ACCREC",
            "ACCPAY" => "ACCPAY",
            k => return Err(bad(format!("invoice type {k:?} (ACCREC or ACCPAY)"))),
        };
        let status = match spec.status.to_ascii_uppercase().as_str() {
            "DRAFT" => "DRAFT",
            "SUBMITTED" => "SUBMITTED",
            "AUTHORISED" => "AUTHORISED",
            s => {
                return Err(bad(format!(
                    "status {s:?} (DRAFT, SUBMITTED or AUTHORISED)"
                )));
            }
        };
        let contact = match &spec.contact_id {
            Some(id) => self
                .contact_index(id)
                .ok_or_else(|| not_found("contact", id))?,
            None => self
                .contacts
                .iter()
                .position(|c| c.status == "ACTIVE")
                .ok_or_else(|| bad("the organisation has no active contact"))?,
        };
        let selling = kind == "ACCREC";
        let account = match &spec.account_code {
            Some(code) => self
                .account_index(code)
                .and_then(|a| u16::try_from(a).ok())
                .ok_or_else(|| not_found("account", code))?,
            None if selling => self.roles.revenue[0],
            None => self.roles.expense[0],
        };
        let unit = (spec.amount * 100.0).round();
        if !unit.is_finite() || unit <= 0.0 || unit > 1e13 {
            return Err(bad("amount must be positive"));
        }
        let date = match &spec.date {
            Some(s) => parse_ymd(s).ok_or_else(|| bad(format!("date {s:?} (YYYY-MM-DD)")))?,
            None => midnight(now),
        };
        let tax = if selling {
            TaxKind::Sales
        } else {
            TaxKind::Purchases
        };
        let types = AmountTypes::Exclusive;
        let (line_amount, tax_amount) =
            line_amounts(1, unit as i64, self.locale.rate(tax).rate_bp, types);
        let line = Line {
            id: Id::random(&mut self.rng),
            description: spec.description.clone(),
            quantity: 1,
            unit_amount: unit as i64,
            account,
            tax,
            tax_amount,
            line_amount,
            tracking: [None, None],
        };
        let (sub_total, total_tax, total) = totals(std::slice::from_ref(&line), types);
        let number = if selling {
            self.last_invoice_number += 1;
            format!("INV-{:04}", self.last_invoice_number)
        } else {
            String::new()
        };
        let mut inv = Invoice {
            id: Id::random(&mut self.rng),
            kind,
            number,
            reference: spec.reference.clone(),
            contact: contact as u32,
            date,
            due: date + 20 * DAY,
            status,
            amount_types: types,
            lines: vec![line],
            sub_total,
            total_tax,
            total,
            payments: Vec::new(),
            sent_to_contact: false,
            has_attachments: false,
            updated: now,
        };
        if status == "AUTHORISED" {
            let roles = self.roles.clone();
            let lines = ledger::invoice_lines(&mut self.rng, &roles, &inv);
            let head = JournalHead {
                date,
                reference: Some(inv.reference.clone()),
                source_id: inv.id,
                source_type: kind,
            };
            let created = self.post(now, head, lines);
            inv.updated = self.stamp(created);
        }
        let c = &mut self.contacts[contact];
        if selling {
            c.is_customer = true;
        } else {
            c.is_supplier = true;
        }
        let id = inv.id.to_string();
        self.invoices.push(inv);
        Ok(id)
    }

    /// Raises a one-line credit note of `amount` cents (excluding tax) dated today;
    /// `kind` is ACCRECCREDIT (or ACCREC) or ACCPAYCREDIT (or ACCPAY), `contact` a
    /// contact name (added when new; default: the first active contact), `status`
    /// DRAFT or AUTHORISED (posts the journal). Returns its `CreditNoteID`.
    pub fn add_credit_note(
        &mut self,
        kind: &str,
        contact: Option<&str>,
        amount: i64,
        status: &str,
        now: Millis,
    ) -> Result<String, SimError> {
        let kind = match kind.to_ascii_uppercase().as_str() {
            "ACCRECCREDIT" | "ACCREC" => "ACCRECCREDIT",
            "ACCPAYCREDIT" | "ACCPAY" => "ACCPAYCREDIT",
            k => {
                return Err(bad(format!(
                    "credit note type {k:?} (ACCRECCREDIT or ACCPAYCREDIT)"
                )));
            }
        };
        let status = match status {
            "DRAFT" => "DRAFT",
            "AUTHORISED" => "AUTHORISED",
            s => return Err(bad(format!("status {s:?} (DRAFT or AUTHORISED)"))),
        };
        if amount <= 0 || amount > 100_000_000_000 {
            return Err(bad("amount must be positive"));
        }
        let contact = match contact {
            Some(name) => match self
                .contacts
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
            {
                Some(i) => i,
                None => {
                    self.add_contact(name, now)?;
                    self.contacts.len() - 1
                }
            },
            None => self
                .contacts
                .iter()
                .position(|c| c.status == "ACTIVE")
                .ok_or_else(|| bad("the organisation has no active contact"))?,
        };
        let selling = kind == "ACCRECCREDIT";
        let (account, tax) = if selling {
            (self.roles.revenue[0], TaxKind::Sales)
        } else {
            (self.roles.expense[0], TaxKind::Purchases)
        };
        let types = AmountTypes::Exclusive;
        let (line_amount, tax_amount) =
            line_amounts(1, amount, self.locale.rate(tax).rate_bp, types);
        let line = Line {
            id: Id::random(&mut self.rng),
            description: "Credit".into(),
            quantity: 1,
            unit_amount: amount,
            account,
            tax,
            tax_amount,
            line_amount,
            tracking: [None, None],
        };
        let (sub_total, total_tax, total) = totals(std::slice::from_ref(&line), types);
        let number = if selling {
            let n = self
                .credit_notes
                .iter()
                .filter(|c| c.kind == "ACCRECCREDIT")
                .count();
            format!("CN-{:04}", n + 1)
        } else {
            String::new()
        };
        let date = midnight(now);
        let mut cn = CreditNote {
            id: Id::random(&mut self.rng),
            kind,
            number,
            reference: String::new(),
            contact: contact as u32,
            date,
            status,
            amount_types: types,
            lines: vec![line],
            sub_total,
            total_tax,
            total,
            updated: now,
        };
        if status == "AUTHORISED" {
            let roles = self.roles.clone();
            let lines = ledger::credit_note_lines(&mut self.rng, &roles, &cn);
            let head = JournalHead {
                date,
                reference: Some(cn.reference.clone()),
                source_id: cn.id,
                source_type: kind,
            };
            let created = self.post(now, head, lines);
            cn.updated = self.stamp(created);
        }
        let id = cn.id.to_string();
        self.credit_notes.push(cn);
        Ok(id)
    }

    fn credit_note_mut(&mut self, id: &str) -> Result<usize, SimError> {
        self.credit_note_index(id)
            .ok_or_else(|| not_found("credit note", id))
    }

    /// Voids an AUTHORISED credit note: status VOIDED, a reversing journal.
    pub fn void_credit_note(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let i = self.credit_note_mut(id)?;
        let cn = &self.credit_notes[i];
        if cn.status != "AUTHORISED" {
            return Err(bad(format!(
                "only AUTHORISED credit notes can be voided (this one is {})",
                cn.status
            )));
        }
        let source = cn.id;
        let created = self.post_reversal(now, source).unwrap_or(now);
        let updated = self.stamp(created);
        let cn = &mut self.credit_notes[i];
        cn.status = "VOIDED";
        cn.updated = updated;
        Ok(updated)
    }

    /// Deletes a DRAFT credit note (nothing was posted, nothing is).
    pub fn delete_credit_note(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let i = self.credit_note_mut(id)?;
        let cn = &mut self.credit_notes[i];
        if cn.status != "DRAFT" {
            return Err(bad(format!(
                "only DRAFT credit notes can be deleted (this one is {})",
                cn.status
            )));
        }
        cn.status = "DELETED";
        cn.updated = now;
        Ok(now)
    }

    /// Adds an ACTIVE contact; returns its `ContactID`.
    pub fn add_contact(&mut self, name: &str, now: Millis) -> Result<String, SimError> {
        if name.trim().is_empty() {
            return Err(bad("empty contact name"));
        }
        if self
            .contacts
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(name))
        {
            return Err(SimError::Duplicate(format!("contact {name:?}")));
        }
        let mut c = self
            .contacts
            .first()
            .cloned()
            .unwrap_or_else(|| blank_contact(self.locale.code));
        c.id = Id::random(&mut self.rng);
        c.number = String::new();
        c.status = "ACTIVE";
        c.name = name.to_owned();
        c.is_customer = false;
        c.is_supplier = false;
        c.updated = now;
        let id = c.id.to_string();
        self.contacts.push(c);
        Ok(id)
    }

    fn contact_mut(&mut self, id: &str) -> Result<&mut Contact, SimError> {
        let i = self
            .contact_index(id)
            .ok_or_else(|| not_found("contact", id))?;
        Ok(&mut self.contacts[i])
    }

    /// Bumps a contact's `UpdatedDateUTC` (e.g. a new phone number).
    pub fn touch_contact(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let c = self.contact_mut(id)?;
        c.updated = now;
        Ok(now)
    }

    /// Archives a contact.
    pub fn archive_contact(&mut self, id: &str, now: Millis) -> Result<Millis, SimError> {
        let c = self.contact_mut(id)?;
        c.status = "ARCHIVED";
        c.updated = now;
        Ok(now)
    }

    /// Archives an account (by id or code); system accounts cannot be archived.
    pub fn archive_account(&mut self, id_or_code: &str, now: Millis) -> Result<Millis, SimError> {
        let i = self
            .account_index(id_or_code)
            .ok_or_else(|| not_found("account", id_or_code))?;
        let a = &mut self.accounts[i];
        if !a.system_account.is_empty() {
            return Err(bad(format!("{} is a system account", a.name)));
        }
        a.status = "ARCHIVED";
        a.updated = now;
        Ok(now)
    }
}

fn blank_contact(country: &str) -> Contact {
    let address = super::records::Address {
        country: country.to_owned(),
        ..Default::default()
    };
    Contact {
        id: Id(0),
        number: String::new(),
        status: "ACTIVE",
        name: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        tax_number: String::new(),
        street: address.clone(),
        pobox: address,
        phone: (String::new(), String::new()),
        mobile: None,
        is_customer: false,
        is_supplier: false,
        updated: 0,
    }
}
