//! `GET /Contacts`, `/Invoices`, `/BankTransactions`, `/ManualJournals`: paged
//! (`page` 1-based, `pageSize` ≤ 1000, `pagination` object) or unpaged (everything, no
//! `pagination`), `If-Modified-Since` on `UpdatedDateUTC`, `where`, `order`.
//!
//! - Contacts: ARCHIVED only with `includeArchived=true` (or `IDs`); `IDs`,
//!   `searchTerm`; default order `Name`; `Balances` recomputed at request time.
//! - Invoices: every status (DELETED and VOIDED included); `IDs`, `InvoiceNumbers`,
//!   `ContactIDs`, `Statuses`, `searchTerm`; unpaged lists and `summaryOnly=true` carry
//!   `"LineItems":[]` (PROVIDERS.md A3); default order: creation.
//! - BankTransactions and ManualJournals: always with their lines; default order:
//!   creation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::gate::Endpoint;
use super::listing::{Listing, list};
use super::query::{Query, SortKey, if_modified_since};
use super::serve;
use crate::control::SimControl;
use crate::xero::data::records::{BankTransaction, Contact, Id, Invoice, ManualJournal};
use crate::xero::data::{render, render_docs};

type S = State<Arc<SimControl>>;

fn ids(q: &Query, name: &str) -> Option<HashSet<Id>> {
    let list = q.list(name);
    (!list.is_empty()).then(|| list.iter().filter_map(|s| Id::parse(s)).collect())
}

fn upper_set(q: &Query, name: &str) -> Option<HashSet<String>> {
    let list = q.list(name);
    (!list.is_empty()).then(|| list.iter().map(|s| s.to_uppercase()).collect())
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn contact_key(c: &Contact, field: &str) -> Option<SortKey> {
    Some(match field {
        "updateddateutc" => SortKey::Int(c.updated),
        "name" => SortKey::text(&c.name),
        "contactid" => SortKey::text(&c.id.to_string()),
        "contactnumber" => SortKey::text(&c.number),
        "contactstatus" => SortKey::text(c.status),
        "firstname" => SortKey::text(&c.first_name),
        "lastname" => SortKey::text(&c.last_name),
        "emailaddress" => SortKey::text(&c.email),
        _ => return None,
    })
}

/// `GET /Contacts`.
pub(crate) async fn contacts(State(s): S, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::Contacts, |d, now| {
        let wanted = ids(&q, "IDs");
        let archived = q.flag("includeArchived") || wanted.is_some();
        let term = q.get("searchTerm").map(str::to_lowercase);
        let balances = render::balances(d, now);
        let listing = Listing {
            items: &d.contacts,
            key: "Contacts",
            type_name: "Contact",
            updated: |c| c.updated,
            sort_key: &contact_key,
            default_order: Some("name"),
            pageable: true,
        };
        let keep = |c: &Contact| {
            (archived || c.status != "ARCHIVED")
                && wanted.as_ref().is_none_or(|w| w.contains(&c.id))
                && term.as_deref().is_none_or(|t| {
                    [&c.name, &c.first_name, &c.last_name, &c.number, &c.email]
                        .iter()
                        .any(|f| contains(f, t))
                })
        };
        let index: HashMap<Id, usize> = d
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let render = |out: &mut String, c: &Contact, _paged: bool| {
            let b = index.get(&c.id).and_then(|&i| balances.get(i));
            render::contact(out, c, b);
        };
        list(listing, &q, ims, now, keep, render)
    })
    .await
}

fn invoice_key(inv: &Invoice, field: &str) -> Option<SortKey> {
    Some(match field {
        "updateddateutc" => SortKey::Int(inv.updated),
        "date" => SortKey::Int(inv.date),
        "duedate" => SortKey::Int(inv.due),
        "invoicenumber" => SortKey::text(&inv.number),
        "invoiceid" => SortKey::text(&inv.id.to_string()),
        "reference" => SortKey::text(&inv.reference),
        "status" => SortKey::text(inv.status),
        "type" => SortKey::text(inv.kind),
        "total" => SortKey::Int(inv.total),
        "subtotal" => SortKey::Int(inv.sub_total),
        "amountdue" => SortKey::Int(inv.amount_due()),
        _ => return None,
    })
}

