//! A whole host against the provider simulators: the simulator on loopback, the host's
//! `App` serving its router on a `localhost` callback URL, both reading one clock, and
//! the admin API driven over HTTP.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mooring::app::{App, AppOptions};
use mooring::auth::tokens::{ReqwestTransport, TokenTransport, TransportError};
use mooring::clock::Clock;
use mooring::config::Config;
use mooring::runtime::CallError;
use mooring::runtime::capabilities::broker::BoxFuture;
use mooring::runtime::types::Batch;
use mooring_simulators::{AppSpec, Provider, SimConfig, Simulator};
use serde_json::{Value, json};

/// The one user who consents in these tests.
pub const USER: &str = "alice@example.com";
/// Xero OAuth app credentials registered at the simulator.
pub const XERO_CLIENT: (&str, &str) = ("xero-client-id", "xero-client-secret-1");
/// QuickBooks OAuth app credentials registered at the simulator.
pub const QBO_CLIENT: (&str, &str) = ("qbo-client-id", "qbo-client-secret-1");
/// The admin token of the host under test.
pub const ADMIN: &str = "test-admin-token";
/// Xero's sign-in scopes plus the settings scope: a connection with four streams of one
/// page each (organisation, accounts, tracking categories, common accounts).
#[allow(dead_code)] // not every includer (tests, benches) uses it
pub const XERO_SETTINGS_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.settings.read",
];

/// Polls `done` (every 10 ms of real time, at most 60 s) until it holds.
#[allow(dead_code)] // not every includer (tests, benches) uses it
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The host reads the simulator's clock, so moving one moves both.
struct SharedSimClock(mooring_simulators::clock::Clock);

impl Clock for SharedSimClock {
    fn now_millis(&self) -> u64 {
        self.0.now_ms().max(0) as u64
    }
}

/// A token transport that can lose responses: the request reaches the provider (which
/// rotates the refresh token) but the answer never reaches the host. It can also hold
/// responses at a [`Gate`] after the provider answered, before the host sees them.
pub struct LossyTransport {
    inner: ReqwestTransport,
    /// Responses still to lose.
    pub lose: AtomicUsize,
    /// Where responses wait when the gate is armed.
    pub gate: Gate,
}

/// Holds the next `n` token responses (the provider has answered; the host has not yet
/// seen them) until the test opens it: a barrier for race tests, no sleeps.
pub struct Gate {
    to_hold: AtomicUsize,
    arrived: AtomicUsize,
    arrival: tokio::sync::Notify,
    open: tokio::sync::Semaphore,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            to_hold: AtomicUsize::new(0),
            arrived: AtomicUsize::new(0),
            arrival: tokio::sync::Notify::new(),
            open: tokio::sync::Semaphore::new(0),
        }
    }
}

impl Gate {
    /// Hold the next `n` responses.
    pub fn arm(&self, n: usize) {
        self.arrived.store(0, Ordering::SeqCst);
        self.to_hold.store(n, Ordering::SeqCst);
    }

    /// Wait until `n` held responses have arrived at the gate.
    pub async fn arrived(&self, n: usize) {
        loop {
            let notified = self.arrival.notified();
            if self.arrived.load(Ordering::SeqCst) >= n {
                return;
            }
            notified.await;
        }
    }

    /// Let `n` held responses through.
    pub fn release(&self, n: usize) {
        self.open.add_permits(n);
    }

    async fn pass(&self) {
        if self
            .to_hold
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return;
        }
        self.arrived.fetch_add(1, Ordering::SeqCst);
        self.arrival.notify_waiters();
        if let Ok(permit) = self.open.acquire().await {
            permit.forget();
        }
    }
}

impl TokenTransport for LossyTransport {
    fn send(
        &self,
        request: oauth2::HttpRequest,
    ) -> BoxFuture<'_, Result<oauth2::HttpResponse, TransportError>> {
        Box::pin(async move {
            let response = self.inner.send(request).await?;
            self.gate.pass().await;
            if self
                .lose
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(TransportError(
                    "connection reset before the response arrived".into(),
                ));
            }
            Ok(response)
        })
    }
}

/// A running host plus its simulator.
pub struct Host {
    /// The simulator (Xero + QuickBooks).
    pub sim: Simulator,
    app: Option<App>,
    /// `http://localhost:PORT`.
    pub base: String,
    /// Token transport with fault injection.
    pub lossy: Arc<LossyTransport>,
    extra: Vec<(String, String)>,
    /// Xero org ids by name.
    pub uk: String,
    /// Second Xero org.
    pub usa: String,
    /// The QuickBooks company id.
    pub qbo_company: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

fn plugin_dir() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins");
    if !dir.join("mooring_xero.wasm").exists() {
        let _ = crate::support::component("test-well-behaved");
    }
    dir
}

