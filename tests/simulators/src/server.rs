//! The router: every provider host under `/<host>/...`, the `/_sim` control routes, and
//! a middleware that logs requests and stamps Intuit's `intuit_tid` header.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::control::SimControl;
use crate::counters::LoggedRequest;
use crate::ids::intuit_tid;
use crate::{authorize, control_routes, qbo, xero};

const INTUIT_PREFIXES: &[&str] = &[
    "/appcenter.intuit.com/",
    "/oauth.platform.intuit.com/",
    "/developer.api.intuit.com/",
    "/quickbooks.api.intuit.com/",
    "/sandbox-quickbooks.api.intuit.com/",
];

/// The QuickBooks data routes beyond query and CompanyInfo, on both hosts.
fn qbo_data_routes() -> Router<Arc<SimControl>> {
    let mut r = Router::new();
    for host in [
        "quickbooks.api.intuit.com",
        "sandbox-quickbooks.api.intuit.com",
    ] {
        let base = format!("/{host}/v3/company/{{realm}}");
        r = r
            .route(&format!("{base}/cdc"), get(qbo::cdc::cdc))
            .route(
                &format!("{base}/reports/{{name}}"),
                get(qbo::reports::report),
            )
            .route(
                &format!("{base}/preferences"),
                get(qbo::entities::preferences),
            )
            .route(
                &format!("{base}/{{entity}}/{{id}}"),
                get(qbo::entities::read),
            );
    }
    r
}

/// Builds the whole router around a control handle.
pub(crate) fn router(control: Arc<SimControl>) -> Router {
    xero::api::routes(Router::new())
        .route(
            "/login.xero.com/identity/connect/authorize",
            get(authorize::xero),
        )
        .route("/identity.xero.com/connect/token", post(xero::token::token))
        .route(
            "/identity.xero.com/connect/revocation",
            post(xero::token::revocation),
        )
        .route("/api.xero.com/connections", get(xero::connections::list))
        .route("/api.xero.com/Connections", get(xero::connections::list))
        .route(
            "/api.xero.com/connections/{id}",
            delete(xero::connections::delete),
        )
        .route(
            "/api.xero.com/Connections/{id}",
            delete(xero::connections::delete),
        )
        .route("/appcenter.intuit.com/connect/oauth2", get(authorize::qbo))
        .route(
            "/oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            post(qbo::token::token),
        )
        .route(
            "/developer.api.intuit.com/v2/oauth2/tokens/revoke",
            post(qbo::token::revoke),
        )
        .route(
            "/developer.api.intuit.com/.well-known/openid_configuration",
            get(qbo::discovery::production),
        )
        .route(
            "/developer.api.intuit.com/.well-known/openid_sandbox_configuration",
            get(qbo::discovery::sandbox),
        )
        .route(
            "/quickbooks.api.intuit.com/v3/company/{realm}/companyinfo/{id}",
            get(qbo::company::read),
        )
        .route(
            "/sandbox-quickbooks.api.intuit.com/v3/company/{realm}/companyinfo/{id}",
            get(qbo::company::read),
        )
        .route(
            "/quickbooks.api.intuit.com/v3/company/{realm}/query",
            get(qbo::api::query_get).post(qbo::api::query_post),
        )
        .route(
            "/sandbox-quickbooks.api.intuit.com/v3/company/{realm}/query",
            get(qbo::api::query_get).post(qbo::api::query_post),
        )
        .merge(qbo_data_routes())
        .nest("/_sim", control_routes::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(control.clone(), observe))
        .with_state(control)
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

/// Logs every provider request (with `Authorization`/`Cookie` reduced to their scheme)
/// and adds `intuit_tid` to every response from an Intuit host.
async fn observe(State(s): State<Arc<SimControl>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let uri = req.uri().to_string();
    let method = req.method().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            let value = v.to_str().unwrap_or("<binary>");
            let value = if k == AUTHORIZATION || k == COOKIE {
                let scheme = value.split(' ').next().unwrap_or("");
                format!("{scheme} <redacted>")
            } else {
                value.to_owned()
            };
            (k.as_str().to_owned(), value)
        })
        .collect();
    let at = s.now_ms();
    let mut resp = next.run(req).await;
    if INTUIT_PREFIXES.iter().any(|p| path.starts_with(p))
        && let Ok(v) = HeaderValue::from_str(&intuit_tid())
    {
        resp.headers_mut()
            .insert(HeaderName::from_static("intuit_tid"), v);
    }
    if !path.starts_with("/_sim") {
        s.lock().requests.push(LoggedRequest {
            at,
            method,
            uri,
            headers,
            status: resp.status().as_u16(),
        });
    }
    resp
}
