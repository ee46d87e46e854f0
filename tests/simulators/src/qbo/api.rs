//! The query endpoint, `GET /v3/company/{realmId}/query?query=<statement>` and
//! `POST /v3/company/{realmId}/query` with the statement as an `application/text` body
//! (python-quickbooks posts), on the production and sandbox hosts; and the admission
//! every QuickBooks data call goes through.
//!
//! Admission: bearer token and realm first (401 code 3200 / 403 code 3100, exactly as
//! CompanyInfo), then the per-realm throttle ([`crate::qbo::ratelimit`], 429 XML 3001).
//! `minorversion` is accepted and ignored (below 75 QuickBooks ignores it too since
//! 2025-08-01; the simulator serves one schema). The query string is form-decoded, so an
//! unencoded `+` becomes a space, as QuickBooks does (quickeebooks#26).
//!
//! Answers (JSON with `Accept: application/json`, Intuit XML otherwise):
//! `{"QueryResponse":{"Account":[...],"startPosition":n,"maxResults":<returned>},"time":…}`;
//! nothing found → `{"QueryResponse":{},"time":…}` (no entity key, no counts);
//! `count(*)` → `{"QueryResponse":{"totalCount":N},"time":…}`; refused statements →
//! 400 `ValidationFault` 4000/4001 ([`crate::qbo::errors::query_fault`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api_auth::{accepts_json, bearer_from_headers};
use crate::client_auth::Params;
use crate::clock::Millis;
use crate::control::SimControl;
use crate::model::{Grant, Org, Provider};
use crate::qbo::company::company_info;
use crate::qbo::data::{DEFAULT_ACCOUNTS, QboCompanyData, generate_accounts};
use crate::qbo::ledger::EntityKind;
use crate::qbo::ledger::generate::preferences;
use crate::qbo::query::eval::{Outcome, run};
use crate::qbo::query::generic::run_json;
use crate::qbo::query::parser::parse;
use crate::qbo::query::{QueryError, Statement};
use crate::qbo::{errors, xml};
use crate::state::SimState;
use crate::timefmt::qbo_time;

/// A stable seed for a company whose accounts were never generated explicitly.
pub(crate) fn realm_seed(realm: &str) -> u64 {
    realm.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl SimState {
    /// A QuickBooks company's data, generated ([`DEFAULT_ACCOUNTS`] accounts, seed from
    /// the realm id) on first use. `None` for an unknown realm.
    pub(crate) fn qbo_company_data(
        &mut self,
        realm: &str,
        now: Millis,
    ) -> Option<&mut QboCompanyData> {
        if !self.qbo_data.contains_key(realm) {
            self.orgs
                .iter()
                .find(|o| o.tenant_id == realm && o.provider == Provider::Quickbooks)?;
            let data = generate_accounts(DEFAULT_ACCOUNTS, realm_seed(realm), now);
            self.qbo_data.insert(realm.to_owned(), data);
        }
        self.qbo_data.get_mut(realm)
    }
}

/// A call admitted by [`admit`]: in progress (for the concurrency limit) until dropped.
pub(crate) struct Admitted {
    s: Arc<SimControl>,
    realm: String,
    /// The grant the call was made with.
    #[allow(dead_code)]
    pub grant: Grant,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.s.lock().qbo_rate.release(&self.realm);
    }
}

