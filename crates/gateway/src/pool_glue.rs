//! The gateway's use of the account pool: opening it from config, leasing with the OAuth
//! refresher, mapping pool errors to [`GatewayError`], and reporting outcomes.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codex_proxy_pool::{Lease, Outcome, Pool, PoolConfig, PoolError, UsageDelta};
use codex_proxy_upstream::{Credentials, StreamingResponse, UpstreamError};

use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::state::AppState;

/// How long an account rests after a Cloudflare challenge or path block.
const CHALLENGE_COOLDOWN: Duration = Duration::from_secs(30);

/// The pool settings derived from the gateway config (also used by the CLI).
pub fn pool_config(config: &GatewayConfig) -> PoolConfig {
    PoolConfig {
        refresh_margin: config.auth.refresh_margin,
        rate_limit_backoff: config.auth.rate_limit_backoff,
        ..PoolConfig::default()
    }
}

/// Opens the pool and adds `auth.jwt_token` if configured.
pub(crate) fn open(config: &GatewayConfig, data_dir: &Path) -> Result<Pool, PoolError> {
    let pool = Pool::open(data_dir, pool_config(config))?;
    if let Some(token) = &config.auth.jwt_token {
        match pool.add_tokens(Some(token), None, Some("auth.jwt_token"), SystemTime::now()) {
            Ok(summary) => {
                tracing::info!(account = %summary.id, "added the account from auth.jwt_token")
            }
            Err(e) => tracing::warn!(error = e.label(), "auth.jwt_token was not added"),
        }
    }
    Ok(pool)
}

/// `(total, usable now)` account counts.
pub(crate) fn counts(pool: &Pool) -> (usize, usize) {
    let list = pool.list().unwrap_or_default();
    let active = list
        .iter()
        .filter(|a| a.status == codex_proxy_pool::AccountStatus::Active)
        .count();
    (list.len(), active)
}

/// Leases an account for `model`.
pub(crate) async fn acquire(state: &AppState, model: &str) -> Result<Lease, GatewayError> {
    let now = SystemTime::now();
    state
        .pool
        .acquire(model, now, &state.refresher)
        .await
        .map_err(|e| lease_error(&e, now))
}

/// The credentials of a lease.
pub(crate) fn credentials(lease: &Lease) -> Credentials<'_> {
    Credentials {
        access_token: lease.access_token(),
        account_id: lease.chatgpt_account_id(),
    }
}

fn lease_error(e: &PoolError, now: SystemTime) -> GatewayError {
    if e.is_no_account() {
        GatewayError::NoAccount
    } else if e.is_all_unavailable() {
        match e.soonest_reset() {
            Some(at) => GatewayError::AllRateLimited {
                retry_after: at.duration_since(now).ok(),
            },
            None => GatewayError::NoUsableAccount {
                detail: e.to_string(),
            },
        }
    } else {
        tracing::error!(error = e.label(), "account store failed");
        GatewayError::Store
    }
}

/// Maps a pool error on an admin route.
pub(crate) fn admin_error(e: PoolError) -> GatewayError {
    if e.is_client_error() {
        GatewayError::InvalidRequest(e.to_string())
    } else {
        tracing::error!(error = e.label(), "account store failed");
        GatewayError::Store
    }
}

/// Records a successful response's usage.
pub(crate) fn report_success(state: &AppState, lease: &Lease, usage: UsageDelta) {
    state
        .pool
        .report(lease, Outcome::Success { usage }, SystemTime::now());
}

/// Hands the upstream `x-codex-*` quota headers to the pool. The pool has no quota-window API
/// yet, so only an exhausted primary window is acted on: the account rests until its reset.
pub(crate) fn report_rate_limits(state: &AppState, lease: &Lease, response: &StreamingResponse) {
    let Some(snapshot) = response.rate_limits() else {
        return;
    };
    let Some(primary) = snapshot.codex.primary else {
        return;
    };
    if primary.used_percent < 100.0 {
        return;
    }
    let until = primary
        .reset_at
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
    tracing::info!(account = %lease.id(), "primary quota window exhausted; resting the account");
    state
        .pool
        .report(lease, Outcome::RateLimited { until }, SystemTime::now());
}

/// Records a failed attempt against the account when the account is to blame.
pub(crate) fn report_failure(state: &AppState, lease: &Lease, e: &UpstreamError) {
    let now = SystemTime::now();
    let outcome = if e.is_rate_limited() || e.is_quota_exhausted() {
        // The pool has no separate quota state yet: an exhausted quota rests like a 429.
        Outcome::RateLimited {
            until: e.reset_after_at(now).map(|d| now + d),
        }
    } else if e.is_auth() {
        Outcome::Unauthorized
    } else if e.is_banned() {
        Outcome::Banned
    } else if e.is_cloudflare() || e.is_path_blocked() {
        // No cooldown state in the pool yet: rest the account briefly.
        Outcome::RateLimited {
            until: Some(now + CHALLENGE_COOLDOWN),
        }
    } else {
        return;
    };
    state.pool.report(lease, outcome, now);
}
