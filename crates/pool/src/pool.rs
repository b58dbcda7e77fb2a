//! [`Pool`]: the account set in memory, mirrored to redb on every mutation.

mod acquire;
mod batch;
mod eligible;
mod keys;
mod lease;
mod manual;
pub(crate) mod proxy;
mod quota;
mod refresh;
mod report;
mod schedule;
mod upsert;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::account::{Account, AccountId, AccountStatus, AccountSummary, unix_secs};
use crate::affinity::Affinity;
use crate::error::PoolError;
use crate::import::{self, ExportEntry, ExportFile, ImportReport};
use crate::keys::KeyRecord;
use crate::quota::WarningThresholds;
use crate::slots::Slots;
use crate::store::Store;
use crate::strategy::Strategy;

pub use acquire::AcquireRequest;
pub use lease::Lease;
pub use refresh::{RefreshReason, Refresher, TokenSet};
pub use report::Outcome;
pub use schedule::RefreshReport;

/// Pool settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Refresh an access token this long before it expires (`auth.refresh_margin_seconds`);
    /// the scheduler jitters it by ±15 % per account.
    pub refresh_margin: Duration,
    /// Rate-limit lock length when upstream gives no reset time (`auth.rate_limit_backoff_seconds`).
    pub rate_limit_backoff: Duration,
    /// How the next account is chosen (initial value; see [`Pool::set_strategy`]).
    pub strategy: Strategy,
    /// Requests in flight per account (`auth.max_concurrent_per_account`); 0 = unlimited.
    pub max_concurrent_per_account: usize,
    /// How long [`Pool::acquire`] waits for a free slot when every eligible account is busy.
    pub acquire_wait: Duration,
    /// Token refreshes in flight at once (`auth.refresh_concurrency`).
    pub refresh_concurrency: usize,
    /// Skip accounts whose quota window is used up until it resets (`quota.skip_exhausted`).
    pub skip_exhausted: bool,
    /// Quota warning thresholds (`quota.warning_thresholds`).
    pub warning_thresholds: WarningThresholds,
    /// How long a session keeps its account after its last request.
    pub affinity_ttl: Duration,
    /// How many sessions are remembered (least recently used forgotten first).
    pub affinity_capacity: usize,
    /// No active usage (`/wham/usage`) call this soon after a token exchange
    /// (see [`Pool::usage_fetch_allowed`]).
    pub usage_quiet_period: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            refresh_margin: Duration::from_secs(300),
            rate_limit_backoff: Duration::from_secs(60),
            strategy: Strategy::default(),
            max_concurrent_per_account: 3,
            acquire_wait: Duration::from_secs(30),
            refresh_concurrency: 2,
            skip_exhausted: true,
            warning_thresholds: WarningThresholds::default(),
            affinity_ttl: Duration::from_secs(4 * 3600),
            affinity_capacity: 10_000,
            usage_quiet_period: Duration::from_secs(600),
        }
    }
}

/// The account pool. Cheap to clone (shared state inside); `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    cfg: PoolConfig,
    state: Mutex<State>,
    /// One async lock per account so concurrent acquires refresh a token only once.
    refresh_locks: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<()>>>>,
    /// Bounds refreshes in flight (`refresh_concurrency`).
    refresh_permits: tokio::sync::Semaphore,
    /// Requests in flight per account.
    slots: Arc<Slots>,
    /// Client keys (mirrored to the `client_keys` table).
    keys: Mutex<Vec<KeyRecord>>,
    /// Woken when tokens or accounts change, so the refresh task can re-plan.
    schedule_changed: tokio::sync::Notify,
    /// Accounts whose hot-path bookkeeping (usage counters, passive quota) changed in memory
    /// and is not yet written: [`Pool::flush`] writes them in one transaction.
    dirty: Mutex<std::collections::HashSet<AccountId>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Best effort on the last handle: counters are bookkeeping, never worth a panic.
        let ids: Vec<AccountId> = match self.dirty.get_mut() {
            Ok(d) => d.drain().collect(),
            Err(poisoned) => poisoned.into_inner().drain().collect(),
        };
        if ids.is_empty() {
            return;
        }
        let state = match self.state.get_mut() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let rows: Vec<&Account> = state
            .accounts
            .iter()
            .filter(|a| ids.contains(&a.meta.id))
            .collect();
        if let Err(err) = self.store.write(&rows, &[], true) {
            tracing::warn!(error = %err, "could not write usage counters on close");
        }
    }
}

