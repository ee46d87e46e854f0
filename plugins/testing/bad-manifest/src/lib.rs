//! `test-bad-manifest`: a component whose `describe()` returns a version that is not
//! semver; the host must refuse to load it (and store nothing on upload).

use mooring_plugin_sdk::prelude::*;

struct BadManifest;

impl Guest for BadManifest {
    fn describe() -> Manifest {
        let auth = AuthConfig::new(
            "https://login.test.invalid/authorize",
            "https://api.test.invalid/token",
        );
        Manifest::new("bad-manifest", "Test: bad manifest", "banana", auth)
            .allowed_hosts(&["api.test.invalid"])
    }

    fn authorize_params(_scopes: Vec<String>) -> Fields {
        Vec::new()
    }

    fn complete_authorization(_params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
        Err(ConnectorError::InvalidData("not a real connector".into()))
    }

    fn refresh() -> Result<TokenInfo, ConnectorError> {
        Err(ConnectorError::InvalidData("not a real connector".into()))
    }

    fn sync(_s: String, _t: Tenant, _c: Option<String>) -> Result<Batch, ConnectorError> {
        Err(ConnectorError::InvalidData("not a real connector".into()))
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

mooring_plugin_sdk::export_connector!(BadManifest);
