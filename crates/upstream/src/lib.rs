//! codex-proxy-upstream: the transport to the Codex backend (`chatgpt.com/backend-api`) and
//! the OAuth token endpoint.
//!
//! It opens connections by hand (TCP with `TCP_NODELAY` and keepalive → rustls with ALPN
//! `h2`,`http/1.1` → a hyper HTTP/1 or HTTP/2 client connection), pools them per
//! (scheme, host, port), sends the official Codex CLI's header set in its wire order, streams
//! response bodies chunk by chunk with an idle timeout, and classifies failures
//! ([`UpstreamError`] answers "rate limited? banned? retry?" through methods).
//!
//! It does not know client dialects, does not parse SSE (the caller feeds
//! [`StreamingResponse::chunk`] into `codex_proxy_schema::sse`), never touches the account
//! store, and never retries on another account (that is the gateway's job). Not yet here:
//! ClientHello fingerprint fidelity, zstd request bodies (the official client compresses
//! bodies; that comes with the fingerprint work, bodies are plain JSON for now), proxies,
//! cookies and the WebSocket transport.
//!
//! Start reading at [`Upstream`] (`client.rs`), then `connector.rs` (the stages TCP →
//! proxy (later) → TLS → hyper) and `pool.rs`.

mod call;
mod client;
mod config;
mod connector;
mod error;
mod headers;
mod pool;
mod ratelimit;
mod response;

pub use call::{Credentials, ResponsesCall};
pub use client::Upstream;
pub use config::{ClientProfile, UpstreamConfig};
pub use error::{TimeoutKind, UpstreamError};
pub use ratelimit::{RateLimitSnapshot, RateLimitWindow, RateLimitWindows};
pub use response::{BufferedResponse, StreamingResponse};
