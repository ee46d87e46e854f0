//! Grant lifecycle shared by both providers: creating a grant from a code, minting token
//! sets, rotating refresh tokens, and the lifetimes involved.

use crate::clock::{DAY, HOUR, MINUTE, Millis};
use crate::jwt::{
    INTUIT_ISSUER, IdTokenClaims, XERO_ISSUER, XeroAccessClaims, intuit_access_token,
    intuit_id_token, intuit_refresh_token, xero_access_token, xero_id_token, xero_refresh_token,
};
use crate::model::{
    AccessTokenRecord, AuthCode, GrantInfo, GrantRecord, GrantState, IssuedTokens, Provider,
    RefreshTokenRecord, RtStatus,
};
use crate::state::SimState;

/// Authorization codes live 5 minutes.
pub const CODE_LIFETIME: Millis = 5 * MINUTE;
/// Xero access tokens live 30 minutes.
pub const XERO_AT_LIFETIME: Millis = 30 * MINUTE;
/// QuickBooks access tokens live 60 minutes.
pub const QBO_AT_LIFETIME: Millis = HOUR;
/// A Xero refresh token unused for 60 days expires.
pub const XERO_RT_IDLE: Millis = 60 * DAY;
/// A replaced Xero refresh token stays usable for 30 minutes.
pub const XERO_GRACE: Millis = 30 * MINUTE;
/// QuickBooks refresh tokens live 100 days from their last use.
pub const QBO_RT_ROLLING: Millis = 100 * DAY;
/// QuickBooks refresh tokens die 5 years after the consent, whatever their use.
pub const QBO_RT_HARD: Millis = 5 * 365 * DAY;
/// A replaced QuickBooks refresh token stays answerable for 24 hours.
pub const QBO_PREVIOUS_RT: Millis = 24 * HOUR;

/// What to do about the refresh token when minting a token set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RtChoice {
    /// Mint a new refresh-token value.
    New,
    /// Return the grant's current value again.
    Keep,
    /// No refresh token (Xero without `offline_access`).
    Omit,
}

impl SimState {
    /// Creates an active grant from a redeemed code.
    pub(crate) fn create_grant(&mut self, code: &AuthCode, now: Millis) -> u64 {
        let id = self.next_grant_id;
        self.next_grant_id += 1;
        let realm_id = match code.provider {
            Provider::Quickbooks => code.tenants.first().cloned(),
            Provider::Xero => None,
        };
        self.grants.insert(
            id,
            GrantRecord {
                id,
                provider: code.provider,
                client_id: code.client_id.clone(),
                username: code.username.clone(),
                scopes: code.scopes.clone(),
                auth_event_id: code.auth_event_id.clone(),
                realm_id,
                created_at: now,
                auth_time: code.issued_at,
                state: GrantState::Active,
                current_rt: None,
                latest: None,
                rt_expires_at: now + QBO_RT_ROLLING,
                hard_expires_at: now + QBO_RT_HARD,
            },
        );
        id
    }

