//! `test-well-behaved`: the connector the runtime tests and benchmarks drive.
//!
//! | export | behaviour |
//! |---|---|
//! | `authorize-params` | `[("prompt", "consent")]` |
//! | `complete-authorization` | `oauth.exchange-code(<code param>, [])`, then one tenant `t-1` "Test Org" |
//! | `refresh` | `oauth.refresh([])` |
//! | `disconnect` | `oauth.revoke(form)` (manifest revoke URL `https://api.test.invalid/revoke`) |
//! | `sync("echo")` | GET `https://api.test.invalid/echo` with the access token and `x-tenant: <tenant id>`; one record `echo` whose data is `{"status", "headers": [[name, value]...], "body"}`: all the plugin saw |
//! | `sync("try-auth-header")` | GET the echo URL with its own `authorization` header; the host's refusal is propagated as `invalid-data("denied: ...")`. Should the host send it anyway, one record `try-auth-header` shaped like `echo` is returned |
//! | `sync("state")` | state `counter` (JSON u64, default 0) + 1, stored back; one record `counter` with data `{"counter": N}` |
//! | `sync("records:N")` | N records (id = index, ~100 bytes of JSON each), `has-more: false`, next cursor `N` |
//! | `sync("log")` | one log line at each level; no records |
//! | other streams | `invalid-data("unknown stream ...")` |
//!
//! Errors from the host go through the SDK's mapping (`mooring_plugin_sdk::error`).

use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::json;

const API: &str = "https://api.test.invalid";

struct WellBehaved;

impl Guest for WellBehaved {
    fn describe() -> Manifest {
        let auth = AuthConfig {
            revoke_url: Some(format!("{API}/revoke")),
            ..AuthConfig::new(
                "https://login.test.invalid/authorize",
                format!("{API}/token"),
            )
        };
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: well-behaved",
            env!("CARGO_PKG_VERSION"),
            auth,
        )
        .allowed_hosts(&["api.test.invalid"])
        .stream(StreamInfo::new("echo", "id"))
        .stream(StreamInfo::new("try-auth-header", "id"))
        .stream(StreamInfo::new("state", "id"))
        .stream(StreamInfo::new("records", "id").cursor_field("id"))
        .stream(StreamInfo::new("log", "id"))
    }

    fn authorize_params(_scopes: Vec<String>) -> Fields {
        vec![("prompt".into(), "consent".into())]
    }

    fn complete_authorization(params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
        oauth::exchange_code(fields::require(&params, "code")?, &[])?;
        Ok(vec![Tenant::new("t-1", "Test Org")])
    }

    fn refresh() -> Result<TokenInfo, ConnectorError> {
        Ok(oauth::refresh(&[])?)
    }

    fn sync(
        stream: String,
        tenant: Tenant,
        _cursor: Option<String>,
    ) -> Result<Batch, ConnectorError> {
        match stream.as_str() {
            "echo" => {
                let response = Request::get(format!("{API}/echo"))
                    .header("x-tenant", &tenant.id)
                    .bearer()
                    .send()?;
                Ok(Batch::new(vec![seen("echo", &response)?], None, false))
            }
            "try-auth-header" => {
                let response = Request::get(format!("{API}/echo"))
                    .header("authorization", "Bearer forged-by-plugin")
                    .send()?;
                Ok(Batch::new(
                    vec![seen("try-auth-header", &response)?],
                    None,
                    false,
                ))
            }
            "state" => {
                let counter = state::get_json::<u64>("counter")?.unwrap_or(0) + 1;
                state::set_json("counter", &counter)?;
                let record = SyncRecord::json("counter", &json!({ "counter": counter }))?;
                Ok(Batch::new(vec![record], None, false))
            }
            "log" => {
                log::trace!("test-well-behaved: trace line");
                log::debug!("test-well-behaved: debug line");
                log::info!("test-well-behaved: info line");
                log::warn!("test-well-behaved: warn line");
                log::error!("test-well-behaved: error line");
                Ok(Batch::empty())
            }
            other => match other.strip_prefix("records:").map(str::parse::<usize>) {
                Some(Ok(n)) => Ok(Batch::new(records(n), Some(n.to_string()), false)),
                _ => Err(ConnectorError::InvalidData(format!(
                    "unknown stream `{other}`"
                ))),
            },
        }
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(oauth::revoke(RevokeFormat::Form)?)
    }
}

/// Everything the plugin could see of a response, as one record.
fn seen(id: &str, response: &Response) -> Result<SyncRecord, ConnectorError> {
    SyncRecord::json(
        id,
        &json!({
            "status": response.status(),
            "headers": response.headers,
            "body": response.text(),
        }),
    )
}

/// `n` small records of about 100 bytes of JSON each.
fn records(n: usize) -> Vec<SyncRecord> {
    (0..n)
        .map(|i| {
            let data = format!(
                r#"{{"id":{i},"name":"record {i:08}","amount":"{}.{:02}","currency":"NZD","updated":"2024-01-01T00:00:00Z"}}"#,
                i * 7 % 100_000,
                i % 100
            );
            SyncRecord::new(i.to_string(), data)
        })
        .collect()
}

mooring_plugin_sdk::export_connector!(WellBehaved);
