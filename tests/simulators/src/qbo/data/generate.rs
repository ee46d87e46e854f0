//! The deterministic chart-of-accounts generator.
//!
//! Given a count, a seed and "now" it picks the template's core accounts (the ones every
//! QuickBooks company has, all created in the same second when the company was set up,
//! ~400 days ago) plus seeded optional ones — a sub-account only with its parent — and,
//! beyond the template, numbered expense accounts (some as sub-accounts). `Id`s grow
//! with `CreateTime` in steps of 1–3 (QuickBooks ids are sequential with gaps); about a
//! quarter of the accounts were edited later (`SyncToken` 1–3, later `LastUpdatedTime`);
//! about 5 % of the leaf accounts are inactive. Every stamp is a whole second before now.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::chart::{AccountType, EXTRA_WORDS, TEMPLATE};
use super::{QboAccount, QboCompanyData, whole_second};
use crate::clock::{DAY, HOUR, MINUTE, Millis};

/// Accounts of a company generated on first use.
pub const DEFAULT_ACCOUNTS: usize = 45;
/// Largest chart the generator makes.
pub const MAX_ACCOUNTS: usize = 20_000;
/// Days of history before "now" the accounts were created over.
const HISTORY_DAYS: i64 = 400;

/// An account before it has an `Id`.
struct Plan {
    name: String,
    parent: Option<usize>,
    kind: AccountType,
    sub_type: &'static str,
    description: Option<&'static str>,
    created: Millis,
}

