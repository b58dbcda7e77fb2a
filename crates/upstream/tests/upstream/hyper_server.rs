//! A loopback hyper server (HTTP/1 or h2c prior knowledge, optionally behind TLS with ALPN)
//! answering `{version} {method} {path} {authority}` after an optional delay.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub struct HyperServer {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
}

impl HyperServer {
    /// Plain TCP; `h2` selects h2c prior knowledge instead of HTTP/1.
    pub async fn plain(h2: bool, delay: Duration) -> HyperServer {
        Self::start(None, h2, delay).await
    }

    /// TLS; the protocol follows the negotiated ALPN of `tls`.
    pub async fn tls(tls: rustls::ServerConfig, delay: Duration) -> HyperServer {
        Self::start(Some(TlsAcceptor::from(Arc::new(tls))), false, delay).await
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    async fn start(tls: Option<TlsAcceptor>, h2: bool, delay: Duration) -> HyperServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve(stream, h2, delay).await,
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(stream).await else {
                                return;
                            };
                            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                            serve(stream, h2, delay).await;
                        }
                    }
                });
            }
        });
        HyperServer { port, accepted }
    }
}

async fn serve<T>(io: T, h2: bool, delay: Duration)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| async move {
        tokio::time::sleep(delay).await;
        let authority = request
            .uri()
            .authority()
            .map(|a| a.to_string())
            .or_else(|| {
                request
                    .headers()
                    .get("host")
                    .map(|h| h.to_str().unwrap().to_owned())
            })
            .unwrap_or_default();
        let text = format!(
            "{:?} {} {} {}",
            request.version(),
            request.method(),
            request.uri().path(),
            authority
        );
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
    });
    let io = TokioIo::new(io);
    let _ = if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .await
    };
}
