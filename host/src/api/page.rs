//! The operator page: `GET /` (and `/ui/app.js`, `/ui/app.css`). Public, like its
//! sign-in; every action goes through the admin API with the token the operator enters.
//! Served under a strict Content-Security-Policy (no inline script or style).
//!
//! No build step: the page is plain HTML, CSS and JavaScript embedded in the binary.
//! The script is several files (API client and helpers, connections and "needs
//! attention", the connection detail, webhooks and plugins, the router) concatenated
//! in that order into one `/ui/app.js`; they share one scope.

use axum::http::HeaderName;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = concat!(
    include_str!("page/util.js"),
    "\n",
    include_str!("page/connections.js"),
    "\n",
    include_str!("page/detail.js"),
    "\n",
    include_str!("page/admin.js"),
    "\n",
    include_str!("page/app.js"),
);
const STYLE: &str = include_str!("page/app.css");
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The security headers of everything served to a browser (this page and the OAuth
/// callback page): the strict policy (no inline script or style, no framing), no MIME
/// sniffing, no framing for older browsers, no referrer (a callback URL holds the
/// authorization code), and `cache` as `Cache-Control`.
pub(super) fn security_headers(cache: &'static str) -> [(HeaderName, &'static str); 5] {
    [
        (CONTENT_SECURITY_POLICY, POLICY),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (CACHE_CONTROL, cache),
    ]
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        security_headers("no-cache"),
        [(CONTENT_TYPE, content_type)],
        body,
    )
        .into_response()
}

/// `GET /`: the page.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

/// `GET /ui/app.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /ui/app.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
