//! The listener: accept loop, per-connection hyper service, shutdown, and the test-facing handle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::config::MockConfig;
use crate::fault::Fault;
use crate::jwt::JwtClaims;
use crate::record::RecordedRequest;
use crate::router;
use crate::state::{MockStats, State};
use crate::tls::TestCa;

/// A running fake Codex backend + OAuth server. Dropping it stops the server too.
pub struct MockServer {
    addr: SocketAddr,
    tls: bool,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts on `127.0.0.1:0` (a free port).
    pub async fn start(cfg: MockConfig) -> std::io::Result<MockServer> {
        MockServer::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), cfg).await
    }

    /// Starts on `addr`. Fails if the address cannot be bound or the replay/record paths fail.
    pub async fn start_on(addr: SocketAddr, cfg: MockConfig) -> std::io::Result<MockServer> {
        MockServer::spawn(addr, cfg, None).await
    }

    /// Starts on `127.0.0.1:0` serving HTTPS with a leaf of `ca` (valid for `chatgpt.com`,
    /// `auth.openai.com`, `localhost` and the loopback addresses), ALPN `h2` and `http/1.1`.
    pub async fn start_tls(cfg: MockConfig, ca: &TestCa) -> std::io::Result<MockServer> {
        MockServer::start_tls_on(SocketAddr::from(([127, 0, 0, 1], 0)), cfg, ca).await
    }

    /// [`MockServer::start_tls`] on `addr`.
    pub async fn start_tls_on(
        addr: SocketAddr,
        cfg: MockConfig,
        ca: &TestCa,
    ) -> std::io::Result<MockServer> {
        let tls = ca
            .server_config(&[b"h2", b"http/1.1"])
            .map_err(std::io::Error::other)?;
        MockServer::spawn(addr, cfg, Some(TlsAcceptor::from(tls))).await
    }

    async fn spawn(
        addr: SocketAddr,
        cfg: MockConfig,
        tls: Option<TlsAcceptor>,
    ) -> std::io::Result<MockServer> {
        let state = Arc::new(State::new(cfg)?);
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let is_tls = tls.is_some();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), tls, rx));
        Ok(MockServer {
            addr,
            tls: is_tls,
            state,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:P/backend-api` (`https://` when started with TLS) — what
    /// `api.base_url` should be set to.
    pub fn base_url(&self) -> String {
        format!("{}://{}/backend-api", self.scheme(), self.addr)
    }

    /// `http://127.0.0.1:P/oauth` (`https://` with TLS) — prefix of the authorize and token
    /// endpoints.
    pub fn oauth_base(&self) -> String {
        format!("{}://{}/oauth", self.scheme(), self.addr)
    }

    fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> MockStats {
        self.state.stats()
    }

    /// The most recent requests, oldest first (up to `MockConfig::keep_requests`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Makes `account_id`'s model calls fail with `fault` (`"429"`, `"403-cf"`, `"cut:2"`, ...)
    /// `times` times, or until cleared when `None`. An unknown fault name is logged and ignored;
    /// use [`MockServer::set_fault_kind`] for a typed variant.
    pub fn set_fault(&self, account_id: &str, fault: &str, times: Option<u32>) {
        match Fault::parse(fault) {
            Ok(f) => self.state.set_fault(account_id, f, times),
            Err(e) => tracing::warn!(error = %e, "set_fault ignored"),
        }
    }

    /// Typed form of [`MockServer::set_fault`].
    pub fn set_fault_kind(&self, account_id: &str, fault: Fault, times: Option<u32>) {
        self.state.set_fault(account_id, fault, times);
    }

    /// Accepts (`true`) or refuses with 426 (`false`, the default) WebSocket upgrades on
    /// `/backend-api/codex/responses`. Accepted sockets speak the responses transport: each
    /// `response.create` text frame gets its events as text frames (`crate::ws`).
    pub fn enable_websocket(&self, on: bool) {
        self.state.set_websocket(on);
    }

    /// How accepted sockets negotiate permessage-deflate and frame their answers (applies to
    /// sockets opened afterwards).
    pub fn set_websocket_options(&self, options: crate::WsOptions) {
        self.state.ws.set_options(options);
    }

    /// Counters of the WebSocket endpoint (compressed and plain messages, pongs, closes).
    pub fn websocket_stats(&self) -> crate::WsStats {
        self.state.ws.stats()
    }

    /// Removes every per-account fault.
    pub fn clear_faults(&self) {
        self.state.clear_faults(None);
    }

    /// Registers a fresh, unused refresh token for `claims` with the fake OAuth server.
    pub fn issue_refresh_token(&self, claims: &JwtClaims) -> String {
        crate::oauth::register_refresh(&self.state, claims)
    }

    /// Stops accepting, closes every connection and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut conns = JoinSet::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Latency matters more than packet count for SSE.
                    let _ = stream.set_nodelay(true);
                    let state = Arc::clone(&state);
                    let builder = builder.clone();
                    let tls = tls.clone();
                    conns.spawn(async move {
                        match tls {
                            None => serve(&builder, stream, state).await,
                            Some(acceptor) => match acceptor.accept(stream).await {
                                Ok(stream) => serve(&builder, stream, state).await,
                                Err(e) => tracing::debug!(error = %e, "tls handshake failed"),
                            },
                        }
                    });
                }
                Err(e) => {
                    // Usually EMFILE under load: back off briefly instead of spinning.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            },
        }
    }
    conns.shutdown().await;
}

/// Serves one connection (HTTP/1.1 or HTTP/2, detected by hyper-util's auto builder).
async fn serve<T>(builder: &auto::Builder<TokioExecutor>, io: T, state: Arc<State>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| router::handle(Arc::clone(&state), req));
    if let Err(e) = builder
        .serve_connection_with_upgrades(TokioIo::new(io), svc)
        .await
    {
        tracing::debug!(error = %e, "connection ended with error");
    }
}
