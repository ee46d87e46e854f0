//! Wire JSON of documents (Invoice, CreditNote, BankTransaction, ManualJournal) and general-ledger
//! Journals, field for field in the order of the spec's examples. Dates carry their ISO
//! twins (`DateString`, `DueDateString`, `UpdatedDateUTCString`) where the spec has them.

use super::OrgData;
use super::records::{
    AmountTypes, BankTransaction, CreditNote, Invoice, Journal, Line, ManualJournal,
};
use super::render::{contact_ref, journal_tracking, line_tracking};
use crate::xero::dates::{date_string, ms_date, utc_string};
use crate::xero::json::{Obj, fixed};

const RATE_ONE: &str = "1.000000";

fn line_item(out: &mut String, d: &OrgData, l: &Line) {
    let (code, id) = d
        .account(l.account)
        .map_or((String::new(), String::new()), |a| {
            (a.code.clone(), a.id.to_string())
        });
    let mut o = Obj::new(out);
    o.str("LineItemID", &l.id.to_string())
        .str("Description", &l.description)
        .raw("Quantity", &fixed(l.quantity * 10_000, 4))
        .money("UnitAmount", l.unit_amount)
        .str("AccountCode", &code)
        .str("AccountID", &id)
        .str("TaxType", d.locale.rate(l.tax).tax_type)
        .money("TaxAmount", l.tax_amount)
        .money("LineAmount", l.line_amount);
    line_tracking(&mut o, d, "Tracking", &l.tracking);
    o.end();
}

/// An `Invoice`. `with_lines == false` writes `"LineItems":[]`, as Xero's unpaged
/// list does.
pub fn invoice(out: &mut String, d: &OrgData, inv: &Invoice, with_lines: bool) {
    let mut o = Obj::new(out);
    o.str("Type", inv.kind)
        .str("InvoiceID", &inv.id.to_string())
        .str("InvoiceNumber", &inv.number)
        .str("Reference", &inv.reference)
        .arr("Payments", &inv.payments, |out, p| {
            let mut o = Obj::new(out);
            o.str("PaymentID", &p.id.to_string())
                .str("Date", &ms_date(p.date))
                .money("Amount", p.amount)
                .raw("CurrencyRate", RATE_ONE)
                .bool("HasAccount", false)
                .bool("HasValidationErrors", false);
            o.end();
        })
        .raw("CreditNotes", "[]")
        .raw("Prepayments", "[]")
        .raw("Overpayments", "[]")
        .money("AmountDue", inv.amount_due())
        .money("AmountPaid", inv.amount_paid())
        .money("AmountCredited", 0);
    if inv.sent_to_contact {
        o.bool("SentToContact", true);
    }
    o.raw("CurrencyRate", RATE_ONE)
        .bool("HasErrors", false)
        .bool("IsDiscounted", false)
        .bool("HasAttachments", inv.has_attachments);
    contact_ref(&mut o, d, inv.contact);
    o.str("DateString", &date_string(inv.date))
        .str("Date", &ms_date(inv.date))
        .str("DueDateString", &date_string(inv.due))
        .str("DueDate", &ms_date(inv.due))
        .str("Status", inv.status)
        .str("LineAmountTypes", inv.amount_types.as_str());
    let lines: &[Line] = if with_lines { &inv.lines } else { &[] };
    o.arr("LineItems", lines, |out, l| line_item(out, d, l))
        .money("SubTotal", inv.sub_total)
        .money("TotalTax", inv.total_tax)
        .money("Total", inv.total)
        .str("UpdatedDateUTC", &ms_date(inv.updated))
        .str("UpdatedDateUTCString", &utc_string(inv.updated))
        .str("CurrencyCode", d.locale.currency);
    if let Some(paid) = inv.fully_paid_on() {
        o.str("FullyPaidOnDate", &ms_date(paid));
    }
    o.end();
}

/// A `CreditNote` with its lines, in the shape of the spec's example.
pub fn credit_note(out: &mut String, d: &OrgData, cn: &CreditNote) {
    let mut o = Obj::new(out);
    o.str("CreditNoteID", &cn.id.to_string())
        .str("CreditNoteNumber", &cn.number)
        .raw("Payments", "[]")
        .str("ID", &cn.id.to_string())
        .raw("CurrencyRate", RATE_ONE)
        .str("Type", cn.kind)
        .str("Reference", &cn.reference)
        .money("RemainingCredit", cn.remaining_credit())
        .raw("Allocations", "[]")
        .bool("HasAttachments", false);
    contact_ref(&mut o, d, cn.contact);
    o.str("DateString", &date_string(cn.date))
        .str("Date", &ms_date(cn.date))
        .str("Status", cn.status)
        .str("LineAmountTypes", cn.amount_types.as_str())
        .arr("LineItems", &cn.lines, |out, l| line_item(out, d, l))
        .money("SubTotal", cn.sub_total)
        .money("TotalTax", cn.total_tax)
        .money("Total", cn.total)
        .str("UpdatedDateUTC", &ms_date(cn.updated))
        .str("UpdatedDateUTCString", &utc_string(cn.updated))
        .str("CurrencyCode", d.locale.currency);
    o.end();
}

