//! Shared fixtures: built test components, a loopback HTTP server, a scripted broker.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use mooring::clock::SystemClock;
use mooring::runtime::cache::DirCache;
use mooring::runtime::capabilities::broker::{BoxFuture, SecretText};
use mooring::runtime::capabilities::http::HttpCapability;
use mooring::runtime::capabilities::{BrokerError, Capabilities, GrantBroker, MemoryState};
use mooring::runtime::overrides::HostOverrides;
use mooring::runtime::types::{Fields, RevokeFormat, TokenError, TokenInfo};
use mooring::runtime::{CallContext, Plugin, PluginInfo, Runtime, RuntimeLimits};

/// The secret the broker injects; tests prove a plugin never sees it.
pub const ACCESS_TOKEN: &str = "at-SECRET-5f1c9e2a-never-visible";
/// The token handed out after a 401-triggered refresh.
pub const FRESH_TOKEN: &str = "at-SECRET-fresh-0b7d";
/// Client credentials for `client-basic`.
pub const CLIENT_ID: &str = "client-abc";
/// The client secret: `+`, `%`, `:` and a space, which RFC 6749 §2.3.1 form-encodes.
pub const CLIENT_SECRET: &str = "cs-SECRET+77 aa%41:z";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Bytes of a test component, building the plugins once if they are missing.
pub fn component(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<()> = OnceLock::new();
    let file = format!("{}.wasm", name.replace('-', "_"));
    let path = workspace().join("target/test-plugins").join(&file);
    if !path.exists() {
        BUILT.get_or_init(|| {
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["run", "--quiet", "-p", "xtask", "--", "build-plugins"])
                .current_dir(workspace())
                .status()
                .expect("run cargo xtask build-plugins");
            assert!(status.success(), "building the test plugins failed");
        });
    }
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build`)", path.display()))
}

/// Compiled artifacts shared by every test run (keyed by the engine's compatibility).
pub fn artifact_cache() -> DirCache {
    DirCache::new(workspace().join("target/test-artifacts"))
}

/// What the loopback server saw and how it should answer.
#[derive(Default)]
pub struct ServerState {
    /// `authorization` headers received, in order.
    pub authorizations: Mutex<Vec<String>>,
    /// `x-tenant` headers received.
    pub tenants: Mutex<Vec<String>>,
    /// Answer 401 to this bearer token.
    pub reject_token: Mutex<Option<String>>,
    /// Sleep this long before answering /echo.
    pub delay: Mutex<Duration>,
    /// Requests served.
    pub hits: AtomicUsize,
    /// Answer this many requests with `429 Retry-After: 1` first.
    pub throttle: AtomicUsize,
    /// Answer with a redirect to this URL.
    pub redirect_to: Mutex<Option<String>>,
}

/// A loopback HTTP server standing in for `api.test.invalid`.
pub struct TestServer {
    /// Its address.
    pub addr: SocketAddr,
    /// What it saw.
    pub state: Arc<ServerState>,
}

async fn echo(State(state): State<Arc<ServerState>>, headers: HeaderMap) -> impl IntoResponse {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let delay = *state.delay.lock().expect("lock");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    state
        .authorizations
        .lock()
        .expect("lock")
        .push(auth.clone());
    if let Some(t) = headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
        state.tenants.lock().expect("lock").push(t.to_owned());
    }
    if let Some(location) = state.redirect_to.lock().expect("lock").clone() {
        return (StatusCode::FOUND, [("location", location)], "moved").into_response();
    }
    if state
        .throttle
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    let reject = state.reject_token.lock().expect("lock").clone();
    if reject.is_some_and(|t| auth == format!("Bearer {t}")) {
        return (
            StatusCode::UNAUTHORIZED,
            [("x-seen", "rejected")],
            "{\"Detail\":\"TokenExpired\"}",
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [("x-seen", "yes")],
        "{\"hello\":\"plugin\"}",
    )
        .into_response()
}

async fn huge() -> impl IntoResponse {
    // 64 MiB of body, streamed; the host's cap stops reading long before the end.
    let chunk = bytes_of(1 << 20);
    let stream = futures_stream(chunk, 64);
    axum::body::Body::from_stream(stream)
}

fn bytes_of(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b'x'; n])
}

fn futures_stream(
    chunk: axum::body::Bytes,
    count: usize,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    futures_util::stream::iter(std::iter::repeat_n(chunk, count).map(Ok))
}

impl TestServer {
    /// Start on an OS-assigned loopback port.
    pub async fn start() -> Self {
        let state = Arc::new(ServerState::default());
        let app = Router::new()
            .route("/echo", get(echo))
            .route("/huge", get(huge))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state }
    }

    /// The override mapping the test plugins' declared host here.
    pub fn overrides(&self) -> HostOverrides {
        HostOverrides::parse(&format!("api.test.invalid=http://{}", self.addr)).expect("overrides")
    }
}

/// A broker with a fixed access token and client credentials, counting its calls.
#[derive(Default)]
pub struct ScriptedBroker {
    /// `after_unauthorized` calls.
    pub refreshes: AtomicUsize,
    /// `refresh` (oauth import) calls.
    pub oauth_refreshes: AtomicUsize,
}

impl GrantBroker for ScriptedBroker {
    fn access_token<'a>(
        &'a self,
        _: &'a PluginInfo,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<SecretText, BrokerError>> {
        Box::pin(async move {
            match ctx.connection {
                Some(_) => Ok(SecretText::new(ACCESS_TOKEN.into())),
                None => Err(BrokerError::Unavailable("no connection".into())),
            }
        })
    }

    fn after_unauthorized<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretText>, BrokerError>> {
        Box::pin(async move {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            Ok((rejected == ACCESS_TOKEN).then(|| SecretText::new(FRESH_TOKEN.into())))
        })
    }

    fn client_credentials<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
    ) -> BoxFuture<'a, Result<(String, SecretText), BrokerError>> {
        Box::pin(async { Ok((CLIENT_ID.to_owned(), SecretText::new(CLIENT_SECRET.into()))) })
    }

    fn exchange_code<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        code: String,
        _: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>> {
        Box::pin(async move {
            if code == "good-code" {
                Ok(TokenInfo {
                    expires_in: Some(1800),
                    refresh_token_expires_in: None,
                    scopes: vec!["read".into()],
                    extra: vec![],
                })
            } else {
                Err(TokenError::InvalidGrant("code rejected".into()))
            }
        })
    }

    fn refresh<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        _: Fields,
    ) -> BoxFuture<'a, Result<TokenInfo, TokenError>> {
        Box::pin(async move {
            self.oauth_refreshes.fetch_add(1, Ordering::SeqCst);
            Err(TokenError::InvalidGrant("refresh token expired".into()))
        })
    }

    fn revoke<'a>(
        &'a self,
        _: &'a PluginInfo,
        _: &'a CallContext,
        _: RevokeFormat,
    ) -> BoxFuture<'a, Result<(), TokenError>> {
        Box::pin(async { Ok(()) })
    }
}

/// A runtime with `limits`, wired to `server` and `broker`.
pub fn runtime(
    limits: RuntimeLimits,
    server: Option<&TestServer>,
    broker: Arc<ScriptedBroker>,
) -> Runtime {
    let overrides = server.map(TestServer::overrides).unwrap_or_default();
    let caps = Capabilities::new(
        Arc::new(HttpCapability::new(overrides, &limits).expect("http")),
        broker,
        Arc::new(MemoryState::default()),
        Arc::new(SystemClock),
    );
    Runtime::new(limits, caps).expect("runtime")
}

/// Limits small enough that hostile plugins hit them quickly.
pub fn test_limits() -> RuntimeLimits {
    RuntimeLimits {
        memory_bytes: 128 << 20,
        cpu_millis: 300,
        wall_millis: 5_000,
        response_body_bytes: 1 << 20,
        batch_bytes: 16 << 20,
        max_instances: 8,
        ..RuntimeLimits::default()
    }
}

/// Load a test component into `rt`.
pub async fn load(rt: &Runtime, name: &str) -> Arc<Plugin> {
    rt.load(&component(name), &artifact_cache())
        .await
        .unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

/// A tenant for sync calls.
pub fn tenant() -> mooring::runtime::types::Tenant {
    mooring::runtime::types::Tenant {
        id: "tenant-1".into(),
        name: "Tenant One".into(),
        metadata: vec![],
    }
}

/// A context for `connection`.
pub fn ctx(connection: &str) -> CallContext {
    CallContext::for_connection("integration-1", connection)
}

/// Log lines written while a test runs, for tests that check what reaches the log
/// (install a subscriber writing here with `tracing::subscriber::set_default` on a
/// current-thread runtime, so the tasks the test spawns log here too).
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|lines| String::from_utf8_lossy(&lines).into_owned())
            .unwrap_or_default()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut lines) = self.0.lock() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
