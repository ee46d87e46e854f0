//! Xero monthly ProfitAndLoss and BalanceSheet computed from the journals (one call,
//! many periods), and the Payments and CreditNotes lists with `pageSize` up to 1000.

mod common;

use std::collections::HashMap;

use common::*;
use mooring_simulators::xero::data::{GenerateOptions, OrgSize};
use serde_json::Value;

const SCOPES: &str = "offline_access accounting.settings.read accounting.invoices.read accounting.payments.read accounting.reports.profitandloss.read accounting.reports.balancesheet.read";

struct Org {
    w: World,
    at: String,
}

async fn setup() -> Org {
    let w = world().await;
    w.sim
        .generate_xero_org(&w.uk, GenerateOptions::new(OrgSize::small(), 3))
        .unwrap();
    let t = w.xero_tokens_scoped(SCOPES, &[&w.uk]).await;
    let at = s(&t["access_token"]).to_owned();
    Org { w, at }
}

impl Org {
    async fn get(&self, path: &str) -> Value {
        let a = self.w.xero_api(&self.at, Some(&self.w.uk), path, &[]).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        a.json()
    }
}

fn money(v: &str) -> i64 {
    let neg = v.starts_with('-');
    let (w, f) = v
        .trim_start_matches('-')
        .split_once('.')
        .unwrap_or((v, "0"));
    let c = w.parse::<i64>().unwrap() * 100 + format!("{f:0<2}")[..2].parse::<i64>().unwrap();
    if neg { -c } else { c }
}

fn ms(v: &Value) -> i64 {
    let t = s(v).trim_start_matches("/Date(");
    t[..t.find(['+', ')']).unwrap()].parse().unwrap()
}

/// Account rows anywhere in the report: account id → per-period cents.
fn account_rows(rows: &Value, out: &mut HashMap<String, Vec<i64>>) {
    for r in rows.as_array().into_iter().flatten() {
        if r["RowType"] == "Row"
            && let Some(id) = r["Cells"][0]["Attributes"][0]["Value"].as_str()
        {
            let cells = r["Cells"].as_array().unwrap();
            out.insert(
                id.to_owned(),
                cells[1..].iter().map(|c| money(s(&c["Value"]))).collect(),
            );
        }
        account_rows(&r["Rows"], out);
    }
}

/// Cells of the row labelled `label` (Row or SummaryRow).
fn labelled(rows: &Value, label: &str) -> Option<Vec<i64>> {
    for r in rows.as_array().into_iter().flatten() {
        if r["Cells"][0]["Value"] == label {
            let cells = r["Cells"].as_array().unwrap();
            return Some(cells[1..].iter().map(|c| money(s(&c["Value"]))).collect());
        }
        if let Some(v) = labelled(&r["Rows"], label) {
            return Some(v);
        }
    }
    None
}

/// A journal line: (date ms, account id, net cents).
type Line = (i64, String, i64);