/// Accounts in insertion order, plus selection state.
#[derive(Debug)]
struct State {
    accounts: Vec<Account>,
    next_seq: u64,
    /// Round-robin counter.
    counter: u64,
    strategy: Strategy,
    affinity: Affinity,
    /// The live `quota.skip_exhausted` ([`Pool::set_quota_settings`]).
    skip_exhausted: bool,
    /// The live `quota.warning_thresholds` ([`Pool::set_quota_settings`]).
    warning_thresholds: WarningThresholds,
}

impl State {
    fn position(&self, id: &AccountId) -> Option<usize> {
        self.accounts.iter().position(|a| &a.meta.id == id)
    }
}

impl Pool {
    /// Opens `<data_dir>/codex-proxy.redb` and `<data_dir>/codex-proxy.key`, creating both
    /// (the key with mode 0600) on first use. A key that does not match the database is a
    /// [`PoolError::WrongKey`].
    pub fn open(data_dir: &Path, cfg: PoolConfig) -> Result<Pool, PoolError> {
        let (store, accounts) = Store::open(data_dir)?;
        let keys = store.load_keys()?;
        Ok(Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    accounts,
                    next_seq: 1,
                    counter: 0,
                    strategy: cfg.strategy,
                    affinity: Affinity::new(cfg.affinity_capacity, cfg.affinity_ttl),
                    skip_exhausted: cfg.skip_exhausted,
                    warning_thresholds: cfg.warning_thresholds.clone(),
                }),
                refresh_locks: Mutex::new(HashMap::new()),
                refresh_permits: tokio::sync::Semaphore::new(cfg.refresh_concurrency.max(1)),
                slots: Arc::new(Slots::new(cfg.max_concurrent_per_account)),
                keys: Mutex::new(keys),
                schedule_changed: tokio::sync::Notify::new(),
                dirty: Mutex::new(std::collections::HashSet::new()),
                store,
                cfg,
            }),
        })
    }

    /// The configuration the pool was opened with (the live strategy is [`Pool::strategy`]).
    pub fn config(&self) -> &PoolConfig {
        &self.inner.cfg
    }

    /// Changes the rotation strategy at once, for every later acquire.
    pub fn set_strategy(&self, strategy: Strategy) {
        self.state().strategy = strategy;
    }

    /// Changes the quota settings at once, for every later acquire and warning report:
    /// `skip_exhausted` when given, `warning_thresholds` when given.
    pub fn set_quota_settings(
        &self,
        skip_exhausted: Option<bool>,
        warning_thresholds: Option<WarningThresholds>,
    ) {
        let mut state = self.state();
        if let Some(skip) = skip_exhausted {
            state.skip_exhausted = skip;
        }
        if let Some(thresholds) = warning_thresholds {
            state.warning_thresholds = thresholds;
        }
    }

    /// The live `(skip_exhausted, warning_thresholds)`.
    pub fn quota_settings(&self) -> (bool, WarningThresholds) {
        let state = self.state();
        (state.skip_exhausted, state.warning_thresholds.clone())
    }

    /// The rotation strategy in use.
    pub fn strategy(&self) -> Strategy {
        self.state().strategy
    }

    /// Completes once tokens or accounts changed since the call started waiting (an account
    /// added, refreshed, removed): the refresh task waits on this alongside its timer so it
    /// re-plans with [`Pool::next_refresh_due`].
    pub async fn schedule_changed(&self) {
        self.inner.schedule_changed.notified().await;
    }

    /// Stores the tokens of a finished OAuth login (browser or device flow) as an account,
    /// deduplicated by identity like [`Pool::add_tokens`] (same ChatGPT account and user →
    /// the existing account is updated; team members stay separate). Deliberately makes no
    /// usage or warm-up call: see [`Pool::usage_fetch_allowed`].
    pub fn complete_login(
        &self,
        tokens: TokenSet,
        label: Option<&str>,
        now: SystemTime,
    ) -> Result<AccountSummary, PoolError> {
        let creds = import::Credentials {
            access: import::strip_bearer(&tokens.access_token),
            refresh: tokens
                .refresh_token
                .as_deref()
                .and_then(import::strip_bearer),
            id_token: tokens.id_token.clone(),
            label: label.map(import::truncate_label).filter(|l| !l.is_empty()),
            ..Default::default()
        };
        let mut state = self.state();
        let mut accounts = state.accounts.clone();
        let (index, _) = upsert::upsert(&mut accounts, creds, now)?;
        accounts[index].rt.token_exchanged_at = Some(now);
        self.inner.store.write(&[&accounts[index]], &[], true)?;
        let summary = accounts[index].summary();
        state.accounts = accounts;
        drop(state);
        self.inner.schedule_changed.notify_waiters();
        Ok(summary)
    }

    /// Adds an account from an access token and/or a refresh token (manual paste, OAuth
    /// login). The same ChatGPT account and user added again updates the existing account.
    /// An access token must decode, carry `chatgpt_account_id`, and be unexpired unless a
    /// refresh token comes with it. A refresh-only account gets its access token on first
    /// [`Pool::acquire`].
    pub fn add_tokens(
        &self,
        access: Option<&str>,
        refresh: Option<&str>,
        label: Option<&str>,
        now: SystemTime,
    ) -> Result<AccountSummary, PoolError> {
        let creds = import::Credentials {
            access: access.and_then(import::strip_bearer),
            refresh: refresh.and_then(import::strip_bearer),
            label: label.map(import::truncate_label).filter(|l| !l.is_empty()),
            ..Default::default()
        };
        let mut state = self.state();
        let mut accounts = state.accounts.clone();
        let (index, _) = upsert::upsert(&mut accounts, creds, now)?;
        self.inner.store.write(&[&accounts[index]], &[], true)?;
        let summary = accounts[index].summary();
        state.accounts = accounts;
        drop(state);
        self.inner.schedule_changed.notify_waiters();
        Ok(summary)
    }

    /// Imports an official `auth.json`, a reference export (full or minimal), a Sub2API
    /// file, a JSON array of items, JSON lines or one token per line. All accepted items
    /// are written in one transaction. Refresh-only items are not refreshed here.
    pub fn import(&self, bytes: &[u8], now: SystemTime) -> Result<ImportReport, PoolError> {
        let items = import::parse(bytes)?;
        let mut report = ImportReport::default();
        let mut state = self.state();
        let mut accounts = state.accounts.clone();
        let mut touched: Vec<usize> = Vec::new();
        let mut batch_refresh: Vec<String> = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let creds = match item {
                Ok(c) => c,
                Err(reason) => {
                    report.skipped.push((i, reason.to_owned()));
                    continue;
                }
            };
            if let (None, Some(rt)) = (&creds.access, &creds.refresh) {
                if batch_refresh.contains(rt) {
                    report
                        .skipped
                        .push((i, "duplicate refresh token in import batch".to_owned()));
                    continue;
                }
                batch_refresh.push(rt.clone());
            }
            match upsert::upsert(&mut accounts, creds, now) {
                Ok((index, created)) => {
                    if created {
                        report.added += 1;
                    } else {
                        report.updated += 1;
                    }
                    if !touched.contains(&index) {
                        touched.push(index);
                    }
                }
                Err(err) => report.skipped.push((i, err.to_string())),
            }
        }
        if !touched.is_empty() {
            let rows: Vec<&Account> = touched.iter().map(|&i| &accounts[i]).collect();
            self.inner.store.write(&rows, &[], true)?;
            state.accounts = accounts;
            drop(state);
            self.inner.schedule_changed.notify_waiters();
        }
        Ok(report)
    }

    /// Exports every account. `minimal` keeps only `refreshToken` and `label` of accounts
    /// that have a refresh token; otherwise all fields including tokens.
    /// The result contains secrets: never log it.
    pub fn export(&self, minimal: bool) -> ExportFile {
        let state = self.state();
        let accounts = state
            .accounts
            .iter()
            .filter(|a| !minimal || a.secrets.refresh_token.is_some())
            .map(|a| {
                if minimal {
                    return ExportEntry {
                        refresh_token: a.secrets.refresh_token.clone(),
                        label: a.meta.label.clone(),
                        ..Default::default()
                    };
                }
                let m = &a.meta;
                ExportEntry {
                    id: Some(m.id.to_string()),
                    token: a.secrets.access_token.clone(),
                    refresh_token: a.secrets.refresh_token.clone(),
                    id_token: a.secrets.id_token.clone(),
                    label: m.label.clone(),
                    email: m.email.clone(),
                    account_id: m.chatgpt_account_id.clone(),
                    user_id: m.user_id.clone(),
                    plan_type: m.plan.clone(),
                    status: Some(m.status.as_str().to_owned()),
                    installation_id: Some(m.installation_id.clone()),
                    added_at: Some(crate::time::rfc3339(m.added_at)),
                }
            })
            .collect();
        ExportFile { accounts }
    }

    /// Every account, in insertion order, without secrets.
    pub fn list(&self) -> Result<Vec<AccountSummary>, PoolError> {
        Ok(self.state().accounts.iter().map(Account::summary).collect())
    }

    /// One account's summary.
    pub fn get(&self, id: &AccountId) -> Option<AccountSummary> {
        let state = self.state();
        state.position(id).map(|i| state.accounts[i].summary())
    }

    /// Deletes an account.
    pub fn remove(&self, id: &AccountId) -> Result<(), PoolError> {
        if self.remove_many(std::slice::from_ref(id))? == 0 {
            return Err(PoolError::NotFound);
        }
        Ok(())
    }

    /// Enables (`true`: status `active`, clearing expired/banned/rate-limited marks) or
    /// disables an account.
    pub fn set_enabled(&self, id: &AccountId, enabled: bool) -> Result<AccountSummary, PoolError> {
        self.mutate(id, true, |a| {
            a.meta.status = if enabled {
                AccountStatus::Active
            } else {
                AccountStatus::Disabled
            };
            a.meta.status_reason = None;
            a.meta.rate_limited_until = None;
            a.rt.cooldown_until = None;
            a.rt.cf_strikes = 0;
        })
    }

    /// Sets or clears an account's label (at most 64 characters).
    pub fn set_label(
        &self,
        id: &AccountId,
        label: Option<&str>,
    ) -> Result<AccountSummary, PoolError> {
        let label = label.map(import::truncate_label).filter(|l| !l.is_empty());
        self.mutate(id, true, |a| a.meta.label = label)
    }

    /// Writes the bookkeeping changed since the last flush (usage counters, passive quota
    /// snapshots) in one durable transaction; returns how many accounts were written. The
    /// request path only updates memory, so the owner calls this on a timer and at shutdown;
    /// the last handle's drop flushes too. A crash loses at most one interval of counters,
    /// never an account or a token (those are written at once).
    pub fn flush(&self) -> Result<usize, PoolError> {
        let ids: Vec<AccountId> = {
            let mut dirty = self
                .inner
                .dirty
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            dirty.drain().collect()
        };
        if ids.is_empty() {
            return Ok(0);
        }
        let state = self.state();
        let rows: Vec<&Account> = state
            .accounts
            .iter()
            .filter(|a| ids.contains(&a.meta.id))
            .collect();
        self.inner.store.write(&rows, &[], true)?;
        Ok(rows.len())
    }

    /// Marks an account's in-memory bookkeeping as not yet written (see [`Pool::flush`]).
    fn mark_dirty(&self, id: &AccountId) {
        let mut dirty = self
            .inner
            .dirty
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !dirty.contains(id) {
            dirty.insert(id.clone());
        }
    }

    /// Applies `f` to one account in memory only and marks it for the next [`Pool::flush`].
    fn touch(&self, id: &AccountId, f: impl FnOnce(&mut Account)) -> Result<(), PoolError> {
        {
            let mut state = self.state();
            let index = state.position(id).ok_or(PoolError::NotFound)?;
            f(&mut state.accounts[index]);
        }
        self.mark_dirty(id);
        Ok(())
    }

    /// Applies `f` to a copy of one account, writes it (one transaction), then swaps it in.
    fn mutate(
        &self,
        id: &AccountId,
        durable: bool,
        f: impl FnOnce(&mut Account),
    ) -> Result<AccountSummary, PoolError> {
        let mut state = self.state();
        let index = state.position(id).ok_or(PoolError::NotFound)?;
        let mut account = state.accounts[index].clone();
        f(&mut account);
        self.inner.store.write(&[&account], &[], durable)?;
        let summary = account.summary();
        state.accounts[index] = account;
        Ok(summary)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied mutation: every
        // mutation builds a copy and swaps it in after the write succeeds.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn refresh_locks_map(&self) -> MutexGuard<'_, HashMap<AccountId, Arc<tokio::sync::Mutex<()>>>> {
        self.inner
            .refresh_locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn refresh_lock(&self, id: &AccountId) -> Arc<tokio::sync::Mutex<()>> {
        self.refresh_locks_map()
            .entry(id.clone())
            .or_default()
            .clone()
    }
}

/// Seconds since the epoch of `now + d`.
fn secs_after(now: SystemTime, d: Duration) -> u64 {
    unix_secs(now + d)
}
