//! The seeded generator of a whole company: the full chart of accounts (every template
//! row, so every `AccountType` and the usual `AccountSubType`s, active and inactive),
//! customers, vendors, items (about 5 % inactive and never used), and transactions over
//! the 24 months up to today until they post the requested number of ledger lines.
//!
//! Stamps: a transaction is created (`MetaData.CreateTime`) on its `TxnDate` between
//! 08:00 and 18:00 company time (never after now), `Id`s grow with `CreateTime` (one
//! sequence for every transaction kind, starting at 100); about 15 % were edited later
//! (`SyncToken` 1–2, a later `LastUpdatedTime`). Account `CurrentBalance`s are the
//! ledger's (debit-positive, balance-sheet accounts only), customer and vendor
//! `Balance`s their open A/R and A/P at generation.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::names::person_or_business;
use super::plan::{Party, Plan, Roles, World, item_infos};
use super::render::{self, Ctx, Facts};
use super::{EntityKind, Ledger, Record};
use crate::clock::{DAY, HOUR, MINUTE, Millis};
use crate::qbo::data::chart::TEMPLATE;
use crate::qbo::data::{AccountType, QboCompanyData, generate_accounts, whole_second};
use crate::qbo::query::time::COMPANY_OFFSET_MIN;
use crate::timefmt::{civil, days_from_civil};

/// Size presets of generated companies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QboSize {
    /// About 2,000 ledger lines.
    Small,
    /// About 20,000 ledger lines.
    Medium,
    /// About 100,000 ledger lines.
    Large,
}

impl QboSize {
    /// Target ledger lines.
    pub fn lines(self) -> usize {
        match self {
            Self::Small => 2_000,
            Self::Medium => 20_000,
            Self::Large => 100_000,
        }
    }
}

/// Largest number of ledger lines the generator makes.
pub const MAX_LINES: usize = 250_000;
/// Months of history (the current one included).
pub const HISTORY_MONTHS: i64 = 24;

const OFFSET_MS: Millis = COMPANY_OFFSET_MIN * MINUTE;

/// The company-local day of an instant.
pub fn local_day(ms: Millis) -> i64 {
    (ms + OFFSET_MS).div_euclid(DAY)
}

/// The instant a company-local day starts.
pub fn day_start(day: i64) -> Millis {
    day * DAY - OFFSET_MS
}

/// The first day of the month `months` before the month of `day`.
pub fn months_back(day: i64, months: i64) -> i64 {
    let c = civil(day * DAY);
    let index = c.year * 12 + i64::from(c.month) - 1 - months;
    let month = u32::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
    days_from_civil(index.div_euclid(12), month, 1)
}

fn between(rng: &mut StdRng, lo: Millis, hi: Millis) -> Millis {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

/// A generated customer or vendor: who, person names, created, active.
type Named = (Party, Option<(String, String)>, Millis, bool);

fn name_list(
    rng: &mut StdRng,
    kind: EntityKind,
    n: usize,
    first_id: u64,
    taken: &mut HashSet<String>,
    window: (Millis, Millis),
) -> Vec<Named> {
    (0..n)
        .map(|i| {
            let (name, person) = person_or_business(rng, taken, kind == EntityKind::Vendor);
            let created = whole_second(between(rng, window.0, window.1));
            let active = !rng.random_ratio(1, 20);
            (
                Party {
                    id: first_id + i as u64,
                    name,
                },
                person,
                created,
                active,
            )
        })
        .collect()
}

fn stamp_edit(rng: &mut StdRng, r: &mut Record, last: Millis, ratio: u32) {
    if rng.random_ratio(ratio, 100) {
        r.updated = whole_second(between(rng, r.created + HOUR, last)).max(r.created);
        r.sync_token = rng.random_range(1..=2);
    }
}

/// The `Preferences` entity of a generated company.
pub fn preferences(created: Millis) -> Value {
    let mut r = Record {
        kind: EntityKind::Customer,
        id: 1,
        body: json!({
            "AccountingInfoPrefs": {"UseAccountNumbers": false, "TrackDepartments": false,
                "ClassTrackingPerTxn": false, "ClassTrackingPerTxnLine": false,
                "CustomerTerminology": "Customers", "BookCloseDate": null,
                "FirstMonthOfFiscalYear": "January", "TaxYearMonth": "January"},
            "ProductAndServicesPrefs": {"ForSales": true, "ForPurchase": true,
                "QuantityWithPriceAndRate": true, "QuantityOnHand": true},
            "SalesFormsPrefs": {"AllowDeposit": false, "AllowDiscount": true,
                "DefaultTerms": {"value": "3"}, "AutoApplyCredit": true},
            "VendorAndPurchasesPrefs": {"TrackingByCustomer": true, "BillableExpenseTracking": true,
                "DefaultTerms": {"value": "3"}},
            "TaxPrefs": {"UsingSalesTax": false, "PartnerTaxEnabled": false},
            "CurrencyPrefs": {"MultiCurrencyEnabled": false,
                "HomeCurrency": {"value": "USD"}},
            "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": false},
            "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business."}]},
        }),
        created,
        updated: created,
        sync_token: 0,
        active: true,
        deleted: None,
        txn_date: None,
        postings: Vec::new(),
    };
    r.sync_body();
    if let Some(m) = r.body.as_object_mut() {
        m.remove("Active");
    }
    r.body
}

