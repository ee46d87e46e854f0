//! Planning a company's transactions before they get `Id`s: which kind, when, for whom,
//! which lines on which accounts, and how each posts to the ledger.
//!
//! Posting rules (accrual basis; `+` debit, `-` credit; `T` = the transaction total):
//!
//! | kind | postings |
//! |---|---|
//! | Invoice | A/R `+T`; each line's item income account `-amount` |
//! | SalesReceipt | deposit account `+T`; item income accounts `-amount` |
//! | CreditMemo | item income accounts `+amount`; A/R `-T` |
//! | Payment | deposit account (Undeposited Funds or a bank) `+T`; A/R `-T` |
//! | Bill | expense accounts `+amount`; A/P `-T` |
//! | BillPayment | A/P `+T`; bank `-T` |
//! | VendorCredit | A/P `+T`; expense accounts `-amount` |
//! | Purchase | expense accounts `+amount`; bank or credit card `-T` |
//! | Deposit | bank `+T`; each line's account `-amount` |
//! | Transfer | to-account `+T`; from-account `-T` |
//! | JournalEntry | each line `±amount` by `PostingType` |

use rand::Rng;
use rand::rngs::StdRng;

use super::names::{EXPENSE_MEMOS, ITEMS};
use super::{EntityKind, Posting};
use crate::qbo::data::{AccountType, QboCompanyData};

/// The accounts transactions post to (active accounts only).
pub(super) struct Roles {
    pub checking: u64,
    pub banks: Vec<u64>,
    pub ar: u64,
    pub undeposited: u64,
    pub ap: u64,
    pub opening: u64,
    pub credit_cards: Vec<u64>,
    pub income: Vec<u64>,
    pub other_income: Vec<u64>,
    pub costs: Vec<u64>,
    pub other_expenses: Vec<u64>,
    pub fixed: Vec<u64>,
    pub accum_dep: Vec<u64>,
    pub other_assets: Vec<u64>,
    pub current_assets: Vec<u64>,
    pub current_liab: Vec<u64>,
    pub long_term: Vec<u64>,
    pub owner: Vec<u64>,
}

impl Roles {
    /// Roles from a chart that has QuickBooks' core accounts.
    pub fn of(d: &QboCompanyData) -> Self {
        let active = || d.accounts.iter().filter(|a| a.active);
        let ids = |f: &dyn Fn(AccountType, &str) -> bool| -> Vec<u64> {
            active()
                .filter(|a| f(a.kind, a.sub_type))
                .map(|a| a.id)
                .collect()
        };
        let first = |sub: &str| {
            active()
                .find(|a| a.sub_type == sub)
                .or_else(|| d.accounts.iter().find(|a| a.sub_type == sub))
                .map_or(0, |a| a.id)
        };
        use AccountType as T;
        let mut r = Self {
            checking: first("Checking"),
            banks: ids(&|k, _| k == T::Bank),
            ar: first("AccountsReceivable"),
            undeposited: first("UndepositedFunds"),
            ap: first("AccountsPayable"),
            opening: first("OpeningBalanceEquity"),
            credit_cards: ids(&|k, _| k == T::CreditCard),
            income: ids(&|k, s| k == T::Income && s != "DiscountsRefundsGiven"),
            other_income: ids(&|k, _| k == T::OtherIncome),
            costs: ids(&|k, _| matches!(k, T::Expense | T::CostOfGoodsSold)),
            other_expenses: ids(&|k, _| k == T::OtherExpense),
            fixed: ids(&|k, s| k == T::FixedAsset && s != "AccumulatedDepreciation"),
            accum_dep: ids(&|k, s| k == T::FixedAsset && s == "AccumulatedDepreciation"),
            other_assets: ids(&|k, _| k == T::OtherAsset),
            current_assets: ids(&|k, s| {
                k == T::OtherCurrentAsset && !matches!(s, "UndepositedFunds")
            }),
            current_liab: ids(&|k, _| k == T::OtherCurrentLiability),
            long_term: ids(&|k, _| k == T::LongTermLiability),
            owner: ids(&|k, s| {
                k == T::Equity && !matches!(s, "RetainedEarnings" | "OpeningBalanceEquity")
            }),
        };
        if r.banks.is_empty() {
            r.banks.push(r.checking);
        }
        if r.income.is_empty() {
            r.income.push(first("ServiceFeeIncome"));
        }
        if r.costs.is_empty() {
            r.costs.push(first("OtherMiscellaneousServiceCost"));
        }
        r
    }
}

