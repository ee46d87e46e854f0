//! `GET /oauth/callback`: where the provider sends the person back. Public; answers
//! with a small page saying what happened.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;
use crate::auth::{CallbackOutcome, LifecycleError};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t} · Mooring</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}}</style></head>\
         <body><h1>{t}</h1><p>{b}</p></body></html>",
        t = escape(title),
        b = escape(body)
    );
    (status, Html(html)).into_response()
}

/// `GET /oauth/callback?code=…&state=…` (or `error=…`).
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
        Ok(CallbackOutcome::Denied { connection }) => page(
            StatusCode::OK,
            "Access was not granted",
            &format!(
                "You declined at the provider, so nothing changed for connection {connection}."
            ),
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
