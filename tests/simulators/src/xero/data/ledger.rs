//! The general ledger: journal lines derived from documents, and journal numbering.
//!
//! Posting rules (accrual basis; `NetAmount` positive = debit):
//! - ACCREC invoice: receivable `+Total`; each line `-net` with `TaxAmount -tax`; tax
//!   account `-TotalTax`. ACCPAY mirrors it (payable `-Total`, lines `+net/+tax`, tax
//!   `+TotalTax`), as in the spec's `/Journals` example.
//! - Payment: ACCRECPAYMENT bank `+amount` / receivable `-amount`; ACCPAYPAYMENT payable
//!   `+amount` / bank `-amount`.
//! - Bank transactions: CASHREC bank `+Total` against revenue lines and tax; CASHPAID
//!   the mirror image.
//! - Manual journals: MANJOURNAL, one journal line per line, `NetAmount = LineAmount`.
//! - Voiding or deleting a posted document posts a new journal with every line negated
//!   (same `SourceID`, `SourceType` and `JournalDate`); journals are never edited.
//!
//! Lines sum to zero because `Total = SubTotal + TotalTax` and manual journals balance.
//! `JournalNumber`s increase with gaps (Xero's are not contiguous); `CreatedDateUTC`
//! strictly increases with the number.

use rand::Rng;

use super::OrgData;
use super::chart::Roles;
use super::records::{
    BankTransaction, CreditNote, Id, Invoice, Journal, JournalLine, ManualJournal, Payment, TaxKind,
};
use crate::clock::Millis;

fn line(
    rng: &mut impl Rng,
    account: u16,
    description: &str,
    net: i64,
    tax_amount: i64,
    tax: Option<TaxKind>,
) -> JournalLine {
    JournalLine {
        id: Id::random(rng),
        account,
        description: description.to_owned(),
        net,
        tax_amount,
        tax,
        tracking: [None, None],
    }
}

/// `sign` is `+1` when the document's lines are credits (sales), `-1` for purchases.
fn document_lines(
    rng: &mut impl Rng,
    control: (u16, i64),
    lines: &[super::records::Line],
    types: super::records::AmountTypes,
    tax_account: (u16, i64),
    sign: i64,
) -> Vec<JournalLine> {
    let mut out = Vec::with_capacity(lines.len() + 2);
    out.push(line(rng, control.0, "", control.1, 0, None));
    for l in lines {
        let mut jl = line(
            rng,
            l.account,
            &l.description,
            -sign * l.net(types),
            -sign * l.tax_amount,
            Some(l.tax),
        );
        jl.tracking = l.tracking;
        out.push(jl);
    }
    if tax_account.1 != 0 {
        out.push(line(rng, tax_account.0, "", tax_account.1, 0, None));
    }
    out
}

/// Journal lines of an approved invoice.
pub fn invoice_lines(rng: &mut impl Rng, roles: &Roles, inv: &Invoice) -> Vec<JournalLine> {
    if inv.kind == "ACCREC" {
        document_lines(
            rng,
            (roles.receivable, inv.total),
            &inv.lines,
            inv.amount_types,
            (roles.tax, -inv.total_tax),
            1,
        )
    } else {
        document_lines(
            rng,
            (roles.payable, -inv.total),
            &inv.lines,
            inv.amount_types,
            (roles.tax, inv.total_tax),
            -1,
        )
    }
}

/// Journal lines of an approved credit note: the mirror image of the invoice it
/// credits (ACCRECCREDIT: receivable `-Total`, lines debited, tax `+TotalTax`).
pub fn credit_note_lines(rng: &mut impl Rng, roles: &Roles, cn: &CreditNote) -> Vec<JournalLine> {
    if cn.kind == "ACCRECCREDIT" {
        document_lines(
            rng,
            (roles.receivable, -cn.total),
            &cn.lines,
            cn.amount_types,
            (roles.tax, cn.total_tax),
            -1,
        )
    } else {
        document_lines(
            rng,
            (roles.payable, cn.total),
            &cn.lines,
            cn.amount_types,
            (roles.tax, -cn.total_tax),
            1,
        )
    }
}