/// (account id → class) and the journal lines of the truth.
fn ledger(o: &Org) -> (HashMap<String, String>, Vec<Line>) {
    let t = o.w.sim.xero_truth(&o.w.uk).unwrap();
    let class = t
        .accounts
        .iter()
        .map(|a| (s(&a["AccountID"]).to_owned(), s(&a["Class"]).to_owned()))
        .collect();
    let mut lines = Vec::new();
    for j in &t.journals {
        let date = ms(&j["JournalDate"]);
        for l in j["JournalLines"].as_array().unwrap() {
            let net = (l["NetAmount"].as_f64().unwrap() * 100.0).round() as i64;
            lines.push((date, s(&l["AccountID"]).to_owned(), net));
        }
    }
    (class, lines)
}

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn monthly_profit_and_loss_from_the_journals() {
    let o = setup().await;
    let v = o
        .get("/Reports/ProfitAndLoss?fromDate=2026-11-01&toDate=2026-11-30&periods=11&timeframe=MONTH")
        .await;
    let r = &v["Reports"][0];
    assert_eq!(r["ReportType"], "ProfitAndLoss");
    let rows = &r["Rows"];
    let head = rows[0]["Cells"].as_array().unwrap();
    assert_eq!(head.len(), 13, "12 monthly columns");
    assert_eq!(head[1]["Value"], "30 Nov 2026");
    assert_eq!(head[2]["Value"], "31 Oct 2026");
    assert_eq!(head[12]["Value"], "31 Dec 2025");
    // Period k is the month k months before November 2026.
    let starts: Vec<i64> = (0..12)
        .map(|k| {
            let idx = 2026 * 12 + 10 - k;
            mooring_simulators::timefmt::date_ms(idx / 12, (idx % 12 + 1) as u32, 1)
        })
        .collect();
    let ends: Vec<i64> = (0..12)
        .map(|k| {
            if k == 0 {
                starts[0] + 30 * DAY
            } else {
                starts[k - 1]
            }
        })
        .collect();
    let (class, lines) = ledger(&o);
    let mut want: HashMap<String, Vec<i64>> = HashMap::new();
    let mut net = vec![0i64; 12];
    for (date, id, amount) in &lines {
        for k in 0..12 {
            let end_excl = if k == 0 { ends[0] } else { ends[k] };
            if *date >= starts[k] && *date < end_excl {
                let natural = match class[id].as_str() {
                    "REVENUE" => -amount,
                    "EXPENSE" => *amount,
                    _ => continue,
                };
                want.entry(id.clone()).or_insert_with(|| vec![0; 12])[k] += natural;
                net[k] -= amount;
            }
        }
    }
    let mut got = HashMap::new();
    account_rows(rows, &mut got);
    want.retain(|_, v| v.iter().any(|x| *x != 0));
    assert_eq!(got, want);
    assert_eq!(labelled(rows, "Net Profit").unwrap(), net);
    assert!(net.iter().any(|n| *n != 0));
}