/// `GET /Invoices`.
pub(crate) async fn invoices(State(s): S, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::Invoices, |d, now| {
        let wanted = ids(&q, "IDs");
        let contacts = ids(&q, "ContactIDs");
        let numbers = upper_set(&q, "InvoiceNumbers");
        let statuses = upper_set(&q, "Statuses");
        let term = q.get("searchTerm").map(str::to_lowercase);
        let summary = q.flag("summaryOnly");
        let listing = Listing {
            items: &d.invoices,
            key: "Invoices",
            type_name: "Invoice",
            updated: |i| i.updated,
            sort_key: &invoice_key,
            default_order: None,
            pageable: true,
        };
        let keep = |inv: &Invoice| {
            wanted.as_ref().is_none_or(|w| w.contains(&inv.id))
                && numbers
                    .as_ref()
                    .is_none_or(|n| n.contains(&inv.number.to_uppercase()))
                && statuses.as_ref().is_none_or(|s| s.contains(inv.status))
                && contacts.as_ref().is_none_or(|c| {
                    d.contacts
                        .get(inv.contact as usize)
                        .is_some_and(|x| c.contains(&x.id))
                })
                && term
                    .as_deref()
                    .is_none_or(|t| contains(&inv.number, t) || contains(&inv.reference, t))
        };
        let single = wanted.as_ref().is_some_and(|w| w.len() == 1);
        list(listing, &q, ims, now, keep, |out, inv, paged| {
            render_docs::invoice(out, d, inv, (paged || single) && !summary)
        })
    })
    .await
}

fn bank_key(bt: &BankTransaction, field: &str) -> Option<SortKey> {
    Some(match field {
        "updateddateutc" => SortKey::Int(bt.updated),
        "date" => SortKey::Int(bt.date),
        "banktransactionid" => SortKey::text(&bt.id.to_string()),
        "reference" => SortKey::text(&bt.reference),
        "status" => SortKey::text(bt.status),
        "type" => SortKey::text(bt.kind),
        "total" => SortKey::Int(bt.total),
        _ => return None,
    })
}

/// `GET /BankTransactions`.
pub(crate) async fn bank_transactions(
    State(s): S,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::BankTransactions, |d, now| {
        let listing = Listing {
            items: &d.bank_transactions,
            key: "BankTransactions",
            type_name: "BankTransaction",
            updated: |b| b.updated,
            sort_key: &bank_key,
            default_order: None,
            pageable: true,
        };
        list(
            listing,
            &q,
            ims,
            now,
            |_| true,
            |out, bt, _| render_docs::bank_transaction(out, d, bt),
        )
    })
    .await
}

fn manual_key(mj: &ManualJournal, field: &str) -> Option<SortKey> {
    Some(match field {
        "updateddateutc" => SortKey::Int(mj.updated),
        "date" => SortKey::Int(mj.date),
        "manualjournalid" => SortKey::text(&mj.id.to_string()),
        "narration" => SortKey::text(&mj.narration),
        "status" => SortKey::text(mj.status),
        _ => return None,
    })
}

/// `GET /ManualJournals`.
pub(crate) async fn manual_journals(
    State(s): S,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    serve(&s, &headers, Endpoint::ManualJournals, |d, now| {
        let listing = Listing {
            items: &d.manual_journals,
            key: "ManualJournals",
            type_name: "ManualJournal",
            updated: |m| m.updated,
            sort_key: &manual_key,
            default_order: None,
            pageable: true,
        };
        list(
            listing,
            &q,
            ims,
            now,
            |_| true,
            |out, mj, _| render_docs::manual_journal(out, d, mj),
        )
    })
    .await
}
