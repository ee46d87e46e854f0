//! The WIT world versions this host supports, one module each, and the dispatch over
//! them.
//!
//! - `since_vX_Y_Z.rs` holds the `bindgen!` of `wit/connector-X.Y.Z/`, the host
//!   imports of that version as adapters over the neutral capability methods of
//!   [`HostState`], its export calls, and the conversions between its generated
//!   types and [`crate::runtime::types`]. Nothing outside this module sees generated
//!   types.
//! - [`WitVersion`] names a supported version; [`detect`] finds the one a component
//!   implements (or refuses it, naming the supported ones) from its imports.
//! - [`ConnectorPre`] is a pre-instantiated component of any supported version, and
//!   the export calls dispatch on [`WitVersion`] and return neutral types.
//!
//! How to add a version is described in `wit/README.md`.

pub(crate) mod since_v0_1_0;

use std::fmt;

use wasmtime::component::{Component, Instance, InstancePre, Linker};
use wasmtime::{Engine, Store};

use super::host_state::HostState;
use super::types::{Batch, ConnectorError, Fields, Manifest, Tenant, TokenInfo};

/// The WIT package every supported world belongs to.
pub const PACKAGE: &str = "mooring:connector";

/// A `mooring:connector` world version this host implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WitVersion {
    /// `mooring:connector@0.1.0` (`wit/connector-0.1.0/`).
    V0_1_0,
}

impl WitVersion {
    /// Every supported version, oldest first.
    pub const SUPPORTED: &[WitVersion] = &[WitVersion::V0_1_0];

    /// The newest supported version: the one the neutral types follow.
    pub const LATEST: WitVersion = WitVersion::V0_1_0;

    /// The package version, e.g. `"0.1.0"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0_1_0 => since_v0_1_0::VERSION,
        }
    }

    /// The supported version whose package version is `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        Self::SUPPORTED.iter().copied().find(|v| v.as_str() == text)
    }
}

impl fmt::Display for WitVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The supported versions as text: `0.1.0` or `0.1.0, 0.2.0`.
pub fn supported_list() -> String {
    let versions: Vec<&str> = WitVersion::SUPPORTED.iter().map(|v| v.as_str()).collect();
    versions.join(", ")
}

/// Why a component's world is not one this host supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// It implements a version of the package this host does not.
    #[error(
        "the component implements {PACKAGE}@{found}; this host supports {}",
        supported_list()
    )]
    Unsupported {
        /// The version the component names.
        found: String,
    },
    /// It imports interfaces of more than one version of the package.
    #[error("the component mixes {PACKAGE} versions {}; this host supports {}", found.join(", "), supported_list())]
    Mixed {
        /// The versions it names.
        found: Vec<String>,
    },
    /// It imports nothing of the package, so it is no connector.
    #[error(
        "the component does not import any {PACKAGE} interface, so it implements no connector world; this host supports {}",
        supported_list()
    )]
    NotAConnector,
}

/// Which supported world `component` implements, from the versions of the
/// `mooring:connector/…@X.Y.Z` interfaces it imports (every connector imports at
/// least `types`, which its exports use).
pub fn detect(engine: &Engine, component: &Component) -> Result<WitVersion, WorldError> {
    let ty = component.component_type();
    let prefix = format!("{PACKAGE}/");
    let mut found: Vec<String> = ty
        .imports(engine)
        .filter_map(|(name, _)| name.strip_prefix(prefix.as_str()))
        .map(|rest| rest.split_once('@').map_or("", |(_, v)| v).to_owned())
        .collect();
    found.sort();
    found.dedup();
    match found.as_slice() {
        [] => Err(WorldError::NotAConnector),
        [one] => WitVersion::parse(one).ok_or_else(|| WorldError::Unsupported {
            found: if one.is_empty() {
                "(unversioned)".into()
            } else {
                one.clone()
            },
        }),
        _ => Err(WorldError::Mixed { found }),
    }
}

/// Link the imports of every supported version (their interface names differ by
/// version, so they coexist in one linker).
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    since_v0_1_0::add_to_linker(linker)?;
    Ok(())
}

