//! Starting an OAuth flow: a random single-use `state` that expires after ten minutes,
//! PKCE S256 when the manifest asks for it, and the authorize URL built from the
//! manifest, the integration and the plugin's `authorize-params`.

use base64::Engine as _;
use mooring_store::{Flow, FlowKind, Integration, Store, StoreError};
use sha2::{Digest, Sha256};

use super::secrets::{Slot, random_token, seal};
use crate::runtime::overrides::HostOverrides;
use crate::runtime::plugin::PluginInfo;
use crate::runtime::types::Fields;

/// How long a flow's `state` stays valid.
pub const FLOW_LIFETIME_MS: u64 = 10 * 60 * 1000;

/// Percent-encode a query component (RFC 3986 unreserved kept; space is `%20`, never `+`).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `base` with `params` appended to its query.
pub fn with_query(base: &str, params: &[(String, String)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{}", query.join("&"))
}

/// A new flow and its PKCE verifier (plain, for the challenge).
pub fn new_flow(
    store: &Store,
    connection: &str,
    kind: FlowKind,
    scopes: &[String],
    pkce: bool,
    now: u64,
) -> Result<(Flow, Option<String>), StoreError> {
    let state = random_token(32);
    let verifier = pkce.then(|| random_token(48));
    let sealed = match &verifier {
        Some(v) => Some(seal(store, Slot::Pkce(&state), v)?),
        None => None,
    };
    Ok((
        Flow {
            state,
            connection: connection.to_owned(),
            kind,
            pkce_verifier: sealed,
            scopes: scopes.to_vec(),
            created_at: now,
            expires_at: now + FLOW_LIFETIME_MS,
        },
        verifier,
    ))
}

/// The URL a person opens to consent (host overrides applied).
pub fn authorize_url(
    plugin: &PluginInfo,
    integration: &Integration,
    flow: &Flow,
    verifier: Option<&str>,
    plugin_params: Fields,
    overrides: &HostOverrides,
) -> String {
    let mut params: Vec<(String, String)> = vec![
        ("response_type".into(), "code".into()),
        ("client_id".into(), integration.client_id.clone()),
        ("redirect_uri".into(), integration.redirect_uri.clone()),
        ("scope".into(), flow.scopes.join(" ")),
        ("state".into(), flow.state.clone()),
    ];
    if let Some(verifier) = verifier {
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        params.push(("code_challenge".into(), challenge));
        params.push(("code_challenge_method".into(), "S256".into()));
    }
    for (name, value) in plugin_params {
        if !params.iter().any(|(n, _)| *n == name) {
            params.push((name, value));
        }
    }
    overrides.apply_str(&with_query(&plugin.manifest.auth.authorize_url, &params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        use crate::runtime::types::*;
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let mut manifest = crate::runtime::plugin::empty_manifest();
        manifest.auth.authorize_url = "https://login.example.com/authorize".into();
        manifest.auth.token_url = "https://login.example.com/token".into();
        manifest.auth.pkce = true;
        manifest.auth.client_auth = ClientAuth::RequestBody;
        let plugin = crate::runtime::PluginInfo {
            id: "p".into(),
            version: "1.0.0".into(),
            sha256: String::new(),
            size: 0,
            manifest,
            allowed: Default::default(),
        };
        let integration = mooring_store::Integration {
            id: "i".into(),
            provider: "p".into(),
            client_id: "cid".into(),
            client_secret: serde_json::from_str(r#"{"v":1,"nonce":"","ct":""}"#).expect("sealed"),
            scopes: vec![],
            redirect_uri: "http://localhost:8080/oauth/callback".into(),
            created_at: 0,
        };
        let flow = Flow {
            state: "st".into(),
            connection: "c".into(),
            kind: FlowKind::Connect,
            pkce_verifier: None,
            scopes: vec!["openid".into(), "offline_access".into()],
            created_at: 0,
            expires_at: 1,
        };
        let url = authorize_url(
            &plugin,
            &integration,
            &flow,
            Some(verifier),
            vec![("prompt".into(), "consent".into())],
            &HostOverrides::default(),
        );
        // RFC 7636 appendix B's example pair.
        assert!(
            url.contains("code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            "{url}"
        );
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(
            url.contains("scope=openid%20offline_access") && url.contains("prompt=consent"),
            "{url}"
        );
        assert!(
            url.starts_with("https://login.example.com/authorize?response_type=code&client_id=cid"),
            "{url}"
        );
    }

    #[test]
    fn spaces_are_percent_20() {
        assert_eq!(
            encode_component("openid offline_access"),
            "openid%20offline_access"
        );
        assert_eq!(encode_component("a+b/c"), "a%2Bb%2Fc");
        assert_eq!(
            with_query(
                "https://x/authorize",
                &[("scope".into(), "a b".into()), ("state".into(), "s".into())]
            ),
            "https://x/authorize?scope=a%20b&state=s"
        );
        assert_eq!(
            with_query("https://x/a?x=1", &[("y".into(), "2".into())]),
            "https://x/a?x=1&y=2"
        );
    }
}
