//! Refreshing one account on request (the admin route), through the same singleflight path
//! as every other refresh.

use std::time::SystemTime;

use super::Pool;
use super::lease::Lease;
use super::refresh::{Refreshed, Refresher, Trigger};
use crate::account::{AccountId, AccountStatus, AccountSummary};
use crate::error::{PoolError, RefreshError};

impl Pool {
    /// Refreshes `id`'s tokens now, whatever their expiry (waiting for a refresh already in
    /// flight). The outer error is the store's; the inner one the token endpoint's (a terminal
    /// one has already marked the account expired or banned).
    pub async fn refresh_now(
        &self,
        id: &AccountId,
        now: SystemTime,
        refresher: &dyn Refresher,
    ) -> Result<Result<AccountSummary, RefreshError>, PoolError> {
        if self.get(id).is_none() {
            return Err(PoolError::NotFound);
        }
        match self
            .refresh_account(id, now, refresher, Trigger::Manual)
            .await?
        {
            Refreshed::Failed(e) | Refreshed::Terminal(e) => Ok(Err(e)),
            Refreshed::Lease(_) | Refreshed::NotDue => {
                self.get(id).map(Ok).ok_or(PoolError::NotFound)
            }
            Refreshed::Unusable => match self.get(id) {
                Some(summary) if summary.has_refresh_token => Ok(Ok(summary)),
                Some(_) => Ok(Err(RefreshError::Transport(
                    "the account has no refresh token".to_owned(),
                ))),
                None => Err(PoolError::NotFound),
            },
        }
    }
}

impl Pool {
    /// A lease on one given account (for per-account calls such as `/wham/usage` and the
    /// model list), without taking a concurrency slot. `None` when the account is unknown,
    /// disabled, banned or expired, or has no access token yet.
    pub fn lease_account(&self, id: &AccountId, now: SystemTime) -> Option<Lease> {
        let state = self.state();
        let account = &state.accounts[state.position(id)?];
        if matches!(
            account.meta.status,
            AccountStatus::Disabled | AccountStatus::Banned | AccountStatus::Expired
        ) || account.access_unusable(now)
        {
            return None;
        }
        Lease::of(account)
    }
}
