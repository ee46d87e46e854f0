//! The `versioned` test connector, shared by three builds that differ only in their
//! package version (`test-versioned-v1` 1.0.0, `-v2` 2.0.0, `-v3` 3.0.0). The plugin
//! lifecycle tests swap between them while connections sync.
//!
//! | version | differs by |
//! |---|---|
//! | 1.0.0 | streams `pages-a`..`pages-e` (cursor format `page`, cursor `N`) and `extra` |
//! | 2.0.0 | cursor format `page#2` (cursor `p:N`); drops `extra`; same capabilities |
//! | 3.0.0 | like 2.0.0, plus host `api.escalated.test` and scope `accounting.contacts.read` |
//!
//! Auth runs against an OAuth server at `identity.xero.com` (the Xero simulator in
//! tests). Each consent yields one tenant whose id is derived from the authorization
//! code, so every connection has its own. Each page calls the identity host's
//! `/connections` with the access token (a real round trip) and returns
//! `PAGE_SIZE` records that carry the version that produced them.

use mooring_plugin_sdk::prelude::*;
use mooring_plugin_sdk::serde_json::json;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const API: &str = "https://api.xero.com";
/// Pages per stream.
pub const PAGES: u32 = 5;
/// Records per page.
pub const PAGE_SIZE: u32 = 4;

fn major() -> u32 {
    VERSION
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1)
}

/// The streams of this build.
pub fn stream_names() -> Vec<&'static str> {
    let mut names = vec!["pages-a", "pages-b", "pages-c", "pages-d", "pages-e"];
    if major() == 1 {
        names.push("extra");
    }
    names
}

/// The manifest of this build.
pub fn manifest() -> Manifest {
    let format = if major() == 1 { "page" } else { "page#2" };
    let mut scopes = vec!["offline_access", "accounting.settings.read"];
    let mut hosts = vec!["login.xero.com", "identity.xero.com", "api.xero.com"];
    if major() >= 3 {
        scopes.push("accounting.contacts.read");
        hosts.push("api.escalated.test");
    }
    let auth = AuthConfig {
        default_scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..AuthConfig::new(
            "https://login.xero.com/identity/connect/authorize",
            "https://identity.xero.com/connect/token",
        )
    };
    let mut manifest =
        Manifest::new("versioned", "Test: versioned", VERSION, auth).allowed_hosts(&hosts);
    for name in stream_names() {
        let info = StreamInfo::new(name, "id").interval(3600);
        manifest = manifest.stream(if name == "extra" {
            info
        } else {
            info.cursor_field(format)
        });
    }
    manifest
}

/// The page a cursor points at, in this build's format.
fn page_of(cursor: Option<&str>) -> Result<u32, ConnectorError> {
    let Some(cursor) = cursor else { return Ok(0) };
    let text = if major() == 1 {
        cursor
    } else {
        cursor.strip_prefix("p:").ok_or_else(|| {
            ConnectorError::InvalidData(format!("cursor {cursor:?} is not in format page#2"))
        })?
    };
    text.parse()
        .map_err(|_| ConnectorError::InvalidData(format!("cursor {cursor:?} is not a page")))
}

fn cursor_of(page: u32) -> String {
    if major() == 1 {
        page.to_string()
    } else {
        format!("p:{page}")
    }
}

struct Versioned;

impl Guest for Versioned {
    fn describe() -> Manifest {
        manifest()
    }

    fn authorize_params(_scopes: Vec<String>) -> Fields {
        Vec::new()
    }

    fn complete_authorization(params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
        let code = fields::require(&params, "code")?;
        oauth::exchange_code(code, &[])?;
        let id: String = code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        Ok(vec![Tenant::new(format!("t-{id}"), format!("Org {id}"))])
    }

    fn refresh() -> Result<TokenInfo, ConnectorError> {
        Ok(oauth::refresh(&[])?)
    }

    fn sync(
        stream: String,
        _tenant: Tenant,
        cursor: Option<String>,
    ) -> Result<Batch, ConnectorError> {
        if !stream_names().contains(&stream.as_str()) {
            return Err(ConnectorError::InvalidData(format!(
                "unknown stream `{stream}`"
            )));
        }
        let response = Request::get(format!("{API}/connections")).bearer().send()?;
        if response.status() >= 400 {
            return Err(ConnectorError::Transient(format!(
                "connections answered {}",
                response.status()
            )));
        }
        let page = page_of(cursor.as_deref())?;
        let records = (0..PAGE_SIZE)
            .map(|i| {
                let n = page * PAGE_SIZE + i;
                SyncRecord::json(
                    n.to_string(),
                    &json!({"id": n, "stream": stream, "version": VERSION}),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let next = page + 1;
        let more = next < PAGES;
        Ok(Batch::new(
            records,
            Some(cursor_of(if more { next } else { page })),
            more,
        ))
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

mooring_plugin_sdk::export_connector!(Versioned);
