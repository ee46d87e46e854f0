//! `GET /Journals?offset=N`: journals with `JournalNumber > N`, in number order, at most
//! 100, no `pagination` object; `If-Modified-Since` filters on `CreatedDateUTC` (journals
//! are immutable). `page` is ignored — the classic bug of paging journals by `page`
//! returns the same 100 rows forever (PROVIDERS.md A5 quirk 4). `paymentsOnly` (cash
//! basis) is not modelled and ignored. A non-numeric `offset` counts as 0.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::envelope::{array, envelope, json};
use super::gate::Endpoint;
use super::query::{Query, if_modified_since};
use super::serve;
use crate::control::SimControl;
use crate::xero::data::render_docs;

/// Most journals per call.
pub const JOURNALS_PER_CALL: usize = 100;

/// `GET /Journals`.
pub(crate) async fn journals(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let ims = if_modified_since(&headers);
    let offset = q
        .get("offset")
        .and_then(|o| o.parse::<i64>().ok())
        .unwrap_or(0);
    serve(&s, &headers, Endpoint::Journals, |d, now| {
        let start = d.journals.partition_point(|j| j.number <= offset);
        let page = d.journals[start..]
            .iter()
            .filter(|j| ims.is_none_or(|t| j.created >= t))
            .take(JOURNALS_PER_CALL);
        let items = array(page, |out, j| render_docs::journal(out, d, j));
        json(envelope(now, None, "Journals", &items))
    })
    .await
}
