//! Reporting the outcome of a leased request back to the pool.

use std::time::SystemTime;

use super::{Pool, secs_after};
use crate::account::{AccountStatus, UsageDelta, unix_secs};
use crate::error::PoolError;
use crate::pool::Lease;

/// How a request made with a [`Lease`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The request succeeded; counters are updated.
    Success {
        /// Token usage of the request.
        usage: UsageDelta,
    },
    /// Upstream said 429: skip the account until `until` (or `rate_limit_backoff` from now).
    RateLimited {
        /// When the limit resets, if upstream said.
        until: Option<SystemTime>,
    },
    /// Upstream rejected the access token (401): refresh it before the next use, or mark
    /// the account expired if it has no refresh token.
    Unauthorized,
    /// Upstream says the account is banned or deactivated.
    Banned,
}

impl Pool {
    /// Records the outcome of a request. Storage failures are logged, and the in-memory
    /// state is updated regardless so selection reacts at once.
    pub fn report(&self, lease: &Lease, outcome: Outcome, now: SystemTime) {
        let backoff = self.inner.cfg.rate_limit_backoff;
        let now_secs = unix_secs(now);
        // Counter-only updates need not be fsynced; status changes must be.
        let durable = !matches!(outcome, Outcome::Success { .. });
        let mut state = self.state();
        let Some(index) = state.position(lease.id()) else {
            return;
        };
        let account = &mut state.accounts[index];
        let m = &mut account.meta;
        match outcome {
            Outcome::Success { usage } => {
                let u = &mut m.usage;
                u.request_count += 1;
                u.input_tokens += usage.input_tokens;
                u.output_tokens += usage.output_tokens;
                u.cached_tokens += usage.cached_tokens;
                u.last_used = Some(now_secs);
                if m.status == AccountStatus::RateLimited {
                    m.status = AccountStatus::Active;
                    m.rate_limited_until = None;
                }
            }
            Outcome::RateLimited { until } => {
                if matches!(m.status, AccountStatus::Active | AccountStatus::RateLimited) {
                    let until = until.map_or_else(|| secs_after(now, backoff), unix_secs);
                    // Never shrink a later reset already known.
                    let current = m.rate_limited_until.filter(|&u| u > now_secs);
                    m.rate_limited_until = Some(current.map_or(until, |c| c.max(until)));
                    m.status = AccountStatus::RateLimited;
                }
            }
            Outcome::Unauthorized => {
                if account.secrets.refresh_token.is_some() {
                    // Mark the token stale; the next acquire refreshes it.
                    m.expires_at = Some(now_secs);
                } else if m.status != AccountStatus::Banned {
                    m.status = AccountStatus::Expired;
                    m.status_reason = Some("upstream rejected the access token (401)".to_owned());
                }
            }
            Outcome::Banned => {
                m.status = AccountStatus::Banned;
                m.status_reason =
                    Some("upstream reported the account banned or deactivated".to_owned());
            }
        }
        if let Err(err) = self
            .inner
            .store
            .write(&[&state.accounts[index]], &[], durable)
        {
            log_write_failure(lease, &err);
        }
    }
}

fn log_write_failure(lease: &Lease, err: &PoolError) {
    tracing::warn!(account = %lease.id(), error = %err, "could not persist account update");
}
