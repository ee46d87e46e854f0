//! `describe()`: the Xero connector's manifest. Pure.

use mooring_plugin_sdk::types::{
    AuthConfig, ClientAuth, Manifest, RateBudget, StreamInfo, TokenPolicy,
};

use crate::streams::{DEFAULT_SCOPES, STREAMS};

const DAY: u64 = 86_400;

/// The manifest: endpoints, granular default scopes, streams, budgets, token policy.
pub fn manifest() -> Manifest {
    Manifest {
        id: "xero".into(),
        name: "Xero".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        auth: AuthConfig {
            revoke_url: Some("https://identity.xero.com/connect/revocation".into()),
            default_scopes: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            // A confidential web app: client secret, no PKCE.
            pkce: false,
            client_auth: ClientAuth::Basic,
            ..AuthConfig::new(
                "https://login.xero.com/identity/connect/authorize",
                "https://identity.xero.com/connect/token",
            )
        },
        allowed_hosts: vec![
            "login.xero.com".into(),
            "identity.xero.com".into(),
            "api.xero.com".into(),
        ],
        streams: STREAMS
            .iter()
            .map(|s| {
                let mut scopes = vec![s.scope];
                scopes.extend_from_slice(s.also);
                let info = StreamInfo::new(s.name, s.primary_key)
                    .interval(s.interval)
                    .scopes(&scopes);
                match s.cursor_field {
                    Some(field) => info.cursor_field(field),
                    None => info,
                }
            })
            .collect(),
        rate_budget: RateBudget {
            per_minute: Some(60),
            per_day: Some(5_000),
            concurrency: Some(5),
            minute_remaining_header: Some("x-minlimit-remaining".into()),
            day_remaining_header: Some("x-daylimit-remaining".into()),
            app_minute_remaining_header: Some("x-appminlimit-remaining".into()),
            default_retry_after: 60,
        },
        token_policy: TokenPolicy {
            refresh_ahead: 300,
            // Unused refresh tokens die after 60 days; refresh idle grants after 30.
            refresh_token_idle_lifetime: Some(60 * DAY),
            keep_alive_after: Some(30 * DAY),
            // The previous refresh token stays valid for 30 minutes after a rotation.
            grace_window: 1_800,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_facts() {
        let m = manifest();
        assert_eq!(
            (m.id.as_str(), m.name.as_str(), m.version.as_str()),
            ("xero", "Xero", "0.1.0")
        );
        assert_eq!(
            m.auth.default_scopes.join(" "),
            "openid profile email offline_access accounting.settings.read accounting.contacts.read accounting.invoices.read accounting.banktransactions.read accounting.manualjournals.read accounting.journals.read accounting.reports.trialbalance.read accounting.payments.read accounting.reports.profitandloss.read accounting.reports.balancesheet.read"
        );
        let names: Vec<&str> = m.streams.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "organisation",
                "accounts",
                "journals",
                "manual_journals",
                "trial_balance",
                "common.accounts",
                "common.actuals",
                "profit_and_loss",
                "balance_sheet",
                "bank_transactions",
                "invoices",
                "credit_notes",
                "payments",
                "contacts",
                "tracking_categories"
            ]
        );
        let tb = &m.streams[4];
        assert_eq!(tb.primary_key, "AccountID");
        assert_eq!(
            tb.scopes,
            vec!["accounting.reports.trialbalance.read".to_string()]
        );
        assert_eq!(m.streams[2].cursor_field.as_deref(), Some("JournalNumber"));
        let actuals = m
            .streams
            .iter()
            .find(|s| s.name == "common.actuals")
            .unwrap();
        assert_eq!(actuals.scopes.len(), 3);
        assert_eq!(m.token_policy.refresh_token_idle_lifetime, Some(5_184_000));
        assert_eq!(m.token_policy.keep_alive_after, Some(2_592_000));
        assert_eq!(m.rate_budget.per_day, Some(5_000));
    }
}
