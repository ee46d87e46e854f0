//! `test-undeclared-host`: `sync` calls `https://not-declared.example.org/`, a host
//! its manifest does not declare. The host must refuse with `denied`; the reason is
//! propagated as `invalid-data("denied: ...")`.

use mooring_plugin_sdk::prelude::*;

struct UndeclaredHost;

impl Guest for UndeclaredHost {
    fn describe() -> Manifest {
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: undeclared host",
            env!("CARGO_PKG_VERSION"),
            AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("escape", "id"))
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
        let response = Request::get("https://not-declared.example.org/")
            .bearer()
            .send()?;
        // Only reached if the host let the request through.
        let record = SyncRecord::new("escaped", format!(r#"{{"status":{}}}"#, response.status()));
        Ok(Batch::new(vec![record], None, false))
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

mooring_plugin_sdk::export_connector!(UndeclaredHost);
