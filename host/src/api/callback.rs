//! `GET /oauth/callback`: where the provider sends the person back. Public; answers
//! with a small page saying what happened.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::page::security_headers;
use crate::app::App;
use crate::connections::{CallbackOutcome, LifecycleError};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page, under the operator page's security headers and never cached (it tells
/// the outcome of one consent).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t} · Mooring</title>\
         <link rel=\"stylesheet\" href=\"/ui/app.css\"></head>\
         <body><main><h1>{t}</h1><p>{b}</p></main></body></html>",
        t = escape(title),
        b = escape(body)
    );
    (status, security_headers("no-store"), Html(html)).into_response()
}

/// Parameters the provider adds to the callback URL (providers may add others, such
/// as a company id; they are passed to the plugin).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CallbackParams {
    /// The flow's `state`, as the authorize URL carried it.
    state: Option<String>,
    /// The authorization code.
    code: Option<String>,
    /// The provider's error (`access_denied` when the person declined).
    error: Option<String>,
    /// The provider's words for the error.
    error_description: Option<String>,
}

/// `GET /oauth/callback?code=…&state=…` (or `error=…`).
#[utoipa::path(get, path = "/oauth/callback", tag = "public", params(CallbackParams),
    responses(
        (status = 200, description = "Connected, waiting for a tenant choice, or declined", content_type = "text/html", body = String),
        (status = 400, description = "An unknown, expired or used `state`, or a malformed callback", content_type = "text/html", body = String),
        (status = 500, description = "Storage failed (see the host log)", content_type = "text/html", body = String),
        (status = 502, description = "The provider's connector could not complete the authorization", content_type = "text/html", body = String),
    ))]
pub async fn callback(State(app): State<App>, RawQuery(query): RawQuery) -> Response {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    match app.connections.callback(params).await {
        Ok(CallbackOutcome::Connected {
            tenant,
            state,
            connection,
        }) => page(
            StatusCode::OK,
            "Connected",
            &format!(
                "Connection {connection} is now linked to '{tenant}' ({state}). You can close this window."
            ),
        ),
        Ok(CallbackOutcome::ChooseTenant {
            connection,
            choices,
        }) => page(
            StatusCode::OK,
            "Choose an organisation",
            &format!(
                "You authorised several organisations ({}). Connection {connection} is waiting for an operator to choose one.",
                choices.join(", ")
            ),
        ),
        Ok(CallbackOutcome::Denied {
            connection,
            declined,
            reason,
        }) => page(
            StatusCode::OK,
            if declined {
                "Access was not granted"
            } else {
                "The provider refused the request"
            },
            &format!("Connection {connection}: {reason}."),
        ),
        Err(LifecycleError::Invalid(message)) => page(
            StatusCode::BAD_REQUEST,
            "This link cannot be used",
            &message,
        ),
        Err(LifecycleError::NotFound(message)) => page(
            StatusCode::BAD_REQUEST,
            "This link cannot be used",
            &message,
        ),
        Err(LifecycleError::Store(error)) => {
            tracing::error!(%error, "callback failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "See the host log.",
            )
        }
        Err(other) => page(
            StatusCode::BAD_GATEWAY,
            "The connection was not changed",
            &other.to_string(),
        ),
    }
}
