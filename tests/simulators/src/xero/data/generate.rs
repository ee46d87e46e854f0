//! The deterministic organisation generator.
//!
//! Given a seed, a size, a country and "now", it builds the organisation record, the chart
//! of accounts, tracking categories, contacts, invoices/bills (DRAFT, SUBMITTED, DELETED,
//! AUTHORISED, partly paid, PAID, VOIDED), bank transactions and manual journals dated
//! over `history_days` up to yesterday, then replays every approval, payment, void and
//! deletion in time order to derive the general ledger (see [`super::ledger`]). Every
//! timestamp is before "now", so later mutations on the simulator clock come after it.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::chart::{Locale, Roles, build_chart};
use super::ledger::{self, JournalHead};
use super::names::{self, JOURNAL_NARRATIONS, PURCHASE_ITEMS, SALES_ITEMS};
use super::records::*;
use super::size::GenerateOptions;
use super::{OrgData, OrgProfile};
use crate::clock::{DAY, HOUR, MINUTE, Millis};
use crate::xero::dates::midnight;

/// Something that happens to a document at a point in time and posts a journal.
#[derive(Clone, Copy, Debug)]
enum Ev {
    Approve(usize),
    Pay(usize, usize),
    Void(usize),
    Bank(usize),
    BankDelete(usize),
    Manual(usize),
    ManualVoid(usize),
}

struct Gen<'a> {
    rng: StdRng,
    locale: Locale,
    roles: Roles,
    tracking: &'a [TrackingCategory],
    start: Millis,
    history: i64,
    /// Latest instant an event may happen at.
    limit: Millis,
    events: Vec<(Millis, Ev)>,
}

/// Generates the organisation `tenant_id` called `name`, as of `now`. `None` only if the
/// built-in chart lacks an account the ledger needs (never in practice).
pub fn generate(
    tenant_id: &str,
    name: &str,
    opts: &GenerateOptions,
    now: Millis,
) -> Option<OrgData> {
    let size = opts.size.clamped();
    let locale = opts.country.locale();
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let today = midnight(now);
    let history = i64::from(size.history_days);
    let start = today - history * DAY;
    let org_created = start - 30 * DAY + rng.random_range(0..DAY);
    let limit = now - MINUTE;
    let mut accounts = build_chart(&mut rng, &locale, org_created + MINUTE);
    let roles = Roles::find(&accounts)?;
    for _ in 0..3 {
        let i = rng.random_range(0..accounts.len());
        if accounts[i].system_account.is_empty() {
            accounts[i].updated = start + rng.random_range(0..(history - 1) * DAY);
        }
    }
    let tracking = tracking_categories(&mut rng, size.tracking_categories);
    let profile = profile(&mut rng, tenant_id, name, org_created, opts.country);
    let mut g = Gen {
        rng,
        locale,
        roles,
        tracking: &tracking,
        start,
        history,
        limit,
        events: Vec::new(),
    };
    let mut contacts = g.contacts(size.contacts as usize, org_created);
    let (mut invoices, last_invoice_number) = g.invoices(
        size.invoices as usize,
        usize::from(size.max_lines_per_document),
        contacts.len(),
    );
    for inv in &invoices {
        if let Some(c) = contacts.get_mut(inv.contact as usize) {
            if inv.kind == "ACCREC" {
                c.is_customer = true;
            } else {
                c.is_supplier = true;
            }
        }
    }
    let mut banks = g.bank_transactions(
        size.bank_transactions as usize,
        usize::from(size.max_lines_per_document.min(3)),
        contacts.len(),
    );
    let mut manuals = g.manual_journals(size.manual_journals as usize);
    let Gen {
        rng,
        locale,
        roles,
        mut events,
        ..
    } = g;
    events.sort_by_key(|(at, _)| *at);
    let mut data = OrgData {
        profile,
        country: opts.country,
        locale,
        roles: roles.clone(),
        accounts,
        tracking,
        contacts: Vec::new(),
        invoices: Vec::new(),
        bank_transactions: Vec::new(),
        manual_journals: Vec::new(),
        journals: Vec::with_capacity(events.len()),
        rng,
        last_invoice_number,
    };
    let mut docs = Docs {
        invoices: &mut invoices,
        banks: &mut banks,
        manuals: &mut manuals,
    };
    for (at, ev) in events {
        replay(&mut data, &roles, at, ev, &mut docs);
    }
    data.contacts = contacts;
    data.invoices = invoices;
    data.bank_transactions = banks;
    data.manual_journals = manuals;
    Some(data)
}

/// The documents whose events are being replayed.
struct Docs<'a> {
    invoices: &'a mut [Invoice],
    banks: &'a mut [BankTransaction],
    manuals: &'a mut [ManualJournal],
}

