//! The refresh schedule: when each account's token is due (ahead of expiry by the margin
//! with deterministic ±15 % jitter, or after a backoff), and running the due refreshes.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::Pool;
use super::refresh::{Refreshed, Refresher, Trigger};
use crate::account::{Account, AccountId, AccountStatus, from_unix};
use crate::error::PoolError;

/// Jitter of the refresh margin, in per mille (±15 %).
const JITTER_PER_MILLE: i64 = 150;
/// Backoff after the n-th consecutive transient failure: 5 s · 3^(n−1), at most 5 min;
/// from the sixth failure on, 10 min.
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(300);
const BACKOFF_GIVE_UP: Duration = Duration::from_secs(600);

/// What [`Pool::refresh_due`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Accounts that got new tokens.
    pub refreshed: Vec<AccountId>,
    /// Accounts whose refresh failed transiently (retried later with backoff), and why.
    pub retrying: Vec<(AccountId, String)>,
    /// Accounts whose refresh token is dead: now expired (or banned), with the reason.
    pub expired: Vec<(AccountId, String)>,
}

impl Pool {
    /// The account whose scheduled refresh comes first, and when. Accounts without a
    /// refresh token, or disabled, banned or expired, are not scheduled; a token with no
    /// `exp` is never refreshed ahead of time. A time already past is reported as `now`.
    pub fn next_refresh_due(&self, now: SystemTime) -> Option<(AccountId, SystemTime)> {
        let margin = self.inner.cfg.refresh_margin;
        let state = self.state();
        state
            .accounts
            .iter()
            .filter(|a| !a.rt.refreshing)
            .filter_map(|a| due_at(a, margin).map(|t| (a.meta.id.clone(), t.max(now))))
            .min_by_key(|(_, t)| *t)
    }

    /// Refreshes every account due at `now`, at most `refresh_concurrency` at a time, one
    /// refresh per account at a time (an acquire refreshing the same account is joined, not
    /// repeated). Transient failures back off exponentially; terminal failures
    /// (`invalid_grant`, reused or revoked token) mark the account expired (banned when
    /// deactivated) with the reason. Makes no usage or warm-up call.
    ///
    /// The gateway drives this from one owned task:
    /// `loop { sleep until next_refresh_due (or schedule_changed); refresh_due(now) }`.
    pub async fn refresh_due(
        &self,
        now: SystemTime,
        refresher: &dyn Refresher,
    ) -> Result<RefreshReport, PoolError> {
        let margin = self.inner.cfg.refresh_margin;
        let due: Vec<AccountId> = {
            let state = self.state();
            state
                .accounts
                .iter()
                .filter(|a| !a.rt.refreshing && due_at(a, margin).is_some_and(|t| t <= now))
                .map(|a| a.meta.id.clone())
                .collect()
        };
        let runs = due.iter().map(|id| async move {
            let r = self
                .refresh_account(id, now, refresher, Trigger::Scheduled)
                .await;
            (id, r)
        });
        let mut report = RefreshReport::default();
        let mut first_error = None;
        for (id, result) in futures_util::future::join_all(runs).await {
            match result {
                Ok(Refreshed::Lease(_)) => report.refreshed.push(id.clone()),
                Ok(Refreshed::Failed(e)) => report.retrying.push((id.clone(), e.to_string())),
                Ok(Refreshed::Terminal(e)) => report.expired.push((id.clone(), e.to_string())),
                Ok(Refreshed::NotDue | Refreshed::Unusable) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}

/// When `account` should be refreshed next, `None` if never.
pub(super) fn due_at(account: &Account, margin: Duration) -> Option<SystemTime> {
    account.secrets.refresh_token.as_ref()?;
    if matches!(
        account.meta.status,
        AccountStatus::Disabled | AccountStatus::Banned | AccountStatus::Expired
    ) {
        return None;
    }
    if let Some(retry) = account.rt.refresh_retry_at {
        return Some(retry);
    }
    if account.secrets.access_token.is_none() {
        return Some(SystemTime::UNIX_EPOCH);
    }
    let exp = account.meta.expires_at?;
    let jitter = jitter_per_mille(&account.meta.id, exp);
    let margin_ms = i64::try_from(margin.as_millis()).unwrap_or(i64::MAX / 2);
    let ahead_ms = margin_ms + margin_ms * jitter / 1000;
    let ahead = Duration::from_millis(u64::try_from(ahead_ms).unwrap_or(0));
    Some(
        from_unix(exp)
            .checked_sub(ahead)
            .unwrap_or(SystemTime::UNIX_EPOCH),
    )
}

/// Deterministic jitter in [−150, 150] per mille from the account id and token expiry, so
/// accounts never refresh together and a restart keeps the same plan.
fn jitter_per_mille(id: &AccountId, salt: u64) -> i64 {
    let mut h = Sha256::new();
    h.update(id.as_str().as_bytes());
    h.update(salt.to_le_bytes());
    let d = h.finalize();
    let n = u16::from_le_bytes([d[0], d[1]]);
    i64::from(n) % (2 * JITTER_PER_MILLE + 1) - JITTER_PER_MILLE
}

/// The wait after the `failures`-th consecutive transient refresh failure (±15 % jitter).
pub(super) fn backoff(id: &AccountId, failures: u32) -> Duration {
    let base = if failures > 5 {
        BACKOFF_GIVE_UP
    } else {
        let factor = 3u32.saturating_pow(failures.saturating_sub(1));
        BACKOFF_BASE.saturating_mul(factor).min(BACKOFF_CAP)
    };
    let jitter = jitter_per_mille(id, u64::from(failures));
    let ms = i64::try_from(base.as_millis()).unwrap_or(0);
    Duration::from_millis(u64::try_from(ms + ms * jitter / 1000).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_fifteen_percent_and_spreads() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..200 {
            let j = jitter_per_mille(&AccountId::from_string(format!("acct_{i}")), 1);
            assert!((-150..=150).contains(&j));
            seen.insert(j);
        }
        assert!(seen.len() > 50, "jitter spreads accounts: {}", seen.len());
    }

    #[test]
    fn backoff_grows_and_caps() {
        let id = AccountId::from_string("a");
        let secs = |n| backoff(&id, n).as_secs_f64();
        assert!((4.25..=5.75).contains(&secs(1)));
        assert!((12.75..=17.25).contains(&secs(2)));
        assert!((255.0..=345.0).contains(&secs(5)));
        assert!((510.0..=690.0).contains(&secs(6)));
    }
}
