//! TCP stage: resolve, connect, and set TCP_NODELAY and keepalive on the socket.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;

use crate::error::UpstreamError;

/// Idle time before the first keepalive probe.
const KEEPALIVE_TIME: Duration = Duration::from_secs(60);
/// Interval between keepalive probes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// Connects to the first reachable address of `host:port`, or to `connect_to` instead of
/// resolving `host` (tests, pinned addresses).
pub(super) async fn connect(
    host: &str,
    port: u16,
    connect_to: Option<SocketAddr>,
) -> Result<TcpStream, UpstreamError> {
    if let Some(addr) = connect_to {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(UpstreamError::Connect)?;
        configure(&stream).map_err(UpstreamError::Connect)?;
        return Ok(stream);
    }
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(UpstreamError::Connect)?;
    let mut last_error = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                configure(&stream).map_err(UpstreamError::Connect)?;
                return Ok(stream);
            }
            Err(err) => last_error = Some(err),
        }
    }
    Err(UpstreamError::Connect(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "host resolved to no address")
    })))
}

fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_TIME)
        .with_interval(KEEPALIVE_INTERVAL);
    SockRef::from(stream).set_tcp_keepalive(&keepalive)
}
