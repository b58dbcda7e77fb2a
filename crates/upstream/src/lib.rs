//! codex-proxy-upstream: the transport to the Codex backend (`chatgpt.com/backend-api`) and
//! the OAuth token endpoint.
//!
//! It opens connections by hand (TCP with `TCP_NODELAY` and keepalive → optional HTTP CONNECT
//! or SOCKS5 tunnel → rustls configured to send the official client's rustls ClientHello →
//! a hyper HTTP/1 or HTTP/2 client connection with the official client's SETTINGS), pools
//! them per (proxy, scheme, host, port), sends the official Codex CLI's header set in its
//! wire order with zstd-compressed bodies, streams response bodies chunk by chunk with idle
//! and total timeouts, and classifies failures ([`UpstreamError`] answers "rate limited?
//! banned? retry?" through methods). [`CookieJar`] keeps an account's `cf_clearance`.
//!
//! It does not know client dialects, does not parse SSE (the caller feeds
//! [`StreamingResponse::chunk`] into `codex_proxy_schema::sse`), never touches the account
//! store (cookies and proxies are handed in per account), and never retries on another
//! account (that is the gateway's job). [`Upstream::websocket`] opens the WebSocket
//! responses transport (`ws.rs`, own framing with permessage-deflate).
//! `docs/transport.md` explains which of the official client's two TLS stacks we copy and why.
//!
//! Start reading at [`Upstream`] (`client.rs`), then `connector.rs` (the stages TCP →
//! `connector/tunnel.rs` → `connector/tls.rs` → hyper) and `pool.rs`.

mod accounts;
mod call;
mod client;
mod compress;
mod config;
mod connector;
mod cookies;
mod error;
mod headers;
mod pool;
mod proxy;
mod ratelimit;
mod response;
mod ws;

pub use accounts::{AccountRouting, AccountsCheck};
pub use call::{Credentials, ResponsesCall};
pub use client::Upstream;
pub use compress::compress_body;
pub use config::{ClientProfile, UpstreamConfig};
pub use cookies::{CF_CLEARANCE, CookieJar, StoredCookie};
pub use error::{TimeoutKind, UpstreamError};
pub use proxy::{Proxy, ProxyKind};
pub use ratelimit::{RateLimitSnapshot, RateLimitWindow, RateLimitWindows};
pub use response::{BufferedResponse, StreamingResponse};
pub use ws::{WsCall, WsSession, WsTurn};
