//! Changes over time and what an incremental sync sees of them; the `/_sim/xero`
//! control routes.

mod common;

use common::*;
use mooring_simulators::Provider;
use mooring_simulators::xero::data::{GenerateOptions, NewInvoice, OrgSize};
use serde_json::{Value, json};

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 100.0).round() as i64
}

fn ids(v: &Value, key: &str, field: &str) -> Vec<String> {
    let mut out: Vec<String> = v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x[field]).to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn incremental_sync_sees_every_change() {
    let w = world().await;
    w.sim
        .set_journals_premium(Provider::Xero, XERO_ID, true)
        .unwrap();
    w.sim
        .generate_xero_org(&w.uk, GenerateOptions::new(OrgSize::small(), 4))
        .unwrap();
    let truth = w.sim.xero_truth(&w.uk).unwrap();
    let last_number = truth.journals.last().unwrap()["JournalNumber"]
        .as_i64()
        .unwrap();
    let find = |status: &str| {
        truth
            .invoices
            .iter()
            .find(|i| i["Status"] == status && i["Payments"] == json!([]))
            .map(|i| s(&i["InvoiceID"]).to_owned())
            .unwrap()
    };
    let (to_void, to_pay, to_delete) = (
        find("AUTHORISED"),
        {
            let mut unpaid = truth
                .invoices
                .iter()
                .filter(|i| i["Status"] == "AUTHORISED" && i["Payments"] == json!([]));
            unpaid
                .nth(1)
                .map(|i| s(&i["InvoiceID"]).to_owned())
                .unwrap()
        },
        find("DRAFT"),
    );
    w.advance(2 * 3_600);
    let since = "2026-11-22T11:00:00";
    let contact = w.sim.add_contact(&w.uk, "Brand New Customer Ltd").unwrap();
    let new_inv = w
        .sim
        .add_invoice(
            &w.uk,
            &NewInvoice {
                contact_id: Some(contact.clone()),
                amount: 250.0,
                ..Default::default()
            },
        )
        .unwrap();
    w.sim.void_invoice(&w.uk, &to_void).unwrap();
    w.sim.pay_invoice(&w.uk, &to_pay, None).unwrap();
    w.sim.delete_invoice(&w.uk, &to_delete).unwrap();
    w.sim.archive_account(&w.uk, "400").unwrap();
    assert!(
        w.sim.archive_account(&w.uk, "610").is_err(),
        "system accounts stay"
    );
    assert!(
        w.sim.void_invoice(&w.uk, &to_pay).is_err(),
        "paid invoices cannot be voided"
    );
    assert!(w.sim.delete_invoice(&w.uk, &to_void).is_err());

    let t = w.xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.uk]).await;
    let at = s(&t["access_token"]).to_owned();
    let ims = [("if-modified-since", since)];
    let inv = w
        .xero_api(&at, Some(&w.uk), "/Invoices?page=1", &ims)
        .await
        .json();
    let mut want = vec![
        new_inv.clone(),
        to_void.clone(),
        to_pay.clone(),
        to_delete.clone(),
    ];
    want.sort();
    assert_eq!(ids(&inv, "Invoices", "InvoiceID"), want);
    let by = |id: &str| {
        inv["Invoices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["InvoiceID"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by(&to_void)["Status"], "VOIDED");
    assert_eq!(by(&to_void)["AmountDue"], 0.0);
    assert_eq!(by(&to_pay)["Status"], "PAID");
    assert_eq!(
        cents(&by(&to_pay)["AmountPaid"]),
        cents(&by(&to_pay)["Total"])
    );
    assert_eq!(by(&to_delete)["Status"], "DELETED");
    assert_eq!(
        by(&new_inv)["InvoiceNumber"],
        format!(
            "INV-{:04}",
            truth
                .invoices
                .iter()
                .filter(|i| i["Type"] == "ACCREC")
                .count()
                + 1
        )
    );
    assert_eq!(cents(&by(&new_inv)["SubTotal"]), 25_000);
    // The new contact shows up; the contact whose IsCustomer changed does not (quirk 11).
    let c = w
        .xero_api(&at, Some(&w.uk), "/Contacts?page=1", &ims)
        .await
        .json();
    assert_eq!(ids(&c, "Contacts", "ContactID"), vec![contact.clone()]);
    let a = w.xero_api(&at, Some(&w.uk), "/Accounts", &ims).await.json();
    assert_eq!(a["Accounts"].as_array().unwrap().len(), 1);
    assert_eq!(a["Accounts"][0]["Status"], "ARCHIVED");
    // New journals: approval of the new invoice, the void's reversal, the payment.
    let j = w
        .xero_api(
            &at,
            Some(&w.uk),
            &format!("/Journals?offset={last_number}"),
            &[],
        )
        .await
        .json();
    let journals = j["Journals"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = journals
        .iter()
        .map(|j| (s(&j["SourceType"]), s(&j["SourceID"])))
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!(kinds[0], ("ACCREC", new_inv.as_str()));
    assert_eq!(kinds[1].1, to_void.as_str());
    assert!(kinds[2].0.ends_with("PAYMENT"));
    let original = truth
        .journals
        .iter()
        .find(|j| j["SourceID"] == to_void.as_str())
        .unwrap();
    let nets = |j: &Value| {
        j["JournalLines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| cents(&l["NetAmount"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        nets(&journals[1]),
        nets(original).iter().map(|n| -n).collect::<Vec<_>>()
    );
    assert_eq!(journals[1]["JournalDate"], original["JournalDate"]);
    for j in journals {
        assert_eq!(nets(j).iter().sum::<i64>(), 0);
        assert!(j["JournalNumber"].as_i64().unwrap() > last_number);
    }
    // The same changes through Journals' If-Modified-Since (CreatedDateUTC).
    let again = w.xero_api(&at, Some(&w.uk), "/Journals", &ims).await.json();
    assert_eq!(again["Journals"], j["Journals"]);
    // Touch: only the timestamp moves.
    w.advance(60);
    let touched = w.sim.touch_invoice(&w.uk, &to_pay).unwrap();
    assert_eq!(touched, w.sim.now_ms());
    w.sim.touch_contact(&w.uk, &contact).unwrap();
    w.sim.archive_contact(&w.uk, &contact).unwrap();
    let c = w
        .xero_api(
            &at,
            Some(&w.uk),
            "/Contacts?includeArchived=true",
            &[("if-modified-since", "2026-11-22T11:00:30")],
        )
        .await
        .json();
    assert_eq!(c["Contacts"][0]["ContactStatus"], "ARCHIVED");
}

async fn call(w: &World, method: &str, path: &str, body: Value) -> Answer {
    let url = format!("{}/_sim/xero{path}", w.sim.base_url());
    let rb = match method {
        "GET" => w.http.get(&url),
        "PUT" => w.http.put(&url),
        _ => w.http.post(&url),
    };
    let rb = if body.is_null() {
        rb
    } else {
        rb.header("content-type", "application/json")
            .body(body.to_string())
    };
    let resp = rb.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

#[tokio::test]
async fn control_routes() {
    let w = world().await;
    let g = call(
        &w,
        "POST",
        &format!("/orgs/{}/generate", w.us),
        json!({"size": "small", "seed": 3, "country": "US"}),
    )
    .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.json()["summary"]["invoices"], 80);
    let custom = json!({"size": {"contacts": 3, "invoices": 5, "bank_transactions": 0, "manual_journals": 0}});
    let g = call(&w, "POST", &format!("/orgs/{}/generate", w.uk), custom)
        .await
        .json();
    assert_eq!(g["summary"]["invoices"], 5);
    let truth = call(&w, "GET", &format!("/orgs/{}/truth", w.us), json!(null))
        .await
        .json();
    assert_eq!(truth["organisation"]["BaseCurrency"], "USD");
    assert_eq!(truth["invoices"].as_array().unwrap().len(), 80);
    let summary = call(&w, "GET", &format!("/orgs/{}/summary", w.us), json!(null))
        .await
        .json();
    assert_eq!(summary["contacts"], 25);
    let inv = call(
        &w,
        "POST",
        &format!("/orgs/{}/invoices", w.us),
        json!({"kind": "ACCPAY", "amount": 12.5}),
    )
    .await
    .json();
    let id = s(&inv["invoice_id"]).to_owned();
    let paid = call(
        &w,
        "POST",
        &format!("/orgs/{}/invoices/{id}/pay", w.us),
        json!({"amount": 5.0}),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let c = call(
        &w,
        "POST",
        &format!("/orgs/{}/contacts", w.us),
        json!({"name": "Zed"}),
    )
    .await
    .json();
    let cid = s(&c["contact_id"]);
    assert_eq!(
        call(
            &w,
            "POST",
            &format!("/orgs/{}/contacts/{cid}/archive", w.us),
            json!(null)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(
            &w,
            "POST",
            &format!("/orgs/{}/accounts/404/archive", w.us),
            json!(null)
        )
        .await
        .status,
        200
    );
    // Errors: unknown tenant 404, bad action / preset 400, QuickBooks tenant 400.
    assert_eq!(
        call(&w, "GET", "/orgs/nope/summary", json!(null))
            .await
            .status,
        404
    );
    assert_eq!(
        call(
            &w,
            "POST",
            &format!("/orgs/{}/invoices/{id}/explode", w.us),
            json!(null)
        )
        .await
        .status,
        400
    );
    assert_eq!(
        call(
            &w,
            "POST",
            &format!("/orgs/{}/generate", w.us),
            json!({"size": "huge"})
        )
        .await
        .status,
        400
    );
    assert_eq!(
        call(
            &w,
            "POST",
            &format!("/orgs/{}/generate", w.realm),
            json!({})
        )
        .await
        .status,
        400
    );
    // Rate limits: partial update, usage, reset; latency; forced expiry.
    let l = call(&w, "PUT", "/rate-limits", json!({"per_minute": 2}))
        .await
        .json();
    assert_eq!(
        l["limits"],
        json!({"per_minute": 2, "per_day": 5000, "concurrent": 5, "app_per_minute": 10000})
    );
    assert_eq!(
        call(&w, "POST", "/rate-limits/reset", json!(null))
            .await
            .status,
        200
    );
    assert_eq!(
        call(&w, "POST", "/latency", json!({"ms": 0})).await.status,
        200
    );
    let t = w.xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.us]).await;
    let at = s(&t["access_token"]).to_owned();
    assert_eq!(
        call(
            &w,
            "POST",
            "/expire-access-tokens-after",
            json!({"calls": 1})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        w.xero_api(&at, Some(&w.us), "/Organisation", &[])
            .await
            .status,
        200
    );
    assert_eq!(
        w.xero_api(&at, Some(&w.us), "/Organisation", &[])
            .await
            .status,
        401
    );
    let usage = call(&w, "GET", "/rate-limits", json!(null)).await.json();
    assert_eq!(usage["usage"][0]["day"], 1);
    let counters = w
        .get(&format!("{}/_sim/counters", w.sim.base_url()), &[])
        .await
        .json();
    assert_eq!(counters["xero_data_calls"][w.us.as_str()], 1);
}