async fn open_app(
    dir: &Path,
    base: &str,
    overrides: &str,
    clock: mooring_simulators::clock::Clock,
    lossy: Arc<LossyTransport>,
    extra: &[(String, String)],
) -> Result<App, mooring::app::AppError> {
    let env = |name: &str| -> Option<String> {
        if let Some((_, value)) = extra.iter().find(|(k, _)| k == name) {
            return Some(value.clone());
        }
        match name {
            "MOORING_DATA_DIR" => Some(dir.display().to_string()),
            "MOORING_PLUGIN_DIR" => Some(plugin_dir().display().to_string()),
            "MOORING_PUBLIC_URL" => Some(base.to_owned()),
            "MOORING_HOST_OVERRIDES" => Some(overrides.to_owned()),
            "MOORING_ADMIN_TOKEN" => Some(ADMIN.to_owned()),
            "MOORING_ENCRYPTION_KEY" => Some("42".repeat(32)),
            _ => None,
        }
    };
    let config = Config::resolve(None, env).expect("config");
    App::open_with(
        config,
        AppOptions {
            clock: Arc::new(SharedSimClock(clock)),
            token_transport: Some(lossy),
        },
    )
    .await
}

impl Host {
    /// Start a simulator with two Xero orgs and one QuickBooks company the user can
    /// reach, and a host with one integration per provider.
    pub async fn start() -> Host {
        Self::start_with(&[]).await
    }

    /// Like [`start`](Self::start), with extra host settings (`MOORING_*` variables).
    pub async fn start_with(settings: &[(&str, &str)]) -> Host {
        let extra: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base = format!("http://localhost:{port}");
        let redirect = format!("{base}/oauth/callback");
        // An app with premium journals access (Advanced tier), as a finance tool needs.
        sim.add_app(xero_app(&redirect)).expect("xero app");
        sim.add_app(AppSpec::new(
            Provider::Quickbooks,
            QBO_CLIENT.0,
            QBO_CLIENT.1,
            [redirect.as_str()],
        ))
        .expect("qbo app");
        sim.add_user(Provider::Xero, USER).expect("xero user");
        sim.add_user(Provider::Quickbooks, USER).expect("qbo user");
        let uk = sim.add_org(Provider::Xero, "UK Ltd");
        let usa = sim.add_org(Provider::Xero, "USA Inc");
        let qbo_company = sim.add_org(Provider::Quickbooks, "Mooring Demo Company");
        for org in [&uk, &usa, &qbo_company] {
            sim.grant_user_access(USER, org).expect("access");
        }
        let lossy = Arc::new(LossyTransport {
            inner: ReqwestTransport(reqwest::Client::new()),
            lose: AtomicUsize::new(0),
            gate: Gate::default(),
        });
        let dir = tempfile::tempdir().expect("tmp");
        let app = open_app(
            dir.path(),
            &base,
            &sim.host_overrides(),
            sim.clock().clone(),
            lossy.clone(),
            &extra,
        )
        .await
        .expect("host opens");
        let server = tokio::spawn(serve(listener, app.clone()));
        let host = Host {
            sim,
            app: Some(app),
            base,
            lossy,
            extra,
            uk,
            usa,
            qbo_company,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            dir,
            server,
        };
        host.api_ok("POST", "/api/integrations", Some(json!({"id": "xero", "provider": "xero", "client_id": XERO_CLIENT.0, "client_secret": XERO_CLIENT.1})))
            .await;
        host.api_ok("POST", "/api/integrations", Some(json!({"id": "qbo", "provider": "quickbooks", "client_id": QBO_CLIENT.0, "client_secret": QBO_CLIENT.1})))
            .await;
        host
    }

