//! The grant's life: completing a consent (realm from the callback, code exchange,
//! company name), refreshing and revoking.

use mooring_plugin_sdk::prelude::*;

use crate::api::{self, Environment, META_ENVIRONMENT};
use crate::company;

/// Reads `realmId` from the callback, exchanges the code, and returns the one company
/// of this consent: id = realmId, name = `CompanyInfo.CompanyName`, metadata
/// `environment` (`production`, or `sandbox` when only the sandbox API knows it).
pub fn complete_authorization(params: &Fields) -> Result<Vec<Tenant>, ConnectorError> {
    let realm = fields::get(params, "realmId")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ConnectorError::InvalidData(
                "QuickBooks returned no realmId: the com.intuit.quickbooks.accounting scope is \
                 required"
                    .into(),
            )
        })?;
    let code = fields::require(params, "code")?;
    let info = oauth::exchange_code(code, &[])?;
    state::store_granted_scopes(&info.scopes);
    let (env, body) = discover(realm)?;
    let name =
        company::company_name(&body).unwrap_or_else(|| format!("QuickBooks company {realm}"));
    Ok(vec![
        Tenant::new(realm, name).with_metadata(META_ENVIRONMENT, env.name()),
    ])
}

/// CompanyInfo from the production API or, when production refuses the grant (sandbox
/// keys), from the sandbox API. The production error is reported if both refuse.
fn discover(
    realm: &str,
) -> Result<(Environment, mooring_plugin_sdk::serde_json::Value), ConnectorError> {
    match api::company_info(Environment::Production, realm) {
        Ok(body) => Ok((Environment::Production, body)),
        Err(refused @ (ConnectorError::ReauthRequired(_) | ConnectorError::Forbidden(_))) => {
            match api::company_info(Environment::Sandbox, realm) {
                Ok(body) => {
                    log::info!("QuickBooks company {realm} answered on the sandbox API");
                    Ok((Environment::Sandbox, body))
                }
                Err(_) => Err(refused),
            }
        }
        Err(e) => Err(e),
    }
}

/// Refreshes the grant.
pub fn refresh() -> Result<TokenInfo, ConnectorError> {
    Ok(oauth::refresh(&[])?)
}

/// Revokes the grant (JSON body), which also disconnects the app from the company. A
/// token QuickBooks no longer knows is already as good as revoked.
pub fn disconnect(tenant: &Tenant) -> Result<(), ConnectorError> {
    match oauth::revoke(RevokeFormat::Json) {
        Ok(()) => Ok(()),
        Err(TokenError::InvalidGrant(m) | TokenError::Rejected(m) | TokenError::Denied(m)) => {
            log::info!("nothing left to revoke for company {}: {m}", tenant.id);
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
