//! The account background work, one owned task each in the server's task tracker (stopped
//! with it on shutdown): the token refresh scheduler (sleeps until
//! [`codex_proxy_pool::Pool::next_refresh_due`], runs `refresh_due`, re-plans when
//! `schedule_changed` fires) and the optional active quota refresh (`GET /wham/usage` per
//! account every `quota.refresh_interval_minutes`, never right after a token exchange).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use codex_proxy_pool::{AccountId, AccountStatus, QuotaSnapshot};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::GatewayError;
use crate::state::AppState;

/// Longest sleep between two looks at the schedule (covers a missed wake-up).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Pause after a refresh round that changed nothing (avoids spinning on a stuck account).
const IDLE_ROUND: Duration = Duration::from_secs(1);
/// Pause between two accounts' usage calls.
const USAGE_STAGGER: Duration = Duration::from_millis(500);
/// Time limit of one `/wham/usage` call.
const USAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// The live active-quota interval (`/admin/quota-settings` changes it).
#[derive(Debug)]
pub(crate) struct QuotaSettings {
    secs: AtomicU64,
    changed: Notify,
}

impl QuotaSettings {
    /// Starts with `interval` (zero = off).
    pub fn new(interval: Duration) -> Self {
        Self {
            secs: AtomicU64::new(interval.as_secs()),
            changed: Notify::new(),
        }
    }

    /// The interval; zero = off.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.secs.load(Ordering::Relaxed))
    }

    /// Changes the interval and wakes the quota task.
    pub fn set_interval(&self, interval: Duration) {
        self.secs.store(interval.as_secs(), Ordering::Relaxed);
        self.changed.notify_waiters();
    }
}

/// Spawns the refresh scheduler (unless `auth.refresh_enabled` is off) and the quota task.
pub(crate) fn spawn(state: &Arc<AppState>, tracker: &TaskTracker, stop: &CancellationToken) {
    if state.config.auth.refresh_enabled {
        tracker.spawn(refresh_loop(state.clone(), stop.clone()));
    }
    tracker.spawn(quota_loop(state.clone(), stop.clone()));
    tracker.spawn(flush_loop(state.clone(), stop.clone()));
}

/// How often the pool's in-memory bookkeeping (usage counters, passive quota) is written.
const FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// Writes the pool's hot-path bookkeeping every [`FLUSH_INTERVAL`] and once more at shutdown,
/// so requests never wait on a database write for counters.
async fn flush_loop(state: Arc<AppState>, stop: CancellationToken) {
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(FLUSH_INTERVAL) => false,
            () = stop.cancelled() => true,
        };
        if let Err(err) = state.pool.flush() {
            tracing::warn!(error = %err, "could not write usage counters");
        }
        if stopping {
            return;
        }
    }
}

async fn refresh_loop(state: Arc<AppState>, stop: CancellationToken) {
    loop {
        let changed = state.pool.schedule_changed();
        tokio::pin!(changed);
        let now = SystemTime::now();
        let wait = state
            .pool
            .next_refresh_due(now)
            .map_or(MAX_SLEEP, |(_, at)| {
                at.duration_since(now).unwrap_or_default()
            })
            .min(MAX_SLEEP);
        if wait.is_zero() {
            let idle = match state.pool.refresh_due(now, &state.refresher).await {
                Ok(report) => {
                    if !report.expired.is_empty() {
                        tracing::warn!(count = report.expired.len(), "accounts need a new login");
                    }
                    tracing::debug!(
                        refreshed = report.refreshed.len(),
                        retrying = report.retrying.len(),
                        "refresh round"
                    );
                    report.refreshed.is_empty() && report.expired.is_empty()
                }
                Err(e) => {
                    tracing::warn!(error = e.label(), "refresh round failed");
                    true
                }
            };
            if !idle {
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(IDLE_ROUND) => {}
            }
            continue;
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
            () = &mut changed => {}
        }
    }
}

async fn quota_loop(state: Arc<AppState>, stop: CancellationToken) {
    loop {
        let changed = state.quota.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let interval = state.quota.interval();
        if interval.is_zero() {
            tokio::select! {
                () = stop.cancelled() => break,
                () = &mut changed => continue,
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
            () = &mut changed => continue,
        }
        let accounts = state.pool.list().unwrap_or_default();
        for a in accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Active)
        {
            let now = SystemTime::now();
            if !state.pool.usage_fetch_allowed(&a.id, now) {
                continue;
            }
            if let Err(e) = fetch_quota(&state, &a.id, now).await {
                tracing::info!(account = %a.id, error = e.label(), "quota refresh failed");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(USAGE_STAGGER) => {}
            }
        }
    }
}

/// `GET /wham/usage` with one account's credentials; stores and returns the snapshot and the
/// raw body. Refused for an unusable account and right after a token exchange.
pub(crate) async fn fetch_quota(
    state: &AppState,
    id: &AccountId,
    now: SystemTime,
) -> Result<(QuotaSnapshot, serde_json::Value), GatewayError> {
    if state.pool.get(id).is_none() {
        return Err(GatewayError::NotFound {
            path: format!("/auth/accounts/{id}"),
        });
    }
    let lease = state.pool.lease_account(id, now).ok_or_else(|| {
        GatewayError::InvalidRequest(
            "the account is not active (no usable access token)".to_owned(),
        )
    })?;
    if !state.pool.usage_fetch_allowed(id, now) {
        return Err(GatewayError::InvalidRequest(
            "the account just exchanged its tokens; usage is checked again a few minutes later"
                .to_owned(),
        ));
    }
    let creds = crate::pool_glue::credentials(&lease);
    let resp = match tokio::time::timeout(
        USAGE_TIMEOUT,
        state
            .transport
            .for_lease(state, &lease)
            .get("/wham/usage", &creds),
    )
    .await
    {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => {
            crate::pool_glue::report_failure(state, &lease, &e);
            return Err(GatewayError::Upstream(e));
        }
        Err(_) => return Err(GatewayError::Internal("usage request timed out")),
    };
    let snapshot = state
        .pool
        .record_usage_json(id, &resp.body, now)
        .map_err(crate::pool_glue::admin_error)?;
    let raw = serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null);
    Ok((snapshot, raw))
}
