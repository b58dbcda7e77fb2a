//! Leasing an account for one request: eligibility, plan routing, session affinity, the
//! rotation strategy, concurrency slots (waiting when all are busy), and a refresh first
//! when the token is about to expire.

use std::time::SystemTime;

use super::lease::Lease;
use super::refresh::{Refreshed, Refresher, Trigger};
use super::{Pool, eligible};
use crate::account::{Account, AccountId, AccountStatus};
use crate::affinity;
use crate::error::PoolError;
use crate::slots::SlotGuard;

/// What to lease an account for.
#[derive(Debug, Clone, Copy)]
pub struct AcquireRequest<'a> {
    /// The Codex model id the request is for (plan routing); `""` = any.
    pub model: &'a str,
    /// A stable conversation key (client `prompt_cache_key`, session id, or a derived key):
    /// the same key goes to the same account while that account is usable.
    pub session_key: Option<&'a str>,
    /// Accounts not to use for this request (they already failed it).
    pub exclude: &'a [AccountId],
    /// The current time.
    pub now: SystemTime,
}

/// What selection decided.
enum Pick {
    Ready(Lease),
    Refresh(AccountId, Option<SlotGuard>),
    /// Eligible accounts exist but all are at their concurrency limit.
    Busy,
}

impl Pool {
    /// Leases an account for a request on `model` (no session affinity); see
    /// [`Pool::acquire_for`].
    pub async fn acquire(
        &self,
        model: &str,
        now: SystemTime,
        refresher: &dyn Refresher,
    ) -> Result<Lease, PoolError> {
        let req = AcquireRequest {
            model,
            session_key: None,
            exclude: &[],
            now,
        };
        self.acquire_for(req, refresher).await
    }

    /// Leases an account.
    ///
    /// Skips disabled, banned, expired, rate-limited, quota-exhausted (with
    /// `skip_exhausted`) and cooling-down accounts, and accounts whose plan does not serve
    /// `req.model`. With a session key the account that served the session before is
    /// preferred while usable; otherwise the live [`crate::Strategy`] chooses. The lease
    /// holds a concurrency slot; when every eligible account is at
    /// `max_concurrent_per_account` this waits (up to `acquire_wait`, in `tokio::time`) for
    /// a slot to free. If the chosen account's access token expires within
    /// `refresh_margin` it is refreshed once through `refresher` (concurrent callers wait
    /// for that refresh) and the new tokens are persisted before the lease is returned; a
    /// failed refresh moves on to the next account.
    ///
    /// Errors: [`PoolError::NoAccount`], [`PoolError::ModelUnsupported`],
    /// [`PoolError::AllUnavailable`] (with the earliest reset), [`PoolError::Busy`].
    pub async fn acquire_for(
        &self,
        req: AcquireRequest<'_>,
        refresher: &dyn Refresher,
    ) -> Result<Lease, PoolError> {
        let start = tokio::time::Instant::now();
        let deadline = start + self.inner.cfg.acquire_wait;
        let mut tried: Vec<AccountId> = req.exclude.to_vec();
        loop {
            let freed = self.inner.slots.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let now = req.now + start.elapsed();
            let (id, slot) = match self.pick(&req, now, &tried)? {
                Pick::Ready(lease) => return Ok(self.bind_session(&req, lease, now)),
                Pick::Refresh(id, slot) => (id, slot),
                Pick::Busy => {
                    if tokio::time::timeout_at(deadline, freed).await.is_err() {
                        return Err(PoolError::Busy {
                            waited: self.inner.cfg.acquire_wait,
                        });
                    }
                    continue;
                }
            };
            match self
                .refresh_account(&id, now, refresher, Trigger::Acquire)
                .await?
            {
                Refreshed::Lease(lease) => {
                    let lease = lease.with_slot(slot);
                    return Ok(self.bind_session(&req, lease, now));
                }
                Refreshed::NotDue
                | Refreshed::Failed(_)
                | Refreshed::Terminal(_)
                | Refreshed::Unusable => tried.push(id),
            }
        }
    }

    /// Records the session → account binding and sets the lease's cache key.
    fn bind_session(&self, req: &AcquireRequest<'_>, lease: Lease, now: SystemTime) -> Lease {
        let Some(key) = req.session_key.map(str::trim).filter(|k| !k.is_empty()) else {
            return lease;
        };
        self.state().affinity.put(key, lease.id(), now);
        let cache_key = affinity::prompt_cache_key(lease.id(), key);
        lease.with_cache_key(Some(cache_key))
    }

