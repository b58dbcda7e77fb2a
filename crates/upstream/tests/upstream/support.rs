//! Loopback servers for the upstream tests: a raw HTTP/1 server that exposes the exact bytes
//! on the socket, and helpers to build configs and calls.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use codex_proxy_upstream::{Credentials, ResponsesCall, UpstreamConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const TOKEN: &str = "eyJ.FAKE-ACCESS-TOKEN.sig";
pub const ACCOUNT: &str = "00000000-0000-4000-8000-00000000fa6e";

/// A config pointing at `base` with short timeouts suitable for tests.
pub fn config(base: &str) -> UpstreamConfig {
    let mut cfg = UpstreamConfig::new(base);
    cfg.connect_timeout = Duration::from_secs(5);
    cfg.first_byte_timeout = Duration::from_secs(5);
    cfg.idle_timeout = Duration::from_secs(5);
    cfg
}

pub fn creds() -> Credentials<'static> {
    Credentials {
        access_token: TOKEN,
        account_id: Some(ACCOUNT),
    }
}

pub fn call(body: &'static str) -> ResponsesCall<'static> {
    ResponsesCall {
        creds: creds(),
        body: Bytes::from_static(body.as_bytes()),
        session_id: "01a20c79-6689-7161-acf3-d6f0d03829d3",
        model: "gpt-6.1-sol",
        turn_state: None,
        request_id: "01a20c79-66e6-7b52-95d2-b4a9b5032e53",
        installation_id: Some("18cf63bc-fb1c-4e24-bf8c-d87a8c073517"),
    }
}

/// A request as read from the socket.
pub struct RawRequest {
    /// The head, CRLF line endings, without the final empty line.
    pub head: String,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Header lines after the request line, verbatim.
    pub fn header_lines(&self) -> Vec<&str> {
        self.head.split("\r\n").skip(1).collect()
    }

    pub fn request_line(&self) -> &str {
        self.head.split("\r\n").next().unwrap_or_default()
    }
}

/// One accepted connection of the raw server.
pub struct RawConn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    /// Reads one request; `None` on EOF before a full head.
    pub async fn read_request(&mut self) -> Option<RawRequest> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8(self.buf[..end].to_vec()).ok()?;
                let len = head
                    .split("\r\n")
                    .filter_map(|line| line.split_once(": "))
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, value)| value.parse::<usize>().ok())
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    if !self.fill().await {
                        return None;
                    }
                }
                let body = self.buf[end + 4..end + 4 + len].to_vec();
                self.buf.drain(..end + 4 + len);
                return Some(RawRequest { head, body });
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// True if the peer closed the connection (EOF) within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(wait, self.stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// A full response with a content-length.
    pub async fn respond(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        self.write(&bytes).await;
    }

    /// The head of a chunked `text/event-stream` response.
    pub async fn start_chunked(&mut self) {
        self.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
        )
        .await;
    }

    pub async fn chunk(&mut self, data: &[u8]) {
        let mut out = format!("{:x}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        self.write(&out).await;
    }

    pub async fn end_chunked(&mut self) {
        self.write(b"0\r\n\r\n").await;
    }

    async fn fill(&mut self) -> bool {
        let mut tmp = [0u8; 8192];
        match self.stream.read(&mut tmp).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                true
            }
        }
    }
}

/// A loopback HTTP/1 server that runs `handler` for every accepted connection.
pub struct RawServer {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
}

impl RawServer {
    pub async fn start<F, Fut>(handler: F) -> RawServer
    where
        F: Fn(RawConn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handler(RawConn {
                    stream,
                    buf: Vec::new(),
                }));
            }
        });
        RawServer { port, accepted }
    }

    /// Base URL `http://127.0.0.1:PORT/backend-api`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/backend-api", self.port)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Serves every request of every connection with `status`, `headers`, `body`, keeping the
/// connection open.
pub async fn fixed_server(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: Bytes,
) -> RawServer {
    RawServer::start(move |mut conn| {
        let body = body.clone();
        async move {
            while conn.read_request().await.is_some() {
                conn.respond(status, headers, &body).await;
            }
        }
    })
    .await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