    /// Mints a token set for `grant_id`, records it as the grant's latest and (for a new
    /// refresh token) as its current refresh token.
    pub(crate) fn issue_tokens(
        &mut self,
        grant_id: u64,
        now: Millis,
        rt: RtChoice,
    ) -> Option<IssuedTokens> {
        let g = self.grants.get(&grant_id)?.clone();
        let user = self.users.get(&(g.provider, g.username.clone()))?.clone();
        let openid = g.scopes.iter().any(|s| s == "openid");
        let (access_token, lifetime) = match g.provider {
            Provider::Xero => (
                xero_access_token(&XeroAccessClaims {
                    now,
                    lifetime: XERO_AT_LIFETIME,
                    client_id: &g.client_id,
                    sub: &user.sub,
                    xero_userid: &user.user_id,
                    global_session_id: &user.session_id,
                    auth_event_id: &g.auth_event_id,
                    auth_time: g.auth_time,
                    scopes: &g.scopes,
                }),
                XERO_AT_LIFETIME,
            ),
            Provider::Quickbooks => (intuit_access_token(), QBO_AT_LIFETIME),
        };
        let id_token = openid.then(|| {
            let claims = IdTokenClaims {
                issuer: match g.provider {
                    Provider::Xero => XERO_ISSUER,
                    Provider::Quickbooks => INTUIT_ISSUER,
                },
                now,
                client_id: &g.client_id,
                sub: &user.sub,
                user_id: &user.user_id,
                session_id: &user.session_id,
                auth_time: g.auth_time,
                email: &user.email,
                given_name: &user.given_name,
                family_name: &user.family_name,
                realm_id: g.realm_id.as_deref(),
            };
            match g.provider {
                Provider::Xero => xero_id_token(&claims),
                Provider::Quickbooks => intuit_id_token(&claims),
            }
        });
        let refresh_token = match rt {
            RtChoice::New => {
                let value = match g.provider {
                    Provider::Xero => xero_refresh_token(),
                    Provider::Quickbooks => intuit_refresh_token(now + QBO_RT_ROLLING),
                };
                self.refresh_tokens.insert(
                    value.clone(),
                    RefreshTokenRecord {
                        grant_id,
                        issued_at: now,
                        status: RtStatus::Current,
                    },
                );
                Some(value)
            }
            RtChoice::Keep => g.current_rt.clone(),
            RtChoice::Omit => None,
        };
        self.access_tokens.insert(
            access_token.clone(),
            AccessTokenRecord {
                grant_id,
                expires_at: now + lifetime,
            },
        );
        let issued = IssuedTokens {
            access_token,
            refresh_token: refresh_token.clone(),
            id_token,
            at_expires_at: now + lifetime,
        };
        let gm = self.grants.get_mut(&grant_id)?;
        gm.latest = Some(issued.clone());
        if refresh_token.is_some() {
            gm.current_rt = refresh_token;
        }
        Some(issued)
    }

    /// Marks `old` as replaced by `successor` at `now`.
    pub(crate) fn supersede(&mut self, old: &str, now: Millis, successor: &IssuedTokens) {
        if let Some(r) = self.refresh_tokens.get_mut(old) {
            r.status = RtStatus::Superseded {
                at: now,
                successor: successor.clone(),
            };
        }
    }

    /// Marks a refresh-token value dead.
    pub(crate) fn kill_rt(&mut self, value: &str) {
        if let Some(r) = self.refresh_tokens.get_mut(value) {
            r.status = RtStatus::Dead;
        }
    }

    /// Tenants a Xero (client, user) pair can currently reach: live connections to
    /// organisations the user still belongs to, deduplicated, in connection order.
    pub(crate) fn xero_live_tenants(&self, client_id: &str, username: &str) -> Vec<String> {
        // Sets, not nested scans: a benchmark holds 10,000 organisations and connections
        // for one user, and this runs on every API call.
        let member_of: std::collections::HashSet<&str> = self
            .orgs
            .iter()
            .filter(|o| o.members.contains(username))
            .map(|o| o.tenant_id.as_str())
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<String> = Vec::new();
        for c in &self.connections {
            if c.client_id == client_id
                && c.username == username
                && member_of.contains(c.tenant_id.as_str())
                && seen.insert(c.tenant_id.as_str())
            {
                out.push(c.tenant_id.clone());
            }
        }
        out
    }

    /// Whether a QuickBooks grant can reach its company (user still a member).
    pub(crate) fn qbo_realm_reachable(&self, g: &GrantRecord) -> bool {
        g.realm_id.as_deref().is_some_and(|realm| {
            self.orgs
                .iter()
                .any(|o| o.tenant_id == realm && o.members.contains(&g.username))
        })
    }

    /// Every grant, without token values.
    pub(crate) fn grant_infos(&self) -> Vec<GrantInfo> {
        self.grants
            .values()
            .map(|g| {
                let tenants = if g.state != GrantState::Active {
                    Vec::new()
                } else {
                    match g.provider {
                        Provider::Xero => self.xero_live_tenants(&g.client_id, &g.username),
                        Provider::Quickbooks => {
                            if self.qbo_realm_reachable(g) {
                                g.realm_id.iter().cloned().collect()
                            } else {
                                Vec::new()
                            }
                        }
                    }
                };
                GrantInfo {
                    id: g.id,
                    provider: g.provider,
                    client_id: g.client_id.clone(),
                    username: g.username.clone(),
                    scopes: g.scopes.clone(),
                    auth_event_id: g.auth_event_id.clone(),
                    realm_id: g.realm_id.clone(),
                    tenants,
                    state: g.state,
                    created_at: g.created_at,
                }
            })
            .collect()
    }
}
