//! `test-huge-response`: oversized data in both directions.
//!
//! - `sync("http")`: GET `https://api.test.invalid/huge`; the server sends an enormous
//!   body, the host must cap it and answer `denied`, which is propagated as
//!   `invalid-data("denied: ...")`. Should the host deliver it, the body length is
//!   returned as one record.
//! - `sync("batch")`: one batch of 48 records of 1 MiB of JSON each (~48 MiB), which
//!   the host must refuse as an oversized export result. A cursor `"N"` changes the
//!   count to N records.

use mooring_plugin_sdk::prelude::*;

const RECORD_BYTES: usize = 1 << 20;
const RECORDS: usize = 48;

struct HugeResponse;

impl Guest for HugeResponse {
    fn describe() -> Manifest {
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: huge response",
            env!("CARGO_PKG_VERSION"),
            AuthConfig::new(
                "https://login.test.invalid/authorize",
                "https://api.test.invalid/token",
            ),
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("http", "id"))
        .stream(StreamInfo::new("batch", "id"))
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
        stream: String,
        _tenant: Tenant,
        cursor: Option<String>,
    ) -> Result<Batch, ConnectorError> {
        match stream.as_str() {
            "http" => {
                let response = Request::get("https://api.test.invalid/huge")
                    .bearer()
                    .send()?;
                let record =
                    SyncRecord::new("huge", format!(r#"{{"bytes":{}}}"#, response.body.len()));
                Ok(Batch::new(vec![record], None, false))
            }
            "batch" => {
                let count = cursor.and_then(|c| c.parse().ok()).unwrap_or(RECORDS);
                Ok(Batch::new(
                    (0..count).map(big_record).collect(),
                    None,
                    false,
                ))
            }
            other => Err(ConnectorError::InvalidData(format!(
                "unknown stream `{other}`"
            ))),
        }
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// A record of exactly 1 MiB of JSON: `{"blob":"xxxx...."}`.
fn big_record(i: usize) -> SyncRecord {
    let mut data = String::with_capacity(RECORD_BYTES);
    data.push_str(r#"{"blob":""#);
    while data.len() < RECORD_BYTES - 2 {
        data.push('x');
    }
    data.push_str(r#""}"#);
    SyncRecord::new(i.to_string(), data)
}

mooring_plugin_sdk::export_connector!(HugeResponse);
