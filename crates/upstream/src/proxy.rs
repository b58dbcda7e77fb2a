//! Outbound proxies: HTTP `CONNECT` (optional basic auth) and SOCKS5 (optional
//! username/password, RFC 1928/1929), parsed from a URL. The tunnel itself is opened by
//! `connector/tunnel.rs`.

use std::fmt;
use std::sync::Arc;

use url::{Host, Url};

use crate::error::UpstreamError;

/// A proxy that connections are tunnelled through. Parsed once, shared by reference; two
/// proxies with different credentials are different pool keys.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    pub(crate) kind: ProxyKind,
    pub(crate) host: Arc<str>,
    pub(crate) port: u16,
    pub(crate) auth: Option<ProxyAuth>,
}

/// The tunnel protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyKind {
    /// `http://host:port`: an HTTP/1.1 `CONNECT host:port` request.
    HttpConnect,
    /// `socks5://` or `socks5h://`: SOCKS5 `CONNECT` with the target as a domain name (the
    /// proxy resolves it, so DNS does not leak from here in either form).
    Socks5,
}

/// Username and password of a proxy. Never printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProxyAuth {
    pub(crate) user: String,
    pub(crate) pass: String,
}

impl Proxy {
    /// Parses `http://[user:pass@]host[:port]` (port 80 by default, `https://` proxies are not
    /// supported) or `socks5://` / `socks5h://[user:pass@]host[:port]` (port 1080 by default).
    /// Percent-encoded credentials are decoded.
    pub fn parse(url: &str) -> Result<Proxy, UpstreamError> {
        let url = Url::parse(url).map_err(|_| UpstreamError::InvalidUrl {
            reason: "proxy url does not parse",
        })?;
        let (kind, default_port) = match url.scheme() {
            "http" => (ProxyKind::HttpConnect, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            _ => {
                return Err(UpstreamError::InvalidUrl {
                    reason: "proxy scheme must be http, socks5 or socks5h",
                });
            }
        };
        let host: Arc<str> = match url.host() {
            Some(Host::Domain(domain)) => domain.into(),
            Some(Host::Ipv4(addr)) => addr.to_string().into(),
            Some(Host::Ipv6(addr)) => addr.to_string().into(),
            None => {
                return Err(UpstreamError::InvalidUrl {
                    reason: "proxy url has no host",
                });
            }
        };
        let auth = if url.username().is_empty() {
            None
        } else {
            let decode = |s: &str| {
                percent_decode(s).ok_or(UpstreamError::InvalidUrl {
                    reason: "proxy credentials are not valid percent-encoded utf-8",
                })
            };
            Some(ProxyAuth {
                user: decode(url.username())?,
                pass: decode(url.password().unwrap_or(""))?,
            })
        };
        Ok(Proxy {
            kind,
            host,
            port: url.port().unwrap_or(default_port),
            auth,
        })
    }

    /// The tunnel protocol.
    pub fn kind(&self) -> ProxyKind {
        self.kind
    }

    /// `host:port` of the proxy itself.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("address", &self.address())
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_ports_and_credentials() {
        let p = Proxy::parse("http://u%40x:p%3Aw@127.0.0.1:3128").unwrap();
        assert_eq!(p.kind(), ProxyKind::HttpConnect);
        assert_eq!(p.address(), "127.0.0.1:3128");
        let auth = p.auth.as_ref().unwrap();
        assert_eq!((auth.user.as_str(), auth.pass.as_str()), ("u@x", "p:w"));
        assert!(!format!("{p:?}").contains("p:w"));

        let s = Proxy::parse("socks5h://proxy.example").unwrap();
        assert_eq!(s.kind(), ProxyKind::Socks5);
        assert_eq!(s.address(), "proxy.example:1080");
        assert!(s.auth.is_none());

        assert!(Proxy::parse("ftp://x").is_err());
        assert!(Proxy::parse("http://u:%zz@h").is_err());
    }
}
