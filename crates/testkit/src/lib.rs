//! codex-proxy-testkit: a strict, deterministic fake of the ChatGPT Codex backend and of the
//! OpenAI OAuth server, for tests, `xtask` and benchmarks.
//!
//! It serves the real paths (`/backend-api/codex/responses`, `/responses/compact`,
//! `/codex/models`, `/wham/usage`, `/wham/accounts/check`, `/oauth/authorize`, `/oauth/token`)
//! over loopback HTTP/1.1 and HTTP/2 (cleartext). It rejects what the real backend rejects
//! (see [`validate`]'s field lists), answers with an *echo model* (`echo: <last user text>`,
//! tool calls via `[[tool:NAME {args}]]`, `tool result: …` after tool output, a reasoning item
//! when `reasoning.effort` is set), and injects faults by marker (`[[fault:429]]`, …) or per
//! account (`POST /__mock/faults`). WebSocket upgrades get 426 (clients fall back to HTTPS)
//! unless [`MockServer::enable_websocket`] turns on a small responses-over-WebSocket endpoint
//! (own framing, accepts permessage-deflate; [`MockServer::set_websocket_options`]);
//! it decodes zstd request bodies as the official client sends
//! them (other encodings get 415), and must never be a dependency of non-test code. It can also
//! serve HTTPS with a CA generated at start ([`TestCa`], [`MockServer::start_tls`]), and
//! [`proxy`] holds tiny HTTP CONNECT and SOCKS5 proxies for transport tests.
//!
//! Start reading at [`MockServer`] (in-process use) and `src/main.rs` (the `codex-mock` binary);
//! the request path is `router` → `responses` (auth, validation, admission) → `echo` (the
//! answer as a plan) → `sse` (paced event rendering).

mod auth;
mod body;
mod config;
mod echo;
mod endpoints;
mod error;
mod events;
mod extras;
mod fault;
mod image;
mod json;
mod jwt;
mod oauth;
mod plan;
pub mod proxy;
mod record;
mod replay;
mod responses;
mod router;
mod server;
mod sse;
mod state;
mod structured;
mod tls;
pub mod validate;
mod ws;

pub use auth::ACCOUNT_HEADER;
pub use config::{DEFAULT_MODELS, MockConfig};
pub use error::MockError;
pub use fault::Fault;
pub use jwt::{AUTH_CLAIM, CLIENT_ID, JwtClaims, PROFILE_CLAIM, mint_jwt, redact_secret};
pub use record::{RecordedRequest, redact_authorization};
pub use server::MockServer;
pub use state::{AccountStats, MockStats};
pub use tls::{TEST_NAMES, TestCa};
pub use ws::{WsOptions, WsStats};
