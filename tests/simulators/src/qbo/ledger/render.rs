//! The wire JSON of generated entities, modelled on Intuit's entity reference pages and
//! the samples in reference/quickbooks (JournalEntry read, PROVIDERS.md B3 Invoice):
//! `Id`/`SyncToken` strings, `TxnDate` `YYYY-MM-DD`, refs as `{"value","name"}`, money
//! as JSON numbers, `Line[]` items with `DetailType` and the matching detail object,
//! `domain: "QBO"`, `sparse: false`, `MetaData` stamps (written by
//! [`super::Record::sync_body`]). Single-currency USD companies without sales tax
//! (`TxnTaxDetail.TotalTax` 0).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::EntityKind;
use super::plan::{ItemInfo, Party, Plan};
use crate::qbo::data::render::money;
use crate::timefmt::ymd;

/// What rendering needs besides the plan.
pub(super) struct Ctx<'a> {
    /// Account `Id` → `FullyQualifiedName`.
    pub accounts: &'a HashMap<u64, String>,
    pub customers: &'a [Party],
    pub vendors: &'a [Party],
    pub items: &'a [ItemInfo],
}

/// A company-local day as `YYYY-MM-DD`.
pub(crate) fn day_str(day: i64) -> String {
    ymd(day * 86_400_000)
}

fn usd() -> Value {
    json!({"value": "USD", "name": "United States Dollar"})
}

impl Ctx<'_> {
    fn account(&self, id: u64) -> Value {
        let name = self.accounts.get(&id).cloned().unwrap_or_default();
        json!({"value": id.to_string(), "name": name})
    }

    fn party(&self, list: &[Party], i: Option<usize>) -> Value {
        i.and_then(|i| list.get(i)).map_or(
            Value::Null,
            |p| json!({"value": p.id.to_string(), "name": p.name}),
        )
    }
}

/// Everything about the transaction the body needs, after `Id`s are known.
pub(super) struct Facts<'a> {
    pub plan: &'a Plan,
    pub doc: String,
    /// `Id` of the invoice/bill a payment pays.
    pub linked: Option<u64>,
    /// `Id`s of the payments of an invoice/bill.
    pub paid_by: &'a [u64],
    /// Unpaid amount of an invoice/bill (cents).
    pub balance: i64,
}

fn sales_lines(ctx: &Ctx<'_>, p: &Plan) -> Vec<Value> {
    let mut out: Vec<Value> = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let item = l.item.and_then(|i| ctx.items.get(i));
            let item_ref = item.map_or(
                Value::Null,
                |it| json!({"value": it.id.to_string(), "name": it.name}),
            );
            json!({
                "Id": (i + 1).to_string(),
                "LineNum": i + 1,
                "Description": l.memo,
                "Amount": money(l.amount),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": item_ref,
                    "UnitPrice": money(l.amount / l.qty.max(1)),
                    "Qty": l.qty,
                    "ItemAccountRef": ctx.account(l.account),
                    "TaxCodeRef": {"value": "NON"},
                },
            })
        })
        .collect();
    out.push(json!({"Amount": money(p.total()), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}));
    out
}

fn expense_lines(ctx: &Ctx<'_>, p: &Plan) -> Vec<Value> {
    p.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "Id": (i + 1).to_string(),
                "LineNum": i + 1,
                "Description": l.memo,
                "Amount": money(l.amount),
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": ctx.account(l.account),
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": {"value": "NON"},
                },
            })
        })
        .collect()
}

fn links(ids: &[u64], kind: &str) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| json!({"TxnId": id.to_string(), "TxnType": kind}))
            .collect(),
    )
}

