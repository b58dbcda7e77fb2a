//! The listener: accept loop, per-connection hyper service, shutdown, and the test-facing handle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::MockConfig;
use crate::fault::Fault;
use crate::jwt::JwtClaims;
use crate::record::RecordedRequest;
use crate::router;
use crate::state::{MockStats, State};

/// A running fake Codex backend + OAuth server. Dropping it stops the server too.
pub struct MockServer {
    addr: SocketAddr,
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
        let state = Arc::new(State::new(cfg)?);
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), rx));
        Ok(MockServer {
            addr,
            state,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:P/backend-api` — what `api.base_url` should be set to.
    pub fn base_url(&self) -> String {
        format!("http://{}/backend-api", self.addr)
    }

    /// `http://127.0.0.1:P/oauth` — prefix of the authorize and token endpoints.
    pub fn oauth_base(&self) -> String {
        format!("http://{}/oauth", self.addr)
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

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: oneshot::Receiver<()>) {
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
                    conns.spawn(async move {
                        let svc = service_fn(move |req| router::handle(Arc::clone(&state), req));
                        if let Err(e) = builder.serve_connection(TokioIo::new(stream), svc).await {
                            tracing::debug!(error = %e, "connection ended with error");
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