/// Generates a company with about `lines` ledger lines (clamped to [`MAX_LINES`]) as of
/// `now`; the same arguments give the same company.
pub fn generate_company(lines: usize, seed: u64, now: Millis) -> QboCompanyData {
    let lines = lines.clamp(10, MAX_LINES);
    let mut d = generate_accounts(TEMPLATE.len() + 10, seed, now);
    d.requested = lines;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5157_4c45_4447_4552);
    let today = local_day(now);
    let first_day = months_back(today, HISTORY_MONTHS - 1);
    let last = whole_second(now - MINUTE);
    let roles = Roles::of(&d);
    let names: HashMap<u64, String> = d
        .accounts
        .iter()
        .map(|a| (a.id, d.fully_qualified_name(a)))
        .collect();
    let setup = (day_start(first_day) - 60 * DAY, day_start(first_day));
    let mut taken = HashSet::new();
    let n_cust = (lines / 150).clamp(8, 2_000);
    let n_vend = (lines / 250).clamp(6, 1_000);
    let customers = name_list(&mut rng, EntityKind::Customer, n_cust, 1, &mut taken, setup);
    let vendors = name_list(
        &mut rng,
        EntityKind::Vendor,
        n_vend,
        n_cust as u64 + 1,
        &mut taken,
        setup,
    );
    let mut items = item_infos(&mut rng, &roles, (lines / 2_000).clamp(8, 60));
    for (i, it) in items.iter_mut().enumerate() {
        it.id = i as u64 + 1;
    }
    let active =
        |l: &[Named]| -> Vec<Party> { l.iter().filter(|p| p.3).map(|p| p.0.clone()).collect() };
    let (act_c, act_v) = (active(&customers), active(&vendors));
    let world = World {
        roles: &roles,
        customers: &act_c,
        vendors: &act_v,
        items: &items,
        first_day,
        today,
    };
    let plans = world.transactions(&mut rng, lines);
    let ctx = Ctx {
        accounts: &names,
        customers: &act_c,
        vendors: &act_v,
        items: &items,
    };
    let txns = transactions(&mut rng, &ctx, &plans, last);
    let mut ledger = Ledger {
        next_txn_id: txns.iter().map(|r| r.id).max().unwrap_or(99) + 1,
        seed,
        ..Ledger::default()
    };
    // Open balances per party and account balances from the postings.
    let mut open: HashMap<(bool, u64), i64> = HashMap::new();
    let mut net: HashMap<u64, i64> = HashMap::new();
    for (p, r) in plans.iter().zip(&txns) {
        for post in &r.postings {
            *net.entry(post.account).or_default() += post.amount;
            if let Some(party) = p.party {
                if post.account == roles.ar {
                    *open.entry((true, act_c[party].id)).or_default() += post.amount;
                } else if post.account == roles.ap {
                    *open.entry((false, act_v[party].id)).or_default() -= post.amount;
                }
            }
        }
    }
    for a in d.accounts.iter_mut() {
        let pl = matches!(a.kind.classification(), "Revenue" | "Expense");
        a.balance_cents = if pl {
            0
        } else {
            net.get(&a.id).copied().unwrap_or(0)
        };
    }
    for (kind, list) in [
        (EntityKind::Customer, &customers),
        (EntityKind::Vendor, &vendors),
    ] {
        let records = list
            .iter()
            .map(|(p, person, created, active)| {
                let bal = open
                    .get(&(kind == EntityKind::Customer, p.id))
                    .copied()
                    .unwrap_or(0);
                let mut r = name_record(
                    kind,
                    p.id,
                    render::party(kind, p, person.as_ref(), bal),
                    *created,
                    *active,
                );
                stamp_edit(&mut rng, &mut r, last, if *active { 20 } else { 100 });
                r.sync_body();
                r
            })
            .collect();
        ledger.entities.insert(kind, records);
    }
    let item_records = items
        .iter()
        .map(|it| {
            let created = whole_second(between(&mut rng, setup.0, setup.1));
            let mut r = name_record(
                EntityKind::Item,
                it.id,
                render::item(&names, it),
                created,
                true,
            );
            stamp_edit(&mut rng, &mut r, last, 20);
            r.sync_body();
            r
        })
        .collect();
    ledger.entities.insert(EntityKind::Item, item_records);
    for kind in EntityKind::TRANSACTIONS {
        ledger.entities.insert(kind, Vec::new());
    }
    for r in txns {
        ledger.entities.entry(r.kind).or_default().push(r);
    }
    for list in ledger.entities.values_mut() {
        list.sort_by_key(|r| r.id);
    }
    ledger.preferences = Some(preferences(setup.0));
    d.ledger = ledger;
    d
}

