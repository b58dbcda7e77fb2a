//! Proxy stage: turns a TCP connection to a proxy into a byte tunnel to the target, with an
//! HTTP/1.1 `CONNECT` (basic auth) or a SOCKS5 `CONNECT` (username/password auth).

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::UpstreamError;
use crate::proxy::{Proxy, ProxyKind};

/// Longest proxy response head we read before giving up.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Runs the proxy handshake for `host:port` over `tcp` (already connected to `proxy`).
pub(super) async fn open(
    proxy: &Proxy,
    mut tcp: TcpStream,
    host: &str,
    port: u16,
) -> Result<TcpStream, UpstreamError> {
    match proxy.kind {
        ProxyKind::HttpConnect => http_connect(proxy, &mut tcp, host, port).await?,
        ProxyKind::Socks5 => socks5(proxy, &mut tcp, host, port).await?,
    }
    Ok(tcp)
}

async fn http_connect(
    proxy: &Proxy,
    tcp: &mut TcpStream,
    host: &str,
    port: u16,
) -> Result<(), UpstreamError> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nhost: {target}\r\n");
    if let Some(auth) = &proxy.auth {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", auth.user, auth.pass));
        head.push_str("proxy-authorization: Basic ");
        head.push_str(&token);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(UpstreamError::Connect)?;
    // Read byte-wise up to the end of the head: nothing after it may be consumed, since the
    // TLS handshake follows on the same stream.
    let mut buf = Vec::with_capacity(128);
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() >= MAX_CONNECT_HEAD {
            return Err(UpstreamError::Proxy {
                reason: "proxy response head too long",
                status: None,
            });
        }
        let n = tcp.read(&mut byte).await.map_err(UpstreamError::Connect)?;
        if n == 0 {
            return Err(UpstreamError::Proxy {
                reason: "proxy closed the connection during connect",
                status: None,
            });
        }
        buf.push(byte[0]);
    }
    let status = buf
        .split(|b| *b == b' ')
        .nth(1)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse::<u16>().ok());
    match status {
        Some(200..=299) => Ok(()),
        Some(status) => Err(UpstreamError::Proxy {
            reason: "proxy refused the connect request",
            status: Some(status),
        }),
        None => Err(UpstreamError::Proxy {
            reason: "proxy sent a malformed response",
            status: None,
        }),
    }
}

async fn socks5(
    proxy: &Proxy,
    tcp: &mut TcpStream,
    host: &str,
    port: u16,
) -> Result<(), UpstreamError> {
    let io_err = UpstreamError::Connect;
    let method = if proxy.auth.is_some() { 0x02 } else { 0x00 };
    tcp.write_all(&[0x05, 0x01, method]).await.map_err(io_err)?;
    let mut reply = [0u8; 2];
    tcp.read_exact(&mut reply).await.map_err(io_err)?;
    if reply[0] != 0x05 || reply[1] != method {
        return Err(socks_error("socks5 proxy accepts no offered auth method"));
    }
    if let Some(auth) = &proxy.auth {
        let (user, pass) = (auth.user.as_bytes(), auth.pass.as_bytes());
        let (Ok(user_len), Ok(pass_len)) = (u8::try_from(user.len()), u8::try_from(pass.len()))
        else {
            return Err(socks_error("socks5 credentials longer than 255 bytes"));
        };
        let mut msg = Vec::with_capacity(3 + user.len() + pass.len());
        msg.extend_from_slice(&[0x01, user_len]);
        msg.extend_from_slice(user);
        msg.push(pass_len);
        msg.extend_from_slice(pass);
        tcp.write_all(&msg).await.map_err(io_err)?;
        tcp.read_exact(&mut reply).await.map_err(io_err)?;
        if reply[1] != 0x00 {
            return Err(socks_error("socks5 proxy rejected the credentials"));
        }
    }
    let Ok(host_len) = u8::try_from(host.len()) else {
        return Err(socks_error("target host longer than 255 bytes"));
    };
    let mut msg = Vec::with_capacity(7 + host.len());
    msg.extend_from_slice(&[0x05, 0x01, 0x00, 0x03, host_len]);
    msg.extend_from_slice(host.as_bytes());
    msg.extend_from_slice(&port.to_be_bytes());
    tcp.write_all(&msg).await.map_err(io_err)?;
    let mut head = [0u8; 4];
    tcp.read_exact(&mut head).await.map_err(io_err)?;
    if head[0] != 0x05 {
        return Err(socks_error("socks5 proxy sent a malformed reply"));
    }
    if head[1] != 0x00 {
        return Err(UpstreamError::Proxy {
            reason: "socks5 proxy refused the connect request",
            status: Some(u16::from(head[1])),
        });
    }
    // Skip the bound address: IPv4, domain or IPv6, then the port.
    let addr_len = match head[3] {
        0x01 => 4,
        0x04 => 16,
        0x03 => {
            let mut len = [0u8; 1];
            tcp.read_exact(&mut len).await.map_err(io_err)?;
            usize::from(len[0])
        }
        _ => return Err(socks_error("socks5 proxy sent an unknown address type")),
    };
    let mut skip = vec![0u8; addr_len + 2];
    tcp.read_exact(&mut skip).await.map_err(io_err)?;
    Ok(())
}

fn socks_error(reason: &'static str) -> UpstreamError {
    UpstreamError::Proxy {
        reason,
        status: None,
    }
}
