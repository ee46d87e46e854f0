//! Which scopes each provider knows, and which an app may request.

use crate::clock::Millis;
use crate::model::{App, Provider, ScopeModel};
use crate::timefmt::date_ms;

/// Identity scopes shared by Xero (OIDC + offline access).
const XERO_IDENTITY: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Broad (legacy) Xero scopes that granular apps may not request.
pub const XERO_BROAD_ONLY: &[&str] = &[
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.reports.read",
];

/// Xero scopes valid for both broad and granular apps.
const XERO_COMMON: &[&str] = &[
    "accounting.settings",
    "accounting.settings.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.journals.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.budgets.read",
    "accounting.reports.tenninetynine.read",
    "paymentservices",
];

/// The 2026 granular Xero scopes.
pub const XERO_GRANULAR: &[&str] = &[
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.classicexpenses",
    "accounting.reports.aged.read",
    "accounting.reports.balancesheet.read",
    "accounting.reports.banksummary.read",
    "accounting.reports.budgetsummary.read",
    "accounting.reports.executivesummary.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.trialbalance.read",
    "accounting.reports.taxreports.read",
];

/// QuickBooks scopes (intuitlib's `Scopes` enum).
const QBO_SCOPES: &[&str] = &[
    "com.intuit.quickbooks.accounting",
    "com.intuit.quickbooks.payment",
    "openid",
    "profile",
    "email",
    "phone",
    "address",
];

/// Apps created on/after this instant get the granular scope model.
pub fn xero_granular_cutoff() -> Millis {
    date_ms(2026, 3, 2)
}

/// From this instant broad scopes stop working for every app.
pub fn xero_broad_end() -> Millis {
    date_ms(2027, 9, 13)
}

/// The scope model of a Xero app created at `created_at`.
pub fn default_scope_model(created_at: Millis) -> ScopeModel {
    if created_at >= xero_granular_cutoff() {
        ScopeModel::Granular
    } else {
        ScopeModel::Mixed
    }
}

/// Splits a `scope` parameter (space separated; empty items dropped, duplicates removed,
/// order kept).
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// Checks requested scopes for `app` at time `now`; `Err` names the first bad scope.
pub fn validate(app: &App, scopes: &[String], now: Millis) -> Result<(), String> {
    if scopes.is_empty() {
        return Err(String::new());
    }
    for s in scopes {
        let ok = match app.provider {
            Provider::Xero => {
                let broad = XERO_BROAD_ONLY.contains(&s.as_str());
                let known = broad
                    || XERO_IDENTITY.contains(&s.as_str())
                    || XERO_COMMON.contains(&s.as_str())
                    || XERO_GRANULAR.contains(&s.as_str());
                known
                    && !(broad
                        && (app.scope_model == ScopeModel::Granular || now >= xero_broad_end()))
            }
            Provider::Quickbooks => QBO_SCOPES.contains(&s.as_str()),
        };
        if !ok {
            return Err(s.clone());
        }
    }
    Ok(())
}

/// Whether these scopes make the consent screen ask for organisations / a company.
pub fn needs_tenant(provider: Provider, scopes: &[String]) -> bool {
    match provider {
        Provider::Xero => scopes
            .iter()
            .any(|s| s.starts_with("accounting.") || s == "paymentservices"),
        Provider::Quickbooks => scopes.iter().any(|s| {
            s == "com.intuit.quickbooks.accounting" || s == "com.intuit.quickbooks.payment"
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(provider: Provider, model: ScopeModel) -> App {
        App {
            provider,
            client_id: "c".into(),
            client_secret: None,
            redirect_uris: vec![],
            scope_model: model,
            created_at: 0,
            journals_premium: false,
        }
    }

    #[test]
    fn granular_app_rejects_broad_scopes() {
        let now = date_ms(2026, 11, 1);
        let g = app(Provider::Xero, ScopeModel::Granular);
        let m = app(Provider::Xero, ScopeModel::Mixed);
        let broad = split("openid accounting.transactions.read");
        assert_eq!(
            validate(&g, &broad, now),
            Err("accounting.transactions.read".into())
        );
        assert_eq!(validate(&m, &broad, now), Ok(()));
        assert!(validate(&m, &broad, date_ms(2027, 9, 14)).is_err());
        let gran = split("offline_access accounting.invoices.read accounting.journals.read");
        assert_eq!(validate(&g, &gran, now), Ok(()));
        assert_eq!(
            validate(&g, &split("accounting.bogus"), now),
            Err("accounting.bogus".into())
        );
    }

    #[test]
    fn qbo_scopes_and_tenant_need() {
        let q = app(Provider::Quickbooks, ScopeModel::Mixed);
        let s = split("com.intuit.quickbooks.accounting openid");
        assert_eq!(validate(&q, &s, 0), Ok(()));
        assert!(needs_tenant(Provider::Quickbooks, &s));
        assert!(!needs_tenant(Provider::Quickbooks, &split("openid email")));
        assert!(validate(&q, &split("accounting.settings"), 0).is_err());
    }
}
