//! Batch operations (delete, status) and per-account cookies.

use std::time::SystemTime;

use super::Pool;
use crate::account::{AccountId, AccountStatus, StoredCookie, from_unix, unix_secs};
use crate::cookie::{CF_CLEARANCE, Cookie};
use crate::error::PoolError;

impl Pool {
    /// Deletes the given accounts in one transaction; unknown ids are skipped. Returns how
    /// many were deleted.
    pub fn remove_many(&self, ids: &[AccountId]) -> Result<usize, PoolError> {
        let mut state = self.state();
        let present: Vec<&AccountId> = ids
            .iter()
            .filter(|id| state.position(id).is_some())
            .collect();
        if present.is_empty() {
            return Ok(0);
        }
        self.inner.store.write(&[], &present, true)?;
        state.accounts.retain(|a| !present.contains(&&a.meta.id));
        for id in &present {
            state.affinity.forget_account(id);
        }
        drop(state);
        let mut locks = self.refresh_locks_map();
        for id in &present {
            locks.remove(*id);
        }
        drop(locks);
        self.inner.schedule_changed.notify_waiters();
        Ok(present.len())
    }

    /// Sets the status of the given accounts in one transaction: `Active` (clearing
    /// expired/banned/rate-limit marks, like [`Pool::set_enabled`]) or `Disabled`; other
    /// statuses are [`PoolError::InvalidStatus`]. Unknown ids are skipped. Returns how many
    /// accounts changed.
    pub fn set_status_many(
        &self,
        ids: &[AccountId],
        status: AccountStatus,
    ) -> Result<usize, PoolError> {
        if !matches!(status, AccountStatus::Active | AccountStatus::Disabled) {
            return Err(PoolError::InvalidStatus);
        }
        let mut state = self.state();
        let mut updated = Vec::new();
        for id in ids {
            if let Some(i) = state.position(id) {
                let mut a = state.accounts[i].clone();
                a.meta.status = status;
                a.meta.status_reason = None;
                a.meta.rate_limited_until = None;
                a.rt.cooldown_until = None;
                a.rt.cf_strikes = 0;
                a.rt.refresh_retry_at = None;
                updated.push((i, a));
            }
        }
        let rows: Vec<_> = updated.iter().map(|(_, a)| a).collect();
        self.inner.store.write(&rows, &[], true)?;
        let n = updated.len();
        for (i, a) in updated {
            state.accounts[i] = a;
        }
        drop(state);
        self.inner.schedule_changed.notify_waiters();
        Ok(n)
    }

    /// Replaces the account's stored cookies, keeping only `cf_clearance` (others are not
    /// needed upstream) and dropping ones already expired. Stored encrypted.
    pub fn set_cookies(
        &self,
        id: &AccountId,
        cookies: Vec<Cookie>,
        now: SystemTime,
    ) -> Result<(), PoolError> {
        let kept: Vec<StoredCookie> = cookies
            .into_iter()
            .filter(|c| c.name == CF_CLEARANCE && c.expires.is_none_or(|e| e > now))
            .map(|c| StoredCookie {
                name: c.name,
                value: c.value,
                expires: c.expires.map(unix_secs),
            })
            .collect();
        self.mutate(id, true, |a| a.secrets.cookies = kept)
            .map(drop)
    }

    /// The account's unexpired cookies (for the `Cookie` header upstream).
    pub fn cookies(&self, id: &AccountId, now: SystemTime) -> Result<Vec<Cookie>, PoolError> {
        let state = self.state();
        let i = state.position(id).ok_or(PoolError::NotFound)?;
        Ok(state.accounts[i]
            .secrets
            .cookies
            .iter()
            .map(|c| Cookie {
                name: c.name.clone(),
                value: c.value.clone(),
                expires: c.expires.map(from_unix),
            })
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .collect())
    }
}
