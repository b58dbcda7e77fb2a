//! Refreshing one account's tokens: singleflight per account, bounded concurrency, the new
//! refresh token persisted before anything uses it, backoff and terminal failures.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use super::lease::Lease;
use super::{Pool, eligible, schedule, secs_after, upsert};
use crate::account::{AccountId, AccountStatus, Secrets};
use crate::error::{PoolError, RefreshError};
use crate::jwt::Claims;
pub use crate::oauth::RefreshReason;

/// Exchanges a refresh token for new tokens (the gateway implements it over `upstream`, or
/// uses [`crate::oauth::OAuthRefresher`]; tests use a fake). The pool calls it at most once
/// per account at a time.
pub trait Refresher: Send + Sync {
    /// Calls the OAuth token endpoint with `grant_type=refresh_token`.
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>>;

    /// [`Refresher::refresh`] for a known account and reason: what the pool calls. The default
    /// ignores both; the gateway overrides it to go through the account's own proxy and send
    /// the reason (`refresh_reason`) as the official client does.
    fn refresh_for<'a>(
        &'a self,
        account: &'a AccountId,
        refresh_token: &'a str,
        reason: RefreshReason,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>> {
        let _ = (account, reason);
        self.refresh(refresh_token)
    }
}

/// Tokens returned by a refresh or a login. `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// New access token.
    pub access_token: String,
    /// New refresh token; `None` keeps the stored one.
    pub refresh_token: Option<String>,
    /// New id token, if any.
    pub id_token: Option<String>,
    /// Lifetime of the access token in seconds, used when its JWT has no `exp`.
    pub expires_in: Option<u64>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Why a refresh was started.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    /// A request needs the account: refresh if the token is within the margin.
    Acquire,
    /// The scheduler: refresh if the jittered schedule says it is due.
    Scheduled,
    /// An operator asked for it (`POST /auth/accounts/{id}/refresh`): refresh now.
    Manual,
}

/// What a refresh attempt produced.
pub(super) enum Refreshed {
    /// The account is usable with this lease (new or still-valid token).
    Lease(Lease),
    /// Nothing to do: another caller refreshed it, or it is not due.
    NotDue,
    /// The refresh failed transiently; the account was not changed beyond backoff.
    Failed(RefreshError),
    /// The refresh token is dead: the account is now expired (or banned).
    Terminal(RefreshError),
    /// The account is gone or cannot be used.
    Unusable,
}

/// Resets the in-memory `refreshing` mark even if the refresh future is dropped.
struct RefreshingMark<'a> {
    pool: &'a Pool,
    id: &'a AccountId,
}

impl Drop for RefreshingMark<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.state();
        if let Some(i) = state.position(self.id) {
            state.accounts[i].rt.refreshing = false;
        }
    }
}

impl Pool {
    /// Refreshes one account under its refresh lock, re-checking first in case another
    /// caller refreshed it while we waited.
    pub(super) async fn refresh_account(
        &self,
        id: &AccountId,
        now: SystemTime,
        refresher: &dyn Refresher,
        trigger: Trigger,
    ) -> Result<Refreshed, PoolError> {
        let lock = self.refresh_lock(id);
        let _guard = lock.lock().await;
        let margin = self.inner.cfg.refresh_margin;
        let refresh_token = {
            let mut state = self.state();
            let Some(index) = state.position(id) else {
                return Ok(Refreshed::Unusable);
            };
            let account = &mut state.accounts[index];
            if !eligible::status_usable(account, now) && trigger == Trigger::Acquire {
                return Ok(Refreshed::Unusable);
            }
            let due = match trigger {
                Trigger::Acquire => account.needs_refresh(now, margin),
                Trigger::Scheduled => schedule::due_at(account, margin).is_some_and(|t| t <= now),
                Trigger::Manual => true,
            };
            if !due {
                return Ok(Lease::of(account).map_or(Refreshed::NotDue, Refreshed::Lease));
            }
            let Some(rt) = account.secrets.refresh_token.clone() else {
                return Ok(Refreshed::Unusable);
            };
            account.rt.refreshing = true;
            let reason = if account.rt.unauthorized {
                RefreshReason::UnauthorizedRecovery
            } else {
                RefreshReason::ProactiveExpiry
            };
            (rt, reason)
        };
        let (refresh_token, reason) = refresh_token;
        let _mark = RefreshingMark { pool: self, id };
        let result = {
            let _permit = self.inner.refresh_permits.acquire().await;
            refresher.refresh_for(id, &refresh_token, reason).await
        };
        match result {
            Ok(tokens) => self.store_refreshed(id, tokens, now),
            Err(err) if err.is_terminal() => {
                tracing::warn!(account = %id, error = %err, "refresh token rejected; account needs a new login");
                let status = if err.is_deactivated() {
                    AccountStatus::Banned
                } else {
                    AccountStatus::Expired
                };
                let reason = err.to_string();
                match self.mutate(id, true, |a| {
                    a.meta.status = status;
                    a.meta.status_reason = Some(reason);
                    a.rt.refresh_retry_at = None;
                }) {
                    Ok(_) | Err(PoolError::NotFound) => Ok(Refreshed::Terminal(err)),
                    Err(e) => Err(e),
                }
            }
            Err(err) => {
                tracing::warn!(account = %id, error = %err, "token refresh failed");
                let mut state = self.state();
                let Some(index) = state.position(id) else {
                    return Ok(Refreshed::Unusable);
                };
                let account = &mut state.accounts[index];
                account.rt.refresh_failures = account.rt.refresh_failures.saturating_add(1);
                account.rt.refresh_retry_at =
                    Some(now + schedule::backoff(id, account.rt.refresh_failures));
                // Still usable if the current token has not actually expired yet.
                if trigger == Trigger::Acquire
                    && !account.access_unusable(now)
                    && let Some(lease) = Lease::of(account)
                {
                    return Ok(Refreshed::Lease(lease));
                }
                Ok(Refreshed::Failed(err))
            }
        }
    }

    /// Persists refreshed tokens (one durable transaction) and builds the lease.
    fn store_refreshed(
        &self,
        id: &AccountId,
        tokens: TokenSet,
        now: SystemTime,
    ) -> Result<Refreshed, PoolError> {
        let mut state = self.state();
        let Some(index) = state.position(id) else {
            return Ok(Refreshed::Unusable);
        };
        let mut account = state.accounts[index].clone();
        let claims = Claims::decode(&tokens.access_token).unwrap_or_default();
        let expires_in = tokens.expires_in;
        upsert::apply_tokens(
            &mut account,
            Secrets {
                access_token: Some(tokens.access_token),
                refresh_token: tokens.refresh_token,
                id_token: tokens.id_token,
                cookies: Vec::new(),
                proxy_url: None,
            },
            &claims,
        );
        if claims.exp.is_none() {
            account.meta.expires_at = expires_in.map(|s| secs_after(now, Duration::from_secs(s)));
        }
        account.rt.refresh_failures = 0;
        account.rt.refresh_retry_at = None;
        account.rt.unauthorized = false;
        account.rt.token_exchanged_at = Some(now);
        let written = self.inner.store.write(&[&account], &[], true);
        let lease = Lease::of(&account).filter(|_| eligible::status_usable(&account, now));
        // Keep the new (single-use) refresh token in memory even if the write failed:
        // the old one is already consumed.
        state.accounts[index] = account;
        drop(state);
        self.inner.schedule_changed.notify_waiters();
        written?;
        Ok(lease.map_or(Refreshed::Unusable, Refreshed::Lease))
    }
}
