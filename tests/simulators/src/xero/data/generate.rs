//! The deterministic organisation generator.
//!
//! Given a seed, a size, a country and "now", it builds the organisation record, the chart
//! of accounts, tracking categories, contacts, invoices/bills (DRAFT, SUBMITTED, DELETED,
//! AUTHORISED, partly paid, PAID, VOIDED), bank transactions and manual journals dated
//! over `history_days` up to yesterday, then replays every approval, payment, void and
//! deletion in time order to derive the general ledger (see [`super::ledger`]). Every
//! timestamp is before "now", so later mutations on the simulator clock come after it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::chart::{Locale, Roles, build_chart};
use super::ledger::{self, JournalHead};
use super::records::*;
use super::size::GenerateOptions;
use super::{OrgData, OrgProfile};
use crate::clock::{DAY, MINUTE, Millis};
use crate::xero::dates::midnight;

/// Something that happens to a document at a point in time and posts a journal.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ev {
    Approve(usize),
    Pay(usize, usize),
    Void(usize),
    Bank(usize),
    BankDelete(usize),
    Manual(usize),
    ManualVoid(usize),
}

/// A document with its creation time and the events planned for it.
pub(super) type Planned<T> = (Millis, T, Vec<(Millis, Ev)>);

/// A tracking category: (name, status, options as (name, status)).
type CategoryDef = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

pub(super) struct Gen<'a> {
    pub(super) rng: StdRng,
    pub(super) locale: Locale,
    pub(super) roles: Roles,
    pub(super) tracking: &'a [TrackingCategory],
    pub(super) start: Millis,
    pub(super) history: i64,
    /// Latest instant an event may happen at.
    pub(super) limit: Millis,
    pub(super) events: Vec<(Millis, Ev)>,
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
        credit_notes: Vec::new(),
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

/// Points an event at document `i` (events are planned before documents are sorted).
pub(super) fn reindex(ev: Ev, i: usize) -> Ev {
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
    let defs: [CategoryDef; 3] = [
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
