//! The `Connector` stage: TCP → optional proxy tunnel (HTTP CONNECT / SOCKS5) → TLS (the
//! official client's rustls ClientHello) → hyper HTTP/1 or HTTP/2 connection (the official
//! client's SETTINGS and connection window).

mod tcp;
mod tls;
mod tunnel;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::AbortHandle;
use url::{Host, Url};

use crate::error::UpstreamError;
use crate::proxy::Proxy;

pub(crate) use tls::TlsConnector;

/// HTTP/2 `SETTINGS_INITIAL_WINDOW_SIZE` of the official client.
pub(crate) const H2_STREAM_WINDOW: u32 = 2 * 1024 * 1024;
/// HTTP/2 connection window of the official client (announced by a WINDOW_UPDATE).
pub(crate) const H2_CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;
/// HTTP/2 `SETTINGS_MAX_FRAME_SIZE` of the official client.
pub(crate) const H2_MAX_FRAME_SIZE: u32 = 16 * 1024;
/// HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE` of the official client.
pub(crate) const H2_MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;

/// A byte stream of any transport stage (TCP, tunnel, TLS).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Request body type of every connection.
pub(crate) type ReqBody = Full<Bytes>;

/// Where a connection goes: the pool key (proxy, scheme, host, port) plus the `host` header
/// value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    /// `https://` (TLS) or `http://` (plain TCP).
    pub(crate) https: bool,
    /// Host to resolve and to present as TLS SNI (IPv6 without brackets).
    pub(crate) host: Arc<str>,
    /// TCP port.
    pub(crate) port: u16,
    /// `host` header / `:authority`: host plus the port when it is not the scheme's default.
    pub(crate) authority: Arc<str>,
    /// The proxy the connection is tunnelled through, if any.
    pub(crate) proxy: Option<Arc<Proxy>>,
}

impl Origin {
    /// The origin of an absolute `http://` or `https://` URL.
    pub(crate) fn from_url(url: &Url) -> Result<Origin, UpstreamError> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => {
                return Err(UpstreamError::InvalidUrl {
                    reason: "scheme must be http or https",
                });
            }
        };
        let host = match url.host() {
            Some(Host::Domain(domain)) => domain.to_owned(),
            Some(Host::Ipv4(addr)) => addr.to_string(),
            Some(Host::Ipv6(addr)) => addr.to_string(),
            None => {
                return Err(UpstreamError::InvalidUrl {
                    reason: "url has no host",
                });
            }
        };
        let port = url
            .port_or_known_default()
            .ok_or(UpstreamError::InvalidUrl {
                reason: "url has no port",
            })?;
        let host_str = url.host_str().unwrap_or(&host);
        let authority = match url.port() {
            Some(port) => format!("{host_str}:{port}"),
            None => host_str.to_owned(),
        };
        Ok(Origin {
            https,
            host: host.into(),
            port,
            authority: authority.into(),
            proxy: None,
        })
    }

    /// The same origin reached through `proxy`.
    pub(crate) fn via(mut self, proxy: Option<Arc<Proxy>>) -> Origin {
        self.proxy = proxy;
        self
    }
}

/// An HTTP/1 connection: one request at a time, returned to the pool after its body is read.
pub(crate) struct H1Conn {
    pub(crate) sender: http1::SendRequest<ReqBody>,
    driver: AbortHandle,
}

impl H1Conn {
    /// Closes the connection at once (cancels an in-flight exchange).
    pub(crate) fn abort(self) {
        self.driver.abort();
    }
}

/// An HTTP/2 connection, shared by all concurrent requests to its origin.
#[derive(Clone)]
pub(crate) struct H2Conn {
    /// Identity inside the pool, so a dead connection is removed only if it is still the one
    /// stored.
    pub(crate) id: u64,
    pub(crate) sender: http2::SendRequest<ReqBody>,
}

/// A freshly established connection.
pub(crate) enum Connection {
    H1(H1Conn),
    H2(H2Conn),
}

