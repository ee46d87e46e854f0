//! `TrialBalance` as of `end_date`, shaped like Intuit's sample
//! (reference/quickbooks/intuitdocs_TrialBalance_report.json): columns Account, Debit,
//! Credit; one `ColData` row per account with a non-zero balance (`value` the fully
//! qualified name, `id` the account `Id`; the balance on its debit or credit side, the
//! other cell `""`), then the `GrandTotal` section whose debit and credit totals are
//! equal. Balances are QuickBooks' view ([`crate::qbo::ledger::totals::report_balances`]):
//! P&L accounts fiscal-year-to-date, earlier years' P&L in Retained Earnings.

use serde_json::{Value, json};

use super::shape::{self, amt, text};
use crate::clock::Millis;
use crate::qbo::data::QboCompanyData;
use crate::qbo::ledger::totals::report_trial_balance;

/// The order QuickBooks lists account types in.
fn type_rank(d: &QboCompanyData, id: u64) -> usize {
    use crate::qbo::data::AccountType as T;
    const ORDER: [T; 15] = [
        T::Bank,
        T::AccountsReceivable,
        T::OtherCurrentAsset,
        T::FixedAsset,
        T::OtherAsset,
        T::AccountsPayable,
        T::CreditCard,
        T::OtherCurrentLiability,
        T::LongTermLiability,
        T::Equity,
        T::Income,
        T::CostOfGoodsSold,
        T::Expense,
        T::OtherIncome,
        T::OtherExpense,
    ];
    d.account(id)
        .and_then(|a| ORDER.iter().position(|k| *k == a.kind))
        .unwrap_or(ORDER.len())
}

/// The report body.
pub fn report(d: &QboCompanyData, start: i64, end: i64, now: Millis) -> Value {
    let mut rows = report_trial_balance(d, end);
    rows.sort_by_key(|r| (type_rank(d, r.account), r.name.to_lowercase()));
    let (mut debit, mut credit) = (0, 0);
    let mut out: Vec<Value> = rows
        .iter()
        .map(|r| {
            debit += r.debit_cents;
            credit += r.credit_cents;
            let side = |c: i64| if c == 0 { text("") } else { text(&amt(c)) };
            json!({"ColData": [
                {"value": r.name, "id": r.account.to_string()},
                side(r.debit_cents),
                side(r.credit_cents),
            ]})
        })
        .collect();
    if !out.is_empty() {
        out.push(
            json!({"group": "GrandTotal", "type": "Section", "Summary": {"ColData": [
            text("TOTAL"), text(&amt(debit)), text(&amt(credit))]}}),
        );
    }
    let columns = json!({"Column": [
        {"ColType": "Account", "ColTitle": ""},
        {"ColType": "Money", "ColTitle": "Debit"},
        {"ColType": "Money", "ColTitle": "Credit"},
    ]});
    shape::report(
        shape::header("TrialBalance", start, end, None, false, now),
        columns,
        out,
    )
}
