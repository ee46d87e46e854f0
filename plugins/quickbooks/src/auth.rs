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
    let info = oauth::exchange_code(code, &hard_expiry_opt_in())?;
    state::store_granted_scopes(&info.scopes);
    note_hard_expiry(&info);
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

/// Refreshes the grant, noting the refresh token's hard expiry when QuickBooks said.
pub fn refresh() -> Result<TokenInfo, ConnectorError> {
    let info = oauth::refresh(&hard_expiry_opt_in())?;
    note_hard_expiry(&info);
    Ok(info)
}

/// Asks the token endpoint for `x_refresh_token_hard_expires_in`: QuickBooks sends it
/// only when the request carries `x-include-refresh-token-hard-expires-in: true`
/// (PROVIDERS.md B1). `header:` extras become request headers on the host's token
/// request.
fn hard_expiry_opt_in() -> Fields {
    vec![(
        "header:x-include-refresh-token-hard-expires-in".into(),
        "true".into(),
    )]
}

/// Token-response field: seconds until the refresh token dies whatever its use (the
/// 5-year cap, PROVIDERS.md B1/B5.8).
pub const HARD_EXPIRY_FIELD: &str = "x_refresh_token_hard_expires_in";
/// State key holding that instant (RFC 3339), for the connection's records and logs.
pub const HARD_EXPIRY_KEY: &str = "refresh_token_hard_expires_at";

/// The instant (epoch ms) the refresh token hard-expires, from a token response
/// received at `now`; `None` when the response did not say.
pub fn hard_expiry(info: &TokenInfo, now: i64) -> Option<i64> {
    let secs = i64::try_from(info.extra_u64(HARD_EXPIRY_FIELD)?).ok()?;
    (secs > 0).then(|| now.saturating_add(secs.saturating_mul(1000)))
}

/// Keeps the hard expiry in state (key [`HARD_EXPIRY_KEY`]) and logs it. The host
/// also keeps every extra token field with the grant.
fn note_hard_expiry(info: &TokenInfo) {
    let now = i64::try_from(clock::now_millis()).unwrap_or(i64::MAX);
    let Some(at) = hard_expiry(info, now) else {
        return;
    };
    let at = time::rfc3339_from_millis(at);
    log::info!(
        "QuickBooks refresh token hard-expires at {at}: the company must reconnect before then"
    );
    if let Err(e) = state::set_json(HARD_EXPIRY_KEY, &at) {
        log::warn!(
            "could not keep the refresh token's hard expiry: {}",
            e.reason()
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_expiry_from_the_token_response() {
        let info = |extra: Vec<(String, String)>| TokenInfo {
            expires_in: Some(3600),
            refresh_token_expires_in: Some(8_726_400),
            scopes: vec![],
            extra,
        };
        let with = info(vec![(HARD_EXPIRY_FIELD.into(), "156032154".into())]);
        assert_eq!(hard_expiry(&with, 1_000), Some(1_000 + 156_032_154_000));
        assert_eq!(hard_expiry(&info(vec![]), 1_000), None);
        // oauth-jsclient writes 0 when the field is absent.
        assert_eq!(
            hard_expiry(&info(vec![(HARD_EXPIRY_FIELD.into(), "0".into())]), 1),
            None
        );
    }
}
