//! A plugin cannot turn refresh-ahead into a refresh storm (issue 9, item 6): with a
//! manifest asking to refresh 3600 s ahead and a provider issuing 60 s tokens, a 3-call
//! sync does not refresh before every call; refresh-ahead is clamped to half the
//! lifetime the token response reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use mooring::auth::GrantService;
use mooring::auth::secrets::{Slot, seal};
use mooring::auth::tokens::{ReqwestTransport, TokenEndpoint};
use mooring::clock::ManualClock;
use mooring::runtime::capabilities::GrantBroker;
use mooring::runtime::overrides::HostOverrides;
use mooring::runtime::types::{AuthConfig, ClientAuth, Manifest, RateBudget, TokenPolicy};
use mooring::runtime::{CallContext, PluginInfo};
use mooring_store::{SecretKey, Store};
use serde_json::json;

const T0: u64 = 1_800_000_000_000;

/// A token endpoint issuing 60 s access tokens with rotating refresh tokens.
async fn token_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/token",
            post(|State(hits): State<Arc<AtomicUsize>>| async move {
                let n = hits.fetch_add(1, Ordering::SeqCst) + 1;
                axum::Json(json!({
                    "access_token": format!("at-{n}"),
                    "token_type": "Bearer",
                    "expires_in": 60,
                    "refresh_token": format!("rt-{n}"),
                }))
            }),
        )
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

fn plugin(refresh_ahead: u64) -> PluginInfo {
    PluginInfo {
        id: "test-eager".into(),
        version: "1.0.0".into(),
        sha256: String::new(),
        size: 0,
        manifest: Manifest {
            id: "test-eager".into(),
            name: "Test: eager refresh".into(),
            version: "1.0.0".into(),
            auth: AuthConfig {
                authorize_url: "https://login.test.invalid/authorize".into(),
                token_url: "https://login.test.invalid/token".into(),
                revoke_url: None,
                default_scopes: vec![],
                pkce: false,
                client_auth: ClientAuth::Basic,
            },
            allowed_hosts: vec!["api.test.invalid".into()],
            streams: vec![],
            rate_budget: RateBudget {
                per_minute: None,
                per_day: None,
                concurrency: None,
                minute_remaining_header: None,
                day_remaining_header: None,
                app_minute_remaining_header: None,
                default_retry_after: 60,
            },
            token_policy: TokenPolicy {
                refresh_ahead,
                refresh_token_idle_lifetime: None,
                keep_alive_after: None,
                grace_window: 0,
            },
        },
        allowed: Default::default(),
    }
}

/// An active connection `c-1` whose grant holds a 60 s access token issued at `T0`.
fn seed(store: &Store) {
    let value = |sealed| serde_json::to_value(sealed).expect("sealed");
    let secret = seal(store, Slot::ClientSecret("i-1"), "client-secret").expect("seal");
    let integration = json!({
        "id": "i-1", "provider": "test-eager", "client_id": "client-id",
        "client_secret": value(secret), "scopes": [],
        "redirect_uri": "http://localhost/oauth/callback", "created_at": T0,
    });
    store
        .put_integration(&serde_json::from_value(integration).expect("integration"))
        .expect("put integration");
    let access = seal(store, Slot::Access("g-1"), "at-0").expect("seal");
    let refresh = seal(store, Slot::Refresh("g-1"), "rt-0").expect("seal");
    let grant = json!({
        "id": "g-1", "integration": "i-1",
        "access_token": value(access), "refresh_token": value(refresh),
        "previous_refresh_token": null, "previous_rotated_at": null,
        "access_expires_at": T0 + 60_000, "refresh_expires_at": null,
        "refresh_hard_expires_at": null, "last_refreshed_at": T0, "last_used_at": T0,
        "scopes": [], "extra": [],
    });
    store
        .put_grant(&serde_json::from_value(grant).expect("grant"))
        .expect("put grant");
    let connection = json!({
        "id": "c-1", "integration": "i-1", "label": null, "state": "active",
        "reason": null, "tenant": {"id": "t-1", "name": "T", "metadata": []},
        "tenant_choices": [], "scopes": [], "pinned_version": null, "grant": "g-1",
        "created_at": T0, "updated_at": T0, "last_sync_at": null,
    });
    store
        .put_connection(&serde_json::from_value(connection).expect("connection"))
        .expect("put connection");
}

#[tokio::test]
async fn refresh_ahead_longer_than_the_token_lifetime_is_clamped() {
    let (base, refreshes) = token_server().await;
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("mooring.redb"), SecretKey::generate()).expect("open");
    seed(&store);
    let clock = ManualClock::new(T0);
    let overrides = HostOverrides::parse(&format!("login.test.invalid={base}")).expect("overrides");
    let grants = GrantService::new(
        store,
        Arc::new(clock.clone()),
        TokenEndpoint::new(Arc::new(ReqwestTransport(reqwest::Client::new()))),
        overrides,
    );
    let plugin = plugin(3_600);
    let ctx = CallContext::for_connection("i-1", "c-1");

    // A 3-page sync right after connecting, one page every 10 s: 3 token look-ups.
    for page in 0..3 {
        let token = grants.access_token(&plugin, &ctx).await.expect("token");
        assert_eq!(token.as_str(), "at-0", "page {page} uses the issued token");
        clock.advance(Duration::from_secs(10));
    }
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        0,
        "no refresh before each call (3 without the clamp)"
    );

    // Past half the lifetime the token is refreshed ahead of expiry, once.
    clock.set(T0 + 31_000);
    let token = grants.access_token(&plugin, &ctx).await.expect("token");
    assert_eq!(token.as_str(), "at-1");
    for _ in 0..3 {
        clock.advance(Duration::from_secs(5));
        let token = grants.access_token(&plugin, &ctx).await.expect("token");
        assert_eq!(token.as_str(), "at-1");
    }
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}