/// A customer or vendor as transactions refer to it.
#[derive(Clone, Debug)]
pub(super) struct Party {
    pub id: u64,
    pub name: String,
}

/// An item: its name, price range (cents) and accounts.
#[derive(Clone, Debug)]
pub(super) struct ItemInfo {
    pub id: u64,
    pub name: String,
    pub price: (i64, i64),
    pub income: u64,
    pub expense: u64,
}

/// One line of a planned transaction.
#[derive(Clone, Debug)]
pub(super) struct PLine {
    pub account: u64,
    pub amount: i64,
    pub item: Option<usize>,
    pub qty: i64,
    pub memo: String,
    pub debit: bool,
}

/// A transaction before it has an `Id`.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    pub kind: EntityKind,
    pub day: i64,
    pub party: Option<usize>,
    pub lines: Vec<PLine>,
    /// A/R, A/P, the deposit/payment account, or a transfer's from-account.
    pub money: u64,
    /// A transfer's to-account; a bill payment's A/P.
    pub other: u64,
    /// The invoice/bill a payment pays (index into the plans).
    pub link: Option<usize>,
    /// `PaymentType` of a purchase.
    pub payment_type: &'static str,
}

impl Plan {
    /// The transaction total in cents.
    pub fn total(&self) -> i64 {
        match self.kind {
            EntityKind::JournalEntry => self
                .lines
                .iter()
                .filter(|l| l.debit)
                .map(|l| l.amount)
                .sum(),
            _ => self.lines.iter().map(|l| l.amount).sum(),
        }
    }

    /// The ledger lines (they sum to zero).
    pub fn postings(&self) -> Vec<Posting> {
        use EntityKind as K;
        let t = self.total();
        let p = |account, amount| Posting { account, amount };
        let lines = |sign: i64| {
            self.lines
                .iter()
                .map(move |l| p(l.account, sign * l.amount))
        };
        let mut out: Vec<Posting> = Vec::with_capacity(self.lines.len() + 1);
        match self.kind {
            K::Invoice | K::SalesReceipt => {
                out.push(p(self.money, t));
                out.extend(lines(-1));
            }
            K::CreditMemo => {
                out.extend(lines(1));
                out.push(p(self.money, -t));
            }
            K::Payment => {
                out.push(p(self.money, t));
                out.push(p(self.other, -t));
            }
            K::Bill | K::Purchase => {
                out.extend(lines(1));
                out.push(p(self.money, -t));
            }
            K::VendorCredit => {
                out.push(p(self.money, t));
                out.extend(lines(-1));
            }
            K::BillPayment => {
                out.push(p(self.other, t));
                out.push(p(self.money, -t));
            }
            K::Deposit => {
                out.push(p(self.money, t));
                out.extend(lines(-1));
            }
            K::Transfer => {
                out.push(p(self.other, t));
                out.push(p(self.money, -t));
            }
            K::JournalEntry => out.extend(
                self.lines
                    .iter()
                    .map(|l| p(l.account, if l.debit { l.amount } else { -l.amount })),
            ),
            K::Customer | K::Vendor | K::Item => {}
        }
        out
    }
}

fn pick(rng: &mut StdRng, list: &[u64]) -> Option<u64> {
    (!list.is_empty()).then(|| list[rng.random_range(0..list.len())])
}

fn cents(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo * 100..=hi * 100)
}

/// The planner's inputs.
pub(super) struct World<'a> {
    pub roles: &'a Roles,
    pub customers: &'a [Party],
    pub vendors: &'a [Party],
    pub items: &'a [ItemInfo],
    pub first_day: i64,
    pub today: i64,
}

