//! The common model end to end (issue 8), for both providers: each month's
//! `common.actuals` sum to zero across accounts and add up, account by account and
//! month end by month end, to the simulator's ledger (QuickBooks' trial balance as of
//! that date; Xero's journals); `common.accounts` classifies every account type. Also
//! Xero's payments and credit notes, the other half of its actuals work.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::harness::Host;
use crate::quickbooks_sync::{company, errors, feed, sync};

fn cents(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let frac = text.split('.').nth(1).map_or(0, str::len);
    let mut v: i64 = digits.parse().expect("amount");
    for _ in frac..2 {
        v *= 10;
    }
    assert!(frac <= 2, "{text}: more than cents");
    if negative { -v } else { v }
}

fn month_end(month: &str) -> String {
    let (y, m): (i32, u32) = (
        month[..4].parse().expect("year"),
        month[5..7].parse().expect("month"),
    );
    let last_day = match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    format!("{month}-{last_day:02}")
}

/// Checks a connection's `common.actuals`: decimal strings, `debit − credit = net`,
/// every month (and the opening) summing to zero, and for every month end the running
/// balance of every account (opening + movements) equal to `ledger(month end)`
/// (account → debit-positive cents). Returns the month ends checked.
fn check_actuals(
    host: &Host,
    connection: &str,
    ledger: impl Fn(&str) -> BTreeMap<String, i64>,
) -> usize {
    let actuals: Vec<Value> = feed(host, connection, "common.actuals")
        .values()
        .map(|(_, data)| serde_json::from_str(data).expect("json"))
        .collect();
    assert!(!actuals.is_empty());
    let net = |a: &Value| cents(a["net"].as_str().unwrap_or(""));
    let account = |a: &Value| a["account_id"].as_str().unwrap_or("").to_owned();
    let mut by_period: BTreeMap<(String, String), i64> = BTreeMap::new();
    for a in &actuals {
        for field in ["debit", "credit", "net"] {
            assert!(a[field].is_string(), "{field} is a decimal string: {a}");
        }
        let (d, c) = (
            cents(a["debit"].as_str().unwrap_or("")),
            cents(a["credit"].as_str().unwrap_or("")),
        );
        assert!(d >= 0 && c >= 0, "{a}");
        assert_eq!(d - c, net(a), "{a}");
        let key = (
            a["kind"].as_str().unwrap_or("").to_owned(),
            a["period"].as_str().unwrap_or("").to_owned(),
        );
        *by_period.entry(key).or_default() += net(a);
    }
    for (period, sum) in &by_period {
        assert_eq!(*sum, 0, "{period:?} does not balance");
    }
    let mut running: BTreeMap<String, i64> = BTreeMap::new();
    for a in actuals.iter().filter(|a| a["kind"] == "opening") {
        *running.entry(account(a)).or_default() += net(a);
    }
    let months: BTreeSet<String> = actuals
        .iter()
        .filter(|a| a["kind"] == "movement")
        .map(|a| a["period"].as_str().unwrap_or("").to_owned())
        .collect();
    for month in &months {
        for a in actuals
            .iter()
            .filter(|a| a["kind"] == "movement" && a["period"] == month.as_str())
        {
            *running.entry(account(a)).or_default() += net(a);
        }
        let date = month_end(month);
        let tb = ledger(&date);
        for (id, balance) in &running {
            assert_eq!(
                *balance,
                tb.get(id).copied().unwrap_or(0),
                "account {id} at {date}"
            );
        }
        for (id, balance) in &tb {
            assert_eq!(
                running.get(id).copied().unwrap_or(0),
                *balance,
                "account {id} at {date} (missing from actuals?)"
            );
        }
    }
    months.len()
}