    /// Simulate a crash and restart: stop serving, drop the app, open the same data
    /// directory again.
    pub async fn restart(&mut self) {
        self.server.abort();
        let listener = loop {
            match tokio::net::TcpListener::bind(self.base.replace("http://localhost", "127.0.0.1"))
                .await
            {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        // Every handle on the old store must be gone before the file is opened again.
        drop(self.app.take());
        let mut attempts = 0;
        let app = loop {
            match open_app(
                self.dir.path(),
                &self.base,
                &self.sim.host_overrides(),
                self.sim.clock().clone(),
                self.lossy.clone(),
                &self.extra,
            )
            .await
            {
                Ok(app) => break app,
                Err(error) if attempts < 100 => {
                    attempts += 1;
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => panic!("host does not reopen: {error}"),
            }
        };
        self.server = tokio::spawn(serve(listener, app.clone()));
        self.app = Some(app);
    }

    /// Stops the host (its server and app), keeping the simulator and the data
    /// directory; [`Host::restart`] brings it back.
    #[allow(dead_code)] // benches/scale.rs (this file is shared with the benches)
    pub fn stop(&mut self) {
        self.server.abort();
        drop(self.app.take());
    }

    /// The running host.
    pub fn app(&self) -> &App {
        self.app.as_ref().expect("host is running")
    }

    /// Call the admin API; returns (status, JSON body).
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("api request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Like [`api`](Self::api), asserting a 2xx.
    pub async fn api_ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.api(method, path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {value}"
        );
        value
    }

    /// Play the person at the provider for `authorize_url`, then follow the redirect
    /// to the host's callback like a browser. Returns (status, page text).
    pub async fn consent(
        &self,
        authorize_url: &str,
        orgs: &[&str],
        approve: bool,
    ) -> (u16, String) {
        self.consent_as(USER, authorize_url, orgs, approve).await
    }

    /// [`Host::consent`] signed in as `user` instead of [`USER`].
    pub async fn consent_as(
        &self,
        user: &str,
        authorize_url: &str,
        orgs: &[&str],
        approve: bool,
    ) -> (u16, String) {
        let redirect = self
            .sim
            .authorize(authorize_url, user, orgs, approve)
            .expect("consent screen");
        self.browse(&redirect.location).await
    }

    /// GET a URL like a browser; returns (status, body text).
    pub async fn browse(&self, url: &str) -> (u16, String) {
        let response = self.http.get(url).send().await.expect("browse");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Start a connection on `integration` and consent to `orgs`; returns its id.
    pub async fn connect(
        &self,
        integration: &str,
        orgs: &[&str],
        scopes: Option<Vec<&str>>,
    ) -> String {
        self.connect_as(USER, integration, orgs, scopes).await
    }

    /// [`Host::connect`] with the consent given by `user` instead of [`USER`].
    pub async fn connect_as(
        &self,
        user: &str,
        integration: &str,
        orgs: &[&str],
        scopes: Option<Vec<&str>>,
    ) -> String {
        let mut body = json!({"integration": integration});
        if let Some(scopes) = scopes {
            body["scopes"] = json!(scopes);
        }
        let started = self.api_ok("POST", "/api/connections", Some(body)).await;
        assert_eq!(started["state"], "pending");
        let url = started["authorize_url"].as_str().expect("authorize_url");
        let (status, page) = self.consent_as(user, url, orgs, true).await;
        assert_eq!(status, 200, "{page}");
        started["id"].as_str().expect("id").to_owned()
    }

    /// Start a reconnect of `id` (adding `scopes`) and consent to `orgs`; returns the
    /// callback's (status, page text).
    pub async fn reconnect(&self, id: &str, orgs: &[&str], scopes: Option<Value>) -> (u16, String) {
        let body = scopes.map(|s| json!({ "scopes": s }));
        let url = self
            .api_ok("POST", &format!("/api/connections/{id}/reconnect"), body)
            .await;
        self.consent(
            url["authorize_url"].as_str().expect("authorize_url"),
            orgs,
            true,
        )
        .await
    }

    /// The connection as the API shows it.
    pub async fn connection(&self, id: &str) -> Value {
        self.api_ok("GET", &format!("/api/connections/{id}"), None)
            .await
    }

    /// One `sync` page of `stream` through the runtime, with the consequence of a
    /// failure applied to the connection (what the sync runner does per page).
    pub async fn probe(&self, connection: &str, stream: &str) -> Result<Batch, CallError> {
        let conn = self
            .app()
            .connections
            .connection(connection)
            .await
            .expect("connection");
        let integration = self
            .app()
            .store
            .integration(&conn.integration)
            .expect("store")
            .expect("integration");
        let plugin = self
            .app()
            .registry
            .resolve(&integration.provider, None)
            .expect("plugin");
        let tenant = mooring::connections::tenant_of(conn.tenant.as_ref().expect("tenant"));
        let mut ctx = mooring::runtime::CallContext::for_connection(&integration.id, connection);
        ctx.tenant = Some(tenant.id.clone());
        let result = self
            .app()
            .runtime
            .sync(&plugin, ctx, stream, &tenant, None)
            .await;
        if let Err(error) = &result {
            self.app()
                .connections
                .record_call_error(connection, conn.grant.as_deref(), error)
                .await;
        }
        result
    }

    /// Move both clocks forward.
    pub fn advance(&self, by: Duration) {
        self.sim.clock().advance(by);
    }
}

async fn serve(listener: tokio::net::TcpListener, app: App) {
    let _ = axum::serve(listener, mooring::api::router(app)).await;
}

/// The test Xero app (`XERO_CLIENT`) redirecting to `redirect`, with premium journals
/// access (Advanced tier), as a finance tool needs.
pub fn xero_app(redirect: &str) -> AppSpec {
    AppSpec::new(Provider::Xero, XERO_CLIENT.0, XERO_CLIENT.1, [redirect]).journals_premium(true)
}
