//! codex-proxy-gateway: the thin hyper server that composes the other crates.
//!
//! It serves HTTP/1.1 and h2c, checks the proxy API key, bounds request bodies, and runs the
//! request path: translate the client's body ([`codex_proxy_translate`]), lease an account
//! ([`codex_proxy_pool`]), call the Codex backend ([`codex_proxy_upstream`]) with failover before
//! the first byte, then stream translated chunks back (heartbeats, cancellation on disconnect)
//! or assemble one non-stream answer. It also serves the model list and the account admin
//! routes, and shuts down gracefully. Errors become HTTP responses in one place, [`error`].
//!
//! It does not translate (that is `translate`), speak HTTP to the backend by itself (`upstream`),
//! store accounts (`pool`), or read the environment, arguments or `$HOME` (the binary does).
//!
//! Start reading at [`Gateway::start`] (`server.rs`), then `router.rs` and `chat.rs`;
//! configuration is [`GatewayConfig`] (`config.rs`, raw keys in `config/raw.rs`).

mod accounts;
mod attempt;
mod auth;
pub mod body;
pub mod catalog;
mod chat;
pub mod config;
pub mod error;
mod events;
pub mod keys;
mod models;
mod pool_glue;
mod refresher;
mod router;
mod server;
mod state;
mod stream_body;

pub use config::{ConfigError, GatewayConfig, ProxyApiKey, RawConfig};
pub use error::{Dialect, GatewayError};
pub use pool_glue::pool_config;
pub use server::{Gateway, RunningGateway, ShutdownReport, StartError};
