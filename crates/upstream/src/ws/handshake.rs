//! The HTTP/1.1 Upgrade handshake, written by hand so the header order and casing are the
//! official client's: tungstenite's five Title-Case headers first, then ours in insertion
//! order, then the `sec-websocket-extensions` offer last. Reads the answer head; a `101`
//! is checked (`Sec-WebSocket-Accept`, extensions) and any other status becomes
//! `UpstreamError::Status` with up to 1 MiB of body.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::deflate::{self, DeflateParams};
use crate::error::UpstreamError;

/// Largest answer head we read.
const MAX_HEAD: usize = 64 * 1024;
/// Largest error body we keep.
const MAX_BODY: usize = 1 << 20;

/// The upgrade request, as bytes on the wire.
pub(crate) fn request(path: &str, host: &str, key: &str, headers: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(
        b"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ",
    );
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"sec-websocket-extensions: ");
    out.extend_from_slice(deflate::OFFER.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// What a successful handshake leaves behind.
#[derive(Debug)]
pub(crate) struct Upgraded {
    /// Headers of the `101`.
    pub(crate) headers: HeaderMap,
    /// Bytes read past the head (the first frames, if the server was quick).
    pub(crate) leftover: BytesMut,
    /// The accepted permessage-deflate parameters, if any.
    pub(crate) deflate: Option<DeflateParams>,
}

/// Sends `request` and reads the answer.
pub(crate) async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    request: &[u8],
    key: &str,
) -> Result<Upgraded, UpstreamError> {
    io.write_all(request)
        .await
        .map_err(UpstreamError::Connect)?;
    io.flush().await.map_err(UpstreamError::Connect)?;
    let mut buf = BytesMut::with_capacity(8192);
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(fail("upgrade answer head is too large"));
        }
        if io
            .read_buf(&mut buf)
            .await
            .map_err(UpstreamError::Connect)?
            == 0
        {
            return Err(fail("connection closed during the upgrade"));
        }
    };
    let head = buf.split_to(end);
    let (status, headers) = parse_head(&head)?;
    if status != 101 {
        let body = error_body(io, buf, &headers).await;
        return Err(UpstreamError::Status {
            status,
            headers: Box::new(headers),
            body,
        });
    }
    let has = |name: &str, want: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(want)))
        })
    };
    if !has("upgrade", "websocket") || !has("connection", "upgrade") {
        return Err(fail("101 answer without upgrade headers"));
    }
    let accept = headers
        .get("sec-websocket-accept")
        .map(HeaderValue::as_bytes);
    if accept != Some(derive_accept_key(key.as_bytes()).as_bytes()) {
        return Err(fail("wrong sec-websocket-accept"));
    }
    let mut extensions = String::new();
    for value in headers.get_all("sec-websocket-extensions") {
        let value = value
            .to_str()
            .map_err(|_| fail("sec-websocket-extensions is not text"))?;
        if !extensions.is_empty() {
            extensions.push(',');
        }
        extensions.push_str(value);
    }
    let deflate = DeflateParams::from_answer(&extensions).map_err(fail)?;
    Ok(Upgraded {
        headers,
        leftover: buf,
        deflate,
    })
}

fn parse_head(head: &[u8]) -> Result<(u16, HeaderMap), UpstreamError> {
    let text = std::str::from_utf8(head).map_err(|_| fail("upgrade answer is not text"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut words = status_line.splitn(3, ' ');
    let version = words.next().unwrap_or_default();
    let status = words
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s) && version.starts_with("HTTP/1."))
        .ok_or(fail("malformed upgrade answer status line"))?;
    let mut headers = HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or(fail("malformed upgrade answer header"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| fail("malformed upgrade answer header"))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| fail("malformed upgrade answer header"))?;
        headers.append(name, value);
    }
    Ok((status, headers))
}

/// The body of a refused upgrade: `content-length` bytes (at most 1 MiB) when announced,
/// else whatever already arrived. Read errors just end the body.
async fn error_body<S: AsyncRead + Unpin>(
    io: &mut S,
    mut buf: BytesMut,
    headers: &HeaderMap,
) -> Bytes {
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(length) = length {
        let want = length.min(MAX_BODY);
        while buf.len() < want {
            match io.read_buf(&mut buf).await {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
        buf.truncate(want);
    } else {
        buf.truncate(MAX_BODY);
    }
    buf.freeze()
}

fn fail(reason: &'static str) -> UpstreamError {
    UpstreamError::WebSocket { reason }
}
