//! # mooring-xero
//!
//! The Xero connector: a WebAssembly component implementing `mooring:connector@0.1.0`.
//! It knows Xero's facts (PROVIDERS.md part A) and never sees a secret.
//!
//! | export | behaviour |
//! |---|---|
//! | `describe` | [`manifest::manifest`]: granular default scopes, 15 streams (documents, journals, reports, `common.accounts`, `common.actuals`), 60/min · 5000/day · 5 concurrent, 60-day idle refresh tokens with a 30-minute grace window |
//! | `authorize-params` | nothing beyond what the host adds |
//! | `complete-authorization` | exchange the code; `authentication_event_id` from the access token's claims; `GET /connections?authEventId=` → one tenant per organisation (metadata `connection_id`, `tenant_type`, `auth_event_id`); delete older duplicate app connections of those organisations; keep the granted scopes in state |
//! | `refresh` | `oauth.refresh([])`; keep the granted scopes it reports |
//! | `sync` | [`sync::sync`]: one page; cursors in [`cursor`] (the SDK's, put to Xero's use), deletions in [`records`], errors in [`errors`]; monthly reports and the common model in [`reportsync`] ([`periods`], [`classify`]) |
//! | `disconnect` | `DELETE /connections/{connection_id}` (404 = already gone), then revoke (form) unless other organisations of the same user remain connected ([`auth::disconnect`]) |
//!
//! Pure modules (unit-tested natively with
//! `cargo test -p mooring-xero --target x86_64-unknown-linux-gnu`): [`streams`],
//! [`cursor`], [`dates`], [`errors`], [`records`], [`report`], [`periods`], [`classify`],
//! [`connections`], [`scopes`], [`manifest`]. I/O lives in [`api`], [`auth`], [`sync`]
//! and [`reportsync`].

pub mod api;
pub mod auth;
pub mod classify;
pub mod connections;
pub mod cursor;
pub mod dates;
pub mod errors;
pub mod manifest;
pub mod periods;
pub mod records;
pub mod report;
pub mod reportsync;
pub mod scopes;
pub mod streams;
pub mod sync;

use mooring_plugin_sdk::prelude::*;

/// The connector.
struct Xero;

impl Guest for Xero {
    fn describe() -> Manifest {
        manifest::manifest()
    }

    fn authorize_params(_scopes: Vec<String>) -> Fields {
        Vec::new()
    }

    fn complete_authorization(params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
        auth::complete_authorization(&params)
    }

    fn refresh() -> Result<TokenInfo, ConnectorError> {
        auth::refresh()
    }

    fn sync(
        stream: String,
        tenant: Tenant,
        cursor: Option<String>,
    ) -> Result<Batch, ConnectorError> {
        sync::sync(&stream, &tenant, cursor.as_deref())
    }

    fn disconnect(tenant: Tenant) -> Result<(), ConnectorError> {
        auth::disconnect(&tenant)
    }
}

mooring_plugin_sdk::export_connector!(Xero);
