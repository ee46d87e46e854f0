//! Changes to a company's entities after generation, stamped from the simulator clock
//! (whole seconds, never backwards): touch (an edit: `SyncToken` + 1, later
//! `LastUpdatedTime`), deactivate (name lists), delete (transactions: hard delete,
//! recorded with its time for CDC) and create (a new transaction dated today).
//! Deleting or creating a transaction changes the ledger, so reports, the truth and
//! the balance-sheet accounts' `CurrentBalance` follow.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::generate::{doc_number, is_pl, local_day, txn_record};
use super::plan::{ItemInfo, Party, Roles, World};
use super::render::{Ctx, Facts};
use super::{EntityKind, Posting, Record};
use crate::clock::Millis;
use crate::error::SimError;
use crate::qbo::data::{QboCompanyData, whole_second};

fn bad(what: String) -> SimError {
    SimError::InvalidArgument(what)
}

/// The entity kind named `name` (case-sensitive, as the API).
pub fn kind(name: &str) -> Result<EntityKind, SimError> {
    EntityKind::parse(name).ok_or_else(|| bad(format!("unknown QuickBooks entity {name:?}")))
}

fn parse_id(id: &str) -> Result<u64, SimError> {
    id.trim()
        .parse()
        .map_err(|_| bad(format!("bad QuickBooks Id {id:?}")))
}

fn apply(d: &mut QboCompanyData, postings: &[Posting], sign: i64) {
    for p in postings {
        if let Some(a) = d.accounts.iter_mut().find(|a| a.id == p.account)
            && !is_pl(a.kind)
        {
            a.balance_cents += sign * p.amount;
        }
    }
}

impl QboCompanyData {
    fn live_record(&mut self, kind: EntityKind, id: &str) -> Result<&mut Record, SimError> {
        let n = parse_id(id)?;
        let r = self
            .ledger
            .record_mut(kind, n)
            .ok_or_else(|| bad(format!("no {} with Id {id}", kind.name())))?;
        if r.deleted.is_some() {
            return Err(bad(format!("{} {id} is deleted", kind.name())));
        }
        Ok(r)
    }

    /// Edits an entity: `SyncToken` + 1, `LastUpdatedTime` = now (whole second, never
    /// backwards). Returns the new `LastUpdatedTime`.
    pub fn touch_entity(
        &mut self,
        kind: EntityKind,
        id: &str,
        now: Millis,
    ) -> Result<Millis, SimError> {
        let r = self.live_record(kind, id)?;
        r.updated = r.updated.max(whole_second(now));
        r.sync_token += 1;
        r.sync_body();
        Ok(r.updated)
    }

    /// Makes a customer, vendor or item inactive (and touches it).
    pub fn deactivate_entity(
        &mut self,
        kind: EntityKind,
        id: &str,
        now: Millis,
    ) -> Result<Millis, SimError> {
        if !kind.is_name_list() {
            return Err(bad(format!("{} is not a name list", kind.name())));
        }
        let r = self.live_record(kind, id)?;
        if !r.active {
            return Err(bad(format!("{} {id} is already inactive", kind.name())));
        }
        r.active = false;
        self.touch_entity(kind, id, now)
    }

    /// Deletes a transaction: it leaves queries and the ledger, and CDC reports it as a
    /// `Deleted` stub stamped `now`. Name lists cannot be deleted (deactivate them).
    pub fn delete_entity(
        &mut self,
        kind: EntityKind,
        id: &str,
        now: Millis,
    ) -> Result<Millis, SimError> {
        if kind.is_name_list() {
            return Err(bad(format!(
                "{} cannot be deleted, only made inactive",
                kind.name()
            )));
        }
        let r = self.live_record(kind, id)?;
        r.updated = r.updated.max(whole_second(now));
        r.deleted = Some(r.updated);
        let (at, postings) = (r.updated, r.postings.clone());
        apply(self, &postings, -1);
        Ok(at)
    }

    /// Creates a transaction of `kind` dated today (company time), created now, with the
    /// next `Id`. Payment and BillPayment are refused (they follow a document).
    /// Returns the new `Id`.
    pub fn create_entity(&mut self, kind: EntityKind, now: Millis) -> Result<u64, SimError> {
        if kind.is_name_list() || matches!(kind, EntityKind::Payment | EntityKind::BillPayment) {
            return Err(bad(format!("creating a {} is not supported", kind.name())));
        }
        let roles = Roles::of(self);
        let parties = |k: EntityKind| -> Vec<Party> {
            self.ledger
                .records(k)
                .iter()
                .filter(|r| r.active)
                .map(|r| Party {
                    id: r.id,
                    name: r.body["DisplayName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                })
                .collect()
        };
        let (customers, vendors) = (parties(EntityKind::Customer), parties(EntityKind::Vendor));
        let items: Vec<ItemInfo> = self
            .ledger
            .records(EntityKind::Item)
            .iter()
            .filter(|r| r.active)
            .map(|r| {
                let acct = |k: &str| {
                    r.body[k]["value"]
                        .as_str()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(roles.income[0])
                };
                ItemInfo {
                    id: r.id,
                    name: r.body["Name"].as_str().unwrap_or_default().to_owned(),
                    price: (1_000, 50_000),
                    income: acct("IncomeAccountRef"),
                    expense: acct("ExpenseAccountRef"),
                }
            })
            .collect();
        if customers.is_empty() || vendors.is_empty() || items.is_empty() {
            return Err(bad("this company has no generated ledger".into()));
        }
        let today = local_day(now);
        let world = World {
            roles: &roles,
            customers: &customers,
            vendors: &vendors,
            items: &items,
            first_day: today,
            today,
        };
        self.ledger.created_since += 1;
        let mut rng = StdRng::seed_from_u64(self.ledger.seed ^ (self.ledger.created_since << 20));
        let plan = world.one(&mut rng, kind, today);
        let names = self
            .accounts
            .iter()
            .map(|a| (a.id, self.fully_qualified_name(a)))
            .collect();
        let ctx = Ctx {
            accounts: &names,
            customers: &customers,
            vendors: &vendors,
            items: &items,
        };
        let id = self.ledger.next_txn_id.max(100);
        let n = self.ledger.records(kind).len() as u64 + 1;
        let facts = Facts {
            plan: &plan,
            doc: doc_number(kind, n),
            linked: None,
            paid_by: &[],
            balance: plan.total(),
        };
        let record = txn_record(&ctx, &facts, id, whole_second(now));
        apply(self, &record.postings, 1);
        self.ledger.next_txn_id = id + 1;
        self.ledger.entities.entry(kind).or_default().push(record);
        Ok(id)
    }
}
