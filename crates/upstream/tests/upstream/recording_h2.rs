//! A loopback HTTPS + HTTP/2 server (test CA) that records the client's decrypted byte stream
//! and the header names of the last request as decoded, and answers like the backend.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use codex_proxy_testkit::TestCa;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const ACCOUNTS: &str = r#"{"accounts":[{"id":"00000000-0000-4000-8000-00000000fa6e","plan_type":"pro","workspace_backend_origin":"https://chatgpt.com","account_routing_override":"NO_CONSTRAINT"}]}"#;
const SSE: &str = "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\"}}\n\n";

#[derive(Default)]
pub struct Recorder {
    raw: Mutex<Vec<u8>>,
    names: Mutex<Vec<String>>,
}

impl Recorder {
    /// Everything the client sent (decrypted), across connections.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Header names of the last request, in decoded (wire) order.
    pub fn header_names(&self) -> Vec<String> {
        self.names.lock().unwrap().clone()
    }
}

pub async fn start(ca: &TestCa) -> (SocketAddr, Arc<Recorder>) {
    let acceptor = TlsAcceptor::from(ca.server_config(&[b"h2"]).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let recorder = Arc::new(Recorder::default());
    let shared = Arc::clone(&recorder);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let recorder = Arc::clone(&shared);
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let io = Tap {
                    inner: tls,
                    recorder: Arc::clone(&recorder),
                };
                let service = service_fn(move |request: Request<Incoming>| {
                    let recorder = Arc::clone(&recorder);
                    async move {
                        *recorder.names.lock().unwrap() = request
                            .headers()
                            .keys()
                            .map(|k| k.as_str().to_owned())
                            .collect();
                        let (kind, body) = if request.uri().path().ends_with("/accounts/check") {
                            ("application/json", ACCOUNTS)
                        } else {
                            ("text/event-stream", SSE)
                        };
                        let mut response =
                            Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                        response
                            .headers_mut()
                            .insert("content-type", kind.parse().unwrap());
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(io), service)
                    .await;
            });
        }
    });
    (addr, recorder)
}

/// Passes I/O through, copying every byte read from the client into the recorder.
struct Tap<T> {
    inner: T,
    recorder: Arc<Recorder>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tap<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let new = &buf.filled()[before..];
            self.recorder.raw.lock().unwrap().extend_from_slice(new);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tap<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
