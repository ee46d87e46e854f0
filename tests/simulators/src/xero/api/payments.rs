//! `GET /Payments` and `GET /CreditNotes`: paged (`page` 1-based, `pageSize` ≤ 1000,
//! `pagination` object) or unpaged, `If-Modified-Since` on `UpdatedDateUTC`, `where`,
//! `order` — the shared list pipeline ([`super::listing`]).
//!
//! - Payments: every payment of every invoice and bill (the spec's `Payment` schema:
//!   `PaymentID`, `Date`, `Amount`, `BankAmount`, `PaymentType` ACCRECPAYMENT or
//!   ACCPAYPAYMENT, `Status`, `Account`, `Invoice` with its `Contact`), by date;
//!   `UpdatedDateUTC` is when its journal was posted.
//! - CreditNotes: every credit note (none are generated; tests add, void and delete
//!   them through the control API), in creation order, with line items.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::gate::Endpoint;
use super::listing::{Listing, list};
use super::query::{Query, SortKey, if_modified_since};
use super::serve;
use crate::clock::Millis;
use crate::control::SimControl;
use crate::xero::data::render_docs;
use crate::xero::data::{CreditNote, OrgData};
use crate::xero::dates::{date_string, ms_date};
use crate::xero::json::Obj;

type S = State<Arc<SimControl>>;

/// One payment with where it belongs.
pub(crate) struct PaymentRow {
    invoice: usize,
    payment: usize,
    updated: Millis,
}

/// Every payment, by date then id.
pub(crate) fn payment_rows(d: &OrgData) -> Vec<PaymentRow> {
    let mut posted: HashMap<_, Millis> = HashMap::new();
    for j in &d.journals {
        let e = posted.entry(j.source_id).or_insert(j.created);
        *e = (*e).max(j.created);
    }
    let mut rows: Vec<PaymentRow> = d
        .invoices
        .iter()
        .enumerate()
        .flat_map(|(i, inv)| {
            let posted = &posted;
            inv.payments
                .iter()
                .enumerate()
                .map(move |(p, pay)| PaymentRow {
                    invoice: i,
                    payment: p,
                    updated: posted.get(&pay.id).copied().unwrap_or(pay.date),
                })
        })
        .collect();
    rows.sort_by_key(|r| {
        let p = &d.invoices[r.invoice].payments[r.payment];
        (p.date, p.id.to_string())
    });
    rows
}

fn render_payment(out: &mut String, d: &OrgData, r: &PaymentRow) {
    let inv = &d.invoices[r.invoice];
    let p = &inv.payments[r.payment];
    let bank = d.account(p.bank);
    let contact = d.contacts.get(inv.contact as usize);
    let mut o = Obj::new(out);
    o.str("PaymentID", &p.id.to_string())
        .str("Date", &ms_date(p.date))
        .str("DateString", &date_string(p.date))
        .money("BankAmount", p.amount)
        .money("Amount", p.amount)
        .str("Reference", "")
        .raw("CurrencyRate", "1.0000000000")
        .str(
            "PaymentType",
            if inv.kind == "ACCREC" {
                "ACCRECPAYMENT"
            } else {
                "ACCPAYPAYMENT"
            },
        )
        .str("Status", "AUTHORISED")
        .str("UpdatedDateUTC", &ms_date(r.updated))
        .bool("HasAccount", true)
        .bool("IsReconciled", false)
        .obj("Account", |a| {
            a.str(
                "AccountID",
                &bank.map(|b| b.id.to_string()).unwrap_or_default(),
            )
            .str("Code", bank.map_or("", |b| b.code.as_str()));
        })
        .obj("Invoice", |i| {
            i.str("Type", inv.kind)
                .str("InvoiceID", &inv.id.to_string())
                .str("InvoiceNumber", &inv.number)
                .obj("Contact", |c| {
                    c.str(
                        "ContactID",
                        &contact.map(|c| c.id.to_string()).unwrap_or_default(),
                    )
                    .str("Name", contact.map_or("", |c| c.name.as_str()));
                })
                .raw("Payments", "[]")
                .raw("CreditNotes", "[]")
                .raw("Prepayments", "[]")
                .raw("Overpayments", "[]")
                .raw("LineItems", "[]");
        })
        .bool("HasValidationErrors", false);
    o.end();
}

fn payment_key(d: &OrgData, r: &PaymentRow, field: &str) -> Option<SortKey> {
    let p = &d.invoices[r.invoice].payments[r.payment];
    Some(match field {
        "updateddateutc" => SortKey::Int(r.updated),
        "date" => SortKey::Int(p.date),
        "amount" => SortKey::Int(p.amount),
        "paymentid" => SortKey::text(&p.id.to_string()),
        _ => return None,
    })
}

/// `GET /Payments`.
pub(crate) async fn payments(State(s): S, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::Payments, |d, now| {
        let rows = payment_rows(d);
        let key = |r: &PaymentRow, f: &str| payment_key(d, r, f);
        let listing = Listing {
            items: &rows,
            key: "Payments",
            type_name: "Payment",
            updated: |r| r.updated,
            sort_key: &key,
            default_order: None,
            pageable: true,
        };
        list(
            listing,
            &q,
            ims,
            now,
            |_| true,
            |out, r, _| render_payment(out, d, r),
        )
    })
    .await
}

fn credit_note_key(cn: &CreditNote, field: &str) -> Option<SortKey> {
    Some(match field {
        "updateddateutc" => SortKey::Int(cn.updated),
        "date" => SortKey::Int(cn.date),
        "creditnoteid" => SortKey::text(&cn.id.to_string()),
        "creditnotenumber" => SortKey::text(&cn.number),
        "reference" => SortKey::text(&cn.reference),
        "status" => SortKey::text(cn.status),
        "type" => SortKey::text(cn.kind),
        "total" => SortKey::Int(cn.total),
        _ => return None,
    })
}

/// `GET /CreditNotes`: every status (DELETED and VOIDED included), with line items.
pub(crate) async fn credit_notes(
    State(s): S,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::CreditNotes, |d, now| {
        let listing = Listing {
            items: &d.credit_notes,
            key: "CreditNotes",
            type_name: "CreditNote",
            updated: |c| c.updated,
            sort_key: &credit_note_key,
            default_order: None,
            pageable: true,
        };
        list(
            listing,
            &q,
            ims,
            now,
            |_| true,
            |out, cn, _| render_docs::credit_note(out, d, cn),
        )
    })
    .await
}
