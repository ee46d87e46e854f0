//! The `oauth` import: token requests the host performs with the secrets it holds.

use std::time::Instant;

use crate::runtime::bindings::mooring::connector::oauth::Host;
use crate::runtime::bindings::types::{Fields, RevokeFormat, TokenError, TokenInfo};
use crate::runtime::host_state::HostState;

impl Host for HostState {
    async fn exchange_code(
        &mut self,
        code: String,
        extra_params: Fields,
    ) -> wasmtime::Result<Result<TokenInfo, TokenError>> {
        let started = Instant::now();
        let (grants, plugin) = (self.caps.grants.clone(), self.plugin.clone());
        let result = grants
            .exchange_code(&plugin, &self.ctx, code, extra_params)
            .await;
        self.host_time += started.elapsed();
        Ok(result)
    }

    async fn refresh(
        &mut self,
        extra_params: Fields,
    ) -> wasmtime::Result<Result<TokenInfo, TokenError>> {
        let started = Instant::now();
        let (grants, plugin) = (self.caps.grants.clone(), self.plugin.clone());
        let result = grants.refresh(&plugin, &self.ctx, extra_params).await;
        self.host_time += started.elapsed();
        Ok(result)
    }

    async fn revoke(&mut self, format: RevokeFormat) -> wasmtime::Result<Result<(), TokenError>> {
        let started = Instant::now();
        let (grants, plugin) = (self.caps.grants.clone(), self.plugin.clone());
        let result = grants.revoke(&plugin, &self.ctx, format).await;
        self.host_time += started.elapsed();
        Ok(result)
    }
}
