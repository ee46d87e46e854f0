//! World version 0.1.0: the bindings of `wit/connector-0.1.0` (package
//! `mooring:connector@0.1.0`), the host's imports for it as thin adapters over the
//! neutral capability methods on [`HostState`], its export calls, and the conversions
//! between its generated types and [`crate::runtime::types`].
//!
//! Nothing outside [`crate::runtime::wit`] sees these generated types.

use wasmtime::Store;
use wasmtime::component::{ComponentNamedList, Instance, InstancePre, Lift, Lower};

use crate::runtime::host_state::HostState;
use crate::runtime::types as neutral;

wasmtime::component::bindgen!({
    path: "../wit/connector-0.1.0",
    world: "connector",
    imports: { default: async | trappable },
    exports: { default: async },
    // serde only so the tests can prove the neutral types keep these serde shapes.
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

use self::mooring::connector::types as wit;
use self::mooring::connector::{clock, http, log, oauth, state, types};

/// The package version this module implements.
pub const VERSION: &str = "0.1.0";

use super::Outcome;

// ---- conversions between the generated types and the neutral ones ----

/// `From` both ways for records whose fields convert with `Into` (`list` fields are
/// lists of converted records).
macro_rules! record {
    ($name:ident { $($field:ident),* $(,)? } $(list { $($list:ident),* })?) => {
        impl From<wit::$name> for neutral::$name {
            fn from(value: wit::$name) -> Self {
                Self {
                    $($field: value.$field.into(),)*
                    $($($list: value.$list.into_iter().map(Into::into).collect(),)*)?
                }
            }
        }
        impl From<neutral::$name> for wit::$name {
            fn from(value: neutral::$name) -> Self {
                Self {
                    $($field: value.$field.into(),)*
                    $($($list: value.$list.into_iter().map(Into::into).collect(),)*)?
                }
            }
        }
    };
}

/// `From` both ways for enums and variants with the same case names (payloads, if
/// any, are the same plain types in both).
macro_rules! cases {
    ($name:ident { $($case:ident $(($payload:ident))?),* $(,)? }) => {
        impl From<wit::$name> for neutral::$name {
            fn from(value: wit::$name) -> Self {
                match value { $(wit::$name::$case $(($payload))? => Self::$case $(($payload))?,)* }
            }
        }
        impl From<neutral::$name> for wit::$name {
            fn from(value: neutral::$name) -> Self {
                match value { $(neutral::$name::$case $(($payload))? => Self::$case $(($payload))?,)* }
            }
        }
    };
}

cases!(Credential {
    None,
    AccessToken,
    ClientBasic
});
cases!(HttpError { Denied(e), ReauthRequired(e), Timeout(e), Transport(e) });
cases!(TokenError { InvalidGrant(e), InvalidClient(e), InvalidScope(e), Rejected(e), Transient(e), Denied(e) });
cases!(RevokeFormat { Form, Json });
cases!(Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error
});
cases!(ClientAuth { Basic, RequestBody });
cases!(ConnectorError { ReauthRequired(e), Forbidden(e), RateLimited(e), Transient(e), InvalidData(e) });
record!(Request {
    method,
    url,
    headers,
    body,
    credential
});
record!(Response {
    status,
    headers,
    body
});
record!(TokenInfo {
    expires_in,
    refresh_token_expires_in,
    scopes,
    extra
});
record!(AuthConfig {
    authorize_url,
    token_url,
    revoke_url,
    default_scopes,
    pkce,
    client_auth
});
record!(TokenPolicy {
    refresh_ahead,
    refresh_token_idle_lifetime,
    keep_alive_after,
    grace_window
});
record!(RateBudget {
    per_minute,
    per_day,
    concurrency,
    minute_remaining_header,
    day_remaining_header,
    app_minute_remaining_header,
    default_retry_after
});
record!(StreamInfo {
    name,
    primary_key,
    cursor_field,
    interval,
    scopes
});
record!(Manifest { id, name, version, auth, rate_budget, token_policy, allowed_hosts } list { streams });
record!(Tenant { id, name, metadata });
record!(SyncRecord { id, data, deleted });
record!(Batch { next_cursor, has_more } list { records });

/// A guest result with both sides converted to the neutral types.
fn to_neutral<T, U: From<T>>(
    result: Result<T, wit::ConnectorError>,
) -> Result<U, neutral::ConnectorError> {
    result.map(Into::into).map_err(Into::into)
}

// ---- imports: adapters over the neutral capability methods ----

impl types::Host for HostState {}

impl http::Host for HostState {
    async fn send(
        &mut self,
        request: wit::Request,
    ) -> wasmtime::Result<Result<wit::Response, wit::HttpError>> {
        let result = self.http_send(request.into()).await;
        Ok(result.map(Into::into).map_err(Into::into))
    }
}

impl oauth::Host for HostState {
    async fn exchange_code(
        &mut self,
        code: String,
        extra_params: wit::Fields,
    ) -> wasmtime::Result<Result<wit::TokenInfo, wit::TokenError>> {
        let result = self.oauth_exchange_code(code, extra_params).await;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn refresh(
        &mut self,
        extra_params: wit::Fields,
    ) -> wasmtime::Result<Result<wit::TokenInfo, wit::TokenError>> {
        let result = self.oauth_refresh(extra_params).await;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn revoke(
        &mut self,
        format: wit::RevokeFormat,
    ) -> wasmtime::Result<Result<(), wit::TokenError>> {
        Ok(self.oauth_revoke(format.into()).await.map_err(Into::into))
    }
}

impl state::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        self.state_get(key).await.map_err(trap)
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), String>> {
        Ok(self.state_set(key, value).await)
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        self.state_delete(key).await.map_err(trap)
    }
}

impl log::Host for HostState {
    async fn emit(&mut self, level: wit::Level, message: String) -> wasmtime::Result<()> {
        self.log_emit(level.into(), &message);
        Ok(())
    }
}

impl clock::Host for HostState {
    async fn now_millis(&mut self) -> wasmtime::Result<u64> {
        Ok(self.clock_now_millis())
    }
}

/// A host failure the guest cannot handle: trap the call.
fn trap(error: impl std::fmt::Display) -> wasmtime::Error {
    wasmtime::Error::msg(error.to_string())
}

/// Link this version's imports.
pub(super) fn add_to_linker(
    linker: &mut wasmtime::component::Linker<HostState>,
) -> wasmtime::Result<()> {
    Connector::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| state)
}

