//! codex-proxy-pool: the ChatGPT accounts the proxy serves requests with.
//!
//! It stores accounts in redb (`<data_dir>/codex-proxy.redb`) with their tokens and cookies
//! encrypted at rest (ChaCha20-Poly1305, key in `<data_dir>/codex-proxy.key`), decodes JWT
//! claims, imports the official Codex CLI `auth.json` and the reference proxy's export
//! formats, and leases an account per request: rotation strategies, plan routing, session
//! affinity, per-account concurrency slots, quota tracking and failover outcomes. It
//! refreshes tokens (on demand and on a jittered schedule) through a [`Refresher`], builds
//! the official client's OAuth requests ([`oauth`]) and keeps client API keys (hashed).
//!
//! It does not speak HTTP itself (OAuth calls go through an injected
//! [`oauth::OAuthTransport`], refreshes through a [`Refresher`]), does not read the clock
//! (every time-dependent call takes `now`; waits use `tokio::time`), spawns no tasks (the
//! gateway drives [`Pool::refresh_due`] from one owned task) and never exposes redb types.
//!
//! Start reading at [`Pool`]: [`Pool::open`], [`Pool::acquire_for`], [`Pool::report`],
//! [`Pool::refresh_due`]. Errors are [`PoolError`] (answering questions through `is_*`
//! methods), [`RefreshError`], [`LoginError`] and [`KeyError`].

mod account;
mod affinity;
mod cookie;
mod crypto;
mod error;
mod import;
mod jwt;
mod keys;
pub mod oauth;
mod pool;
mod quota;
mod slots;
mod store;
mod strategy;
mod time;

pub use account::{AccountId, AccountStatus, AccountSummary, Usage, UsageDelta};
pub use cookie::Cookie;
pub use error::{KeyError, LoginError, PoolError, RefreshError, TokenError, TransportError};
pub use import::{ExportEntry, ExportFile, ImportReport};
pub use jwt::Claims;
pub use keys::{ClientKeyInfo, KeyId, constant_time_eq};
pub use pool::{
    AcquireRequest, Lease, Outcome, Pool, PoolConfig, RefreshReason, RefreshReport, Refresher,
    TokenSet,
};
pub use quota::{
    QuotaSnapshot, QuotaWarning, QuotaWindow, QuotaWindowKind, WarningLevel, WarningThresholds,
};
pub use strategy::Strategy;