fn between(rng: &mut StdRng, lo: Millis, hi: Millis) -> Millis {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

/// Which template rows to use: the core ones, then seeded optional ones whose parent
/// is already in, until `wanted` rows or the template runs out.
fn pick_rows(rng: &mut StdRng, wanted: usize) -> Vec<bool> {
    let mut included: Vec<bool> = TEMPLATE.iter().map(|r| r.core).collect();
    let mut left = wanted.saturating_sub(included.iter().filter(|i| **i).count());
    let mut order: Vec<usize> = (0..TEMPLATE.len()).filter(|i| !included[*i]).collect();
    order.shuffle(rng);
    while left > 0 {
        let mut progress = false;
        for &i in &order {
            let parent_in = TEMPLATE[i].parent_path().is_none_or(|p| {
                TEMPLATE
                    .iter()
                    .zip(&included)
                    .any(|(r, inc)| *inc && r.path == p)
            });
            if left > 0 && !included[i] && parent_in {
                included[i] = true;
                left -= 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    included
}

fn plan(rng: &mut StdRng, wanted: usize, start: Millis, end: Millis) -> Vec<Plan> {
    let included = pick_rows(rng, wanted);
    let mut plans: Vec<Plan> = Vec::with_capacity(wanted);
    let mut by_path: HashMap<&str, usize> = HashMap::new();
    for (row, _) in TEMPLATE.iter().zip(&included).filter(|(_, inc)| **inc) {
        let parent = row.parent_path().and_then(|p| by_path.get(p).copied());
        let mut created = if row.core {
            start
        } else {
            between(rng, start + HOUR, end)
        };
        if let Some(p) = parent {
            created = created.max(plans[p].created + MINUTE);
        }
        by_path.insert(row.path, plans.len());
        plans.push(Plan {
            name: row.name().to_owned(),
            parent,
            kind: row.kind,
            sub_type: row.sub_type,
            description: row.description,
            created: whole_second(created),
        });
    }
    let parents: Vec<usize> = (0..plans.len())
        .filter(|i| plans[*i].parent.is_none() && plans[*i].kind == AccountType::Expense)
        .collect();
    let extra = wanted.saturating_sub(plans.len());
    for k in 0..extra {
        let word = EXTRA_WORDS[rng.random_range(0..EXTRA_WORDS.len())];
        let parent = (!parents.is_empty() && rng.random_ratio(1, 3))
            .then(|| parents[rng.random_range(0..parents.len())]);
        let mut created = between(rng, start + HOUR, end);
        if let Some(p) = parent {
            created = created.max(plans[p].created + MINUTE);
        }
        plans.push(Plan {
            name: format!("{word} {:04}", k + 1),
            parent,
            kind: AccountType::Expense,
            sub_type: "OtherBusinessExpenses",
            description: None,
            created: whole_second(created),
        });
    }
    plans
}

fn balance(rng: &mut StdRng, kind: AccountType, sub_type: &str) -> i64 {
    let Some((lo, hi, sign)) = kind.balance_range() else {
        return 0;
    };
    if kind != AccountType::Bank && rng.random_ratio(3, 20) {
        return 0;
    }
    let cents = rng.random_range(lo..=hi) * 100 + rng.random_range(0..100);
    let sign = if sub_type == "AccumulatedDepreciation" {
        -1
    } else {
        sign
    };
    sign * cents
}

/// Generates a chart of `count` accounts (at least the 14 core ones, at most
/// [`MAX_ACCOUNTS`]) as of `now`; the same count, seed and now give the same chart.
pub fn generate_accounts(count: usize, seed: u64, now: Millis) -> QboCompanyData {
    let core = TEMPLATE.iter().filter(|r| r.core).count();
    let wanted = count.clamp(core, MAX_ACCOUNTS);
    let mut rng = StdRng::seed_from_u64(seed);
    let start = whole_second(now - HISTORY_DAYS * DAY - rng.random_range(0..DAY));
    let end = now - 2 * DAY;
    let last = whole_second(now - MINUTE);
    let plans = plan(&mut rng, wanted, start, end);
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|i| (plans[*i].created, *i));
    let mut ids = vec![0u64; plans.len()];
    let mut next = 0u64;
    for &i in &order {
        next += rng.random_range(1..=3);
        ids[i] = next;
    }
    let mut accounts: Vec<QboAccount> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| QboAccount {
            id: ids[i],
            name: p.name.clone(),
            parent: p.parent.map(|j| ids[j]),
            kind: p.kind,
            sub_type: p.sub_type,
            description: p.description.map(str::to_owned),
            balance_cents: balance(&mut rng, p.kind, p.sub_type),
            active: true,
            sync_token: 0,
            created: p.created,
            updated: p.created,
        })
        .collect();
    for a in accounts.iter_mut() {
        if rng.random_ratio(1, 4) {
            a.updated = whole_second(between(&mut rng, a.created + MINUTE, last));
            a.sync_token = rng.random_range(1..=3);
        }
    }
    let with_children: HashSet<u64> = accounts.iter().filter_map(|a| a.parent).collect();
    let mut leaves: Vec<usize> = (core..accounts.len()).collect();
    leaves.retain(|i| !with_children.contains(&accounts[*i].id));
    leaves.shuffle(&mut rng);
    let inactive = if wanted >= 20 {
        (wanted / 20).max(1)
    } else {
        0
    };
    for &i in leaves.iter().take(inactive) {
        let a = &mut accounts[i];
        a.active = false;
        a.updated = whole_second(between(&mut rng, a.updated + MINUTE, last));
        a.sync_token += 1;
    }
    accounts.sort_by_key(|a| a.id);
    QboCompanyData {
        accounts,
        requested: count,
        seed,
        ledger: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_795_000_000_000;

    #[test]
    fn deterministic_and_well_formed() {
        let a = generate_accounts(45, 42, NOW);
        assert_eq!(a.accounts, generate_accounts(45, 42, NOW).accounts);
        assert_ne!(a.accounts, generate_accounts(45, 43, NOW).accounts);
        let s = a.summary();
        assert_eq!(s.accounts, 45);
        assert!(s.inactive >= 2 && s.sub_accounts >= 1, "{s:?}");
        let mut last = 0;
        for acc in &a.accounts {
            assert!(acc.id > last);
            last = acc.id;
            assert!(acc.created <= acc.updated && acc.updated < NOW);
            assert_eq!(acc.updated % 1_000, 0);
            if let Some(p) = acc.parent {
                let parent = a.account(p).unwrap();
                assert!(parent.id < acc.id && parent.created < acc.created);
                assert!(a.fully_qualified_name(acc).contains(':'));
            }
            if acc.kind.balance_range().is_none() {
                assert_eq!(acc.balance_cents, 0);
            }
        }
    }

    #[test]
    fn sizes_are_clamped_and_extended() {
        assert_eq!(generate_accounts(0, 1, NOW).accounts.len(), 14);
        let big = generate_accounts(2_500, 1, NOW);
        assert_eq!(big.accounts.len(), 2_500);
        assert!(big.accounts.iter().any(|a| a.name.ends_with(" 0001")));
        assert_eq!(
            generate_accounts(usize::MAX, 1, NOW).accounts.len(),
            MAX_ACCOUNTS
        );
    }
}
