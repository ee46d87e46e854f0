//! Serving the router over HTTP/1.1 with hyper directly, because `axum::serve` sets no
//! header timeout: a client that sends half its request headers is disconnected after
//! [`ServerOptions::header_read_timeout`] instead of holding a connection forever.
//! Shutdown is graceful: when the `shutdown` future completes, the listener closes,
//! idle connections close, and requests in flight get [`ServerOptions::shutdown_grace`]
//! to finish.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers, by default.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long requests in flight may run after shutdown begins, by default.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Bounds of the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    /// A connection that has not sent a whole request head within this is closed.
    pub header_read_timeout: Duration,
    /// Requests in flight at shutdown are abandoned after this.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// Serve `router` on `listener` with the default [`ServerOptions`] until `shutdown`
/// completes, then shut down gracefully.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, ServerOptions::default()).await
}

/// Like [`serve`], with explicit bounds.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
    options: ServerOptions,
) -> std::io::Result<()> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = watched.await {
                tracing::debug!(%error, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?options.shutdown_grace,
            "requests still running at the end of the shutdown grace period were abandoned"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    async fn start(
        options: ServerOptions,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new().route("/healthz", get(|| async { "ok" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_with(
            listener,
            router,
            async {
                let _ = stopped.await;
            },
            options,
        ));
        (addr, stop, server)
    }

    /// Read until the peer closes; returns what arrived.
    async fn read_to_close(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = stream.read_to_end(&mut all).await;
        all
    }

    #[tokio::test]
    async fn half_sent_headers_are_cut_off_and_whole_requests_served() {
        let options = ServerOptions {
            header_read_timeout: Duration::from_millis(300),
            shutdown_grace: Duration::from_secs(1),
        };
        let (addr, stop, server) = start(options).await;

        let mut whole = tokio::net::TcpStream::connect(addr).await.expect("connect");
        whole
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        let answer = read_to_close(&mut whole).await;
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&answer)
        );

        let mut half = tokio::net::TcpStream::connect(addr).await.expect("connect");
        half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("send");
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut half))
            .await
            .expect("a half-sent request head must be closed within the timeout");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(250),
            "closed too early: {took:?}"
        );

        stop.send(()).expect("stop");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("server stops after the shutdown future")
            .expect("join")
            .expect("serve");
    }
}
