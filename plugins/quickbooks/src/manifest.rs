//! `describe()`: the QuickBooks Online connector's manifest. Pure.

use mooring_plugin_sdk::types::{
    AuthConfig, ClientAuth, Manifest, RateBudget, StreamInfo, TokenPolicy,
};

use crate::streams::{self, STREAMS};

/// The one scope: accounting data (and the `realmId` on the callback).
pub const ACCOUNTING: &str = "com.intuit.quickbooks.accounting";

const DAY: u64 = 86_400;

/// The manifest: endpoints, scope, streams, budgets, token policy.
pub fn manifest() -> Manifest {
    Manifest {
        id: "quickbooks".into(),
        name: "QuickBooks Online".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        auth: AuthConfig {
            revoke_url: Some("https://developer.api.intuit.com/v2/oauth2/tokens/revoke".into()),
            default_scopes: vec![ACCOUNTING.into()],
            // A confidential web app: client secret, no PKCE.
            pkce: false,
            client_auth: ClientAuth::Basic,
            ..AuthConfig::new(
                "https://appcenter.intuit.com/connect/oauth2",
                "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            )
        },
        allowed_hosts: vec![
            "appcenter.intuit.com".into(),
            "oauth.platform.intuit.com".into(),
            "developer.api.intuit.com".into(),
            "quickbooks.api.intuit.com".into(),
            "sandbox-quickbooks.api.intuit.com".into(),
        ],
        streams: STREAMS
            .iter()
            .map(|def| {
                let info = StreamInfo::new(def.name, streams::primary_key(def))
                    .interval(def.interval)
                    .scopes(&[ACCOUNTING]);
                match streams::cursor_field(def) {
                    Some(field) => info.cursor_field(field),
                    None => info,
                }
            })
            .collect(),
        rate_budget: RateBudget {
            per_minute: Some(500),
            per_day: None,
            concurrency: Some(10),
            minute_remaining_header: None,
            day_remaining_header: None,
            app_minute_remaining_header: None,
            // QuickBooks sends no Retry-After on its 429s; it advises waiting 60 s.
            default_retry_after: 60,
        },
        token_policy: TokenPolicy {
            refresh_ahead: 300,
            // Refresh tokens die after 100 days unused; refresh idle grants after 50.
            refresh_token_idle_lifetime: Some(100 * DAY),
            keep_alive_after: Some(50 * DAY),
            // A replaced refresh token keeps working for 24 hours.
            grace_window: DAY,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_facts() {
        let m = manifest();
        assert_eq!(m.id, "quickbooks");
        assert_eq!(m.name, "QuickBooks Online");
        assert_eq!(m.version, "0.1.0");
        assert_eq!(m.auth.default_scopes, vec![ACCOUNTING.to_string()]);
        assert!(!m.auth.pkce);
        assert_eq!(m.streams[0].name, "accounts");
        assert_eq!(m.streams[0].primary_key, "Id");
        assert_eq!(m.streams.len(), STREAMS.len());
        let names: Vec<&str> = m.streams.iter().map(|s| s.name.as_str()).collect();
        // Priority order: accounts and company facts, the ledger, then the rest.
        assert_eq!(
            names[..8],
            [
                "accounts",
                "companyinfo",
                "preferences",
                "journal_entries",
                "general_ledger",
                "trial_balance",
                "common.accounts",
                "common.actuals"
            ]
        );
        for name in [
            "companyinfo",
            "preferences",
            "invoices",
            "journal_entries",
            "trial_balance",
            "general_ledger",
            "common.accounts",
            "common.actuals",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        assert!(
            m.streams
                .iter()
                .all(|s| s.scopes == vec![ACCOUNTING.to_string()])
        );
        assert_eq!(m.token_policy.refresh_token_idle_lifetime, Some(8_640_000));
        assert_eq!(m.token_policy.keep_alive_after, Some(4_320_000));
        assert_eq!(m.token_policy.grace_window, 86_400);
        assert_eq!(m.rate_budget.per_day, None);
        assert_eq!(m.allowed_hosts.len(), 5);
    }
}