#[tokio::test]
async fn monthly_balance_sheet_balances() {
    let o = setup().await;
    let v = o
        .get("/Reports/BalanceSheet?date=2026-10-31&periods=5&timeframe=MONTH")
        .await;
    let rows = &v["Reports"][0]["Rows"];
    let head = rows[0]["Cells"].as_array().unwrap();
    assert_eq!(head.len(), 7);
    assert_eq!(head[1]["Value"], "31 Oct 2026");
    assert_eq!(head[2]["Value"], "30 Sep 2026");
    let net_assets = labelled(rows, "Net Assets").unwrap();
    assert_eq!(labelled(rows, "Total Equity").unwrap(), net_assets);
    let assets = labelled(rows, "Total Assets").unwrap();
    let liabilities = labelled(rows, "Total Liabilities").unwrap();
    let diff: Vec<i64> = assets
        .iter()
        .zip(&liabilities)
        .map(|(a, l)| a - l)
        .collect();
    assert_eq!(diff, net_assets);
    // Asset rows are the running sum of their journal lines.
    let (class, lines) = ledger(&o);
    let mut got = HashMap::new();
    account_rows(rows, &mut got);
    let dates = ["2026-10-31", "2026-09-30", "2026-08-31"];
    for (id, cells) in &got {
        if class[id] != "ASSET" {
            continue;
        }
        for (k, d) in dates.iter().enumerate() {
            let (y, m, dd) = (
                d[..4].parse().unwrap(),
                d[5..7].parse().unwrap(),
                d[8..].parse().unwrap(),
            );
            let at = mooring_simulators::timefmt::date_ms(y, m, dd);
            let want: i64 = lines
                .iter()
                .filter(|l| l.0 <= at && &l.1 == id)
                .map(|l| l.2)
                .sum();
            assert_eq!(cells[k], want, "{id} at {d}");
        }
    }
    let bad =
        o.w.xero_api(
            &o.at,
            Some(&o.w.uk),
            "/Reports/BalanceSheet?periods=13",
            &[],
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn payments_and_credit_notes_page_up_to_1000() {
    let o = setup().await;
    let truth = o.w.sim.xero_truth(&o.w.uk).unwrap();
    let want: usize = truth
        .invoices
        .iter()
        .map(|i| i["Payments"].as_array().unwrap().len())
        .sum();
    assert!(want > 7);
    let big = o.get("/Payments?page=1&pageSize=1000").await;
    assert_eq!(big["Payments"].as_array().unwrap().len(), want.min(1000));
    assert_eq!(big["pagination"]["pageSize"], 1000);
    let p = &big["Payments"][0];
    assert!(p["Invoice"]["InvoiceID"].is_string() && p["Account"]["AccountID"].is_string());
    assert!(matches!(
        s(&p["PaymentType"]),
        "ACCRECPAYMENT" | "ACCPAYPAYMENT"
    ));
    let mut seen = 0;
    let mut page = 1;
    loop {
        let v = o.get(&format!("/Payments?page={page}&pageSize=7")).await;
        let n = v["Payments"].as_array().unwrap().len();
        seen += n;
        if n < 7 {
            break;
        }
        page += 1;
    }
    assert_eq!(seen, want);
    let capped = o.get("/Payments?page=1&pageSize=5000").await;
    assert_eq!(capped["pagination"]["pageSize"], 1000);
    let cn = o.get("/CreditNotes?page=1&pageSize=1000").await;
    assert_eq!(cn["CreditNotes"], serde_json::json!([]));
    assert_eq!(cn["pagination"]["itemCount"], 0);
}

#[tokio::test]
async fn credit_notes_list_pages_and_honours_if_modified_since() {
    use mooring_simulators::xero::dates::date_string;
    let o = setup().await;
    let sim = &o.w.sim;
    let sale = sim
        .add_credit_note(&o.w.uk, "ACCRECCREDIT", None, 12_000)
        .unwrap();
    let bill = sim
        .add_credit_note(&o.w.uk, "ACCPAYCREDIT", Some("Credit Supplier"), 3_000)
        .unwrap();
    let draft = sim
        .add_draft_credit_note(&o.w.uk, "ACCRECCREDIT", None, 500)
        .unwrap();
    let all = o.get("/CreditNotes?page=1&pageSize=1000").await;
    assert_eq!(all["pagination"]["itemCount"], 3);
    let ids: Vec<&str> = all["CreditNotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(&c["CreditNoteID"]))
        .collect();
    assert_eq!(ids, [sale.as_str(), bill.as_str(), draft.as_str()]);
    let first = &all["CreditNotes"][0];
    assert_eq!(first["Type"], "ACCRECCREDIT");
    assert_eq!(first["Status"], "AUTHORISED");
    assert_eq!(first["CreditNoteNumber"], "CN-0001");
    assert_eq!(first["SubTotal"].as_f64(), Some(120.0));
    assert!(s(&first["UpdatedDateUTC"]).starts_with("/Date("));
    assert_eq!(first["LineItems"].as_array().unwrap().len(), 1);
    let truth = sim.xero_truth(&o.w.uk).unwrap();
    assert_eq!(truth.credit_notes, *all["CreditNotes"].as_array().unwrap());
    // Paging: one per page.
    let p2 = o.get("/CreditNotes?page=2&pageSize=1").await;
    assert_eq!(s(&p2["CreditNotes"][0]["CreditNoteID"]), bill);
    assert_eq!(p2["pagination"]["pageCount"], 3);

    sim.clock().advance_ms(60_000);
    let since = date_string(sim.now_ms());
    sim.clock().advance_ms(5_000);
    sim.void_credit_note(&o.w.uk, &sale).unwrap();
    sim.delete_credit_note(&o.w.uk, &draft).unwrap();
    assert!(sim.void_credit_note(&o.w.uk, &sale).is_err());
    assert!(sim.delete_credit_note(&o.w.uk, &bill).is_err());
    let a =
        o.w.xero_api(
            &o.at,
            Some(&o.w.uk),
            "/CreditNotes?page=1&pageSize=1000",
            &[("if-modified-since", since.as_str())],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let changed: Vec<(String, String)> = a.json()["CreditNotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (s(&c["CreditNoteID"]).to_owned(), s(&c["Status"]).to_owned()))
        .collect();
    assert_eq!(
        changed,
        [
            (sale.clone(), "VOIDED".into()),
            (draft.clone(), "DELETED".into())
        ]
    );
    assert_eq!(
        sim.xero_credit_notes(&o.w.uk).unwrap(),
        [
            (sale, "VOIDED".into()),
            (bill, "AUTHORISED".into()),
            (draft, "DELETED".into())
        ]
    );
}