/// Check that `pre` exports this world (names and types).
pub(super) fn pre(pre: InstancePre<HostState>) -> wasmtime::Result<ConnectorPre<HostState>> {
    ConnectorPre::new(pre)
}

// ---- exports ----

/// Look up and type-check the one export `name` and call it.
async fn call<P, R>(
    instance: Instance,
    store: &mut Store<HostState>,
    name: &str,
    params: P,
) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync + 'static,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    let func = instance.get_typed_func::<P, R>(&mut *store, name)?;
    func.call_async(&mut *store, params).await
}

/// `describe()`, after checking every export of the world (once per load).
pub(super) async fn describe_checked(
    instance: Instance,
    store: &mut Store<HostState>,
) -> Outcome<neutral::Manifest> {
    let connector = Connector::new(&mut *store, &instance)?;
    Ok(Ok(connector.call_describe(&mut *store).await?.into()))
}

/// `describe()`.
pub(super) async fn describe(
    instance: Instance,
    store: &mut Store<HostState>,
) -> Outcome<neutral::Manifest> {
    let (manifest,): (wit::Manifest,) = call(instance, store, "describe", ()).await?;
    Ok(Ok(manifest.into()))
}

/// `authorize-params(scopes)`.
pub(super) async fn authorize_params(
    instance: Instance,
    store: &mut Store<HostState>,
    scopes: Vec<String>,
) -> Outcome<neutral::Fields> {
    let (fields,): (wit::Fields,) = call(instance, store, "authorize-params", (scopes,)).await?;
    Ok(Ok(fields))
}

/// `complete-authorization(callback-params)`.
pub(super) async fn complete_authorization(
    instance: Instance,
    store: &mut Store<HostState>,
    params: neutral::Fields,
) -> Outcome<Vec<neutral::Tenant>> {
    let (result,): (Result<Vec<wit::Tenant>, wit::ConnectorError>,) =
        call(instance, store, "complete-authorization", (params,)).await?;
    Ok(result
        .map(|tenants| tenants.into_iter().map(Into::into).collect())
        .map_err(Into::into))
}

/// `refresh()`.
pub(super) async fn refresh(
    instance: Instance,
    store: &mut Store<HostState>,
) -> Outcome<neutral::TokenInfo> {
    let (result,): (Result<wit::TokenInfo, wit::ConnectorError>,) =
        call(instance, store, "refresh", ()).await?;
    Ok(to_neutral(result))
}

/// `sync(stream, tenant, cursor)`.
pub(super) async fn sync(
    instance: Instance,
    store: &mut Store<HostState>,
    stream: String,
    tenant: neutral::Tenant,
    cursor: Option<String>,
) -> Outcome<neutral::Batch> {
    let params = (stream, wit::Tenant::from(tenant), cursor);
    let (result,): (Result<wit::Batch, wit::ConnectorError>,) =
        call(instance, store, "sync", params).await?;
    Ok(to_neutral(result))
}

/// `disconnect(tenant)`.
pub(super) async fn disconnect(
    instance: Instance,
    store: &mut Store<HostState>,
    tenant: neutral::Tenant,
) -> Outcome<()> {
    let (result,): (Result<(), wit::ConnectorError>,) =
        call(instance, store, "disconnect", (wit::Tenant::from(tenant),)).await?;
    Ok(result.map_err(Into::into))
}

#[cfg(test)]
#[path = "since_v0_1_0_tests.rs"]
mod tests;
