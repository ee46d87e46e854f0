//! `test-panics`: `sync` panics with `connector exploded: test panic`. With
//! `panic = "abort"` std prints the message to stderr (which the host captures) and
//! the instance traps.

use mooring_plugin_sdk::prelude::*;

struct Panics;

impl Guest for Panics {
    fn describe() -> Manifest {
        Manifest {
            id: env!("CARGO_PKG_NAME").into(),
            name: "Test: panics".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            auth: AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
            allowed_hosts: vec!["api.test.invalid".into()],
            streams: vec![StreamInfo::new("boom", "id")],
            rate_budget: RateBudget::none(),
            token_policy: TokenPolicy::none(),
        }
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
