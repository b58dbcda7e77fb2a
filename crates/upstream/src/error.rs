//! `UpstreamError`: every way a call to the backend can fail, with predicates that answer
//! "who is to blame and what do we do next" so callers never match on strings.

mod classify;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderMap;

/// Which timer fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    /// DNS + TCP + TLS + HTTP handshake of a new connection took too long.
    Connect,
    /// The response head did not arrive in time.
    FirstByte,
    /// The body went silent for longer than the idle timeout.
    Idle,
    /// The whole call (connect to last body byte) exceeded the total timeout.
    Total,
}

/// Error of a call to the Codex backend or the OAuth endpoint. Never carries the access token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The backend answered with a non-2xx status. `body` holds at most 1 MiB of it.
    #[error("upstream answered with status {status}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Response headers (rate-limit and Cloudflare signals live here); boxed to keep the
        /// error small.
        headers: Box<HeaderMap>,
        /// The first bytes of the body (at most 1 MiB).
        body: Bytes,
    },
    /// DNS resolution or the TCP connect failed.
    #[error("cannot connect to upstream")]
    Connect(#[source] std::io::Error),
    /// The proxy tunnel could not be opened (refused, bad credentials, malformed answer).
    #[error("proxy tunnel failed: {reason}")]
    Proxy {
        /// What went wrong.
        reason: &'static str,
        /// The proxy's HTTP status (CONNECT) or SOCKS5 reply code, when it sent one.
        status: Option<u16>,
    },
    /// The TLS handshake failed.
    #[error("tls handshake with upstream failed")]
    Tls(#[source] std::io::Error),
    /// A timer fired.
    #[error("upstream timed out ({0:?})")]
    Timeout(TimeoutKind),
    /// The HTTP exchange broke (connection reset, malformed response, stream reset, ...).
    #[error("upstream http exchange failed")]
    Protocol(#[source] hyper::Error),
    /// The WebSocket protocol failed (a `101` we cannot accept, a bad frame, bad compressed
    /// data, an oversized message, a stream cut without a close frame, ...).
    #[error("upstream websocket failed: {reason}")]
    WebSocket {
        /// What went wrong.
        reason: &'static str,
    },
    /// A successful response body was larger than the cap of the buffered call.
    #[error("upstream body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The URL or path given to the call cannot be used.
    #[error("invalid upstream url: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A value given for a request header is not a valid header value.
    #[error("invalid value for header {name}")]
    InvalidHeader {
        /// Name of the header.
        name: &'static str,
    },
    /// A 2xx body that must be JSON of a known shape is not.
    #[error("upstream sent a malformed {what}")]
    Malformed {
        /// Which body.
        what: &'static str,
    },
    /// The transport could not be set up (TLS roots, extra CA).
    #[error("invalid upstream configuration: {reason}")]
    Config {
        /// What is wrong with it.
        reason: String,
    },
}

impl UpstreamError {
    /// HTTP status of a non-2xx answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Body of a non-2xx answer (at most 1 MiB).
    pub fn body(&self) -> Option<&[u8]> {
        match self {
            Self::Status { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Headers of a non-2xx answer.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Self::Status { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// A fresh attempt (new connection, same or another account) may succeed: 5xx, connect and
    /// TLS failures, timeouts, broken exchanges. The caller still retries only before it has
    /// written anything to its own client.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500,
            Self::Connect(_)
            | Self::Proxy { .. }
            | Self::Tls(_)
            | Self::Timeout(_)
            | Self::Protocol(_)
            | Self::WebSocket { .. } => true,
            Self::BodyTooLarge { .. }
            | Self::Malformed { .. }
            | Self::InvalidUrl { .. }
            | Self::InvalidHeader { .. }
            | Self::Config { .. } => false,
        }
    }

    /// The account is to blame: rate limited, out of quota, auth gone, banned, or challenged by
    /// Cloudflare. Retry on another account and record the outcome against this one.
    pub fn is_account_fault(&self) -> bool {
        self.is_rate_limited()
            || self.is_quota_exhausted()
            || self.is_auth()
            || self.is_banned()
            || self.is_cloudflare()
            || self.is_path_blocked()
    }

    /// 429, or an error code/type `usage_limit_reached` / `rate_limit_exceeded` in the body.
    pub fn is_rate_limited(&self) -> bool {
        let Self::Status { status, body, .. } = self else {
            return false;
        };
        *status == 429
            || classify::error_code_is(body, &["usage_limit_reached", "rate_limit_exceeded"])
    }

    /// 402, or error code/type `quota_exhausted`: the plan's quota is gone until it renews.
    pub fn is_quota_exhausted(&self) -> bool {
        let Self::Status { status, body, .. } = self else {
            return false;
        };
        *status == 402 || (*status != 429 && classify::error_code_is(body, &["quota_exhausted"]))
    }

    /// 401 that is not a deactivation: the access token is expired or revoked; refresh it.
    pub fn is_auth(&self) -> bool {
        let Self::Status { status, body, .. } = self else {
            return false;
        };
        *status == 401 && !classify::mentions_deactivated(body)
    }

    /// The account is banned: 401 mentioning `deactivated`, or a 403 that is neither a
    /// Cloudflare challenge nor an HTML page.
    pub fn is_banned(&self) -> bool {
        let Self::Status {
            status,
            headers,
            body,
        } = self
        else {
            return false;
        };
        match *status {
            401 => classify::mentions_deactivated(body),
            403 => !classify::is_cloudflare(headers, body) && !classify::is_html(body),
            _ => false,
        }
    }

    /// A 403 Cloudflare challenge: challenge markers in the headers (`cf-mitigated`, ...) or the
    /// body, or an HTML page. Cool the account down; it is not banned.
    pub fn is_cloudflare(&self) -> bool {
        let Self::Status {
            status,
            headers,
            body,
        } = self
        else {
            return false;
        };
        *status == 403 && (classify::is_cloudflare(headers, body) || classify::is_html(body))
    }

    /// A 404 with an empty body: Cloudflare's silent path block for this account.
    pub fn is_path_blocked(&self) -> bool {
        let Self::Status { status, body, .. } = self else {
            return false;
        };
        *status == 404 && body.iter().all(u8::is_ascii_whitespace)
    }

    /// The WebSocket upgrade was refused (426, or any other non-101 answer that is not an
    /// account problem) or broke: serve the turn over HTTP `POST` instead, as the official
    /// client does.
    pub fn is_websocket_refused(&self) -> bool {
        match self {
            Self::Status { status, .. } => {
                *status == 426 || (!self.is_account_fault() && *status < 500)
            }
            Self::WebSocket { .. } => true,
            _ => false,
        }
    }

    /// The proxy tunnel failed: the account's proxy (not the account, not the backend) is to
    /// blame.
    pub fn is_proxy(&self) -> bool {
        matches!(self, Self::Proxy { .. })
    }

    /// Any timer fired.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// How long until the limit resets, from the body (`resets_in_seconds`, then `resets_at`)
    /// or the `retry-after` header. Uses the system clock for `resets_at`.
    pub fn reset_after(&self) -> Option<Duration> {
        self.reset_after_at(SystemTime::now())
    }

    /// [`Self::reset_after`] with an explicit clock.
    pub fn reset_after_at(&self, now: SystemTime) -> Option<Duration> {
        let Self::Status { headers, body, .. } = self else {
            return None;
        };
        classify::reset_after(headers, body, now)
    }

    /// Low-cardinality label for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Status { status, .. } => {
                if self.is_rate_limited() {
                    "rate_limited"
                } else if self.is_quota_exhausted() {
                    "quota_exhausted"
                } else if self.is_auth() {
                    "auth"
                } else if self.is_banned() {
                    "banned"
                } else if self.is_cloudflare() {
                    "cloudflare"
                } else if self.is_path_blocked() {
                    "path_blocked"
                } else if *status >= 500 {
                    "upstream_5xx"
                } else {
                    "upstream_4xx"
                }
            }
            Self::Connect(_) => "connect",
            Self::Proxy { .. } => "proxy",
            Self::Tls(_) => "tls",
            Self::Timeout(TimeoutKind::Connect) => "timeout_connect",
            Self::Timeout(TimeoutKind::FirstByte) => "timeout_first_byte",
            Self::Timeout(TimeoutKind::Idle) => "timeout_idle",
            Self::Timeout(TimeoutKind::Total) => "timeout_total",
            Self::Protocol(_) => "protocol",
            Self::WebSocket { .. } => "websocket",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::Malformed { .. } => "malformed",
            Self::InvalidUrl { .. } => "invalid_url",
            Self::InvalidHeader { .. } => "invalid_header",
            Self::Config { .. } => "config",
        }
    }
}
