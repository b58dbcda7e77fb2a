//! The listener: [`Gateway::start`] binds, serves HTTP/1.1 and h2c on every connection, and
//! [`RunningGateway::shutdown`] stops accepting, lets in-flight requests finish within the drain
//! timeout, then cuts what is left. Every task is owned by one `TaskTracker`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::GatewayConfig;
use crate::error::ReloadError;
use crate::reload::{ReloadReport, ReloadSource};
use crate::state::AppState;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// `host:port`.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The account store could not be opened.
    #[error("cannot open the account store")]
    Pool(#[source] codex_proxy_pool::PoolError),
    /// The upstream client could not be built.
    #[error("cannot set up the upstream client")]
    Upstream(#[source] codex_proxy_upstream::UpstreamError),
    /// A file named in the config (e.g. `tls.extra_ca_file`) could not be read.
    #[error("cannot read {path}")]
    ReadFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Entry point shared by the binary and the tests.
#[derive(Debug)]
pub struct Gateway;

impl Gateway {
    /// Opens the account store in `data_dir`, binds `server.host:server.port` and starts serving.
    /// Must be called inside a Tokio runtime.
    pub async fn start(
        config: GatewayConfig,
        data_dir: &Path,
    ) -> Result<RunningGateway, StartError> {
        let addr = format!("{}:{}", config.server.host, config.server.port);
        let state = Arc::new(AppState::new(config, data_dir)?);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let tracker = state.tracker.clone();
        let stop = CancellationToken::new();
        let hard_stop = CancellationToken::new();
        tracker.spawn(accept_loop(
            listener,
            state.clone(),
            tracker.clone(),
            stop.clone(),
            hard_stop.clone(),
        ));
        crate::scheduler::spawn(&state, &tracker, &stop);
        tracker.spawn(crate::transport::run_updater(state.clone(), stop.clone()));
        tracing::info!(%local_addr, "listening");
        let owner = crate::ollama::Owner {
            tracker: tracker.clone(),
            stop: stop.clone(),
            hard_stop: hard_stop.clone(),
        };
        state.reload.set_owner(owner);
        if state.config.ollama.enabled {
            // Like the reference: a bridge that cannot bind is reported, not fatal.
            if let Err(e) = state
                .reload
                .apply_ollama(&state, &state.config.ollama)
                .await
            {
                tracing::error!(error = %e, source = ?std::error::Error::source(&e), "ollama bridge not started");
            }
        }
        Ok(RunningGateway {
            local_addr,
            state,
            tracker,
            stop,
            hard_stop,
        })
    }
}

/// A serving gateway. Dropping it without [`RunningGateway::shutdown`] stops accepting at once
/// and aborts in-flight requests.
#[derive(Debug)]
pub struct RunningGateway {
    local_addr: SocketAddr,
    state: Arc<AppState>,
    tracker: TaskTracker,
    stop: CancellationToken,
    hard_stop: CancellationToken,
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Every in-flight request finished within the drain timeout.
    pub drained: bool,
}

impl RunningGateway {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The account store (tests and the CLI add accounts through it).
    pub fn pool(&self) -> &codex_proxy_pool::Pool {
        &self.state.pool
    }

    /// The Ollama bridge's bound address, when it is running.
    pub fn ollama_addr(&self) -> Option<SocketAddr> {
        self.state.reload.bridge.addr()
    }

    /// The configuration in force now (after any reloads).
    pub fn config(&self) -> Arc<GatewayConfig> {
        self.state.live()
    }

    /// Swaps in `new` as the live configuration and applies what can change at runtime (proxy
    /// key, body limit, heartbeat, model defaults/aliases/catalog, rotation strategy, quota
    /// refresh interval, the Ollama bridge). Settings read only at startup (`server.host/port`,
    /// `api.*`, `auth.*`, `client.*`, transport, pool limits) are listed in
    /// [`ReloadReport::restart_required`] while they differ from the startup values.
    pub async fn reload(&self, new: GatewayConfig) -> ReloadReport {
        self.state.reload.apply(&self.state, new).await
    }

    /// Registers where reloads come from (the binary's layered loader and the files it reads)
    /// and starts the one task that polls those files every `server.config_poll_seconds`,
    /// reloading on change (a failed reload keeps the running config and logs the key). Also
    /// enables `POST /admin/reload` and the settings routes that write `<data-dir>/local.yaml`.
    /// Returns false if a source was registered already.
    pub fn watch_config(&self, source: ReloadSource) -> bool {
        self.state.reload.watch(&self.state, source)
    }

    /// Reloads from the registered source now.
    pub async fn reload_from_source(&self) -> Result<ReloadReport, ReloadError> {
        self.state.reload.reload_from_source(&self.state).await
    }

    /// Applies a new `ollama.*` configuration without restarting the gateway: stops the running
    /// bridge listener (in-flight bridge requests finish), then starts one if `cfg.enabled`.
    /// Returns the new bound address.
    pub async fn set_ollama(
        &self,
        cfg: &crate::config::OllamaConfig,
    ) -> Result<Option<SocketAddr>, StartError> {
        self.state.reload.apply_ollama(&self.state, cfg).await
    }

    /// Stops accepting, lets in-flight requests finish for up to `server.shutdown_drain_seconds`,
    /// then cuts the remaining connections.
    pub async fn shutdown(self) -> ShutdownReport {
        self.stop.cancel();
        self.tracker.close();
        let drain = self.state.live().server.shutdown_drain;
        let drained = tokio::time::timeout(drain, self.tracker.wait())
            .await
            .is_ok();
        if !drained {
            tracing::warn!("drain timeout reached; closing remaining connections");
            self.hard_stop.cancel();
            self.tracker.wait().await;
        }
        tracing::info!(drained, "stopped");
        ShutdownReport { drained }
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        self.stop.cancel();
        self.hard_stop.cancel();
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<AppState>,
    tracker: TaskTracker,
    stop: CancellationToken,
    hard_stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, error = %e, "set_nodelay failed");
                }
                let exec = TrackedExecutor(tracker.clone());
                tracker.spawn(serve(
                    stream,
                    state.clone(),
                    exec,
                    stop.clone(),
                    hard_stop.clone(),
                ));
            }
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Runs hyper's HTTP/2 stream tasks on the tracker, so they take part in shutdown too.
#[derive(Clone)]
struct TrackedExecutor(TaskTracker);

impl<F> hyper::rt::Executor<F> for TrackedExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.spawn(fut);
    }
}

async fn serve(
    stream: TcpStream,
    state: Arc<AppState>,
    exec: TrackedExecutor,
    stop: CancellationToken,
    hard_stop: CancellationToken,
) {
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(crate::router::handle(state, req).await) }
    });
    let builder = auto::Builder::new(exec);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = stop.cancelled() => conn.as_mut().graceful_shutdown(),
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        () = hard_stop.cancelled() => {}
    }
}