/// Admits a data call on `realm`: token and realm (401 3200 / 403 3100), then the
/// throttle (429 XML 3001: 500 per minute, 10 in progress). Admitted calls are counted
/// per realm and last [`crate::qbo::ratelimit::QboRateLimits::latency_ms`].
pub(crate) async fn admit(
    s: &Arc<SimControl>,
    headers: &HeaderMap,
    realm: &str,
) -> Result<Admitted, Box<Response>> {
    let grant = s
        .authorize_api_call(
            Provider::Quickbooks,
            bearer_from_headers(headers),
            Some(realm),
        )
        .map_err(|d| Box::new(d.response(accepts_json(headers)).into_response()))?;
    let now = s.now_ms();
    let latency = {
        let mut st = s.lock();
        if st.qbo_rate.admit(realm, now).is_err() {
            *st.counters
                .qbo_throttled
                .entry(realm.to_owned())
                .or_default() += 1;
            return Err(Box::new(errors::throttled(now).into_response()));
        }
        *st.counters
            .qbo_data_calls
            .entry(realm.to_owned())
            .or_default() += 1;
        st.qbo_rate.limits.latency_ms
    };
    let admitted = Admitted {
        s: Arc::clone(s),
        realm: realm.to_owned(),
        grant,
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    Ok(admitted)
}

/// Renders a body as JSON or Intuit XML.
pub(crate) fn render(body: &Value, json_wanted: bool) -> Response {
    if json_wanted {
        (
            [(CONTENT_TYPE, "application/json;charset=UTF-8")],
            body.to_string(),
        )
            .into_response()
    } else {
        (
            [(CONTENT_TYPE, "application/xml;charset=UTF-8")],
            xml::intuit_response(body),
        )
            .into_response()
    }
}

/// The `QueryResponse` body of an outcome of a statement on `entity`.
pub fn query_response(entity: &str, outcome: Outcome, now: Millis) -> Value {
    let inner = match outcome {
        Outcome::Count(n) => json!({"totalCount": n}),
        Outcome::Page { items, .. } if items.is_empty() => json!({}),
        Outcome::Page { start, items } => {
            let n = items.len();
            json!({entity: items, "startPosition": start, "maxResults": n})
        }
    };
    json!({"QueryResponse": inner, "time": qbo_time(now)})
}

/// Runs a statement on a company: `Account` from the typed chart, `CompanyInfo` and
/// `Preferences` as one-record entities, the ledger's entities from their JSON.
pub fn run_statement(
    st: &Statement,
    d: &QboCompanyData,
    org: Option<&Org>,
    now: Millis,
) -> Result<Outcome, QueryError> {
    let single = |v: Option<Value>| {
        let list: Vec<Value> = v.into_iter().collect();
        let refs: Vec<&Value> = list.iter().collect();
        run_json(st, &refs, false)
    };
    match st.entity.as_str() {
        "Account" => run(st, d),
        "CompanyInfo" => single(org.map(|o| company_info(o, now)["CompanyInfo"].clone())),
        "Preferences" => single(Some(preferences_of(d, org))),
        name => match EntityKind::parse(name) {
            Some(kind) => {
                let refs: Vec<&Value> = d
                    .ledger
                    .records(kind)
                    .iter()
                    .filter(|r| r.is_live())
                    .map(|r| &r.body)
                    .collect();
                run_json(st, &refs, kind.is_name_list())
            }
            None => Err(QueryError::invalid(format!(
                "Metadata not found for Entity: {name}"
            ))),
        },
    }
}

/// The `Preferences` entity of a company (a default one for a chart-only company).
pub fn preferences_of(d: &QboCompanyData, org: Option<&Org>) -> Value {
    d.ledger
        .preferences
        .clone()
        .unwrap_or_else(|| preferences(org.map_or(0, |o| o.created_at)))
}

fn answer(s: &Arc<SimControl>, headers: &HeaderMap, realm: &str, statement: &str) -> Response {
    let now = s.now_ms();
    let json_wanted = accepts_json(headers);
    let statement = match parse(statement) {
        Ok(st) => st,
        Err(e) => return errors::query_fault(&e, now, json_wanted).into_response(),
    };
    let outcome = {
        let mut st = s.lock();
        let org = st.org(realm).ok().cloned();
        match st.qbo_company_data(realm, now) {
            Some(d) => run_statement(&statement, d, org.as_ref(), now),
            None => return errors::authorization_failed().into_response(),
        }
    };
    match outcome {
        Ok(o) => render(&query_response(&statement.entity, o, now), json_wanted),
        Err(e) => errors::query_fault(&e, now, json_wanted).into_response(),
    }
}

fn url_statement(raw: Option<&str>) -> String {
    Params::parse(raw.unwrap_or_default().as_bytes())
        .get("query")
        .unwrap_or_default()
        .to_owned()
}

/// `GET .../v3/company/{realm}/query?query=...`.
pub(crate) async fn query_get(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let _admitted = match admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    answer(&s, &headers, &realm, &url_statement(raw.as_deref()))
}

/// `POST .../v3/company/{realm}/query` with `Content-Type: application/text` (or
/// `text/plain`) and the statement as the body. A body of another type → 415 (the
/// official SDKs all send `application/text`; QuickBooks' answer to others is
/// undocumented). An empty body falls back to a `query` URL parameter.
pub(crate) async fn query_post(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let statement = if body.iter().all(u8::is_ascii_whitespace) {
        url_statement(raw.as_deref())
    } else {
        let mime = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if mime != "application/text" && mime != "text/plain" {
            return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
        }
        String::from_utf8_lossy(&body).into_owned()
    };
    let _admitted = match admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    answer(&s, &headers, &realm, &statement)
}