#[tokio::test]
async fn actuals_balance_every_month_and_add_up_to_the_trial_balance() {
    let (host, id) = company(2_000).await;
    let runs = sync(&host, &id, Some(&["common.accounts", "common.actuals"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let realm = host.qbo_company.clone();
    let checked = check_actuals(&host, &id, |date| {
        host.sim
            .qbo_trial_balance(&realm, date)
            .expect("trial balance")
            .iter()
            .map(|r| (r.account.to_string(), r.debit_cents - r.credit_cents))
            .filter(|(_, v)| *v != 0)
            .collect()
    });
    assert!(checked >= 24, "{checked} month ends checked");
}

/// Xero's default scopes plus the optional ones the monthly reports need.
const XERO_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.settings.read",
    "accounting.contacts.read",
    "accounting.invoices.read",
    "accounting.banktransactions.read",
    "accounting.manualjournals.read",
    "accounting.journals.read",
    "accounting.reports.trialbalance.read",
    "accounting.payments.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.balancesheet.read",
];

/// Cents of a JSON amount (a number with at most two decimals).
fn json_cents(v: &Value) -> i64 {
    match v {
        Value::String(s) => cents(s),
        other => cents(&other.to_string()),
    }
}

#[tokio::test]
async fn xero_actuals_balance_every_month_and_add_up_to_the_ledger() {
    use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
    let host = Host::start().await;
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::small(), 7))
        .expect("generate");
    let id = host
        .connect("xero", &[&host.uk], Some(XERO_SCOPES.to_vec()))
        .await;
    let runs = sync(&host, &id, Some(&["common.accounts", "common.actuals"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    // The ledger: every journal line, by date.
    let truth = host.sim.xero_truth(&host.uk).expect("truth");
    let mut lines: Vec<(String, String, i64)> = Vec::new();
    for journal in &truth.journals {
        let date = journal["JournalDate"].as_str().unwrap_or("");
        let ms: i64 = date
            .trim_start_matches("/Date(")
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok())
            .expect("journal date");
        let day = chrono_day(ms);
        for line in journal["JournalLines"].as_array().into_iter().flatten() {
            let account = line["AccountID"].as_str().unwrap_or("").to_owned();
            lines.push((day.clone(), account, json_cents(&line["NetAmount"])));
        }
    }
    let checked = check_actuals(&host, &id, |date| {
        let mut tb: BTreeMap<String, i64> = BTreeMap::new();
        for (day, account, amount) in &lines {
            if day.as_str() <= date {
                *tb.entry(account.clone()).or_default() += amount;
            }
        }
        tb.retain(|_, v| *v != 0);
        tb
    });
    assert!(checked >= 12, "{checked} month ends checked");
    // Every account type of the chart is classified as Xero's Type says.
    let expected = |t: &str| match t {
        "BANK" | "CURRENT" | "FIXED" | "INVENTORY" | "NONCURRENT" | "PREPAYMENT" => "asset",
        "CURRLIAB" | "LIABILITY" | "TERMLIAB" | "PAYG" => "liability",
        "EQUITY" => "equity",
        "REVENUE" | "SALES" | "OTHERINCOME" => "revenue",
        "EXPENSE" | "DIRECTCOSTS" | "OVERHEADS" | "DEPRECIATN" => "expense",
        other => panic!("unknown Type {other}"),
    };
    let got = feed(&host, &id, "common.accounts");
    let mut types = BTreeSet::new();
    for account in &truth.accounts {
        let account_id = account["AccountID"].as_str().expect("AccountID");
        let t = account["Type"].as_str().expect("Type");
        types.insert(t.to_owned());
        let (_, data) = &got[account_id];
        let common: Value = serde_json::from_str(data).expect("json");
        assert_eq!(common["classification"], expected(t), "{common}");
        assert_eq!(common["provider_type"], t);
    }
    assert!(
        types.len() >= 10,
        "the chart covers the account types: {types:?}"
    );
}

/// `YYYY-MM-DD` (UTC) of epoch milliseconds.
fn chrono_day(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

#[tokio::test]
async fn common_accounts_classify_every_account_type() {
    let (host, id) = company(2_000).await;
    let runs = sync(&host, &id, Some(&["common.accounts"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let expected = |account_type: &str| match account_type {
        "Bank" | "Accounts Receivable" | "Other Current Asset" | "Fixed Asset" | "Other Asset" => {
            "asset"
        }
        "Accounts Payable" | "Credit Card" | "Other Current Liability" | "Long Term Liability" => {
            "liability"
        }
        "Equity" => "equity",
        "Income" | "Other Income" => "revenue",
        "Expense" | "Other Expense" | "Cost of Goods Sold" => "expense",
        other => panic!("unknown AccountType {other}"),
    };
    let got = feed(&host, &id, "common.accounts");
    let truth = host.sim.qbo_truth(&host.qbo_company).expect("accounts");
    assert_eq!(got.len(), truth.len(), "every account, inactive ones too");
    let mut types = BTreeSet::new();
    for account in &truth {
        let account_id = account["Id"].as_str().expect("Id");
        let account_type = account["AccountType"].as_str().expect("AccountType");
        types.insert(account_type.to_owned());
        let (_, data) = &got[account_id];
        let common: Value = serde_json::from_str(data).expect("json");
        assert_eq!(common["classification"], expected(account_type), "{common}");
        assert_eq!(common["provider_type"], account_type);
        assert_eq!(common["provider_subtype"], account["AccountSubType"]);
        let active = account["Active"].as_bool().unwrap_or(true);
        assert_eq!(common["status"], if active { "active" } else { "archived" });
        assert_eq!(
            common["parent"],
            account
                .pointer("/ParentRef/value")
                .cloned()
                .unwrap_or(Value::Null)
        );
    }
    assert!(
        types.len() >= 10,
        "the chart covers the account types: {types:?}"
    );
}

#[tokio::test]
async fn xero_payments_and_credit_notes_sync_in_pages_of_a_thousand() {
    use mooring_simulators::xero::data::size::{GenerateOptions, OrgSize};
    let host = Host::start().await;
    host.sim
        .generate_xero_org(&host.uk, GenerateOptions::new(OrgSize::small(), 7))
        .expect("generate");
    let id = host
        .connect("xero", &[&host.uk], Some(XERO_SCOPES.to_vec()))
        .await;
    host.sim.clear_requests();
    let runs = sync(&host, &id, Some(&["payments", "credit_notes"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let truth = host.sim.xero_truth(&host.uk).expect("truth");
    let expected: BTreeSet<String> = truth
        .invoices
        .iter()
        .flat_map(|i| i["Payments"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["PaymentID"].as_str().map(str::to_owned))
        .collect();
    assert!(!expected.is_empty());
    let got = feed(&host, &id, "payments");
    let live: BTreeSet<String> = got
        .iter()
        .filter(|(_, (deleted, _))| !deleted)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(live, expected, "every payment of every invoice and bill");
    for (payment, (deleted, data)) in &got {
        let v: Value = serde_json::from_str(data).expect("json");
        assert_eq!(*deleted, v["Status"] == "DELETED", "{payment}");
    }
    let paged: Vec<String> = host
        .sim
        .requests()
        .into_iter()
        .map(|r| r.uri)
        .filter(|u| u.contains("/Payments") || u.contains("/CreditNotes"))
        .collect();
    assert!(paged.len() >= 2, "{paged:?}");
    assert!(
        paged.iter().all(|u| u.contains("pageSize=1000")),
        "{paged:?}"
    );
}

#[tokio::test]
async fn xero_credit_notes_sync_and_a_voided_one_becomes_a_tombstone() {
    use std::time::Duration;
    let host = Host::start().await;
    let id = host
        .connect("xero", &[&host.uk], Some(XERO_SCOPES.to_vec()))
        .await;
    let sale = host
        .sim
        .add_credit_note(
            &host.uk,
            "ACCRECCREDIT",
            Some("Refunded Customer Ltd"),
            25_000,
        )
        .expect("sales credit note");
    let bill = host
        .sim
        .add_credit_note(
            &host.uk,
            "ACCPAYCREDIT",
            Some("Crediting Supplier Ltd"),
            7_500,
        )
        .expect("supplier credit note");
    host.advance(Duration::from_secs(5));
    host.sim.clear_requests();
    let runs = sync(&host, &id, Some(&["credit_notes"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let first = feed(&host, &id, "credit_notes");
    let live: BTreeSet<&str> = first
        .iter()
        .filter(|(_, (deleted, _))| !deleted)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(live, BTreeSet::from([sale.as_str(), bill.as_str()]));
    let bill_before = first[&bill].1.clone();
    let v: Value = serde_json::from_str(&first[&sale].1).expect("json");
    assert_eq!(v["Type"], "ACCRECCREDIT");
    assert_eq!(v["Status"], "AUTHORISED");

    host.advance(Duration::from_secs(60));
    host.sim.void_credit_note(&host.uk, &sale).expect("void");
    host.advance(Duration::from_secs(60));
    host.sim.clear_requests();
    let runs = sync(&host, &id, Some(&["credit_notes"])).await;
    assert!(errors(&runs).is_empty(), "{:?}", errors(&runs));
    let requests: Vec<_> = host
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.uri.contains("/CreditNotes"))
        .collect();
    assert!(!requests.is_empty(), "/CreditNotes was not called");
    for r in &requests {
        assert!(r.uri.contains("pageSize=1000"), "{}", r.uri);
        assert!(
            r.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("if-modified-since")),
            "not incremental: {:?}",
            r.headers
        );
    }
    let second = feed(&host, &id, "credit_notes");
    assert!(second[&sale].0, "the voided credit note is a tombstone");
    assert!(!second[&bill].0);
    assert_eq!(second[&bill].1, bill_before, "the other one is unchanged");
    assert_eq!(
        host.sim.xero_credit_notes(&host.uk).expect("credit notes"),
        [(sale, "VOIDED".to_owned()), (bill, "AUTHORISED".to_owned())]
    );
}
