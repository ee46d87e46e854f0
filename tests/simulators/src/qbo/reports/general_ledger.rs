//! `GeneralLedger` over `start..=end`, shaped like Intuit's sample
//! (reference/quickbooks/intuitdocs_GeneralLedger_report_TRUNCATED.json): one `Section`
//! per account with activity (flat, `Header.ColData[0]` = `{"value": name, "id"}`), a
//! `Beginning Balance` row when the account had a balance before `start`, one `Data`
//! row per posting in date then transaction order, and a `Total for <name>` summary.
//!
//! `columns=` picks and orders the columns (default `tx_date, txn_type, doc_num, name,
//! memo, split_acc, subt_nat_amount, rbal_nat_amount`); known keys: those plus
//! `account_name`, `account_num`, `debt_amt`, `credit_amt`, `is_adj` (unknown ones are
//! dropped). `ColType` is the key, as in the sample. `subt_nat_amount` is signed the
//! account's natural way (income credit-positive, as the sample's "Design income"
//! 225.0; a debit to it negative), `debt_amt`/`credit_amt` unsigned sides.
//! `txn_type`'s cell carries the transaction `Id`, `name`'s the customer/vendor `Id`,
//! `split_acc`'s the other account's `Id` (or `-Split-`). `account=` (comma-separated
//! `Id`s) restricts the accounts.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::shape::{self, amt_gl, text};
use crate::clock::Millis;
use crate::qbo::data::QboCompanyData;
use crate::qbo::ledger::generate::is_pl;
use crate::qbo::ledger::totals::{fy_start, net_between};
use crate::qbo::ledger::{EntityKind, Record, render_day};

/// The default columns.
pub const DEFAULT_COLUMNS: [&str; 8] = [
    "tx_date",
    "txn_type",
    "doc_num",
    "name",
    "memo",
    "split_acc",
    "subt_nat_amount",
    "rbal_nat_amount",
];

fn title(key: &str) -> Option<&'static str> {
    Some(match key {
        "tx_date" => "Date",
        "txn_type" => "Transaction Type",
        "doc_num" => "Num",
        "name" => "Name",
        "memo" => "Memo/Description",
        "split_acc" => "Split",
        "subt_nat_amount" => "Amount",
        "rbal_nat_amount" => "Balance",
        "account_name" => "Account",
        "account_num" => "Account #",
        "debt_amt" => "Debit",
        "credit_amt" => "Credit",
        "is_adj" => "Adj",
        _ => return None,
    })
}

/// The GL's name of a transaction type.
pub fn txn_type(r: &Record) -> &'static str {
    use EntityKind as K;
    match r.kind {
        K::Invoice => "Invoice",
        K::SalesReceipt => "Sales Receipt",
        K::CreditMemo => "Credit Memo",
        K::Payment => "Payment",
        K::Bill => "Bill",
        K::BillPayment => "Bill Payment (Check)",
        K::VendorCredit => "Vendor Credit",
        K::Purchase => match r.body["PaymentType"].as_str() {
            Some("Check") => "Check",
            Some("CreditCard") => "Credit Card Expense",
            _ => "Expense",
        },
        K::Deposit => "Deposit",
        K::Transfer => "Transfer",
        K::JournalEntry => "Journal Entry",
        K::Customer | K::Vendor | K::Item => "",
    }
}

fn party(r: &Record) -> Value {
    ["CustomerRef", "VendorRef", "EntityRef"]
        .iter()
        .find_map(|k| r.body.get(*k).filter(|v| v.is_object()))
        .map_or_else(
            || text(""),
            |v| json!({"value": v["name"].as_str().unwrap_or_default(), "id": v["value"].as_str().unwrap_or_default()}),
        )
}

struct Line<'a> {
    rec: &'a Record,
    amount: i64,
}

