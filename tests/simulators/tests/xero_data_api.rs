//! Xero Accounting API data endpoints: envelope, paging math, full sync against the
//! ground truth, If-Modified-Since, order/where, journals, trial balance.

mod common;

use std::collections::BTreeMap;

use common::*;
use mooring_simulators::Provider;
use mooring_simulators::xero::data::{GenerateOptions, OrgSize};
use serde_json::Value;

pub struct Data {
    pub w: World,
    pub at: String,
    pub rt: String,
}

pub async fn setup() -> Data {
    let w = world().await;
    w.sim
        .set_journals_premium(Provider::Xero, XERO_ID, true)
        .unwrap();
    w.sim
        .generate_xero_org(&w.uk, GenerateOptions::new(OrgSize::small(), 1))
        .unwrap();
    let t = w.xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.uk]).await;
    let at = s(&t["access_token"]).to_owned();
    let rt = s(&t["refresh_token"]).to_owned();
    Data { w, at, rt }
}

impl Data {
    /// Refreshes the token pair (after moving the clock past 30 minutes).
    async fn refresh(&mut self) {
        let t = self.w.xero_refresh(&self.rt).await.json();
        self.at = s(&t["access_token"]).to_owned();
        self.rt = s(&t["refresh_token"]).to_owned();
    }

    async fn get(&self, path: &str) -> Answer {
        self.w.xero_api(&self.at, Some(&self.w.uk), path, &[]).await
    }

    async fn get_with(&self, path: &str, extra: &[(&str, &str)]) -> Answer {
        self.w
            .xero_api(&self.at, Some(&self.w.uk), path, extra)
            .await
    }

    /// Every page of a paged resource.
    async fn all_pages(&self, resource: &str, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let a = self
                .get(&format!("/{resource}?page={page}&pageSize=17{query}"))
                .await;
            assert_eq!(a.status, 200, "{}", a.text);
            let v = a.json();
            out.extend(v[resource].as_array().unwrap().iter().cloned());
            if page >= v["pagination"]["pageCount"].as_u64().unwrap() {
                return out;
            }
            page += 1;
        }
    }

    async fn all_journals(&self) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut offset = 0;
        loop {
            let v = self.get(&format!("/Journals?offset={offset}")).await.json();
            let batch = v["Journals"].as_array().unwrap().clone();
            assert!(batch.len() <= 100);
            if batch.is_empty() {
                return out;
            }
            offset = batch.last().unwrap()["JournalNumber"].as_i64().unwrap();
            out.extend(batch);
        }
    }
}

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")) * 100.0).round() as i64
}

fn by_id(items: &[Value], key: &str) -> BTreeMap<String, Value> {
    items
        .iter()
        .map(|v| (s(&v[key]).to_owned(), v.clone()))
        .collect()
}

fn is_ms_date(v: &Value) -> bool {
    let t = s(v);
    t.starts_with("/Date(") && t.ends_with("+0000)/")
}

