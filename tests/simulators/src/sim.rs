//! Starting and stopping a simulator server.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::control::SimControl;
use crate::error::SimError;
use crate::model::{Modes, Provider};
use crate::qbo::ratelimit::QboRateLimits;
use crate::xero::ratelimit::RateLimits;

/// Every real host the simulator serves, each under `/<host>/...`.
pub const HOSTS: &[&str] = &[
    "login.xero.com",
    "identity.xero.com",
    "api.xero.com",
    "appcenter.intuit.com",
    "oauth.platform.intuit.com",
    "developer.api.intuit.com",
    "quickbooks.api.intuit.com",
    "sandbox-quickbooks.api.intuit.com",
];

/// How to start a simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to listen on; port 0 lets the OS choose.
    pub listen: SocketAddr,
    /// The clock every expiry uses (default: real time, movable).
    pub clock: Clock,
    /// Behaviour switches.
    pub modes: Modes,
    /// How many requests the log keeps (oldest dropped first).
    pub request_log_capacity: usize,
    /// Xero API limits (default: Xero's 60/min, 5,000/day, 5 concurrent, 10,000/min app).
    pub xero_rate_limits: RateLimits,
    /// QuickBooks throttle (default: 500 requests per minute per realm).
    pub qbo_rate_limits: QboRateLimits,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Clock::real(),
            modes: Modes::default(),
            request_log_capacity: 10_000,
            xero_rate_limits: RateLimits::default(),
            qbo_rate_limits: QboRateLimits::default(),
        }
    }
}

/// A running simulator: one loopback HTTP server for every provider host, plus the
/// control handle it derefs to. Dropping it stops the server.
#[derive(Debug)]
pub struct Simulator {
    control: Arc<SimControl>,
    addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds, spawns the server on the current tokio runtime and returns once it accepts.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        let control = Arc::new(SimControl::new(
            config.clock,
            config.modes,
            config.request_log_capacity,
            config.xero_rate_limits,
            config.qbo_rate_limits,
        ));
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let app = crate::server::router(control.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("simulator server stopped: {e}");
            }
        });
        Ok(Self {
            control,
            addr,
            base_url: format!("http://{addr}"),
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The simulator URL standing in for `https://<host><path>`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("{}/{}{}", self.base_url, host, path)
    }

    /// `host=base-url,...` for every served host, in `MOORING_HOST_OVERRIDES` format,
    /// e.g. `login.xero.com=http://127.0.0.1:PORT/login.xero.com,...`.
    pub fn host_overrides(&self) -> String {
        host_overrides(&self.base_url)
    }

    /// A shareable handle on the control API (outlives nothing: the server stops when
    /// the [`Simulator`] is dropped).
    pub fn control(&self) -> Arc<SimControl> {
        self.control.clone()
    }

    /// An authorize URL on the simulator for `provider` with the given query parameters.
    pub fn authorize_url(&self, provider: Provider, params: &[(&str, &str)]) -> String {
        let path = match provider {
            Provider::Xero => "login.xero.com/identity/connect/authorize",
            Provider::Quickbooks => "appcenter.intuit.com/connect/oauth2",
        };
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
            .replace('+', "%20");
        format!("{}/{}?{}", self.base_url, path, query)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Deref for Simulator {
    type Target = SimControl;

    fn deref(&self) -> &SimControl {
        &self.control
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The `MOORING_HOST_OVERRIDES` string for a simulator at `base_url`.
pub fn host_overrides(base_url: &str) -> String {
    HOSTS
        .iter()
        .map(|h| format!("{h}={base_url}/{h}"))
        .collect::<Vec<_>>()
        .join(",")
}