/// The body of a transaction (without `Id`/`SyncToken`/`MetaData`).
pub(super) fn transaction(ctx: &Ctx<'_>, f: &Facts<'_>) -> Value {
    use EntityKind as K;
    let p = f.plan;
    let total = money(p.total());
    let date = day_str(p.day);
    let mut m = Map::new();
    m.insert("TxnDate".into(), json!(date));
    m.insert("CurrencyRef".into(), usd());
    m.insert("TotalAmt".into(), total.clone());
    let customer = || ctx.party(ctx.customers, p.party);
    let vendor = || ctx.party(ctx.vendors, p.party);
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    match p.kind {
        K::Invoice | K::SalesReceipt | K::CreditMemo => {
            put("DocNumber", json!(f.doc));
            put("CustomerRef", customer());
            put("Line", Value::Array(sales_lines(ctx, p)));
            put("TxnTaxDetail", json!({"TotalTax": 0}));
            put("ApplyTaxAfterDiscount", json!(false));
            put("PrintStatus", json!("NotSet"));
            put("EmailStatus", json!("NotSet"));
            put("CustomField", json!([]));
            match p.kind {
                K::Invoice => {
                    put("DueDate", json!(day_str(p.day + 30)));
                    put("SalesTermRef", json!({"value": "3"}));
                    put("Balance", money(f.balance));
                    put("Deposit", json!(0));
                    put("LinkedTxn", links(f.paid_by, "Payment"));
                }
                K::SalesReceipt => {
                    put("Balance", json!(0));
                    put("DepositToAccountRef", ctx.account(p.money));
                    put("PaymentMethodRef", json!({"value": "1", "name": "Cash"}));
                }
                _ => {
                    put("Balance", total.clone());
                    put("RemainingCredit", total.clone());
                }
            }
        }
        K::Payment => {
            put("CustomerRef", customer());
            put("DepositToAccountRef", ctx.account(p.money));
            put("ARAccountRef", ctx.account(p.other));
            put("UnappliedAmt", json!(0));
            put("ProcessPayment", json!(false));
            put(
                "Line",
                json!([{"Amount": total, "LinkedTxn": links(f.linked.as_slice(), "Invoice")}]),
            );
        }
        K::Bill | K::VendorCredit => {
            put("VendorRef", vendor());
            put("APAccountRef", ctx.account(p.money));
            put("Line", Value::Array(expense_lines(ctx, p)));
            put("DocNumber", json!(f.doc));
            if p.kind == K::Bill {
                put("DueDate", json!(day_str(p.day + 30)));
                put("SalesTermRef", json!({"value": "3"}));
                put("Balance", money(f.balance));
                put("LinkedTxn", links(f.paid_by, "BillPaymentCheck"));
            } else {
                put("Balance", total.clone());
            }
        }
        K::BillPayment => {
            put("VendorRef", vendor());
            put("PayType", json!("Check"));
            put(
                "CheckPayment",
                json!({"BankAccountRef": ctx.account(p.money), "PrintStatus": "NotSet"}),
            );
            put("APAccountRef", ctx.account(p.other));
            put("DocNumber", json!(f.doc));
            put(
                "Line",
                json!([{"Amount": total, "LinkedTxn": links(f.linked.as_slice(), "Bill")}]),
            );
        }
        K::Purchase => {
            put("AccountRef", ctx.account(p.money));
            put("PaymentType", json!(p.payment_type));
            put("Credit", json!(false));
            let mut entity = vendor();
            if let Some(e) = entity.as_object_mut() {
                e.insert("type".into(), json!("Vendor"));
            }
            put("EntityRef", entity);
            put("Line", Value::Array(expense_lines(ctx, p)));
            if p.payment_type == "Check" {
                put("DocNumber", json!(f.doc));
            }
        }
        K::Deposit => {
            put("DepositToAccountRef", ctx.account(p.money));
            let lines: Vec<Value> = p
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "Id": (i + 1).to_string(),
                        "LineNum": i + 1,
                        "Amount": money(l.amount),
                        "DetailType": "DepositLineDetail",
                        "DepositLineDetail": {"AccountRef": ctx.account(l.account)},
                    })
                })
                .collect();
            put("Line", Value::Array(lines));
        }
        K::Transfer => {
            m.remove("TotalAmt");
            m.insert("Amount".into(), total);
            m.insert("FromAccountRef".into(), ctx.account(p.money));
            m.insert("ToAccountRef".into(), ctx.account(p.other));
        }
        K::JournalEntry => {
            m.remove("TotalAmt");
            m.insert("DocNumber".into(), json!(f.doc));
            m.insert("Adjustment".into(), json!(false));
            m.insert("TxnTaxDetail".into(), json!({}));
            let lines: Vec<Value> = p
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "Id": i.to_string(),
                        "Description": l.memo,
                        "Amount": money(l.amount),
                        "DetailType": "JournalEntryLineDetail",
                        "JournalEntryLineDetail": {
                            "PostingType": if l.debit { "Debit" } else { "Credit" },
                            "AccountRef": ctx.account(l.account),
                        },
                    })
                })
                .collect();
            m.insert("Line".into(), Value::Array(lines));
        }
        K::Customer | K::Vendor | K::Item => {}
    }
    Value::Object(m)
}

fn address(n: u64) -> Value {
    json!({
        "Id": (n + 100).to_string(),
        "Line1": format!("{} Main St.", 100 + n % 900),
        "City": "Bayshore",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94326",
    })
}

/// A `Customer` or `Vendor` body (without `Id`/`SyncToken`/`Active`/`MetaData`).
pub(super) fn party(
    kind: EntityKind,
    p: &Party,
    person: Option<&(String, String)>,
    balance: i64,
) -> Value {
    let email = format!(
        "{}@example.com",
        p.name
            .to_ascii_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), ".")
    );
    let mut m = Map::new();
    m.insert("DisplayName".into(), json!(p.name));
    m.insert("PrintOnCheckName".into(), json!(p.name));
    m.insert("CompanyName".into(), json!(p.name));
    if let Some((given, family)) = person {
        m.insert("GivenName".into(), json!(given));
        m.insert("FamilyName".into(), json!(family));
        m.remove("CompanyName");
    }
    m.insert("PrimaryEmailAddr".into(), json!({"Address": email}));
    m.insert(
        "PrimaryPhone".into(),
        json!({"FreeFormNumber": format!("(650) 555-{:04}", p.id % 10_000)}),
    );
    m.insert("BillAddr".into(), address(p.id));
    m.insert("CurrencyRef".into(), usd());
    m.insert("Balance".into(), money(balance));
    if kind == EntityKind::Customer {
        m.insert("FullyQualifiedName".into(), json!(p.name));
        m.insert("Taxable".into(), json!(false));
        m.insert("Job".into(), json!(false));
        m.insert("BillWithParent".into(), json!(false));
        m.insert("IsProject".into(), json!(false));
        m.insert("BalanceWithJobs".into(), money(balance));
        m.insert("PreferredDeliveryMethod".into(), json!("Print"));
    } else {
        m.insert("Vendor1099".into(), json!(false));
    }
    Value::Object(m)
}

/// An `Item` body (without `Id`/`SyncToken`/`Active`/`MetaData`).
pub(super) fn item(ctx_accounts: &HashMap<u64, String>, it: &ItemInfo) -> Value {
    let aref = |id: u64| json!({"value": id.to_string(), "name": ctx_accounts.get(&id).cloned().unwrap_or_default()});
    json!({
        "Name": it.name,
        "FullyQualifiedName": it.name,
        "Description": it.name,
        "Type": "Service",
        "UnitPrice": money(it.price.1),
        "PurchaseCost": 0,
        "IncomeAccountRef": aref(it.income),
        "ExpenseAccountRef": aref(it.expense),
        "Taxable": false,
        "TrackQtyOnHand": false,
        "SubItem": false,
    })
}
