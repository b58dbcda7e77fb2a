//! Typed configuration of the transport: base URL, timeouts, pool limits and the client profile.

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
    /// Longest silence allowed between two body chunks; there is no total timeout on streams.
    pub idle_timeout: Duration,
    /// How long an idle HTTP/1 connection is kept for reuse.
    pub pool_idle_timeout: Duration,
    /// Most idle HTTP/1 connections kept per (scheme, host, port).
    pub max_idle_per_host: usize,
    /// Who we say we are (originator, version, user agent).
    pub profile: ClientProfile,
    /// Extra trusted root certificates (PEM, one or more `CERTIFICATE` blocks) added to the
    /// webpki and native roots; used for self-signed test servers and corporate CAs.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Speak HTTP/2 without negotiation (h2c prior knowledge) on `http://` URLs. Off by default;
    /// `https://` always negotiates with ALPN (`h2`, `http/1.1`).
    pub http2_prior_knowledge: bool,
}

impl UpstreamConfig {
    /// A config for `base_url` with the defaults: connect 10 s, first byte 120 s, idle 300 s,
    /// pool idle 90 s, 8 idle connections per host, the `codex_exec` 0.169.0 profile.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            pool_idle_timeout: Duration::from_secs(90),
            max_idle_per_host: 8,
            profile: ClientProfile::default(),
            extra_ca_pem: None,
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
    /// `user-agent` header.
    pub user_agent: String,
}

impl Default for ClientProfile {
    /// The `codex exec` front end of Codex CLI 0.169.0 as captured on Debian 12.
    fn default() -> Self {
        Self {
            originator: "codex_exec".to_owned(),
            version: "0.169.0".to_owned(),
            user_agent: "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
                .to_owned(),
        }
    }
}
