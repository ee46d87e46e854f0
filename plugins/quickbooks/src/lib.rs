//! # mooring-quickbooks
//!
//! The QuickBooks Online connector: a WebAssembly component implementing
//! `mooring:connector@0.1.0`. It knows QuickBooks' facts (PROVIDERS.md part B) and
//! never sees a secret.
//!
//! | export | behaviour |
//! |---|---|
//! | `describe` | [`manifest::manifest`]: scope `com.intuit.quickbooks.accounting`, the streams of [`streams::STREAMS`] (entities, reports, `common.accounts`, `common.actuals`), 500/min · 10 concurrent, 100-day idle refresh tokens with a 24-hour grace window |
//! | `authorize-params` | nothing beyond what the host adds |
//! | `complete-authorization` | `realmId` from the callback (required), exchange the code, `GET companyinfo/{realm}?minorversion=75` → one tenant (id = realmId, name = CompanyName, metadata `environment`) ([`auth`]) |
//! | `refresh` | `oauth.refresh([])`; the refresh token's hard expiry (`x_refresh_token_hard_expires_in`) kept in state and logged |
//! | `sync` | [`sync::sync`]; entities in [`txsync`] (cursors [`cursor`], [`txcursor`]; deletions [`cdc`]), reports and the common model in [`reportsync`] ([`reports`], [`classify`]), statements in [`query`], errors in [`errors`] / [`faults`] |
//! | `disconnect` | `oauth.revoke(json)` (a token already unknown is fine) |
//!
//! Pure modules (unit-tested natively with
//! `cargo test -p mooring-quickbooks --target x86_64-unknown-linux-gnu`): [`faults`],
//! [`errors`], [`query`], [`company`], [`cursor`], [`txcursor`], [`cdc`], [`reports`],
//! [`classify`], [`streams`], [`manifest`]. I/O lives in [`api`], [`auth`], [`sync`],
//! [`txsync`] and [`reportsync`].

pub mod api;
pub mod auth;
pub mod cdc;
pub mod classify;
pub mod company;
pub mod cursor;
pub mod errors;
pub mod faults;
pub mod manifest;
pub mod query;
pub mod reports;
pub mod reportsync;
pub mod streams;
pub mod sync;
pub mod txcursor;
pub mod txsync;

use mooring_plugin_sdk::prelude::*;

/// The connector.
struct QuickBooks;

impl Guest for QuickBooks {
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

mooring_plugin_sdk::export_connector!(QuickBooks);
