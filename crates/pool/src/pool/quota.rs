//! Quota and plan data per account: passive snapshots, `/wham/usage` bodies, warnings,
//! and the model list learned from the backend.

use std::time::SystemTime;

use super::Pool;
use crate::account::{AccountId, AccountStatus};
use crate::error::PoolError;
use crate::quota::{self, QuotaSnapshot, QuotaWarning};

impl Pool {
    /// Stores a quota snapshot observed passively (the gateway converts the `x-codex-*`
    /// response headers or a WebSocket `codex.rate_limits` event). With
    /// `quota.skip_exhausted`, a window at 100 % makes the account skipped until its reset.
    /// Not fsynced (it is refreshed by every response).
    pub fn record_rate_limits(
        &self,
        id: &AccountId,
        mut snapshot: QuotaSnapshot,
        now: SystemTime,
    ) -> Result<(), PoolError> {
        snapshot.observed_at = Some(now);
        // Passive snapshots arrive with every response: memory now, disk at the next flush.
        self.touch(id, |a| {
            if snapshot.plan_type.is_none() {
                snapshot.plan_type = a.meta.quota.as_ref().and_then(|q| q.plan_type.clone());
            }
            a.meta.quota = Some(snapshot);
        })
    }

    /// Parses a `/wham/usage` body (upstream-codex.md §10.1) and stores it as the account's
    /// quota (durably). A body without `rate_limit` is [`PoolError::InvalidUsage`]. A quota
    /// lock from a 402 is lifted when the body says the account is no longer exhausted.
    pub fn record_usage_json(
        &self,
        id: &AccountId,
        body: &[u8],
        now: SystemTime,
    ) -> Result<QuotaSnapshot, PoolError> {
        let mut snapshot = QuotaSnapshot::from_usage_json(body).ok_or(PoolError::InvalidUsage)?;
        snapshot.observed_at = Some(now);
        let stored = snapshot.clone();
        self.mutate(id, true, |a| {
            let exhausted = snapshot.exhausted_until(now).is_some();
            if !exhausted && a.meta.status == AccountStatus::QuotaExhausted {
                a.meta.status = AccountStatus::Active;
                a.meta.status_reason = None;
                a.meta.rate_limited_until = None;
            }
            a.meta.quota = Some(snapshot);
        })?;
        Ok(stored)
    }

    /// The last quota snapshot of an account.
    pub fn quota(&self, id: &AccountId) -> Result<Option<QuotaSnapshot>, PoolError> {
        let state = self.state();
        let i = state.position(id).ok_or(PoolError::NotFound)?;
        Ok(state.accounts[i].meta.quota.clone())
    }

    /// Quota warnings over all accounts (`GET /auth/quota/warnings`), from the configured
    /// thresholds: per window, the highest threshold reached; `critical` when it is the
    /// highest configured. Windows whose reset time has passed are ignored.
    pub fn quota_warnings(&self, now: SystemTime) -> Vec<QuotaWarning> {
        let state = self.state();
        let thresholds = &state.warning_thresholds;
        let mut out = Vec::new();
        for a in &state.accounts {
            if let Some(q) = &a.meta.quota {
                quota::warnings_for(
                    &a.meta.id,
                    a.meta.email.as_deref(),
                    q,
                    thresholds,
                    now,
                    &mut out,
                );
            }
        }
        out
    }

    /// Stores the model ids the backend lists for this account (`GET /codex/models` with the
    /// account's token). Plan routing then sends a model only to accounts (or, for accounts
    /// not fetched yet, plans) that serve it; accounts of unknown plans stay eligible.
    pub fn set_account_models(&self, id: &AccountId, models: Vec<String>) -> Result<(), PoolError> {
        self.mutate(id, true, |a| a.meta.models = Some(models))
            .map(drop)
    }

    /// Whether an active usage call (`/wham/usage`) is advisable now: not within
    /// `usage_quiet_period` of a token exchange (login or refresh) — calling usage right
    /// after an exchange is reported to trigger OpenAI's risk detection.
    pub fn usage_fetch_allowed(&self, id: &AccountId, now: SystemTime) -> bool {
        let quiet = self.inner.cfg.usage_quiet_period;
        let state = self.state();
        state.position(id).is_some_and(|i| {
            state.accounts[i]
                .rt
                .token_exchanged_at
                .is_none_or(|t| t + quiet <= now)
        })
    }
}
