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
//! configuration is [`GatewayConfig`] (`config.rs`, raw keys in `config/raw.rs`); hot reload
//! ([`RunningGateway::reload`], [`ReloadSource`]) is `reload.rs`, the settings routes that write
//! `<data-dir>/local.yaml` are `settings.rs`.

mod account_proxy;
mod accounts;
mod admin;
mod anthropic;
mod attempt;
mod auth;
pub mod body;
pub mod catalog;
mod chat;
pub mod config;
mod dialect;
pub mod error;
mod events;
mod gemini;
pub mod keys;
pub mod local_yaml;
pub mod login;
mod models;
mod ollama;
mod pool_glue;
pub mod refresher;
pub mod reload;
mod responses;
mod responses_ws;
mod router;
mod scheduler;
mod server;
mod settings;
mod state;
mod stream_body;
mod transport;
mod ws_turn;

pub use config::{ConfigError, GatewayConfig, OllamaConfig, ProxyApiKey, RawConfig};
pub use error::{Dialect, GatewayError, ReloadError};
pub use pool_glue::pool_config;
pub use refresher::{UpstreamOAuth, oauth_config};
pub use reload::{ReloadReport, ReloadSource};
pub use server::{Gateway, RunningGateway, ShutdownReport, StartError};
