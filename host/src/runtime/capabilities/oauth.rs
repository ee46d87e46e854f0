//! The `oauth` import: token requests the host performs with the secrets it holds.

use std::time::Instant;

use crate::runtime::host_state::HostState;
use crate::runtime::types::{Fields, RevokeFormat, TokenError, TokenInfo};

impl HostState {
    /// `oauth.exchange-code`: exchange the code of the flow this call completes.
    pub(crate) async fn oauth_exchange_code(
        &mut self,
        code: String,
        extra_params: Fields,
    ) -> Result<TokenInfo, TokenError> {
        let started = Instant::now();
        let (grants, plugin) = (self.caps.grants.clone(), self.plugin.clone());
        let result = grants
            .exchange_code(&plugin, &self.ctx, code, extra_params)
            .await;
        self.host_time += started.elapsed();
        result
    }

    /// `oauth.refresh`: refresh the current grant.
    pub(crate) async fn oauth_refresh(
        &mut self,
        extra_params: Fields,
    ) -> Result<TokenInfo, TokenError> {
        let started = Instant::now();
        let (grants, plugin) = (self.caps.grants.clone(), self.plugin.clone());
        let result = grants.refresh(&plugin, &self.ctx, extra_params).await;
        self.host_time += started.elapsed();
        result
    }

    /// `oauth.revoke`: revoke the current grant's refresh token.
    pub(crate) async fn oauth_revoke(&mut self, format: RevokeFormat) -> Result<(), TokenError> {
        let started = Instant::now();
        let (grants, plugin) = (self.caps.grants.clone(), self.plugin.clone());
        let result = grants.revoke(&plugin, &self.ctx, format).await;
        self.host_time += started.elapsed();
        result
    }
}
