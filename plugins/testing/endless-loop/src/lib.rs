//! `test-endless-loop`: `sync` never returns, so the host's epoch deadline must stop
//! it. Every other export is trivial.

use core::hint::black_box;
use mooring_plugin_sdk::prelude::*;

struct EndlessLoop;

impl Guest for EndlessLoop {
    fn describe() -> Manifest {
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: endless loop",
            env!("CARGO_PKG_VERSION"),
            AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("spin", "id"))
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
        let mut spins: u64 = 0;
        loop {
            // black_box keeps the optimiser from proving the loop empty.
            spins = black_box(spins.wrapping_add(1));
        }
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

mooring_plugin_sdk::export_connector!(EndlessLoop);
