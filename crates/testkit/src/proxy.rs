//! Tiny loopback proxies for transport tests: HTTP `CONNECT` (optional basic auth) and SOCKS5
//! (optional username/password). Each records the targets it was asked for and can send every
//! tunnel to one fixed address, so a client may ask for `chatgpt.com:443` and reach the mock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Which protocol a [`TestProxy`] speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyProtocol {
    /// HTTP/1.1 `CONNECT host:port`.
    HttpConnect,
    /// SOCKS5 `CONNECT` (RFC 1928, auth per RFC 1929).
    Socks5,
}

/// A running proxy; dropping it stops accepting.
pub struct TestProxy {
    addr: SocketAddr,
    protocol: ProxyProtocol,
    auth: Option<(String, String)>,
    targets: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for TestProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestProxy")
            .field("addr", &self.addr)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Shared {
    protocol: ProxyProtocol,
    auth: Option<(String, String)>,
    forward_to: Option<SocketAddr>,
    targets: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    /// Starts on `127.0.0.1:0`. With `auth`, clients must present those credentials; with
    /// `forward_to`, every tunnel goes there whatever target was asked for.
    pub async fn start(
        protocol: ProxyProtocol,
        auth: Option<(&str, &str)>,
        forward_to: Option<SocketAddr>,
    ) -> std::io::Result<TestProxy> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let auth = auth.map(|(u, p)| (u.to_owned(), p.to_owned()));
        let targets = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            protocol,
            auth: auth.clone(),
            forward_to,
            targets: Arc::clone(&targets),
        };
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    if let Err(e) = tunnel(stream, &shared).await {
                        tracing::debug!(error = %e, "test proxy tunnel ended");
                    }
                });
            }
        });
        Ok(TestProxy {
            addr,
            protocol,
            auth,
            targets,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://[user:pass@]127.0.0.1:P` or `socks5://[user:pass@]127.0.0.1:P`.
    pub fn url(&self) -> String {
        let scheme = match self.protocol {
            ProxyProtocol::HttpConnect => "http",
            ProxyProtocol::Socks5 => "socks5",
        };
        match &self.auth {
            Some((u, p)) => format!("{scheme}://{u}:{p}@{}", self.addr),
            None => format!("{scheme}://{}", self.addr),
        }
    }

    /// Every `host:port` a tunnel was opened for, in order (refused attempts excluded).
    pub fn targets(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn tunnel(mut client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let target = match shared.protocol {
        ProxyProtocol::HttpConnect => http_connect(&mut client, shared).await?,
        ProxyProtocol::Socks5 => socks5(&mut client, shared).await?,
    };
    let Some((target, port)) = target else {
        return Ok(());
    };
    let upstream = match shared.forward_to {
        Some(addr) => TcpStream::connect(addr).await,
        None => TcpStream::connect((target.as_str(), port)).await,
    };
    let mut upstream = match upstream {
        Ok(s) => s,
        Err(e) => {
            let refusal: &[u8] = match shared.protocol {
                ProxyProtocol::HttpConnect => b"HTTP/1.1 502 Bad Gateway\r\n\r\n",
                ProxyProtocol::Socks5 => &[5, 5, 0, 1, 0, 0, 0, 0, 0, 0],
            };
            client.write_all(refusal).await?;
            return Err(e);
        }
    };
    let ok: &[u8] = match shared.protocol {
        ProxyProtocol::HttpConnect => b"HTTP/1.1 200 Connection Established\r\n\r\n",
        ProxyProtocol::Socks5 => &[5, 0, 0, 1, 127, 0, 0, 1, 0, 0],
    };
    shared
        .targets
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(format!("{target}:{port}"));
    client.write_all(ok).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Reads a `CONNECT` head; answers 407 on bad credentials. `Some((host, port))` to tunnel.
async fn http_connect(
    client: &mut TcpStream,
    shared: &Shared,
) -> std::io::Result<Option<(String, u16)>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 16 * 1024 {
            return Ok(None);
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let request = lines.next().unwrap_or_default();
    let mut parts = request.split(' ');
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await?;
        return Ok(None);
    };
    if let Some((user, pass)) = &shared.auth {
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let presented = lines
            .filter_map(|l| l.split_once(':'))
            .any(|(name, value)| {
                name.trim().eq_ignore_ascii_case("proxy-authorization")
                    && value.trim().strip_prefix("Basic ") == Some(expected.as_str())
            });
        if !presented {
            client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .await?;
            return Ok(None);
        }
    }
    let Some((host, port)) = target.rsplit_once(':') else {
        client
            .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            .await?;
        return Ok(None);
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    match port.parse() {
        Ok(port) => Ok(Some((host, port))),
        Err(_) => {
            client
                .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                .await?;
            Ok(None)
        }
    }
}

/// Runs the SOCKS5 greeting, auth and request. `Some((host, port))` to tunnel.
async fn socks5(client: &mut TcpStream, shared: &Shared) -> std::io::Result<Option<(String, u16)>> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).await?;
    let wanted = if shared.auth.is_some() { 2 } else { 0 };
    if greeting[0] != 5 || !methods.contains(&wanted) {
        client.write_all(&[5, 0xff]).await?;
        return Ok(None);
    }
    client.write_all(&[5, wanted]).await?;
    if let Some((user, pass)) = &shared.auth {
        let mut ver_len = [0u8; 2];
        client.read_exact(&mut ver_len).await?;
        let mut got_user = vec![0u8; usize::from(ver_len[1])];
        client.read_exact(&mut got_user).await?;
        let mut pass_len = [0u8; 1];
        client.read_exact(&mut pass_len).await?;
        let mut got_pass = vec![0u8; usize::from(pass_len[0])];
        client.read_exact(&mut got_pass).await?;
        if got_user != user.as_bytes() || got_pass != pass.as_bytes() {
            client.write_all(&[1, 1]).await?;
            return Ok(None);
        }
        client.write_all(&[1, 0]).await?;
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    if request[0] != 5 || request[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(None);
    }
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            std::net::Ipv6Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Ok(None);
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    Ok(Some((host, u16::from_be_bytes(port))))
}
