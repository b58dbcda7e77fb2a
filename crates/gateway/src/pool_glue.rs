//! The gateway's use of the account pool: opening it from config, leasing with session
//! affinity and the OAuth refresher, mapping pool errors to [`GatewayError`], turning
//! upstream failures into pool [`Outcome`]s and `x-codex-*` headers into quota snapshots.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codex_proxy_pool::{
    AccountId, AcquireRequest, Lease, Outcome, Pool, PoolConfig, PoolError, QuotaSnapshot,
    QuotaWindow, UsageDelta,
};
use codex_proxy_upstream::{Credentials, RateLimitSnapshot, RateLimitWindow, UpstreamError};

use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::state::AppState;

/// The pool settings derived from the gateway config (also used by the CLI).
pub fn pool_config(config: &GatewayConfig) -> PoolConfig {
    let a = &config.accounts;
    PoolConfig {
        refresh_margin: config.auth.refresh_margin,
        rate_limit_backoff: config.auth.rate_limit_backoff,
        strategy: a.strategy,
        max_concurrent_per_account: a.max_concurrent_per_account,
        refresh_concurrency: a.refresh_concurrency,
        skip_exhausted: a.skip_exhausted,
        warning_thresholds: a.warning_thresholds.clone(),
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

/// Leases an account for `model` without session affinity.
pub(crate) async fn acquire(state: &AppState, model: &str) -> Result<Lease, GatewayError> {
    acquire_for(state, model, None).await
}

/// Leases an account for `model`; `session` keeps a conversation on one account.
pub(crate) async fn acquire_for(
    state: &AppState,
    model: &str,
    session: Option<&str>,
) -> Result<Lease, GatewayError> {
    acquire_excluding(state, model, session, &[]).await
}

/// Leases an account for `model`; `session` keeps a conversation on one account. Refuses
/// first when the caller's client key may not use `model`; never picks an `exclude`d account.
pub(crate) async fn acquire_excluding(
    state: &AppState,
    model: &str,
    session: Option<&str>,
    exclude: &[AccountId],
) -> Result<Lease, GatewayError> {
    crate::auth::check_model(state, model)?;
    let now = SystemTime::now();
    let req = AcquireRequest {
        model,
        session_key: session,
        exclude,
        now,
    };
    let refresher: Option<&dyn codex_proxy_pool::Refresher> = if state.config.auth.refresh_enabled {
        Some(&state.refresher)
    } else {
        None
    };
    let result = match refresher {
        Some(r) => state.pool.acquire_for(req, r).await,
        None => state.pool.acquire_for(req, &NoRefresh).await,
    };
    result.map_err(|e| lease_error(&e, now))
}

/// `auth.refresh_enabled: false`: refreshes fail transiently (the account keeps its token).
struct NoRefresh;

impl codex_proxy_pool::Refresher for NoRefresh {
    fn refresh<'a>(
        &'a self,
        _refresh_token: &'a str,
    ) -> codex_proxy_pool::oauth::BoxFuture<
        'a,
        Result<codex_proxy_pool::TokenSet, codex_proxy_pool::RefreshError>,
    > {
        Box::pin(async {
            Err(codex_proxy_pool::RefreshError::Transport(
                "token refresh is disabled (auth.refresh_enabled)".to_owned(),
            ))
        })
    }
}

/// The credentials of a lease.
pub(crate) fn credentials(lease: &Lease) -> Credentials<'_> {
    Credentials {
        access_token: lease.access_token(),
        account_id: lease.chatgpt_account_id(),
    }
}

/// Maps a failed lease: no account → 503, every account blocked for a while → one 429 with
/// the earliest reset, every account dead → 503 with the reason, busy → 503.
pub(crate) fn lease_error(e: &PoolError, now: SystemTime) -> GatewayError {
    if e.is_no_account() {
        GatewayError::NoAccount
    } else if e.is_all_unavailable() {
        match e.soonest_reset() {
            Some(at) => GatewayError::AllRateLimited {
                retry_after: Some(e.retry_after(now).unwrap_or(Duration::from_secs(1))),
                reset_at: Some(unix(at)),
            },
            None => GatewayError::NoUsableAccount {
                detail: e.to_string(),
            },
        }
    } else if e.is_busy() {
        GatewayError::NoUsableAccount {
            detail: e.to_string(),
        }
    } else if e.is_model_unsupported() {
        GatewayError::InvalidRequest(e.to_string())
    } else {
        tracing::error!(error = e.label(), "account store failed");
        GatewayError::Store
    }
}

/// Maps a pool error on an admin route.
pub(crate) fn admin_error(e: PoolError) -> GatewayError {
    if matches!(e, PoolError::NotFound) {
        GatewayError::NotFound {
            path: "account".to_owned(),
        }
    } else if e.is_client_error() {
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

/// Hands the upstream `x-codex-*` quota headers to the pool.
pub(crate) fn report_rate_limits(state: &AppState, lease: &Lease, headers: &http::HeaderMap) {
    let Some(snapshot) = RateLimitSnapshot::from_headers(headers) else {
        return;
    };
    let now = SystemTime::now();
    if let Err(e) = state
        .pool
        .record_rate_limits(lease.id(), quota_snapshot(&snapshot), now)
    {
        tracing::debug!(error = e.label(), "quota snapshot not stored");
    }
}

/// Converts upstream's header snapshot into the pool's quota snapshot.
pub(crate) fn quota_snapshot(s: &RateLimitSnapshot) -> QuotaSnapshot {
    let window = |w: Option<RateLimitWindow>| {
        w.map(|w| QuotaWindow {
            used_percent: w.used_percent,
            window_minutes: w.window_minutes,
            reset_at: w
                .reset_at
                .map(|secs| UNIX_EPOCH + Duration::from_secs(secs)),
        })
    };
    QuotaSnapshot {
        primary: window(s.codex.primary),
        secondary: window(s.codex.secondary),
        limit_reached: s.rate_limit_reached_type.is_some(),
        ..QuotaSnapshot::default()
    }
}

/// The pool outcome of a failed upstream call, `None` when the account is not to blame and
/// nothing is to be recorded (a client error, a broken transport).
pub(crate) fn outcome_for(e: &UpstreamError, now: SystemTime) -> Option<Outcome> {
    let until = || e.reset_after_at(now).map(|d| now + d);
    if e.is_rate_limited() {
        Some(Outcome::RateLimited { until: until() })
    } else if e.is_quota_exhausted() {
        Some(Outcome::QuotaExhausted { until: until() })
    } else if e.is_auth() {
        Some(Outcome::Unauthorized)
    } else if e.is_banned() {
        Some(Outcome::Banned)
    } else if e.is_cloudflare() || e.is_path_blocked() {
        Some(Outcome::Cloudflare)
    } else if matches!(e.status(), Some(503 | 529)) {
        Some(Outcome::Overloaded)
    } else if e.status().is_some_and(|s| s >= 500) {
        Some(Outcome::ServerError)
    } else {
        None
    }
}

/// Records a failed attempt against the account when the account is to blame.
pub(crate) fn report_failure(state: &AppState, lease: &Lease, e: &UpstreamError) {
    let now = SystemTime::now();
    if let Some(outcome) = outcome_for(e, now) {
        state.pool.report(lease, outcome, now);
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
