//! Reporting the outcome of a leased request back to the pool (upstream-codex.md §14).

use std::time::{Duration, SystemTime};

use super::{Pool, secs_after};
use crate::account::{Account, AccountStatus, UsageDelta, unix_secs};
use crate::error::PoolError;
use crate::pool::Lease;

/// Cloudflare challenge cooldowns: 1st, 2nd, 3rd, 4th and later challenge in a streak.
const CF_LADDER: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(300),
    Duration::from_secs(900),
    Duration::from_secs(3600),
];
/// A streak ends after this long without a challenge (counted from the last cooldown's end).
const CF_STREAK_RESET: Duration = Duration::from_secs(3600);
/// Backoff after `server_is_overloaded` / 503: the account is not at fault.
const OVERLOADED_BACKOFF: Duration = Duration::from_secs(5);
/// Backoff after another 5xx.
const SERVER_ERROR_BACKOFF: Duration = Duration::from_secs(2);

/// How a request made with a [`Lease`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The request succeeded; counters are updated and temporary marks cleared.
    Success {
        /// Token usage of the request.
        usage: UsageDelta,
    },
    /// Upstream said 429 / `usage_limit_reached`: skip the account until `until` (or
    /// `rate_limit_backoff` from now). A later known reset is never shortened.
    RateLimited {
        /// When the limit resets, if upstream said.
        until: Option<SystemTime>,
    },
    /// Upstream said 402 (quota exhausted): skip the account until `until`; without a
    /// reset time until new tokens arrive or the account is re-enabled.
    QuotaExhausted {
        /// When the quota resets, if upstream said.
        until: Option<SystemTime>,
    },
    /// Upstream rejected the access token (401): refresh it before the next use, or mark
    /// the account expired if it has no refresh token.
    Unauthorized,
    /// Upstream says the account is banned or deactivated (403 that is not Cloudflare).
    Banned,
    /// A Cloudflare challenge: cool down 1, 5, 15, then 60 minutes for successive
    /// challenges (the streak resets after an hour of quiet or on success). Not a ban.
    Cloudflare,
    /// `server_is_overloaded` / 503: rest the account a few seconds (not its fault).
    Overloaded,
    /// Another 5xx: rest the account two seconds.
    ServerError,
}

impl Pool {
    /// Records the outcome of a request. Storage failures are logged, and the in-memory
    /// state is updated regardless so selection reacts at once.
    pub fn report(&self, lease: &Lease, outcome: Outcome, now: SystemTime) {
        let backoff = self.inner.cfg.rate_limit_backoff;
        // Counter-only and in-memory updates need not be fsynced; status changes must be.
        let durable = matches!(
            outcome,
            Outcome::RateLimited { .. }
                | Outcome::QuotaExhausted { .. }
                | Outcome::Unauthorized
                | Outcome::Banned
        );
        let persist = !matches!(
            outcome,
            Outcome::Cloudflare | Outcome::Overloaded | Outcome::ServerError
        );
        // A success only moves counters: memory now, disk at the next flush, so the request
        // path never waits on a write transaction.
        let deferred = matches!(outcome, Outcome::Success { .. });
        let mut state = self.state();
        let Some(index) = state.position(lease.id()) else {
            return;
        };
        let account = &mut state.accounts[index];
        apply(account, outcome, now, backoff);
        if !persist {
            return;
        }
        if deferred {
            drop(state);
            self.mark_dirty(lease.id());
            return;
        }
        if let Err(err) = self.inner.store.write(&[account], &[], durable) {
            log_write_failure(lease, &err);
        }
    }
}

fn apply(account: &mut Account, outcome: Outcome, now: SystemTime, backoff: Duration) {
    let now_secs = unix_secs(now);
    let has_refresh = account.secrets.refresh_token.is_some();
    let rt = &mut account.rt;
    let m = &mut account.meta;
    let lock = |m: &mut crate::account::AccountMeta, until: u64, status| {
        // Never shrink a later reset already known.
        let current = m.rate_limited_until.filter(|&u| u > now_secs);
        m.rate_limited_until = Some(current.map_or(until, |c| c.max(until)));
        m.status = status;
    };
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
            rt.cf_strikes = 0;
            rt.cf_last = None;
            rt.cooldown_until = None;
        }
        Outcome::RateLimited { until } => {
            if matches!(m.status, AccountStatus::Active | AccountStatus::RateLimited) {
                let until = until.map_or_else(|| secs_after(now, backoff), unix_secs);
                lock(m, until, AccountStatus::RateLimited);
            }
        }
        Outcome::QuotaExhausted { until } => {
            if matches!(
                m.status,
                AccountStatus::Active | AccountStatus::RateLimited | AccountStatus::QuotaExhausted
            ) {
                match until {
                    Some(until) => lock(m, unix_secs(until), AccountStatus::QuotaExhausted),
                    None => {
                        m.status = AccountStatus::QuotaExhausted;
                        m.rate_limited_until = None;
                    }
                }
                m.status_reason = Some("upstream reported the quota exhausted (402)".to_owned());
            }
        }
        Outcome::Unauthorized => {
            if has_refresh {
                // Mark the token stale; the next acquire (or the scheduler) refreshes it.
                m.expires_at = Some(now_secs);
                rt.refresh_retry_at = None;
                rt.unauthorized = true;
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
        Outcome::Cloudflare => {
            let quiet = rt
                .cooldown_until
                .or(rt.cf_last)
                .is_some_and(|last| last + CF_STREAK_RESET <= now);
            if quiet {
                rt.cf_strikes = 0;
            }
            let step = CF_LADDER[(rt.cf_strikes as usize).min(CF_LADDER.len() - 1)];
            rt.cf_strikes = rt.cf_strikes.saturating_add(1);
            rt.cf_last = Some(now);
            rt.cooldown_until = Some(now + step);
        }
        Outcome::Overloaded => rest(rt, now + OVERLOADED_BACKOFF),
        Outcome::ServerError => rest(rt, now + SERVER_ERROR_BACKOFF),
    }
}

fn rest(rt: &mut crate::account::Runtime, until: SystemTime) {
    rt.cooldown_until = Some(rt.cooldown_until.map_or(until, |c| c.max(until)));
}

fn log_write_failure(lease: &Lease, err: &PoolError) {
    tracing::warn!(account = %lease.id(), error = %err, "could not persist account update");
}