/// A name-list record.
pub(super) fn name_record(
    kind: EntityKind,
    id: u64,
    body: Value,
    created: Millis,
    active: bool,
) -> Record {
    let mut r = Record {
        kind,
        id,
        body,
        created,
        updated: created,
        sync_token: 0,
        active,
        deleted: None,
        txn_date: None,
        postings: Vec::new(),
    };
    r.sync_body();
    r
}

/// A transaction record from its plan and facts.
pub(super) fn txn_record(ctx: &Ctx<'_>, f: &Facts<'_>, id: u64, created: Millis) -> Record {
    let mut r = Record {
        kind: f.plan.kind,
        id,
        body: render::transaction(ctx, f),
        created,
        updated: created,
        sync_token: 0,
        active: true,
        deleted: None,
        txn_date: Some(f.plan.day),
        postings: f.plan.postings(),
    };
    r.sync_body();
    r
}

/// Document numbers by kind, in `Id` order.
pub(super) fn doc_number(kind: EntityKind, n: u64) -> String {
    use EntityKind as K;
    match kind {
        K::Invoice | K::SalesReceipt | K::CreditMemo => (1000 + n).to_string(),
        K::Bill => format!("B-{n:05}"),
        K::VendorCredit => format!("VC-{n:04}"),
        K::BillPayment | K::Purchase => (5000 + n).to_string(),
        _ => n.to_string(),
    }
}

/// The records of `plans`, in plan order.
fn transactions(rng: &mut StdRng, ctx: &Ctx<'_>, plans: &[Plan], last: Millis) -> Vec<Record> {
    let created: Vec<Millis> = plans
        .iter()
        .map(|p| {
            let at = day_start(p.day) + between(rng, 8 * HOUR, 18 * HOUR);
            whole_second(at.min(last))
        })
        .collect();
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|i| (created[*i], *i));
    let mut ids = vec![0u64; plans.len()];
    let mut next = 99;
    for &i in &order {
        next += rng.random_range(1..=2);
        ids[i] = next;
    }
    let mut paid_by: Vec<Vec<u64>> = vec![Vec::new(); plans.len()];
    let mut paid: Vec<i64> = vec![0; plans.len()];
    for &i in &order {
        if let Some(l) = plans[i].link {
            paid_by[l].push(ids[i]);
            paid[l] += plans[i].total();
        }
    }
    let mut counters: HashMap<EntityKind, u64> = HashMap::new();
    let mut out: Vec<Option<Record>> = vec![None; plans.len()];
    for &i in &order {
        let p = &plans[i];
        let key = match p.kind {
            EntityKind::SalesReceipt | EntityKind::CreditMemo => EntityKind::Invoice,
            EntityKind::Purchase => EntityKind::BillPayment,
            k => k,
        };
        let n = counters.entry(key).or_default();
        *n += 1;
        let facts = Facts {
            plan: p,
            doc: doc_number(p.kind, *n),
            linked: p.link.map(|l| ids[l]),
            paid_by: &paid_by[i],
            balance: p.total() - paid[i],
        };
        let mut r = txn_record(ctx, &facts, ids[i], created[i]);
        stamp_edit(rng, &mut r, last, 15);
        r.sync_body();
        out[i] = Some(r);
    }
    out.into_iter().flatten().collect()
}

/// Whether an account's `AccountType` is a P&L one.
pub fn is_pl(kind: AccountType) -> bool {
    matches!(kind.classification(), "Revenue" | "Expense")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_795_000_000_000;

    #[test]
    fn balanced_deterministic_and_sized() {
        let d = generate_company(3_000, 9, NOW);
        let again = generate_company(3_000, 9, NOW);
        assert_eq!(d.ledger.summary(), again.ledger.summary());
        let s = d.ledger.summary();
        assert!(s.ledger_lines >= 3_000 && s.ledger_lines < 3_100, "{s:?}");
        for r in d.ledger.live_transactions() {
            assert_eq!(
                r.postings.iter().map(|p| p.amount).sum::<i64>(),
                0,
                "{}",
                r.body
            );
            assert!(r.postings.iter().all(|p| d.account(p.account).is_some()));
            assert!(r.created <= r.updated && r.updated < NOW);
        }
        let kinds: HashSet<&str> = d.accounts.iter().map(|a| a.kind.display()).collect();
        assert_eq!(kinds.len(), 15, "{kinds:?}");
        for k in EntityKind::ALL {
            assert!(!d.ledger.records(k).is_empty(), "{k:?}");
        }
    }

    #[test]
    fn month_arithmetic() {
        let day = days_from_civil(2026, 3, 15);
        assert_eq!(months_back(day, 0), days_from_civil(2026, 3, 1));
        assert_eq!(months_back(day, 3), days_from_civil(2025, 12, 1));
        assert_eq!(months_back(day, 23), days_from_civil(2024, 4, 1));
        assert_eq!(local_day(day_start(day)), day);
    }
}
