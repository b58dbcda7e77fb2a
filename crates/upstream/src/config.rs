//! Typed configuration of the transport: base URL, timeouts, pool limits and the client profile.

use std::net::SocketAddr;
use std::time::Duration;

/// Everything [`crate::Upstream::new`] needs. Built by the binary from the validated config.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// `api.base_url`, e.g. `https://chatgpt.com/backend-api`; paths such as `/codex/responses`
    /// are appended to it. `http://` uses plain TCP (tests, the fake backend).
    pub base_url: String,
    /// Budget for DNS + TCP connect + TLS handshake + HTTP handshake of a new connection.
    pub connect_timeout: Duration,
    /// Budget from sending the request to receiving the response head.
    pub first_byte_timeout: Duration,
    /// Longest silence allowed between two body chunks.
    pub idle_timeout: Duration,
    /// Budget of a whole call, from the first connect to the last body byte; `None` (the
    /// default) means no total limit (streams are bounded by the idle timeout only).
    pub total_timeout: Option<Duration>,
    /// How long an idle HTTP/1 connection is kept for reuse.
    pub pool_idle_timeout: Duration,
    /// Most idle HTTP/1 connections kept per (scheme, host, port); 0 disables reuse entirely
    /// (no idle HTTP/1 connection and no shared HTTP/2 connection: a fresh handshake per call).
    pub max_idle_per_host: usize,
    /// Who we say we are (originator, version, user agent).
    pub profile: ClientProfile,
    /// Extra trusted root certificates (PEM, one or more `CERTIFICATE` blocks) added to the
    /// webpki and native roots; used for self-signed test servers and corporate CAs.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Compress `POST /codex/responses` bodies with zstd (level 3, one streaming frame, no
    /// content size, no checksum) and send `content-encoding: zstd`, as the official client
    /// does. On by default.
    pub compress_requests: bool,
    /// Global default proxy (`tls.proxy_url`, or `HTTPS_PROXY` read by the binary):
    /// `http://[user:pass@]host:port` or `socks5://[user:pass@]host:port`. Per-account
    /// proxies override it through [`crate::Upstream::with_proxy`].
    pub proxy_url: Option<String>,
    /// Dial this address instead of resolving hosts (loopback tests that must present a real
    /// host name as SNI and `:authority`; pinned addresses). Ignored when a proxy is used.
    pub connect_to: Option<SocketAddr>,
    /// Speak HTTP/2 without negotiation (h2c prior knowledge) on `http://` URLs. Off by default;
    /// `https://` always negotiates with ALPN (`h2`, `http/1.1`).
    pub http2_prior_knowledge: bool,
}

impl UpstreamConfig {
    /// A config for `base_url` with the defaults: connect 10 s, first byte 120 s, idle 300 s,
    /// no total limit, pool idle 90 s, 8 idle connections per host, zstd request bodies, no
    /// proxy, the `codex_exec` 0.169.0 profile.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            total_timeout: None,
            pool_idle_timeout: Duration::from_secs(90),
            max_idle_per_host: 8,
            profile: ClientProfile::default(),
            extra_ca_pem: None,
            compress_requests: true,
            proxy_url: None,
            connect_to: None,
            http2_prior_knowledge: false,
        }
    }
}

/// The identity headers of the official client this transport presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientProfile {
    /// `originator` header, e.g. `codex_exec`.
    pub originator: String,
    /// `version` header, e.g. `0.169.0`.
    pub version: String,
    /// `user-agent` header of model calls and everything after workspace routing.
    pub user_agent: String,
    /// `user-agent` of the startup calls (`/wham/accounts/check`, the first models fetch, the
    /// proactive token refresh): the same string without the `(originator; version)` suffix.
    pub startup_user_agent: String,
}

impl Default for ClientProfile {
    /// The `codex exec` front end of Codex CLI 0.169.0 as captured on Debian 12.
    fn default() -> Self {
        Self {
            originator: "codex_exec".to_owned(),
            version: "0.169.0".to_owned(),
            user_agent: "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
                .to_owned(),
            startup_user_agent: "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm".to_owned(),
        }
    }
}