/// The report body.
pub fn report(
    d: &QboCompanyData,
    start: i64,
    end: i64,
    columns: Option<&str>,
    accounts: Option<&str>,
    now: Millis,
) -> Value {
    let keys: Vec<&str> = match columns {
        Some(c) => c
            .split(',')
            .map(str::trim)
            .filter(|k| title(k).is_some())
            .collect(),
        None => DEFAULT_COLUMNS.to_vec(),
    };
    let only: Option<Vec<u64>> =
        accounts.map(|a| a.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    let wanted = |id: u64| only.as_ref().is_none_or(|o| o.contains(&id));
    let mut lines: BTreeMap<u64, Vec<Line<'_>>> = BTreeMap::new();
    let mut txns: Vec<&Record> = d
        .ledger
        .live_transactions()
        .filter(|r| r.txn_date.is_some_and(|t| t >= start && t <= end))
        .collect();
    txns.sort_by_key(|r| (r.txn_date, r.id));
    for r in &txns {
        for p in &r.postings {
            if wanted(p.account) {
                lines.entry(p.account).or_default().push(Line {
                    rec: r,
                    amount: p.amount,
                });
            }
        }
    }
    let before_bs = net_between(d, None, start - 1);
    let before_pl = net_between(d, Some(fy_start(start)), start - 1);
    let mut ids: Vec<u64> = lines.keys().copied().collect();
    for (id, v) in before_bs.iter() {
        let pl = d.account(*id).is_some_and(|a| is_pl(a.kind));
        if *v != 0 && !pl && wanted(*id) && !ids.contains(id) {
            ids.push(*id);
        }
    }
    let mut accts: Vec<&crate::qbo::data::QboAccount> =
        ids.iter().filter_map(|id| d.account(*id)).collect();
    accts.sort_by_key(|a| d.fully_qualified_name(a).to_lowercase());
    let mut rows = Vec::new();
    for a in accts {
        let fqn = d.fully_qualified_name(a);
        let debit_natural = matches!(a.kind.classification(), "Asset" | "Expense");
        let nat = |c: i64| if debit_natural { c } else { -c };
        let opening = if is_pl(a.kind) {
            &before_pl
        } else {
            &before_bs
        };
        let mut running = nat(opening.get(&a.id).copied().unwrap_or(0));
        let mut out = Vec::new();
        if running != 0 {
            let col: Vec<Value> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| match *k {
                    "rbal_nat_amount" => text(&amt_gl(running)),
                    _ if i == 0 => text("Beginning Balance"),
                    _ => text(""),
                })
                .collect();
            out.push(json!({"ColData": col, "type": "Data"}));
        }
        let (mut sub, mut dr, mut cr) = (0, 0, 0);
        for l in lines.get(&a.id).map_or(&[][..], Vec::as_slice) {
            let n = nat(l.amount);
            running += n;
            sub += n;
            dr += l.amount.max(0);
            cr += (-l.amount).max(0);
            let split = {
                let mut others: Vec<u64> = l
                    .rec
                    .postings
                    .iter()
                    .map(|p| p.account)
                    .filter(|x| *x != a.id)
                    .collect();
                others.sort_unstable();
                others.dedup();
                match others.as_slice() {
                    [one] => {
                        json!({"value": d.account(*one).map(|o| d.fully_qualified_name(o)).unwrap_or_default(), "id": one.to_string()})
                    }
                    _ => text("-Split-"),
                }
            };
            let col: Vec<Value> = keys
                .iter()
                .map(|k| match *k {
                    "tx_date" => text(&render_day(l.rec.txn_date.unwrap_or(0))),
                    "txn_type" => json!({"value": txn_type(l.rec), "id": l.rec.id.to_string()}),
                    "doc_num" => text(l.rec.body["DocNumber"].as_str().unwrap_or_default()),
                    "name" => party(l.rec),
                    "memo" => text(l.rec.body["PrivateNote"].as_str().unwrap_or_default()),
                    "split_acc" => split.clone(),
                    "subt_nat_amount" => text(&amt_gl(n)),
                    "rbal_nat_amount" => text(&amt_gl(running)),
                    "account_name" => json!({"value": fqn, "id": a.id.to_string()}),
                    "debt_amt" => text(&if l.amount > 0 {
                        amt_gl(l.amount)
                    } else {
                        String::new()
                    }),
                    "credit_amt" => text(&if l.amount < 0 {
                        amt_gl(-l.amount)
                    } else {
                        String::new()
                    }),
                    "is_adj" => text("false"),
                    _ => text(""),
                })
                .collect();
            out.push(json!({"ColData": col, "type": "Data"}));
        }
        let summary: Vec<Value> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| match *k {
                _ if i == 0 => text(&format!("Total for {fqn}")),
                "subt_nat_amount" => text(&amt_gl(sub)),
                "rbal_nat_amount" => text(&amt_gl(running)),
                "debt_amt" => text(&amt_gl(dr)),
                "credit_amt" => text(&amt_gl(cr)),
                _ => text(""),
            })
            .collect();
        let mut head = vec![json!({"value": fqn, "id": a.id.to_string()})];
        head.extend((1..keys.len()).map(|_| text("")));
        let mut s = json!({"Header": {"ColData": head}, "Summary": {"ColData": summary}, "type": "Section"});
        if !out.is_empty() {
            s["Rows"] = json!({"Row": out});
        }
        rows.push(s);
    }
    let cols: Vec<Value> = keys
        .iter()
        .map(|k| json!({"ColType": k, "ColTitle": title(k).unwrap_or_default()}))
        .collect();
    shape::report(
        shape::header("GeneralLedger", start, end, None, false, now),
        json!({"Column": cols}),
        rows,
    )
}