/// Posts the journal of one event and stamps the document's `UpdatedDateUTC` a few
/// milliseconds after it.
fn replay(data: &mut OrgData, roles: &Roles, at: Millis, ev: Ev, docs: &mut Docs<'_>) {
    let Docs {
        invoices,
        banks,
        manuals,
    } = docs;
    let (created, updated) = match ev {
        Ev::Approve(i) => {
            let inv = &invoices[i];
            let lines = ledger::invoice_lines(&mut data.rng, roles, inv);
            let head = JournalHead {
                date: inv.date,
                reference: Some(inv.reference.clone()),
                source_id: inv.id,
                source_type: inv.kind,
            };
            (data.post(at, head, lines), &mut invoices[i].updated)
        }
        Ev::Pay(i, p) => {
            let inv = &invoices[i];
            let pay = &inv.payments[p];
            let lines = ledger::payment_lines(&mut data.rng, roles, inv, pay);
            let head = JournalHead {
                date: pay.date,
                reference: None,
                source_id: pay.id,
                source_type: if inv.kind == "ACCREC" {
                    "ACCRECPAYMENT"
                } else {
                    "ACCPAYPAYMENT"
                },
            };
            (data.post(at, head, lines), &mut invoices[i].updated)
        }
        Ev::Bank(i) => {
            let bt = &banks[i];
            let lines = ledger::bank_lines(&mut data.rng, roles, bt);
            let head = JournalHead {
                date: bt.date,
                reference: Some(bt.reference.clone()),
                source_id: bt.id,
                source_type: if bt.kind == "RECEIVE" {
                    "CASHREC"
                } else {
                    "CASHPAID"
                },
            };
            (data.post(at, head, lines), &mut banks[i].updated)
        }
        Ev::Manual(i) => {
            let mj = &manuals[i];
            let lines = ledger::manual_lines(&mut data.rng, mj);
            let head = JournalHead {
                date: mj.date,
                reference: Some(mj.narration.clone()),
                source_id: mj.id,
                source_type: "MANJOURNAL",
            };
            (data.post(at, head, lines), &mut manuals[i].updated)
        }
        Ev::Void(i) => (
            data.post_reversal(at, invoices[i].id).unwrap_or(at),
            &mut invoices[i].updated,
        ),
        Ev::BankDelete(i) => (
            data.post_reversal(at, banks[i].id).unwrap_or(at),
            &mut banks[i].updated,
        ),
        Ev::ManualVoid(i) => (
            data.post_reversal(at, manuals[i].id).unwrap_or(at),
            &mut manuals[i].updated,
        ),
    };
    *updated = (*updated).max(created + data.rng.random_range(3..40));
}

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

    fn contacts(&mut self, n: usize, org_created: Millis) -> Vec<Contact> {
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

    fn invoices(&mut self, n: usize, max_lines: usize, contacts: usize) -> (Vec<Invoice>, u32) {
        let mut out: Vec<(Millis, Invoice, Vec<(Millis, Ev)>)> = Vec::with_capacity(n);
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

    fn bank_transactions(
        &mut self,
        n: usize,
        max_lines: usize,
        contacts: usize,
    ) -> Vec<BankTransaction> {
        let mut out: Vec<(Millis, BankTransaction, Vec<(Millis, Ev)>)> = Vec::with_capacity(n);
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

    fn manual_journals(&mut self, n: usize) -> Vec<ManualJournal> {
        let mut out: Vec<(Millis, ManualJournal, Vec<(Millis, Ev)>)> = Vec::with_capacity(n);
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

/// Points an event at document `i` (events are planned before documents are sorted).
fn reindex(ev: Ev, i: usize) -> Ev {
    match ev {
        Ev::Approve(_) => Ev::Approve(i),
        Ev::Pay(_, p) => Ev::Pay(i, p),
        Ev::Void(_) => Ev::Void(i),
        Ev::Bank(_) => Ev::Bank(i),
        Ev::BankDelete(_) => Ev::BankDelete(i),
        Ev::Manual(_) => Ev::Manual(i),
        Ev::ManualVoid(_) => Ev::ManualVoid(i),
    }
}

/// Up to two active categories; with two, an archived third one.
pub(crate) fn tracking_categories(rng: &mut impl Rng, n: u8) -> Vec<TrackingCategory> {
    let defs: [(&str, &str, &[(&str, &str)]); 3] = [
        (
            "Region",
            "ACTIVE",
            &[
                ("North", "ACTIVE"),
                ("South", "ACTIVE"),
                ("East", "ACTIVE"),
                ("West", "ACTIVE"),
                ("Central", "ARCHIVED"),
            ],
        ),
        (
            "Department",
            "ACTIVE",
            &[
                ("Sales", "ACTIVE"),
                ("Operations", "ACTIVE"),
                ("Admin", "ACTIVE"),
                ("Marketing", "ARCHIVED"),
            ],
        ),
        (
            "Project (old)",
            "ARCHIVED",
            &[("Alpha", "ARCHIVED"), ("Beta", "ARCHIVED")],
        ),
    ];
    let take = match n {
        0 => 0,
        1 => 1,
        _ => 3,
    };
    defs.iter()
        .take(take)
        .map(|(name, status, options)| TrackingCategory {
            id: Id::random(rng),
            name: (*name).to_owned(),
            status,
            options: options
                .iter()
                .map(|(o, s)| TrackingOption {
                    id: Id::random(rng),
                    name: (*o).to_owned(),
                    status: s,
                })
                .collect(),
        })
        .collect()
}

fn profile(
    rng: &mut impl Rng,
    tenant_id: &str,
    name: &str,
    created: Millis,
    country: super::Country,
) -> OrgProfile {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut pick = |n: usize, set: &[u8]| -> String {
        (0..n)
            .map(|_| char::from(set[rng.random_range(0..set.len())]))
            .collect()
    };
    let short = format!(
        "!{}",
        pick(5, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    );
    let api_key = pick(30, ALNUM);
    let digits = pick(9, b"0123456789");
    let tax_number = match country {
        super::Country::UK => format!("GB{digits}"),
        super::Country::US => format!("{}-{}", &digits[..2], &digits[2..]),
        _ => format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..]),
    };
    OrgProfile {
        id: tenant_id.to_owned(),
        name: name.to_owned(),
        legal_name: name.to_owned(),
        created,
        short_code: short,
        api_key,
        tax_number,
    }
}