#[tokio::test]
async fn envelope_and_paging_math() {
    let d = setup().await;
    let a = d.get("/Invoices?page=2&pageSize=7").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    for h in [
        "x-daylimit-remaining",
        "x-minlimit-remaining",
        "x-appminlimit-remaining",
        "xero-correlation-id",
    ] {
        assert!(a.header(h).is_some(), "{h}");
    }
    let v = a.json();
    assert_eq!(v["Status"], "OK");
    assert_eq!(s(&v["Id"]).len(), 36);
    let dt = s(&v["DateTimeUTC"]);
    assert!(dt.starts_with("/Date(") && !dt.contains('+'), "{dt}");
    assert_eq!(
        v["pagination"],
        serde_json::json!({"page":2,"pageSize":7,"pageCount":12,"itemCount":80})
    );
    assert!(a.text.find("\"pagination\"").unwrap() < a.text.find("\"Invoices\"").unwrap());
    let invs = v["Invoices"].as_array().unwrap();
    assert_eq!(invs.len(), 7);
    let inv = &invs[0];
    assert!(is_ms_date(&inv["Date"]) && is_ms_date(&inv["UpdatedDateUTC"]));
    assert_eq!(s(&inv["DateString"]).len(), "2018-10-20T00:00:00".len());
    assert!(s(&inv["UpdatedDateUTCString"]).ends_with('Z'));
    assert!(!inv["LineItems"].as_array().unwrap().is_empty());
    // Last page, past the end, the pageSize cap.
    let last = d.get("/Invoices?page=12&pageSize=7").await.json();
    assert_eq!(last["Invoices"].as_array().unwrap().len(), 80 - 77);
    let past = d.get("/Invoices?page=13&pageSize=7").await.json();
    assert_eq!(past["Invoices"], serde_json::json!([]));
    assert_eq!(past["pagination"]["itemCount"], 80);
    let big = d.get("/Contacts?page=1&pageSize=5000").await.json();
    assert_eq!(big["pagination"]["pageSize"], 1000);
    assert_eq!(
        d.get("/Invoices?page=0").await.json()["pagination"]["page"],
        1
    );
    // Unpaged: everything, no pagination object, and no line items (Xero's quirk).
    let all = d.get("/Invoices").await.json();
    assert!(all.get("pagination").is_none());
    let all = all["Invoices"].as_array().unwrap();
    assert_eq!(all.len(), 80);
    assert!(all.iter().all(|i| i["LineItems"] == serde_json::json!([])));
    // Totals are consistent.
    for i in all {
        assert_eq!(
            cents(&i["SubTotal"]) + cents(&i["TotalTax"]),
            cents(&i["Total"])
        );
        if i["Status"] != "VOIDED" {
            assert_eq!(
                cents(&i["AmountDue"]),
                cents(&i["Total"]) - cents(&i["AmountPaid"])
            );
        }
    }
    // Two-decimal money on the wire, like .NET decimals.
    assert!(a.text.contains(r#""AmountCredited":0.00,"#), "money format");
}

#[tokio::test]
async fn full_sync_matches_truth_record_for_record() {
    let d = setup().await;
    let truth = d.w.sim.xero_truth(&d.w.uk).unwrap();
    let pairs: [(&str, &str, &str, &Vec<Value>); 4] = [
        (
            "Contacts",
            "ContactID",
            "&includeArchived=true",
            &truth.contacts,
        ),
        ("Invoices", "InvoiceID", "", &truth.invoices),
        (
            "BankTransactions",
            "BankTransactionID",
            "",
            &truth.bank_transactions,
        ),
        (
            "ManualJournals",
            "ManualJournalID",
            "",
            &truth.manual_journals,
        ),
    ];
    for (resource, key, query, expected) in pairs {
        let got = d.all_pages(resource, query).await;
        assert_eq!(got.len(), expected.len(), "{resource}");
        assert_eq!(by_id(&got, key), by_id(expected, key), "{resource}");
    }
    let accounts = d.get("/Accounts").await.json()["Accounts"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        by_id(&accounts, "AccountID"),
        by_id(&truth.accounts, "AccountID")
    );
    let cats = d
        .get("/TrackingCategories?includeArchived=true")
        .await
        .json();
    let cats = cats["TrackingCategories"].as_array().unwrap().clone();
    assert_eq!(
        by_id(&cats, "TrackingCategoryID"),
        by_id(&truth.tracking_categories, "TrackingCategoryID")
    );
    let journals = d.all_journals().await;
    assert_eq!(journals, truth.journals);
    let org = d.get("/Organisation").await.json();
    assert_eq!(org["Organisations"][0], truth.organisation);
    assert_eq!(org["Organisations"][0]["OrganisationID"], d.w.uk.as_str());
    assert_eq!(org["Organisations"][0]["Name"], "UK Ltd");
    // Archived contacts and tracking entries are hidden by default.
    let active = d.all_pages("Contacts", "").await;
    assert!(
        active.len() < truth.contacts.len()
            || truth
                .contacts
                .iter()
                .all(|c| c["ContactStatus"] == "ACTIVE")
    );
    assert!(active.iter().all(|c| c["ContactStatus"] == "ACTIVE"));
    let cats = d.get("/TrackingCategories").await.json();
    let cats = cats["TrackingCategories"].as_array().unwrap();
    assert_eq!(cats.len(), 2);
    assert!(cats.iter().all(|c| {
        c["Options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["Status"] == "ACTIVE")
    }));
}

#[tokio::test]
async fn if_modified_since_is_inclusive_at_second_precision() {
    let mut d = setup().await;
    d.w.advance(3_600);
    d.refresh().await;
    let t = d.w.sim.now_ms();
    d.w.sim.clock().advance_ms(597);
    let truth = d.w.sim.xero_truth(&d.w.uk).unwrap();
    let id = s(&truth.invoices[5]["InvoiceID"]).to_owned();
    d.w.sim.touch_invoice(&d.w.uk, &id).unwrap();
    let iso = mooring_simulators::timefmt::iso_utc(t); // 2026-11-22T10:00:00.000Z
    let at_second = iso.trim_end_matches(".000Z").to_owned();
    let rfc = "Sun, 22 Nov 2026 10:00:00 GMT";
    let offset = "2026-11-22T02:00:00.999-08:00";
    for header in [
        at_second.as_str(),
        iso.as_str(),
        rfc,
        offset,
        "2026-11-22T10:00:00.999",
    ] {
        let v = d
            .get_with("/Invoices?page=1", &[("if-modified-since", header)])
            .await
            .json();
        let got: Vec<&str> = v["Invoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| s(&i["InvoiceID"]))
            .collect();
        assert_eq!(got, vec![id.as_str()], "{header}");
        assert_eq!(v["pagination"]["itemCount"], 1);
    }
    // One second later the touched invoice (at :00.597) is excluded.
    let later = "2026-11-22T10:00:01";
    let v = d
        .get_with("/Invoices", &[("if-modified-since", later)])
        .await
        .json();
    assert_eq!(v["Invoices"], serde_json::json!([]));
    // Unreadable values are ignored, as Xero ignores them.
    let v = d
        .get_with("/Invoices", &[("if-modified-since", "last tuesday")])
        .await
        .json();
    assert_eq!(v["Invoices"].as_array().unwrap().len(), 80);
    // Accounts and contacts honour it too; journals filter on CreatedDateUTC.
    let v = d
        .get_with("/Accounts", &[("if-modified-since", later)])
        .await
        .json();
    assert_eq!(v["Accounts"], serde_json::json!([]));
    let created = |j: &Value| s(&j["CreatedDateUTC"])[6..19].parse::<i64>().unwrap();
    let since = created(&truth.journals[40]) / 1000 * 1000;
    let ims = mooring_simulators::timefmt::iso_utc(since);
    let v = d
        .get_with("/Journals?offset=0", &[("if-modified-since", &ims)])
        .await
        .json();
    let expected = truth.journals.iter().find(|j| created(j) >= since).unwrap();
    assert_eq!(&v["Journals"][0], expected);
}

#[tokio::test]
async fn order_where_and_query_errors() {
    let d = setup().await;
    let v = d
        .get("/Invoices?page=1&pageSize=100&order=UpdatedDateUTC%20DESC")
        .await
        .json();
    let times: Vec<String> = v["Invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["UpdatedDateUTC"]).to_owned())
        .collect();
    let ms: Vec<i64> = times.iter().map(|t| t[6..19].parse().unwrap()).collect();
    assert!(ms.windows(2).all(|w| w[0] >= w[1]));
    let v = d.get("/Invoices?page=1&order=UpdatedDateUtc").await.json();
    let asc: Vec<i64> = v["Invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["UpdatedDateUTC"])[6..19].parse().unwrap())
        .collect();
    assert!(asc.windows(2).all(|w| w[0] <= w[1]));
    let paid = d.get("/Invoices?where=Status%3D%3D%22PAID%22").await.json();
    let paid = paid["Invoices"].as_array().unwrap();
    assert!(!paid.is_empty() && paid.iter().all(|i| i["Status"] == "PAID"));
    let st = d.get("/Invoices?Statuses=DRAFT,AUTHORISED").await.json();
    assert!(
        st["Invoices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["Status"] == "DRAFT" || i["Status"] == "AUTHORISED")
    );
    let accounts = d.get("/Accounts").await.json()["Accounts"]
        .as_array()
        .unwrap()
        .len();
    let active = d
        .get("/Accounts?where=Status%3D%3D%22ACTIVE%22")
        .await
        .json();
    assert_eq!(active["Accounts"].as_array().unwrap().len(), accounts - 1);
    let codes: Vec<String> = active["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(&a["Code"]).to_owned())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "accounts default to Code order");
    let names: Vec<String> = d
        .all_pages("Contacts", "")
        .await
        .iter()
        .map(|c| s(&c["Name"]).to_lowercase())
        .collect();
    assert!(
        names.windows(2).all(|w| w[0] <= w[1]),
        "contacts default to Name order"
    );
    for bad in [
        "/Invoices?order=Bogus",
        "/Invoices?where=Status%3D%3D",
        "/Contacts?where=Nope%3D%3D1",
    ] {
        let a = d.get(bad).await;
        assert_eq!(a.status, 400, "{bad}");
        let e = a.json();
        assert_eq!(
            (e["ErrorNumber"].as_i64(), s(&e["Type"])),
            (Some(16), "QueryParseException")
        );
    }
}

#[tokio::test]
async fn journals_offset_cap_numbering_and_balance() {
    let d = setup().await;
    let first = d.get("/Journals").await.json();
    assert!(first.get("pagination").is_none());
    let batch = first["Journals"].as_array().unwrap();
    assert_eq!(batch.len(), 100);
    // `page` is not a Journals parameter: same rows.
    assert_eq!(
        d.get("/Journals?page=2").await.json()["Journals"],
        first["Journals"]
    );
    let all = d.all_journals().await;
    let truth = d.w.sim.xero_summary(&d.w.uk).unwrap();
    assert_eq!(all.len(), truth.journals);
    let mut prev = (0i64, 0i64);
    let mut gaps = 0;
    for j in &all {
        let n = j["JournalNumber"].as_i64().unwrap();
        let created: i64 = s(&j["CreatedDateUTC"])[6..19].parse().unwrap();
        assert!(n > prev.0 && created > prev.1);
        gaps += usize::from(n > prev.0 + 1);
        prev = (n, created);
        let lines = j["JournalLines"].as_array().unwrap();
        assert_eq!(
            lines.iter().map(|l| cents(&l["NetAmount"])).sum::<i64>(),
            0,
            "{j}"
        );
        for l in lines {
            assert_eq!(
                cents(&l["GrossAmount"]),
                cents(&l["NetAmount"]) + cents(&l["TaxAmount"])
            );
            assert_eq!(s(&l["AccountID"]).len(), 36);
        }
        assert!(
            [
                "ACCREC",
                "ACCPAY",
                "ACCRECPAYMENT",
                "ACCPAYPAYMENT",
                "CASHREC",
                "CASHPAID",
                "MANJOURNAL"
            ]
            .contains(&s(&j["SourceType"]))
        );
    }
    assert!(gaps > 0, "journal numbers must have gaps");
    let mid = all[150]["JournalNumber"].as_i64().unwrap();
    let after = d.get(&format!("/Journals?offset={mid}")).await.json();
    assert_eq!(after["Journals"][0], all[151]);
    let empty = d.get(&format!("/Journals?offset={}", prev.0)).await.json();
    assert_eq!(empty["Journals"], serde_json::json!([]));
}

#[tokio::test]
async fn trial_balance_balances_and_matches_the_ledger() {
    let d = setup().await;
    let a = d.get("/Reports/TrialBalance").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let r = &a.json()["Reports"][0];
    assert_eq!(
        (s(&r["ReportName"]), s(&r["ReportType"])),
        ("Trial Balance", "TrialBalance")
    );
    assert_eq!(r["ReportTitles"][1], "UK Ltd");
    assert_eq!(r["ReportDate"], "22 November 2026");
    let rows = r["Rows"].as_array().unwrap();
    assert_eq!(rows[0]["RowType"], "Header");
    assert_eq!(rows[0]["Cells"][3]["Value"], "YTD Debit");
    let summary = &rows.last().unwrap()["Rows"][0];
    assert_eq!(summary["RowType"], "SummaryRow");
    let total = |i: usize| s(&summary["Cells"][i]["Value"]).parse::<f64>().unwrap();
    assert!(total(1) > 0.0 && (total(1) - total(2)).abs() < 0.005);
    assert!((total(3) - total(4)).abs() < 0.005);
    // AR's YTD debit is the sum of its journal lines.
    let truth = d.w.sim.xero_truth(&d.w.uk).unwrap();
    let ar = truth
        .accounts
        .iter()
        .find(|a| a["SystemAccount"] == "DEBTORS")
        .unwrap();
    let ar_id = s(&ar["AccountID"]);
    let ledger: i64 = truth
        .journals
        .iter()
        .flat_map(|j| j["JournalLines"].as_array().unwrap())
        .filter(|l| l["AccountID"] == ar_id)
        .map(|l| cents(&l["NetAmount"]))
        .sum();
    let assets = rows.iter().find(|r| r["Title"] == "Assets").unwrap();
    let ar_row = assets["Rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Cells"][0]["Attributes"][0]["Value"] == ar_id)
        .unwrap();
    assert_eq!(ar_row["Cells"][0]["Attributes"][0]["Id"], "account");
    assert_eq!(ar_row["Cells"][0]["Value"], "Accounts Receivable (610)");
    let ytd = s(&ar_row["Cells"][3]["Value"]);
    assert_eq!((ytd.parse::<f64>().unwrap() * 100.0).round() as i64, ledger);
    // An earlier date, and a bad one.
    let early = d.get("/Reports/TrialBalance?date=2026-01-31").await.json();
    assert_eq!(early["Reports"][0]["ReportDate"], "31 January 2026");
    let bad = d.get("/Reports/TrialBalance?date=31/01/2026").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["Type"], "ValidationException");
}
