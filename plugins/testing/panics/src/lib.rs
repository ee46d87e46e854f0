//! `test-panics`: `sync` panics with `connector exploded: test panic`. With
//! `panic = "abort"` std prints the message to stderr (which the host captures) and
//! the instance traps.

use mooring_plugin_sdk::prelude::*;

struct Panics;

impl Guest for Panics {
    fn describe() -> Manifest {
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: panics",
            env!("CARGO_PKG_VERSION"),
            AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("boom", "id"))
    }

    fn authorize_params(_scopes: Vec<String>) -> Fields {
        Vec::new()
    }

    fn complete_authorization(_params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
        Ok(vec![Tenant::new("t-1", "Test Org")])
    }

    fn refresh() -> Result<TokenInfo, ConnectorError> {
        Ok(oauth::refresh(&[])?)
    }

    fn sync(
        _stream: String,
        _tenant: Tenant,
        _cursor: Option<String>,
    ) -> Result<Batch, ConnectorError> {
        panic!("connector exploded: test panic")
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

mooring_plugin_sdk::export_connector!(Panics);