/// A `BankTransaction` (always with its lines).
pub fn bank_transaction(out: &mut String, d: &OrgData, bt: &BankTransaction) {
    let (code, id, name) = d.account(bt.bank).map_or(Default::default(), |a| {
        (a.code.clone(), a.id.to_string(), a.name.clone())
    });
    let mut o = Obj::new(out);
    o.str("BankTransactionID", &bt.id.to_string())
        .obj("BankAccount", |o| {
            o.str("AccountID", &id)
                .str("Code", &code)
                .str("Name", &name);
        })
        .str("Type", bt.kind);
    if !bt.reference.is_empty() {
        o.str("Reference", &bt.reference);
    }
    o.bool("IsReconciled", bt.is_reconciled)
        .bool("HasAttachments", false);
    contact_ref(&mut o, d, bt.contact);
    o.str("DateString", &date_string(bt.date))
        .str("Date", &ms_date(bt.date))
        .str("Status", bt.status)
        .str("LineAmountTypes", bt.amount_types.as_str())
        .arr("LineItems", &bt.lines, |out, l| line_item(out, d, l))
        .money("SubTotal", bt.sub_total)
        .money("TotalTax", bt.total_tax)
        .money("Total", bt.total)
        .str("UpdatedDateUTC", &ms_date(bt.updated))
        .str("CurrencyCode", d.locale.currency);
    o.end();
}

/// A `ManualJournal` with its lines.
pub fn manual_journal(out: &mut String, d: &OrgData, mj: &ManualJournal) {
    let mut o = Obj::new(out);
    o.str("Date", &ms_date(mj.date))
        .str("Status", mj.status)
        .str("LineAmountTypes", AmountTypes::NoTax.as_str())
        .str("UpdatedDateUTC", &ms_date(mj.updated))
        .str("ManualJournalID", &mj.id.to_string())
        .str("Narration", &mj.narration)
        .arr("JournalLines", &mj.lines, |out, l| {
            let (code, id) = d
                .account(l.account)
                .map_or((String::new(), String::new()), |a| {
                    (a.code.clone(), a.id.to_string())
                });
            let mut o = Obj::new(out);
            o.str("Description", &l.description)
                .str("TaxType", d.locale.none.tax_type)
                .money("TaxAmount", 0)
                .money("LineAmount", l.amount)
                .str("AccountCode", &code)
                .str("AccountID", &id);
            journal_tracking(&mut o, d, "Tracking", &l.tracking);
            o.bool("IsBlank", false);
            o.end();
        })
        .bool("ShowOnCashBasisReports", mj.show_on_cash_basis)
        .bool("HasAttachments", false);
    o.end();
}

/// A general-ledger `Journal`. Account code, name and type are the account's current
/// ones.
pub fn journal(out: &mut String, d: &OrgData, j: &Journal) {
    let mut o = Obj::new(out);
    o.str("JournalID", &j.id.to_string())
        .str("JournalDate", &ms_date(j.date))
        .int("JournalNumber", j.number)
        .str("CreatedDateUTC", &ms_date(j.created));
    if let Some(r) = &j.reference {
        o.str("Reference", r);
    }
    o.str("SourceID", &j.source_id.to_string())
        .str("SourceType", j.source_type)
        .arr("JournalLines", &j.lines, |out, l| {
            let a = d.account(l.account);
            let mut o = Obj::new(out);
            o.str("JournalLineID", &l.id.to_string())
                .str(
                    "AccountID",
                    &a.map(|a| a.id.to_string()).unwrap_or_default(),
                )
                .str("AccountCode", a.map_or("", |a| a.code.as_str()))
                .str("AccountType", a.map_or("", |a| a.kind))
                .str("AccountName", a.map_or("", |a| a.name.as_str()))
                .str("Description", &l.description)
                .money("NetAmount", l.net)
                .money("GrossAmount", l.gross())
                .money("TaxAmount", l.tax_amount);
            if let Some(kind) = l.tax {
                let rate = d.locale.rate(kind);
                o.str("TaxType", rate.tax_type).str("TaxName", rate.name);
            }
            journal_tracking(&mut o, d, "TrackingCategories", &l.tracking);
            o.end();
        });
    o.end();
}
