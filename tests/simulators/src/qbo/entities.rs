//! Reads of one entity: `GET /v3/company/{realmId}/{entity}/{id}` (lower-case entity
//! name, e.g. `/invoice/130`, `/journalentry/227`, `/account/33`) →
//! `{"Invoice":{…},"time":…}`, and `GET /v3/company/{realmId}/preferences` →
//! `{"Preferences":{…},"time":…}`. An unknown or deleted `Id` → 400 `ValidationFault`
//! 610 "Object Not Found"; an unknown entity → 400 `ValidationFault` 2010.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api_auth::accepts_json;
use crate::control::SimControl;
use crate::qbo::data::render::account;
use crate::qbo::ledger::EntityKind;
use crate::qbo::{api, errors};
use crate::timefmt::qbo_time;

/// `GET .../{entity}/{id}`.
pub(crate) async fn read(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path((realm, entity, id)): Path<(String, String, String)>,
) -> Response {
    let _admitted = match api::admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let now = s.now_ms();
    let n: Option<u64> = id.trim().parse().ok();
    let found: Result<Option<(&str, Value)>, ()> = {
        let mut st = s.lock();
        let Some(d) = st.qbo_company_data(&realm, now) else {
            return errors::authorization_failed().into_response();
        };
        if entity.eq_ignore_ascii_case("account") {
            let totals = d.balances_with_sub_accounts();
            Ok(n.and_then(|n| d.account(n))
                .map(|a| ("Account", account(d, &totals, a))))
        } else {
            match EntityKind::ALL
                .into_iter()
                .find(|k| k.name().eq_ignore_ascii_case(&entity))
            {
                Some(k) => Ok(n
                    .and_then(|n| d.ledger.record(k, n))
                    .filter(|r| r.is_live())
                    .map(|r| (k.name(), r.body.clone()))),
                None => Err(()),
            }
        }
    };
    match found {
        Ok(Some((name, body))) => api::render(
            &json!({name: body, "time": qbo_time(now)}),
            accepts_json(&headers),
        ),
        Ok(None) => errors::object_not_found(now).into_response(),
        Err(()) => errors::data_fault(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            "2010",
            "Request has invalid or unsupported property",
            &format!("Unsupported entity: {entity}"),
            now,
        )
        .into_response(),
    }
}

/// `GET .../preferences`.
pub(crate) async fn preferences(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
) -> Response {
    let _admitted = match api::admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let now = s.now_ms();
    let body = {
        let mut st = s.lock();
        let org = st.org(&realm).ok().cloned();
        match st.qbo_company_data(&realm, now) {
            Some(d) => api::preferences_of(d, org.as_ref()),
            None => return errors::authorization_failed().into_response(),
        }
    };
    api::render(
        &json!({"Preferences": body, "time": qbo_time(now)}),
        accepts_json(&headers),
    )
}
