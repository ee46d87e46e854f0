//! The Accounting API data endpoints under `/api.xero.com/api.xro/2.0/...`.
//!
//! | route | paging | incremental | default order |
//! |---|---|---|---|
//! | `GET /Organisation` | – | – | – |
//! | `GET /Accounts` | none | `If-Modified-Since` | `Code` |
//! | `GET /TrackingCategories` | none (`includeArchived`) | – | `Name` |
//! | `GET /Contacts` | `page`/`pageSize` | `If-Modified-Since` | `Name` |
//! | `GET /Invoices` | `page`/`pageSize` (no `LineItems` unpaged) | `If-Modified-Since` | creation |
//! | `GET /BankTransactions` | `page`/`pageSize` | `If-Modified-Since` | creation |
//! | `GET /ManualJournals` | `page`/`pageSize` | `If-Modified-Since` | creation |
//! | `GET /Journals` | `offset` (JournalNumber >), 100 max | `If-Modified-Since` on `CreatedDateUTC` | number |
//! | `GET /Reports/TrialBalance` | – | `date` | sections |
//! | `GET /Reports/ProfitAndLoss` | `periods`/`timeframe` | `fromDate`/`toDate` | sections |
//! | `GET /Reports/BalanceSheet` | `periods`/`timeframe` | `date` | sections |
//! | `GET /Payments` | `page`/`pageSize` | `If-Modified-Since` | date |
//! | `GET /CreditNotes` | `page`/`pageSize` | `If-Modified-Since` | creation |
//!
//! Each call goes through [`gate::admit`] (token, tenant, scope, rate limits) first.
//! Resource names are also served in lower case (Xero's routing is case-insensitive).

pub(crate) mod documents;
pub(crate) mod envelope;
pub(crate) mod filter;
pub(crate) mod gate;
pub(crate) mod journals;
pub(crate) mod listing;
pub(crate) mod payments;
pub(crate) mod query;
pub(crate) mod reports;
pub(crate) mod settings;
pub(crate) mod trial_balance;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::clock::Millis;
use crate::control::SimControl;
use crate::xero::data::OrgData;
use crate::xero::errors;
use gate::Endpoint;

/// Admits the call, waits the configured latency, then answers with `build` under the
/// state lock.
pub(crate) async fn serve(
    s: &Arc<SimControl>,
    headers: &HeaderMap,
    endpoint: Endpoint,
    build: impl FnOnce(&OrgData, Millis) -> Response,
) -> Response {
    s.xero_transit();
    let admitted = match gate::admit(s, headers, endpoint) {
        Ok(a) => a,
        Err(refusal) => {
            s.xero_transit();
            return *refusal;
        }
    };
    admitted.pause().await;
    let now = s.now_ms();
    let resp = {
        let st = s.lock();
        match st.xero_data.get(&admitted.tenant) {
            Some(d) => build(d, now),
            None => errors::forbidden().into_response(),
        }
    };
    let resp = admitted.finish(resp);
    s.xero_transit();
    resp
}

/// Adds the data routes to the main router.
pub(crate) fn routes(router: Router<Arc<SimControl>>) -> Router<Arc<SimControl>> {
    let table: [(&str, MethodRouter<Arc<SimControl>>); 13] = [
        ("Organisation", get(settings::organisation)),
        ("Accounts", get(settings::accounts)),
        ("TrackingCategories", get(settings::tracking_categories)),
        ("Contacts", get(documents::contacts)),
        ("Invoices", get(documents::invoices)),
        ("BankTransactions", get(documents::bank_transactions)),
        ("ManualJournals", get(documents::manual_journals)),
        ("Journals", get(journals::journals)),
        ("Reports/TrialBalance", get(trial_balance::trial_balance)),
        (
            "Reports/ProfitAndLoss",
            get(reports::profit_and_loss_handler),
        ),
        ("Reports/BalanceSheet", get(reports::balance_sheet_handler)),
        ("Payments", get(payments::payments)),
        ("CreditNotes", get(payments::credit_notes)),
    ];
    let mut r = router;
    for (name, handler) in table {
        let path = format!("/api.xero.com/api.xro/2.0/{name}");
        let lower = path.to_ascii_lowercase();
        r = r.route(&path, handler.clone()).route(&lower, handler);
    }
    r
}
