//! Xero data endpoints: token, `xero-tenant-id` and scope enforcement, and access
//! tokens expiring in the middle of a pagination.

mod common;

use common::*;
use mooring_simulators::xero::data::{GenerateOptions, OrgSize};
use mooring_simulators::{Provider, ScopeModel};
use serde_json::Value;

fn assert_problem(a: &Answer, status: u16, title: &str, detail_prefix: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    let v = a.json();
    assert_eq!(v["Type"], Value::Null);
    assert_eq!(v["Title"], title);
    assert_eq!(v["Status"], status);
    assert!(s(&v["Detail"]).starts_with(detail_prefix), "{}", a.text);
    assert_eq!(s(&v["Instance"]).len(), 36);
    assert_eq!(v["Extensions"], serde_json::json!({}));
    assert!(
        a.header("x-minlimit-remaining").is_none(),
        "refused calls carry no limit headers"
    );
}

async fn ready() -> (World, String, String) {
    let w = world().await;
    w.sim
        .set_journals_premium(Provider::Xero, XERO_ID, true)
        .unwrap();
    w.sim
        .generate_xero_org(&w.uk, GenerateOptions::new(OrgSize::small(), 9))
        .unwrap();
    let t = w.xero_tokens_scoped(XERO_DATA_SCOPES, &[&w.uk]).await;
    (
        w,
        s(&t["access_token"]).to_owned(),
        s(&t["refresh_token"]).to_owned(),
    )
}

#[tokio::test]
async fn tenant_header_is_enforced() {
    let (w, at, _) = ready().await;
    let ok = w.xero_api(&at, Some(&w.uk), "/Organisation", &[]).await;
    assert_eq!(ok.status, 200);
    // Tenant ids are GUIDs: case does not matter.
    let upper = w
        .xero_api(&at, Some(&w.uk.to_uppercase()), "/Organisation", &[])
        .await;
    assert_eq!(upper.status, 200);
    for tenant in [
        None,
        Some("not-a-tenant"),
        Some(w.us.as_str()),
        Some(w.realm.as_str()),
    ] {
        let a = w.xero_api(&at, tenant, "/Invoices", &[]).await;
        assert_problem(&a, 403, "Forbidden", "AuthenticationUnsuccessful");
    }
    // The user loses access to the organisation: its connection goes, calls get 403.
    w.sim.remove_user_from_org(ALICE, &w.uk).unwrap();
    let a = w.xero_api(&at, Some(&w.uk), "/Invoices", &[]).await;
    assert_problem(&a, 403, "Forbidden", "AuthenticationUnsuccessful");
    // No or unknown token: 401.
    let a = w.xero_api("garbage", Some(&w.uk), "/Invoices", &[]).await;
    assert_problem(&a, 401, "Unauthorized", "AuthorizationUnsuccessful");
    assert_eq!(w.sim.counters().data_calls(&w.uk), 2);
}

#[tokio::test]
async fn disconnecting_the_app_forbids_the_tenant() {
    let (w, at, _) = ready().await;
    w.sim.disconnect_app_provider_side(XERO_ID, &w.uk).unwrap();
    let a = w.xero_api(&at, Some(&w.uk), "/Contacts", &[]).await;
    assert_eq!(
        a.status, 401,
        "grant revoked once its only connection is gone: {}",
        a.text
    );
}

#[tokio::test]
async fn scopes_are_enforced_per_endpoint() {
    let w = world().await;
    let t = w
        .xero_tokens_scoped(
            "offline_access accounting.settings.read accounting.journals.read",
            &[&w.uk],
        )
        .await;
    let at = s(&t["access_token"]).to_owned();
    for path in ["/Organisation", "/Accounts", "/TrackingCategories"] {
        assert_eq!(
            w.xero_api(&at, Some(&w.uk), path, &[]).await.status,
            200,
            "{path}"
        );
    }
    for path in [
        "/Contacts",
        "/Invoices",
        "/BankTransactions",
        "/ManualJournals",
        "/Reports/TrialBalance",
        // Premium: the granular app has not been granted /Journals yet.
        "/Journals",
    ] {
        let a = w.xero_api(&at, Some(&w.uk), path, &[]).await;
        assert_problem(&a, 401, "Unauthorized", "AuthorizationUnsuccessful");
    }
    w.sim
        .set_journals_premium(Provider::Xero, XERO_ID, true)
        .unwrap();
    assert_eq!(
        w.xero_api(&at, Some(&w.uk), "/Journals", &[]).await.status,
        200
    );
    // The organisation was never generated: it has a chart of accounts and nothing else.
    let accounts = w.xero_api(&at, Some(&w.uk), "/Accounts", &[]).await.json();
    assert!(accounts["Accounts"].as_array().unwrap().len() > 40);
    let journals = w.xero_api(&at, Some(&w.uk), "/Journals", &[]).await.json();
    assert_eq!(journals["Journals"], serde_json::json!([]));
}

#[tokio::test]
async fn broad_scopes_work_for_mixed_apps() {
    let w = world().await;
    w.sim
        .set_scope_model(Provider::Xero, XERO_ID, ScopeModel::Mixed)
        .unwrap();
    let scope = "offline_access accounting.transactions.read accounting.reports.read accounting.journals.read accounting.settings";
    let t = w.xero_tokens_scoped(scope, &[&w.uk]).await;
    let at = s(&t["access_token"]).to_owned();
    for path in [
        "/Invoices",
        "/BankTransactions",
        "/ManualJournals",
        "/Reports/TrialBalance",
        "/Accounts",
        // Apps from before the 2026 change keep /Journals without premium access.
        "/Journals",
    ] {
        assert_eq!(
            w.xero_api(&at, Some(&w.uk), path, &[]).await.status,
            200,
            "{path}"
        );
    }
    let a = w.xero_api(&at, Some(&w.uk), "/Contacts", &[]).await;
    assert_problem(&a, 401, "Unauthorized", "AuthorizationUnsuccessful");
}

#[tokio::test]
async fn forced_token_expiry_in_the_middle_of_pagination() {
    let (w, at, rt) = ready().await;
    w.sim.expire_access_tokens_after(2);
    let page = |n: u32, at: String| {
        let w = &w;
        async move {
            w.xero_api(
                &at,
                Some(&w.uk),
                &format!("/Invoices?page={n}&pageSize=30"),
                &[],
            )
            .await
        }
    };
    assert_eq!(page(1, at.clone()).await.status, 200);
    assert_eq!(page(2, at.clone()).await.status, 200);
    let third = page(3, at.clone()).await;
    assert_problem(
        &third,
        401,
        "Unauthorized",
        "TokenExpired: token expired at 11/22/2026 09:00:00",
    );
    let fresh = w.xero_refresh(&rt).await.json();
    let again = page(3, s(&fresh["access_token"]).to_owned()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["Invoices"].as_array().unwrap().len(), 80 - 60);
    // 0 expires them at once.
    w.sim.expire_access_tokens_after(0);
    assert_eq!(
        page(1, s(&fresh["access_token"]).to_owned()).await.status,
        401
    );
}

#[tokio::test]
async fn natural_expiry_after_thirty_minutes() {
    let (w, at, _) = ready().await;
    w.advance(29 * 60);
    let a = w.xero_api(&at, Some(&w.uk), "/Contacts?page=1", &[]).await;
    assert_eq!(a.status, 200);
    w.advance(2 * 60);
    let a = w.xero_api(&at, Some(&w.uk), "/Contacts?page=2", &[]).await;
    assert_problem(
        &a,
        401,
        "Unauthorized",
        "TokenExpired: token expired at 11/22/2026 09:30:00",
    );
}