/// Builds connections. Cheap to share; holds the TLS config.
pub(crate) struct Connector {
    tls: TlsConnector,
    http2_prior_knowledge: bool,
    connect_to: Option<SocketAddr>,
    next_id: AtomicU64,
}

impl Connector {
    pub(crate) fn new(
        extra_ca_pem: Option<&[u8]>,
        http2_prior_knowledge: bool,
        connect_to: Option<SocketAddr>,
    ) -> Result<Connector, UpstreamError> {
        Ok(Connector {
            tls: TlsConnector::new(extra_ca_pem)?,
            http2_prior_knowledge,
            connect_to,
            next_id: AtomicU64::new(1),
        })
    }

    /// Runs every stage for `origin`. The caller bounds it with the connect timeout.
    pub(crate) async fn connect(&self, origin: &Origin) -> Result<Connection, UpstreamError> {
        let tcp = self.tcp(origin).await?;
        if origin.https {
            let stream = self.tls.handshake(&origin.host, tcp).await?;
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            self.handshake(stream, h2).await
        } else {
            self.handshake(tcp, self.http2_prior_knowledge).await
        }
    }

    /// TCP (+ proxy tunnel) + TLS with the WebSocket hello (no ALPN), for the upgrade.
    pub(crate) async fn websocket_stream(
        &self,
        origin: &Origin,
    ) -> Result<Box<dyn Io>, UpstreamError> {
        let tcp = self.tcp(origin).await?;
        if origin.https {
            let tls = self.tls.handshake_websocket(&origin.host, tcp).await?;
            Ok(Box::new(tls))
        } else {
            Ok(Box::new(tcp))
        }
    }

    /// TCP to the origin, directly or through its proxy.
    async fn tcp(&self, origin: &Origin) -> Result<tokio::net::TcpStream, UpstreamError> {
        match &origin.proxy {
            Some(proxy) => {
                let tcp = tcp::connect(&proxy.host, proxy.port, None).await?;
                tunnel::open(proxy, tcp, &origin.host, origin.port).await
            }
            None => tcp::connect(&origin.host, origin.port, self.connect_to).await,
        }
    }

    async fn handshake<T>(&self, io: T, h2: bool) -> Result<Connection, UpstreamError>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(io);
        if h2 {
            // Settings of the official client's h2 stack (custom-CA capture): SETTINGS
            // ENABLE_PUSH=0, INITIAL_WINDOW_SIZE=2 MiB, MAX_FRAME_SIZE=16 KiB,
            // MAX_HEADER_LIST_SIZE=16 KiB, then WINDOW_UPDATE +5177345 (5 MiB window).
            let (sender, conn) = http2::Builder::new(TokioExecutor::new())
                .initial_stream_window_size(H2_STREAM_WINDOW)
                .initial_connection_window_size(H2_CONNECTION_WINDOW)
                .max_frame_size(H2_MAX_FRAME_SIZE)
                .max_header_list_size(H2_MAX_HEADER_LIST_SIZE)
                .adaptive_window(false)
                .handshake(io)
                .await
                .map_err(UpstreamError::Protocol)?;
            // The driver ends by itself when the connection closes or every sender is dropped.
            tokio::spawn(async move {
                if let Err(err) = conn.await {
                    tracing::debug!(error = %err, "upstream h2 connection ended");
                }
            });
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            Ok(Connection::H2(H2Conn { id, sender }))
        } else {
            let (sender, conn) = http1::Builder::new()
                .handshake(io)
                .await
                .map_err(UpstreamError::Protocol)?;
            // The driver ends when the connection closes, when the sender is dropped while
            // idle, or when `H1Conn::abort` cancels it.
            let driver = tokio::spawn(async move {
                if let Err(err) = conn.await {
                    tracing::debug!(error = %err, "upstream http/1 connection ended");
                }
            })
            .abort_handle();
            Ok(Connection::H1(H1Conn { sender, driver }))
        }
    }
}