/// A component pre-instantiated against the world of its version.
pub(crate) enum ConnectorPre {
    /// A 0.1.0 connector.
    V0_1_0(since_v0_1_0::ConnectorPre<HostState>),
}

impl ConnectorPre {
    /// Check that `pre` exports the world of `version` and wrap it.
    pub(crate) fn new(version: WitVersion, pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        Ok(match version {
            WitVersion::V0_1_0 => Self::V0_1_0(since_v0_1_0::pre(pre)?),
        })
    }

    /// The version this component implements.
    pub(crate) fn version(&self) -> WitVersion {
        match self {
            Self::V0_1_0(_) => WitVersion::V0_1_0,
        }
    }

    /// The untyped pre-instantiated component.
    pub(crate) fn instance_pre(&self) -> &InstancePre<HostState> {
        match self {
            Self::V0_1_0(pre) => pre.instance_pre(),
        }
    }
}

/// What an export call returns before the runtime classifies it.
pub(crate) type Outcome<T> = wasmtime::Result<Result<T, ConnectorError>>;

/// The export calls, dispatched by version. Each looks up and type-checks only the
/// export it calls, and returns neutral types.
impl WitVersion {
    /// `describe()`, after type-checking every export of the world (at load).
    pub(crate) async fn describe_checked(
        self,
        i: Instance,
        s: &mut Store<HostState>,
    ) -> Outcome<Manifest> {
        match self {
            Self::V0_1_0 => since_v0_1_0::describe_checked(i, s).await,
        }
    }

    /// `describe()`.
    pub(crate) async fn describe(self, i: Instance, s: &mut Store<HostState>) -> Outcome<Manifest> {
        match self {
            Self::V0_1_0 => since_v0_1_0::describe(i, s).await,
        }
    }

    /// `authorize-params(scopes)`.
    pub(crate) async fn authorize_params(
        self,
        i: Instance,
        s: &mut Store<HostState>,
        scopes: Vec<String>,
    ) -> Outcome<Fields> {
        match self {
            Self::V0_1_0 => since_v0_1_0::authorize_params(i, s, scopes).await,
        }
    }

    /// `complete-authorization(callback-params)`.
    pub(crate) async fn complete_authorization(
        self,
        i: Instance,
        s: &mut Store<HostState>,
        params: Fields,
    ) -> Outcome<Vec<Tenant>> {
        match self {
            Self::V0_1_0 => since_v0_1_0::complete_authorization(i, s, params).await,
        }
    }

    /// `refresh()`.
    pub(crate) async fn refresh(self, i: Instance, s: &mut Store<HostState>) -> Outcome<TokenInfo> {
        match self {
            Self::V0_1_0 => since_v0_1_0::refresh(i, s).await,
        }
    }

    /// `sync(stream, tenant, cursor)`.
    pub(crate) async fn sync(
        self,
        i: Instance,
        s: &mut Store<HostState>,
        stream: String,
        tenant: Tenant,
        cursor: Option<String>,
    ) -> Outcome<Batch> {
        match self {
            Self::V0_1_0 => since_v0_1_0::sync(i, s, stream, tenant, cursor).await,
        }
    }

    /// `disconnect(tenant)`.
    pub(crate) async fn disconnect(
        self,
        i: Instance,
        s: &mut Store<HostState>,
        tenant: Tenant,
    ) -> Outcome<()> {
        match self {
            Self::V0_1_0 => since_v0_1_0::disconnect(i, s, tenant).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_supported_versions() {
        let error = WorldError::Unsupported {
            found: "0.3.0".into(),
        };
        assert_eq!(
            error.to_string(),
            "the component implements mooring:connector@0.3.0; this host supports 0.1.0"
        );
        assert!(
            WorldError::NotAConnector
                .to_string()
                .ends_with("supports 0.1.0")
        );
        assert_eq!(WitVersion::parse("0.1.0"), Some(WitVersion::V0_1_0));
        assert_eq!(WitVersion::parse("0.1.1"), None);
        assert_eq!(WitVersion::LATEST, *WitVersion::SUPPORTED.last().unwrap());
    }
}
