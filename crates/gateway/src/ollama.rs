//! The Ollama-compatible bridge (translation spec §6, config spec §12): a second listener,
//! enabled by `ollama.enabled`, serving `/api/version`, `/api/tags`, `/api/show`, `/api/chat`,
//! `/api/generate` and forwarding `/v1/*` to the main routes in-process with the proxy key
//! injected. It has no authentication by design, so it only answers loopback browser origins
//! (CORS, [`cors`]) and warns loudly when bound beyond loopback.
//!
//! [`BridgeSlot`] owns the running listener; [`crate::RunningGateway::set_ollama`] starts, stops
//! or restarts it when the configuration changes (hot reload without restarting the gateway).

mod cors;
mod routes;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::OllamaConfig;
use crate::server::StartError;
use crate::state::AppState;

pub(crate) use routes::BridgeState;

/// The bridge listener, if one is running.
#[derive(Debug, Default)]
pub(crate) struct BridgeSlot {
    running: Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    addr: SocketAddr,
    stop: CancellationToken,
    accept: JoinHandle<()>,
}

/// What the gateway hands the bridge so its tasks take part in shutdown.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub(crate) tracker: TaskTracker,
    pub(crate) stop: CancellationToken,
    pub(crate) hard_stop: CancellationToken,
}

impl BridgeSlot {
    /// The bound address of the running bridge.
    pub(crate) fn addr(&self) -> Option<SocketAddr> {
        self.lock().as_ref().map(|r| r.addr)
    }

    /// Stop the running listener (if any), then start one when `cfg.enabled`. In-flight bridge
    /// requests finish on their own connections.
    pub(crate) async fn apply(
        &self,
        app: Arc<AppState>,
        cfg: &OllamaConfig,
        owner: &Owner,
    ) -> Result<Option<SocketAddr>, StartError> {
        let previous = self.lock().take();
        if let Some(running) = previous {
            running.stop.cancel();
            // Wait until the listener is dropped, so the port can be bound again at once.
            let _ = running.accept.await;
            tracing::info!(addr = %running.addr, "ollama bridge stopped");
        }
        if !cfg.enabled {
            return Ok(None);
        }
        let addr = format!("{}:{}", cfg.host, cfg.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        if !local.ip().is_loopback() {
            tracing::warn!(
                addr = %local,
                "OLLAMA BRIDGE IS LISTENING BEYOND LOOPBACK WITHOUT AUTHENTICATION: anyone who can \
                 reach {local} can use your Codex accounts; set ollama.host to 127.0.0.1"
            );
        }
        let bridge = Arc::new(BridgeState::new(app, cfg.clone()));
        let stop = owner.stop.child_token();
        let accept =
            owner
                .tracker
                .spawn(accept_loop(listener, bridge, owner.clone(), stop.clone()));
        tracing::info!(addr = %local, "ollama bridge listening");
        *self.lock() = Some(Running {
            addr: local,
            stop,
            accept,
        });
        Ok(Some(local))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn accept_loop(
    listener: TcpListener,
    bridge: Arc<BridgeState>,
    owner: Owner,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                owner.tracker.spawn(serve(
                    stream,
                    bridge.clone(),
                    owner.stop.clone(),
                    owner.hard_stop.clone(),
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "ollama bridge accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// One HTTP/1.1 connection (Ollama clients do not speak h2).
async fn serve(
    stream: TcpStream,
    bridge: Arc<BridgeState>,
    stop: CancellationToken,
    hard_stop: CancellationToken,
) {
    let service = hyper::service::service_fn(move |req| {
        let bridge = bridge.clone();
        async move { Ok::<_, std::convert::Infallible>(routes::handle(bridge, req).await) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "ollama bridge connection ended with an error");
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
