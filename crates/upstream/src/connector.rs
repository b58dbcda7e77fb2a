//! The `Connector` stage: TCP → [proxy, later] → TLS → hyper HTTP/1 or HTTP/2 connection.
//!
//! Each stage is its own function so that proxies (HTTP CONNECT, SOCKS5) and the
//! fingerprinted ClientHello can slot in without touching the pool or the request code.

mod tcp;
mod tls;

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

pub(crate) use tls::TlsConnector;

/// Request body type of every connection.
pub(crate) type ReqBody = Full<Bytes>;

/// Where a connection goes: the pool key (scheme, host, port) plus the `host` header value.
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
        })
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
    next_id: AtomicU64,
}

impl Connector {
    pub(crate) fn new(
        extra_ca_pem: Option<&[u8]>,
        http2_prior_knowledge: bool,
    ) -> Result<Connector, UpstreamError> {
        Ok(Connector {
            tls: TlsConnector::new(extra_ca_pem)?,
            http2_prior_knowledge,
            next_id: AtomicU64::new(1),
        })
    }

    /// Runs every stage for `origin`. The caller bounds it with the connect timeout.
    pub(crate) async fn connect(&self, origin: &Origin) -> Result<Connection, UpstreamError> {
        let tcp = tcp::connect(&origin.host, origin.port).await?;
        // A proxy stage (HTTP CONNECT / SOCKS5) will wrap `tcp` here.
        if origin.https {
            let stream = self.tls.handshake(&origin.host, tcp).await?;
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            self.handshake(stream, h2).await
        } else {
            self.handshake(tcp, self.http2_prior_knowledge).await
        }
    }

    async fn handshake<T>(&self, io: T, h2: bool) -> Result<Connection, UpstreamError>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(io);
        if h2 {
            // Settings of the official client's h2 stack (custom-CA capture).
            let (sender, conn) = http2::Builder::new(TokioExecutor::new())
                .initial_stream_window_size(2 * 1024 * 1024)
                .initial_connection_window_size(5 * 1024 * 1024)
                .max_frame_size(16 * 1024)
                .max_header_list_size(16 * 1024)
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
