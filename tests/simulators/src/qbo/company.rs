//! `GET /v3/company/{realmId}/companyinfo/{realmId}` on quickbooks.api.intuit.com,
//! modelled on Intuit's documented CompanyInfo read response.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api_auth::accepts_json;
use crate::clock::Millis;
use crate::control::SimControl;
use crate::model::Org;
use crate::qbo::{api, errors};
use crate::timefmt::{qbo_meta_time, qbo_time, ymd};

/// The CompanyInfo body for `org`.
pub fn company_info(org: &Org, now: Millis) -> Value {
    let addr = json!({"Id": "1", "Line1": "2500 Garcia Ave", "City": "Mountain View",
        "CountrySubDivisionCode": "CA", "PostalCode": "94043", "Country": "USA"});
    json!({
        "CompanyInfo": {
            "Id": "1",
            "SyncToken": "4",
            "CompanyName": org.name,
            "LegalName": org.name,
            "CompanyAddr": addr,
            "LegalAddr": addr,
            "CustomerCommunicationAddr": addr,
            "Country": "US",
            "SupportedLanguages": "en",
            "FiscalYearStartMonth": "January",
            "CompanyStartDate": ymd(org.created_at),
            "EmployerId": "123456789",
            "Email": {"Address": "donotreply@intuit.com"},
            "PrimaryPhone": {"FreeFormNumber": "(650)944-4444"},
            "WebAddr": {},
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "IndustryType", "Value": "Bread and Bakery Product Manufacturing"},
                {"Name": "IndustryCode", "Value": "31181"},
                {"Name": "SubscriptionStatus", "Value": "PAID"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                {"Name": "PayrollFeature", "Value": "false"},
                {"Name": "AccountantFeature", "Value": "false"},
                {"Name": "QBOIndustryType", "Value": "Manufacturing Businesses"}
            ],
            "MetaData": {
                "CreateTime": qbo_meta_time(org.created_at),
                "LastUpdatedTime": qbo_meta_time(org.created_at)
            },
            "domain": "QBO",
            "sparse": false
        },
        "time": qbo_time(now)
    })
}

/// The handler (prod and sandbox hosts); admitted like every data call ([`api::admit`]:
/// token, realm, throttle).
pub(crate) async fn read(
    State(s): State<Arc<SimControl>>,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> Response {
    let json_wanted = accepts_json(&headers);
    let _admitted = match api::admit(&s, &headers, &realm).await {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let now = s.now_ms();
    if id != realm {
        return errors::object_not_found(now).into_response();
    }
    let Ok(org) = s.lock().org(&realm).cloned() else {
        return errors::authorization_failed().into_response();
    };
    api::render(&company_info(&org, now), json_wanted)
}
