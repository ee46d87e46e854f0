//! The generator's document planning: contacts, invoices (with their fate: draft,
//! deleted, approved, paid, voided), bank transactions and manual journals, each with
//! the events that will post its journals.

use std::collections::HashSet;

use rand::Rng;

use super::generate::{Ev, Gen, Planned, reindex};
use super::names::{self, JOURNAL_NARRATIONS, PURCHASE_ITEMS, SALES_ITEMS};
use super::records::*;
use crate::clock::{DAY, HOUR, Millis};

impl Gen<'_> {
    /// A random instant on a random day of the history (a working-hours time), and that
    /// day's midnight.
    fn day_and_time(&mut self) -> (Millis, Millis) {
        let day = self.start + self.rng.random_range(0..self.history) * DAY;
        (day, day + 7 * HOUR + self.rng.random_range(0..11 * HOUR))
    }

    /// `at` if it is before the limit.
    fn before_limit(&self, at: Millis) -> Option<Millis> {
        (at < self.limit).then_some(at)
    }

    pub(super) fn contacts(&mut self, n: usize, org_created: Millis) -> Vec<Contact> {
        let mut seen = HashSet::new();
        let span = (self.history * 6 / 10 + 30) * DAY;
        let country = match self.locale.code {
            "GB" => "United Kingdom",
            "US" => "United States",
            "AU" => "Australia",
            _ => "New Zealand",
        };
        let mut out: Vec<(Millis, Contact)> = (0..n)
            .map(|i| {
                let (mut name, first, last) = names::contact_name(&mut self.rng);
                if !seen.insert(name.clone()) {
                    name = format!("{name} {}", i + 1);
                    seen.insert(name.clone());
                }
                let created = org_created + HOUR + self.rng.random_range(0..span);
                let mut updated = created;
                if self.rng.random_bool(0.2) {
                    updated = created
                        + self
                            .rng
                            .random_range(HOUR..(self.limit - created).max(HOUR + 1));
                }
                let archived = self.rng.random_bool(0.04);
                let (street, pobox) = names::addresses(&mut self.rng, country);
                let email = format!("{first}.{last}@example.com")
                    .to_lowercase()
                    .replace('\'', "");
                let contact = Contact {
                    id: Id::random(&mut self.rng),
                    number: if self.rng.random_bool(0.3) {
                        format!("C{:05}", i + 1)
                    } else {
                        String::new()
                    },
                    status: if archived { "ARCHIVED" } else { "ACTIVE" },
                    name,
                    first_name: first,
                    last_name: last,
                    email,
                    tax_number: if self.rng.random_bool(0.3) {
                        format!(
                            "{:03}-{:03}-{:03}",
                            self.rng.random_range(10..999),
                            self.rng.random_range(0..999),
                            self.rng.random_range(0..999)
                        )
                    } else {
                        String::new()
                    },
                    street,
                    pobox,
                    phone: names::phone(&mut self.rng),
                    mobile: self
                        .rng
                        .random_bool(0.5)
                        .then(|| names::phone(&mut self.rng)),
                    is_customer: false,
                    is_supplier: false,
                    updated: updated.min(self.limit),
                };
                (created, contact)
            })
            .collect();
        out.sort_by_key(|(created, _)| *created);
        out.into_iter().map(|(_, c)| c).collect()
    }

    /// Random lines for a document of `kind` (`ACCREC`/`RECEIVE` sell, others buy).
    fn lines(&mut self, selling: bool, max: usize, types: AmountTypes) -> Vec<Line> {
        let n = self.rng.random_range(1..=max.max(1));
        (0..n)
            .map(|_| {
                let (accounts, items, tax) = if selling {
                    (&self.roles.revenue, SALES_ITEMS, TaxKind::Sales)
                } else {
                    (&self.roles.expense, PURCHASE_ITEMS, TaxKind::Purchases)
                };
                let account = accounts[self.rng.random_range(0..accounts.len())];
                let tax = if types == AmountTypes::NoTax || self.rng.random_bool(0.1) {
                    TaxKind::None
                } else {
                    tax
                };
                let quantity = if self.rng.random_bool(0.75) {
                    self.rng.random_range(1..=3)
                } else {
                    self.rng.random_range(4..=20)
                };
                // Sales lines are worth more than purchases, so the business makes a profit.
                let scale = if selling { 500.0 } else { 300.0 };
                let unit = (scale * 400f64.powf(self.rng.random::<f64>())).round() as i64;
                let rate = self.locale.rate(tax).rate_bp;
                let (line_amount, tax_amount) = line_amounts(quantity, unit, rate, types);
                Line {
                    id: Id::random(&mut self.rng),
                    description: names::choose(&mut self.rng, items).to_owned(),
                    quantity,
                    unit_amount: unit,
                    account,
                    tax,
                    tax_amount,
                    line_amount,
                    tracking: self.line_tracking(),
                }
            })
            .collect()
    }

    fn line_tracking(&mut self) -> Tracking {
        let mut out: Tracking = [None, None];
        let mut slot = 0;
        for (ci, cat) in self.tracking.iter().enumerate() {
            if cat.status != "ACTIVE" || slot == 2 || !self.rng.random_bool(0.5) {
                continue;
            }
            let active: Vec<usize> = (0..cat.options.len())
                .filter(|&o| cat.options[o].status == "ACTIVE")
                .collect();
            if active.is_empty() {
                continue;
            }
            let oi = active[self.rng.random_range(0..active.len())];
            out[slot] = Some((ci as u8, oi as u8));
            slot += 1;
        }
        out
    }

    fn amount_types(&mut self, inclusive: f64) -> AmountTypes {
        let r: f64 = self.rng.random();
        if r < 0.05 {
            AmountTypes::NoTax
        } else if r < 0.05 + inclusive {
            AmountTypes::Inclusive
        } else {
            AmountTypes::Exclusive
        }
    }

    pub(super) fn invoices(
        &mut self,
        n: usize,
        max_lines: usize,
        contacts: usize,
    ) -> (Vec<Invoice>, u32) {
        let mut out: Vec<Planned<Invoice>> = Vec::with_capacity(n);
        for _ in 0..n {
            let selling = self.rng.random_bool(0.6);
            let (date, created) = self.day_and_time();
            let types = self.amount_types(0.1);
            let lines = self.lines(selling, max_lines, types);
            let (sub_total, total_tax, total) = totals(&lines, types);
            let terms = [7, 14, 20, 30][self.rng.random_range(0..4)];
            let mut inv = Invoice {
                id: Id::random(&mut self.rng),
                kind: if selling { "ACCREC" } else { "ACCPAY" },
                number: String::new(),
                reference: String::new(),
                contact: self.rng.random_range(0..contacts.max(1)) as u32,
                date,
                due: date + terms * DAY,
                status: "AUTHORISED",
                amount_types: types,
                lines,
                sub_total,
                total_tax,
                total,
                payments: Vec::new(),
                sent_to_contact: false,
                has_attachments: self.rng.random_bool(0.05),
                updated: created,
            };
            if selling && self.rng.random_bool(0.4) {
                inv.reference = format!("PO-{}", self.rng.random_range(1000..9999));
            } else if !selling && self.rng.random_bool(0.7) {
                inv.number = format!("SUP-{}", self.rng.random_range(1000..99_999));
            }
            let evs = self.invoice_fate(&mut inv, created);
            out.push((created, inv, evs));
        }
        out.sort_by_key(|(created, _, _)| *created);
        let mut number = 0u32;
        let mut invoices = Vec::with_capacity(out.len());
        for (i, (_, mut inv, evs)) in out.into_iter().enumerate() {
            if inv.kind == "ACCREC" {
                number += 1;
                inv.number = format!("INV-{number:04}");
            }
            self.events
                .extend(evs.into_iter().map(|(at, ev)| (at, reindex(ev, i))));
            invoices.push(inv);
        }
        (invoices, number)
    }

    /// Decides status, payments and events of a new invoice (event indexes are fixed
    /// up after sorting).
    fn invoice_fate(&mut self, inv: &mut Invoice, created: Millis) -> Vec<(Millis, Ev)> {
        let r: f64 = self.rng.random();
        let mut evs = Vec::new();
        if r < 0.04 {
            inv.status = "DRAFT";
        } else if r < 0.06 {
            inv.status = "SUBMITTED";
        } else if r < 0.09 {
            let at = created + self.rng.random_range(HOUR..5 * DAY);
            inv.status = if self.before_limit(at).is_some() {
                inv.updated = at;
                "DELETED"
            } else {
                "DRAFT"
            };
        } else {
            evs.push((created, Ev::Approve(0)));
            let void_at = created + self.rng.random_range(HOUR..20 * DAY);
            if r < 0.13 && self.before_limit(void_at).is_some() {
                inv.status = "VOIDED";
                evs.push((void_at, Ev::Void(0)));
                return evs;
            }
            inv.sent_to_contact = inv.kind == "ACCREC" && self.rng.random_bool(0.8);
            let pay_date = inv.date + self.rng.random_range(0..=45) * DAY;
            let pay_at = pay_date + 9 * HOUR + self.rng.random_range(0..8 * HOUR);
            if self.before_limit(pay_at).is_some() && pay_at > created && self.rng.random_bool(0.9)
            {
                let partial = self.rng.random_bool(0.1);
                let amount = if partial {
                    div_round(inv.total * self.rng.random_range(30..70), 100)
                } else {
                    inv.total
                };
                if amount > 0 {
                    let bank = self.roles.banks[self.rng.random_range(0..self.roles.banks.len())];
                    inv.payments.push(Payment {
                        id: Id::random(&mut self.rng),
                        date: pay_date,
                        amount,
                        bank,
                    });
                    evs.push((pay_at, Ev::Pay(0, 0)));
                    if !partial {
                        inv.status = "PAID";
                    }
                }
            }
        }
        evs
    }

    pub(super) fn bank_transactions(
        &mut self,
        n: usize,
        max_lines: usize,
        contacts: usize,
    ) -> Vec<BankTransaction> {
        let mut out: Vec<Planned<BankTransaction>> = Vec::with_capacity(n);
        for _ in 0..n {
            let receive = self.rng.random_bool(0.35);
            let (date, created) = self.day_and_time();
            let types = self.amount_types(0.25);
            let lines = self.lines(receive, max_lines, types);
            let (sub_total, total_tax, total) = totals(&lines, types);
            let mut bt = BankTransaction {
                id: Id::random(&mut self.rng),
                kind: if receive { "RECEIVE" } else { "SPEND" },
                contact: self.rng.random_range(0..contacts.max(1)) as u32,
                bank: self.roles.banks[self.rng.random_range(0..self.roles.banks.len())],
                date,
                reference: if self.rng.random_bool(0.5) {
                    format!("Ref {}", self.rng.random_range(100..99_999))
                } else {
                    String::new()
                },
                is_reconciled: self.rng.random_bool(0.75),
                status: "AUTHORISED",
                amount_types: types,
                lines,
                sub_total,
                total_tax,
                total,
                updated: created,
            };
            let mut evs = vec![(created, Ev::Bank(0))];
            let delete_at = created + self.rng.random_range(HOUR..10 * DAY);
            if self.rng.random_bool(0.05) && self.before_limit(delete_at).is_some() {
                bt.status = "DELETED";
                evs.push((delete_at, Ev::BankDelete(0)));
            }
            out.push((created, bt, evs));
        }
        out.sort_by_key(|(created, _, _)| *created);
        out.into_iter()
            .enumerate()
            .map(|(i, (_, bt, evs))| {
                self.events
                    .extend(evs.into_iter().map(|(at, ev)| (at, reindex(ev, i))));
                bt
            })
            .collect()
    }

    pub(super) fn manual_journals(&mut self, n: usize) -> Vec<ManualJournal> {
        let mut out: Vec<Planned<ManualJournal>> = Vec::with_capacity(n);
        for _ in 0..n {
            let (date, created) = self.day_and_time();
            let template = self.rng.random_range(0..JOURNAL_NARRATIONS.len());
            let lines = self.manual_template(template);
            let r: f64 = self.rng.random();
            let mut mj = ManualJournal {
                id: Id::random(&mut self.rng),
                narration: JOURNAL_NARRATIONS[template].to_owned(),
                date,
                status: "POSTED",
                lines,
                show_on_cash_basis: true,
                updated: created,
            };
            let mut evs = Vec::new();
            if r < 0.07 {
                mj.status = "DRAFT";
            } else {
                evs.push((created, Ev::Manual(0)));
                let void_at = created + self.rng.random_range(HOUR..15 * DAY);
                if r < 0.12 && self.before_limit(void_at).is_some() {
                    mj.status = "VOIDED";
                    evs.push((void_at, Ev::ManualVoid(0)));
                }
            }
            out.push((created, mj, evs));
        }
        out.sort_by_key(|(created, _, _)| *created);
        out.into_iter()
            .enumerate()
            .map(|(i, (_, mj, evs))| {
                self.events
                    .extend(evs.into_iter().map(|(at, ev)| (at, reindex(ev, i))));
                mj
            })
            .collect()
    }

    /// Balanced lines for one of the [`JOURNAL_NARRATIONS`] templates.
    fn manual_template(&mut self, template: usize) -> Vec<ManualLine> {
        let r = self.roles.clone();
        let bank = r.banks[0];
        let mut amount = |lo: i64, hi: i64| self.rng.random_range(lo..hi);
        let spec: Vec<(u16, i64, &str)> = match template {
            0 => {
                let x = amount(5_000, 200_000);
                vec![
                    (r.depreciation, x, "Depreciation"),
                    (r.accumulated_depreciation, -x, "Accumulated depreciation"),
                ]
            }
            1 => {
                let x = amount(100_000, 2_000_000);
                vec![
                    (bank, x, "Funds introduced"),
                    (r.owner_funds, -x, "Funds introduced"),
                ]
            }
            2 => {
                let (a, b) = (amount(1_000, 90_000), amount(1_000, 90_000));
                let e1 = r.expense[(a as usize) % r.expense.len()];
                let e2 = r.expense[(b as usize) % r.expense.len()];
                vec![
                    (e1, a, "Accrued expense"),
                    (e2, b, "Accrued expense"),
                    (r.accruals, -(a + b), "Accruals"),
                ]
            }
            3 => {
                let (p, i) = (amount(50_000, 500_000), amount(1_000, 30_000));
                vec![
                    (r.loan, p, "Principal"),
                    (r.interest, i, "Interest"),
                    (bank, -(p + i), "Loan repayment"),
                ]
            }
            _ => {
                let x = amount(200_000, 1_500_000);
                vec![(r.wages, x, "Wages"), (bank, -x, "Wages paid")]
            }
        };
        spec.into_iter()
            .map(|(account, amount, description)| ManualLine {
                description: description.to_owned(),
                account,
                amount,
                tracking: if account == r.wages {
                    self.line_tracking()
                } else {
                    [None, None]
                },
            })
            .collect()
    }
}