impl World<'_> {
    fn plan(&self, kind: EntityKind, day: i64) -> Plan {
        Plan {
            kind,
            day,
            party: None,
            lines: Vec::new(),
            money: 0,
            other: 0,
            link: None,
            payment_type: "",
        }
    }

    fn item_lines(&self, rng: &mut StdRng) -> Vec<PLine> {
        let n = rng.random_range(1..=4);
        (0..n)
            .map(|_| {
                let i = rng.random_range(0..self.items.len());
                let it = &self.items[i];
                let qty = rng.random_range(1..=12);
                let unit = rng.random_range(it.price.0..=it.price.1);
                PLine {
                    account: it.income,
                    amount: qty * unit,
                    item: Some(i),
                    qty,
                    memo: it.name.clone(),
                    debit: false,
                }
            })
            .collect()
    }

    fn expense_lines(&self, rng: &mut StdRng) -> Vec<PLine> {
        let n = rng.random_range(1..=3);
        (0..n)
            .map(|_| PLine {
                account: pick(rng, &self.roles.costs).unwrap_or(0),
                amount: cents(rng, 20, 900),
                item: None,
                qty: 1,
                memo: EXPENSE_MEMOS[rng.random_range(0..EXPENSE_MEMOS.len())].to_owned(),
                debit: true,
            })
            .collect()
    }

    fn je(&self, pairs: &[(u64, u64)], amount: i64, memo: &str, day: i64) -> Plan {
        let mut p = self.plan(EntityKind::JournalEntry, day);
        for &(dr, cr) in pairs {
            for (account, debit) in [(dr, true), (cr, false)] {
                p.lines.push(PLine {
                    account,
                    amount,
                    item: None,
                    qty: 1,
                    memo: memo.to_owned(),
                    debit,
                });
            }
        }
        p
    }

    /// The opening-balance journal entry on the first day.
    pub fn opening(&self) -> Plan {
        let r = self.roles;
        let mut p = self.je(&[], 0, "", self.first_day);
        let mut debits = vec![(r.checking, 5_000_000)];
        debits.extend(
            r.banks
                .iter()
                .filter(|b| **b != r.checking)
                .map(|b| (*b, 1_500_000)),
        );
        debits.extend(r.fixed.first().map(|f| (*f, 3_000_000)));
        let total: i64 = debits.iter().map(|d| d.1).sum();
        for (account, amount) in debits {
            p.lines.push(PLine {
                account,
                amount,
                item: None,
                qty: 1,
                memo: "Opening balance".into(),
                debit: true,
            });
        }
        p.lines.push(PLine {
            account: r.opening,
            amount: total,
            item: None,
            qty: 1,
            memo: "Opening balance".into(),
            debit: false,
        });
        p
    }

    fn journal(&self, rng: &mut StdRng, day: i64) -> Plan {
        let r = self.roles;
        let amount = cents(rng, 50, 4_000);
        let choice = rng.random_range(0..6);
        let pair = match choice {
            0 => pick(rng, &r.other_expenses).zip(pick(rng, &r.accum_dep)),
            1 => pick(rng, &r.costs).zip(pick(rng, &r.current_liab)),
            2 => Some(r.checking).zip(pick(rng, &r.long_term)),
            3 => pick(rng, &r.owner).zip(Some(r.checking)),
            4 => pick(rng, &r.other_assets).zip(Some(r.checking)),
            _ => pick(rng, &r.current_assets).zip(Some(r.checking)),
        };
        let (dr, cr) = pair.unwrap_or((r.costs[0], r.checking));
        let memos = [
            "Depreciation",
            "Accrued payroll",
            "Loan drawdown",
            "Owner draw",
            "Security deposit",
            "Prepayment",
        ];
        self.je(&[(dr, cr)], amount, memos[choice], day)
    }

    /// One transaction of `kind` (not Payment/BillPayment: those follow a document) on
    /// `day`.
    pub fn one(&self, rng: &mut StdRng, kind: EntityKind, day: i64) -> Plan {
        use EntityKind as K;
        let r = self.roles;
        let mut p = self.plan(kind, day);
        match kind {
            K::Invoice | K::SalesReceipt | K::CreditMemo => {
                p.party = Some(rng.random_range(0..self.customers.len()));
                p.lines = self.item_lines(rng);
                p.money = if kind == K::SalesReceipt {
                    if rng.random_ratio(1, 2) {
                        r.undeposited
                    } else {
                        r.checking
                    }
                } else {
                    r.ar
                };
            }
            K::Bill | K::VendorCredit | K::Purchase => {
                p.party = Some(rng.random_range(0..self.vendors.len()));
                p.lines = self.expense_lines(rng);
                p.money = r.ap;
                if kind == K::Purchase {
                    let card = rng.random_ratio(1, 3).then(|| pick(rng, &r.credit_cards));
                    (p.money, p.payment_type) = match card.flatten() {
                        Some(cc) => (cc, "CreditCard"),
                        None if rng.random_ratio(1, 2) => (r.checking, "Check"),
                        None => (pick(rng, &r.banks).unwrap_or(r.checking), "Cash"),
                    };
                }
            }
            K::Deposit => {
                p.money = pick(rng, &r.banks).unwrap_or(r.checking);
                let from = if rng.random_ratio(1, 4) {
                    pick(rng, &r.other_income).unwrap_or(r.undeposited)
                } else {
                    r.undeposited
                };
                p.lines.push(PLine {
                    account: from,
                    amount: cents(rng, 100, 8_000),
                    item: None,
                    qty: 1,
                    memo: String::new(),
                    debit: false,
                });
            }
            K::Transfer => {
                let to = r
                    .banks
                    .iter()
                    .chain(&r.credit_cards)
                    .copied()
                    .filter(|b| *b != r.checking)
                    .collect::<Vec<_>>();
                p.money = r.checking;
                p.other = pick(rng, &to).unwrap_or(r.undeposited);
                p.lines.push(PLine {
                    account: p.other,
                    amount: cents(rng, 200, 5_000),
                    item: None,
                    qty: 1,
                    memo: String::new(),
                    debit: true,
                });
            }
            _ => p = self.journal(rng, day),
        }
        p
    }

    /// Plans transactions in random order of kind and day until they post at least
    /// `target` ledger lines (the opening entry included). Payments of invoices and
    /// bills follow their document.
    pub fn transactions(&self, rng: &mut StdRng, target: usize) -> Vec<Plan> {
        use EntityKind as K;
        const WEIGHTS: [(EntityKind, u32); 9] = [
            (K::Invoice, 30),
            (K::SalesReceipt, 10),
            (K::CreditMemo, 3),
            (K::Bill, 22),
            (K::VendorCredit, 2),
            (K::Purchase, 18),
            (K::Deposit, 6),
            (K::Transfer, 3),
            (K::JournalEntry, 6),
        ];
        let total_weight: u32 = WEIGHTS.iter().map(|w| w.1).sum();
        let r = self.roles;
        let mut plans = vec![self.opening()];
        let mut lines = plans[0].lines.len();
        while lines < target {
            let mut roll = rng.random_range(0..total_weight);
            let kind = WEIGHTS
                .iter()
                .find(|(_, w)| {
                    let hit = roll < *w;
                    roll = roll.saturating_sub(*w);
                    hit
                })
                .map_or(K::Invoice, |w| w.0);
            let day = rng.random_range(self.first_day..=self.today);
            let p = self.one(rng, kind, day);
            lines += p.postings().len();
            let index = plans.len();
            let settles = matches!(kind, K::Invoice | K::Bill) && rng.random_ratio(13, 20);
            let pay_day = day + rng.random_range(5..45);
            let follow = (settles && pay_day <= self.today).then(|| {
                let total = p.total();
                let amount = if rng.random_ratio(1, 5) {
                    total / 2
                } else {
                    total
                };
                let mut f = self.plan(
                    if kind == K::Invoice {
                        K::Payment
                    } else {
                        K::BillPayment
                    },
                    pay_day,
                );
                f.party = p.party;
                f.link = Some(index);
                f.lines.push(PLine {
                    account: 0,
                    amount,
                    item: None,
                    qty: 1,
                    memo: String::new(),
                    debit: true,
                });
                if kind == K::Invoice {
                    f.money = if rng.random_ratio(1, 2) {
                        r.undeposited
                    } else {
                        r.checking
                    };
                    f.other = r.ar;
                } else {
                    f.money = pick(rng, &r.banks).unwrap_or(r.checking);
                    f.other = r.ap;
                }
                f
            });
            plans.push(p);
            if let Some(f) = follow {
                lines += 2;
                plans.push(f);
            }
        }
        plans
    }
}

/// Items of a company: one per [`ITEMS`] row up to `n`, then numbered variants.
pub(super) fn item_infos(rng: &mut StdRng, roles: &Roles, n: usize) -> Vec<ItemInfo> {
    (0..n)
        .map(|i| {
            let (name, lo, hi) = ITEMS[i % ITEMS.len()];
            let name = if i < ITEMS.len() {
                name.to_owned()
            } else {
                format!("{name} {}", i / ITEMS.len() + 1)
            };
            let income = roles.income[rng.random_range(0..roles.income.len())];
            let expense = roles.costs[rng.random_range(0..roles.costs.len())];
            ItemInfo {
                id: 0,
                name,
                price: (lo * 100, hi * 100),
                income,
                expense,
            }
        })
        .collect()
}
