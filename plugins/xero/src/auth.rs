//! The grant's life: completing a consent (code exchange, tenant discovery, stale
//! connection clean-up), refreshing, and disconnecting one organisation.

use mooring_plugin_sdk::prelude::*;

use crate::api;
use crate::connections::{self, META_CONNECTION_ID};
use crate::scopes;

/// Exchanges the code, then returns one tenant per organisation of *this* consent
/// (`/connections?authEventId=` from the access token's `authentication_event_id`),
/// after deleting older app connections to the same organisations.
pub fn complete_authorization(params: &Fields) -> Result<Vec<Tenant>, ConnectorError> {
    let code = fields::require(params, "code")?;
    let info = oauth::exchange_code(code, &[])?;
    let claims = info.claims();
    let granted = if info.scopes.is_empty() {
        claims.as_ref().map(scopes::from_claims).unwrap_or_default()
    } else {
        info.scopes.clone()
    };
    state::store_granted_scopes(&granted);

    let event = claims.as_ref().and_then(connections::auth_event_id);
    if event.is_none() {
        log::warn!(
            "Xero's access token carries no authentication_event_id: listing every \
             organisation the user connected to this app"
        );
    }
    let consent = api::list_connections(event.as_deref())?;
    if consent.is_empty() {
        return Err(ConnectorError::InvalidData(
            "Xero's consent connected no organisation: choose at least one organisation on \
             Xero's consent screen (and request an accounting scope)"
                .into(),
        ));
    }
    if event.is_some() {
        remove_stale_duplicates(&consent);
    }
    Ok(connections::tenants(&consent))
}

/// Deletes the app connections that duplicate this consent's organisations. Best
/// effort: a failure here is logged and does not fail the authorization.
fn remove_stale_duplicates(consent: &[connections::Connection]) {
    let all = match api::list_connections(None) {
        Ok(all) => all,
        Err(e) => {
            log::warn!(
                "could not list Xero connections to clean up: {}",
                e.reason()
            );
            return;
        }
    };
    for id in connections::stale_duplicates(consent, &all) {
        match api::delete_connection(&id) {
            Ok(_) => log::info!("deleted stale Xero connection {id}"),
            Err(e) => log::warn!(
                "could not delete stale Xero connection {id}: {}",
                e.reason()
            ),
        }
    }
}

/// Refreshes the grant; keeps the granted scopes it reports.
pub fn refresh() -> Result<TokenInfo, ConnectorError> {
    let info = oauth::refresh(&[])?;
    state::store_granted_scopes(&info.scopes);
    Ok(info)
}

/// Removes the app's connection to `tenant` (`DELETE /connections/{connection_id}`;
/// 404 means already gone) and any other entry Xero still lists for the same
/// organisation (a duplicate left by a later consent), then revokes the grant.
///
/// Xero's revocation "removes all a user's connections" to the app, including those
/// made through other grants (other Mooring connections of the same Xero user). So
/// when `/connections` still lists other organisations, the grant is not revoked: its
/// access to this organisation is already gone, and revoking would disconnect the
/// others. A grant Xero no longer accepts is only revoked (best effort).
pub fn disconnect(tenant: &Tenant) -> Result<(), ConnectorError> {
    let others = match remove_links(tenant) {
        Ok(others) => others,
        Err(ConnectorError::ReauthRequired(reason)) => {
            log::warn!(
                "the grant is no longer accepted ({reason}); the Xero connection to '{}' can \
                 only be removed in Xero now",
                tenant.name
            );
            return revoke();
        }
        Err(e) => return Err(e),
    };
    if others > 0 {
        log::info!(
            "not revoking the Xero grant: {others} other organisation connection(s) of this \
             user would be removed with it"
        );
        return Ok(());
    }
    revoke()
}

/// Deletes the tenant's connection (from its metadata) and every other entry of the
/// organisation; returns how many connections to other organisations remain.
fn remove_links(tenant: &Tenant) -> Result<usize, ConnectorError> {
    if let Some(id) = tenant
        .metadata(META_CONNECTION_ID)
        .filter(|s| !s.is_empty())
        && !api::delete_connection(id)?
    {
        log::info!("Xero connection {id} was already gone");
    }
    let all = api::list_connections(None)?;
    for id in connections::ids_for_tenant(&all, &tenant.id) {
        api::delete_connection(&id)?;
        log::info!(
            "deleted Xero connection {id} (another link to '{}')",
            tenant.name
        );
    }
    Ok(all
        .iter()
        .filter(|c| !c.tenant_id.eq_ignore_ascii_case(&tenant.id))
        .count())
}

/// Revokes the grant; one that is already dead or absent is fine.
fn revoke() -> Result<(), ConnectorError> {
    match oauth::revoke(RevokeFormat::Form) {
        Ok(()) => Ok(()),
        Err(TokenError::InvalidGrant(m)) | Err(TokenError::Denied(m)) => {
            log::info!("nothing to revoke: {m}");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
