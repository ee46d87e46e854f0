//! `test-memory-hog`: `sync` allocates 16 MiB blocks and writes to each, up to
//! 4 GiB, far past any sane store limit. Under a limit the host sees a trap (an
//! allocation failure aborts); without one the call would return a single record.

use core::hint::black_box;
use mooring_plugin_sdk::prelude::*;

const BLOCK: usize = 16 << 20;
const BLOCKS: usize = 256; // 4 GiB

struct MemoryHog;

impl Guest for MemoryHog {
    fn describe() -> Manifest {
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: memory hog",
            env!("CARGO_PKG_VERSION"),
            AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("hog", "id"))
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
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        for n in 0..BLOCKS {
            let mut block = vec![0u8; BLOCK];
            // Touch every page so nothing can be left lazily unallocated.
            for page in block.iter_mut().step_by(4096) {
                *page = n as u8 | 1;
            }
            hoard.push(black_box(block));
        }
        let total: usize = black_box(&hoard).iter().map(Vec::len).sum();
        let record = SyncRecord::new("hog", format!(r#"{{"bytes":{total}}}"#));
        Ok(Batch::new(vec![record], None, false))
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

mooring_plugin_sdk::export_connector!(MemoryHog);