/// Journal lines of a payment on `inv`.
pub fn payment_lines(
    rng: &mut impl Rng,
    roles: &Roles,
    inv: &Invoice,
    p: &Payment,
) -> Vec<JournalLine> {
    if inv.kind == "ACCREC" {
        vec![
            line(rng, p.bank, "", p.amount, 0, None),
            line(rng, roles.receivable, "", -p.amount, 0, None),
        ]
    } else {
        vec![
            line(rng, roles.payable, "", p.amount, 0, None),
            line(rng, p.bank, "", -p.amount, 0, None),
        ]
    }
}

/// Journal lines of a bank transaction.
pub fn bank_lines(rng: &mut impl Rng, roles: &Roles, bt: &BankTransaction) -> Vec<JournalLine> {
    if bt.kind == "RECEIVE" {
        document_lines(
            rng,
            (bt.bank, bt.total),
            &bt.lines,
            bt.amount_types,
            (roles.tax, -bt.total_tax),
            1,
        )
    } else {
        document_lines(
            rng,
            (bt.bank, -bt.total),
            &bt.lines,
            bt.amount_types,
            (roles.tax, bt.total_tax),
            -1,
        )
    }
}

/// Journal lines of a posted manual journal.
pub fn manual_lines(rng: &mut impl Rng, mj: &ManualJournal) -> Vec<JournalLine> {
    mj.lines
        .iter()
        .map(|l| {
            let mut jl = line(
                rng,
                l.account,
                &l.description,
                l.amount,
                0,
                Some(TaxKind::None),
            );
            jl.tracking = l.tracking;
            jl
        })
        .collect()
}

/// The same lines negated, with new line ids.
pub fn reversed(rng: &mut impl Rng, lines: &[JournalLine]) -> Vec<JournalLine> {
    lines
        .iter()
        .map(|l| JournalLine {
            id: Id::random(rng),
            net: -l.net,
            tax_amount: -l.tax_amount,
            ..l.clone()
        })
        .collect()
}

/// What a new journal says about its source.
pub struct JournalHead {
    /// `JournalDate`.
    pub date: Millis,
    /// `Reference`.
    pub reference: Option<String>,
    /// `SourceID`.
    pub source_id: Id,
    /// `SourceType`.
    pub source_type: &'static str,
}

impl OrgData {
    /// Appends a journal created at (or just after) `at`; returns its `CreatedDateUTC`.
    /// The number jumps by 1–9 (mostly 1), the creation time is strictly increasing.
    pub fn post(&mut self, at: Millis, head: JournalHead, lines: Vec<JournalLine>) -> Millis {
        let (last_number, last_created) = self
            .journals
            .last()
            .map_or((0, i64::MIN), |j| (j.number, j.created));
        let gap = if self.rng.random_bool(0.75) {
            1
        } else {
            self.rng.random_range(2..=9)
        };
        let created = at.max(last_created.saturating_add(1));
        self.journals.push(Journal {
            id: Id::random(&mut self.rng),
            number: last_number + gap,
            date: head.date,
            created,
            reference: head.reference,
            source_id: head.source_id,
            source_type: head.source_type,
            lines,
        });
        created
    }

    /// The most recent journal of a source (for reversals).
    pub fn last_journal_of(&self, source_id: Id) -> Option<&Journal> {
        self.journals
            .iter()
            .rev()
            .find(|j| j.source_id == source_id)
    }

    /// Posts the reversal of the last journal of `source_id` at `at`; `None` if the
    /// source never posted.
    pub fn post_reversal(&mut self, at: Millis, source_id: Id) -> Option<Millis> {
        let j = self.last_journal_of(source_id)?.clone();
        let lines = reversed(&mut self.rng, &j.lines);
        Some(self.post(
            at,
            JournalHead {
                date: j.date,
                reference: j.reference,
                source_id,
                source_type: j.source_type,
            },
            lines,
        ))
    }
}

/// Whether every journal's `NetAmount`s sum to zero.
pub fn all_balanced(journals: &[Journal]) -> bool {
    journals
        .iter()
        .all(|j| j.lines.iter().map(|l| l.net).sum::<i64>() == 0)
}