    /// Chooses an eligible account not in `tried` and takes a slot on it.
    fn pick(
        &self,
        req: &AcquireRequest<'_>,
        now: SystemTime,
        tried: &[AccountId],
    ) -> Result<Pick, PoolError> {
        let margin = self.inner.cfg.refresh_margin;
        let mut state = self.state();
        let skip = state.skip_exhausted;
        if state.accounts.is_empty() {
            return Err(PoolError::NoAccount);
        }
        self.expire_dead(&mut state.accounts, now)?;
        let (candidates, model_filtered) = {
            let plans = eligible::plan_models(&state.accounts);
            let mut filtered = false;
            let list: Vec<usize> = (0..state.accounts.len())
                .filter(|&i| {
                    let a = &state.accounts[i];
                    if !eligible::usable(a, now, skip) || tried.contains(&a.meta.id) {
                        return false;
                    }
                    let serves = eligible::serves(a, req.model, &plans);
                    filtered |= !serves;
                    serves
                })
                .collect();
            (list, filtered)
        };
        if candidates.is_empty() {
            if model_filtered {
                return Err(PoolError::ModelUnsupported {
                    model: req.model.to_owned(),
                });
            }
            let soonest_reset = state
                .accounts
                .iter()
                .filter_map(|a| eligible::blocked_until(a, now, skip))
                .min();
            return Err(PoolError::AllUnavailable {
                total: state.accounts.len(),
                soonest_reset,
            });
        }
        let slots = &self.inner.slots;
        let free: Vec<usize> = candidates
            .into_iter()
            .filter(|&i| slots.has_room(&state.accounts[i].meta.id))
            .collect();
        if free.is_empty() {
            return Ok(Pick::Busy);
        }
        let preferred = req
            .session_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .and_then(|k| state.affinity.get(k, now))
            .and_then(|id| free.iter().position(|&i| state.accounts[i].meta.id == id));
        let chosen = preferred.or_else(|| {
            let refs: Vec<&Account> = free.iter().map(|&i| &state.accounts[i]).collect();
            state.strategy.pick(&refs, state.counter)
        });
        let Some(index) = chosen.map(|c| free[c]) else {
            return Ok(Pick::Busy);
        };
        state.counter = state.counter.wrapping_add(1);
        let seq = state.next_seq;
        state.next_seq += 1;
        let account = &mut state.accounts[index];
        account.lease_seq = seq;
        let Some(slot) = slots.take(&account.meta.id) else {
            return Ok(Pick::Busy);
        };
        let stale = account.needs_refresh(now, margin);
        // A refresh is in flight, or backing off after a failure, and the current token
        // still works: use it.
        let backing_off = account.rt.refresh_retry_at.is_some_and(|r| r > now);
        let in_flight = (account.rt.refreshing || backing_off) && !account.access_unusable(now);
        if account.secrets.refresh_token.is_some() && stale && !in_flight {
            return Ok(Pick::Refresh(account.meta.id.clone(), Some(slot)));
        }
        match Lease::of(account) {
            Some(lease) => Ok(Pick::Ready(lease.with_slot(Some(slot)))),
            // Unreachable: an account without access token has a refresh token.
            None => Ok(Pick::Refresh(account.meta.id.clone(), Some(slot))),
        }
    }

    /// Marks accounts whose access token is dead with no refresh token as expired: they can
    /// never work again.
    fn expire_dead(&self, accounts: &mut [Account], now: SystemTime) -> Result<(), PoolError> {
        let dead: Vec<usize> = (0..accounts.len())
            .filter(|&i| {
                let a = &accounts[i];
                a.meta.status == AccountStatus::Active
                    && a.secrets.refresh_token.is_none()
                    && a.access_unusable(now)
            })
            .collect();
        if dead.is_empty() {
            return Ok(());
        }
        let mut updated: Vec<Account> = dead.iter().map(|&i| accounts[i].clone()).collect();
        for a in &mut updated {
            a.meta.status = AccountStatus::Expired;
            a.meta.status_reason = Some("access token expired and no refresh token".to_owned());
        }
        let rows: Vec<&Account> = updated.iter().collect();
        self.inner.store.write(&rows, &[], true)?;
        for (i, a) in dead.into_iter().zip(updated) {
            accounts[i] = a;
        }
        Ok(())
    }
}
