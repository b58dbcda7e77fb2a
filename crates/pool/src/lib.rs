//! codex-proxy-pool: the ChatGPT accounts the proxy serves requests with.
//!
//! It stores accounts in redb (`<data_dir>/codex-proxy.redb`) with their tokens encrypted at
//! rest (ChaCha20-Poly1305, key in `<data_dir>/codex-proxy.key`), decodes JWT claims, imports
//! the official Codex CLI `auth.json` and the reference proxy's export formats, and leases an
//! account per request — refreshing an expiring access token once, through a [`Refresher`]
//! the caller provides. It does not speak HTTP (no OAuth login, no token endpoint calls of its
//! own), does not read the clock (every time-dependent call takes `now`), and never exposes
//! redb types. Rotation strategies beyond least-recently-used, quota windows and plan routing
//! come later.
//!
//! Start reading at [`Pool`]: [`Pool::open`], [`Pool::add_tokens`], [`Pool::import`],
//! [`Pool::acquire`] and [`Pool::report`]. Errors are [`PoolError`] (answering questions
//! through `is_*` methods) and [`RefreshError`].

mod account;
mod crypto;
mod error;
mod import;
mod jwt;
mod pool;
mod store;
mod strategy;
mod time;

pub use account::{AccountId, AccountStatus, AccountSummary, Usage, UsageDelta};
pub use error::{PoolError, RefreshError, TokenError};
pub use import::{ExportEntry, ExportFile, ImportReport};
pub use jwt::Claims;
pub use pool::{Lease, Outcome, Pool, PoolConfig, Refresher, TokenSet};
pub use strategy::Strategy;
