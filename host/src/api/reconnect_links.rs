//! Reconnect links: `POST /api/connections/{id}/reconnect-link` issues one,
//! `GET /api/connections/{id}/reconnect-links` lists them,
//! `DELETE /api/connections/{id}/reconnect-link/{link_id}` revokes one; and the public
//! `GET /reconnect/{link_id}/{mac}` a customer opens (no admin token): a 303 to the
//! provider's consent, or a page saying why the link cannot be used.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use super::extract::{ApiJson, ApiPath};
use super::schema::ErrorBody;
use crate::app::App;
use crate::connections::LifecycleError;
use crate::reconnect_links::{LinkError, LinkView};
use crate::validate;

/// The same policy as the operator page: nothing inline, nothing from elsewhere.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

impl From<LinkError> for ApiError {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::NotFound => ApiError::not_found("no such reconnect link"),
            LinkError::Invalid(m) => ApiError::bad_request(m),
            LinkError::Lifecycle(e) => e.into(),
            LinkError::Store(e) => ApiError::internal(e),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

/// The `{id}` of a connection route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectionId {
    /// Connection id.
    #[param(min_length = 1, max_length = 128)]
    pub id: String,
}

/// The `{id}` and `{link_id}` of a link route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkId {
    /// Connection id.
    #[param(min_length = 1, max_length = 128)]
    pub id: String,
    /// Link id.
    #[param(min_length = 1, max_length = 128)]
    pub link_id: String,
}

/// Body of `POST /api/connections/{id}/reconnect-link`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// Lifetime in seconds (default 7 days, at most 90 days).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 7_776_000)]
    expires_in: Option<u64>,
    /// Scopes to add on reconnect.
    #[serde(default)]
    #[schema(max_items = 100, value_type = Vec<super::schema::Scope>)]
    scopes: Vec<String>,
}

/// `POST /api/connections/{id}/reconnect-link` (body optional): `{id, url, expires_at}`
/// and the rest of the link's view.
#[utoipa::path(post, path = "/api/connections/{id}/reconnect-link", tag = "reconnect links",
    params(ConnectionId),
    request_body(content = Option<CreateRequest>, description = "Optional"),
    responses(
        (status = 201, description = "Issued: send `url` to the customer", body = LinkView),
        (status = 400, description = "A field is out of bounds, or the connection has no tenant yet", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn create(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
    body: Option<ApiJson<CreateRequest>>,
) -> Result<(StatusCode, Json<LinkView>), ApiError> {
    validate::id("connection", &id).map_err(|e| ApiError::bad_request(e.0))?;
    let body = body.map(|ApiJson(b)| b).unwrap_or_default();
    validate::scopes(&body.scopes).map_err(|e| ApiError::bad_request(e.0))?;
    let ttl_ms = body.expires_in.map(|s| s.saturating_mul(1000));
    let view = app.links.create(&id, ttl_ms, body.scopes).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/connections/{id}/reconnect-links`: newest first.
#[utoipa::path(get, path = "/api/connections/{id}/reconnect-links", tag = "reconnect links",
    params(ConnectionId),
    responses(
        (status = 200, description = "The connection's links, newest first", body = [LinkView]),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<App>,
    ApiPath(ConnectionId { id }): ApiPath<ConnectionId>,
) -> Result<Json<Vec<LinkView>>, ApiError> {
    Ok(Json(app.links.list(&id).await?))
}

/// `DELETE /api/connections/{id}/reconnect-link/{link_id}`: revoke it.
#[utoipa::path(delete, path = "/api/connections/{id}/reconnect-link/{link_id}",
    tag = "reconnect links", params(LinkId),
    responses(
        (status = 200, description = "Revoked", body = LinkView),
        (status = 404, description = "No such link of this connection", body = ErrorBody),
    ))]
pub async fn revoke(
    State(app): State<App>,
    ApiPath(LinkId { id, link_id }): ApiPath<LinkId>,
) -> Result<Json<LinkView>, ApiError> {
    Ok(Json(app.links.revoke(&id, &link_id).await?))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// A small page under the operator page's security headers.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · Mooring</title></head>\
         <body><main><h1>{t}</h1><p>{b}</p></main></body></html>",
        t = escape(title),
        b = escape(body)
    );
    (
        status,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CONTENT_SECURITY_POLICY, POLICY),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (X_FRAME_OPTIONS, "DENY"),
            (REFERRER_POLICY, "no-referrer"),
            (CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// `GET /reconnect/{link_id}/{mac}`: public.
pub async fn open(
    State(app): State<App>,
    Path((link_id, mac)): Path<(String, String)>,
) -> Response {
    let ask = "Ask the person who sent it for a new link.";
    let result = if link_id.len() > 100 || mac.len() > 100 {
        Err(LinkError::NotFound)
    } else {
        app.links.open(&link_id, &mac).await
    };
    match result {
        Ok(authorize_url) => (
            StatusCode::SEE_OTHER,
            [
                (LOCATION, authorize_url.as_str()),
                (REFERRER_POLICY, "no-referrer"),
                (CACHE_CONTROL, "no-store"),
            ],
        )
            .into_response(),
        Err(LinkError::NotFound) => page(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            &format!("The link is incomplete or was never issued. {ask}"),
        ),
        Err(LinkError::Expired) => page(
            StatusCode::GONE,
            "This link has expired",
            &format!("Reconnect links work for a limited time. {ask}"),
        ),
        Err(LinkError::Revoked) => page(
            StatusCode::GONE,
            "This link was revoked",
            &format!("It can no longer be used. {ask}"),
        ),
        Err(LinkError::Used) => page(
            StatusCode::GONE,
            "This link was already used",
            "The connection was reconnected with it, so there is nothing more to do. If something is still wrong, ask the person who sent it for a new link.",
        ),
        Err(LinkError::Lifecycle(LifecycleError::Invalid(message))) => page(
            StatusCode::CONFLICT,
            "This connection cannot be reconnected now",
            &message,
        ),
        Err(LinkError::Lifecycle(LifecycleError::Store(error))) | Err(LinkError::Store(error)) => {
            tracing::error!(%error, "reconnect link failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Try again later.",
            )
        }
        Err(other) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The reconnect could not start",
            &other.to_string(),
        ),
    }
}
