//! Leasing an account for one request, refreshing its token first when it is about to expire.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use super::{Pool, secs_after, upsert};
use crate::account::{Account, AccountId, AccountStatus, Secrets, from_unix, unix_secs};
use crate::error::{PoolError, RefreshError};
use crate::jwt::Claims;

/// Exchanges a refresh token for new tokens (the gateway implements it over `upstream`;
/// tests use a fake). The pool calls it at most once per account at a time.
pub trait Refresher: Send + Sync {
    /// Calls the OAuth token endpoint with `grant_type=refresh_token`.
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>>;
}

/// Tokens returned by a refresh. `Debug` redacts.
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

/// The right to use one account for one request. `Debug` redacts the token.
#[derive(Clone)]
pub struct Lease {
    id: AccountId,
    access_token: String,
    chatgpt_account_id: Option<String>,
    installation_id: String,
}

impl Lease {
    /// The account's id (pass the lease back to [`Pool::report`]).
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The bearer token for upstream.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The `ChatGPT-Account-Id` header value.
    pub fn chatgpt_account_id(&self) -> Option<&str> {
        self.chatgpt_account_id.as_deref()
    }

    /// The account's stable installation id (uuid).
    pub fn installation_id(&self) -> &str {
        &self.installation_id
    }

    fn of(account: &Account) -> Option<Lease> {
        Some(Lease {
            id: account.meta.id.clone(),
            access_token: account.secrets.access_token.clone()?,
            chatgpt_account_id: account.meta.chatgpt_account_id.clone(),
            installation_id: account.meta.installation_id.clone(),
        })
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("id", &self.id)
            .field("access_token", &"<redacted>")
            .field("chatgpt_account_id", &self.chatgpt_account_id)
            .field("installation_id", &self.installation_id)
            .finish()
    }
}

/// What selection decided.
enum Pick {
    Ready(Lease),
    Refresh(AccountId),
}

/// Why a refresh did not produce a lease.
enum Refreshed {
    Lease(Lease),
    /// Try another account.
    Unusable,
}

impl Pool {
    /// Leases an account for a request on `model`.
    ///
    /// Skips disabled, banned, expired and still rate-limited accounts. If the chosen
    /// account's access token expires within `refresh_margin` and it has a refresh token,
    /// the token is refreshed once through `refresher` (concurrent callers wait for that
    /// refresh instead of starting their own) and the new tokens are persisted before the
    /// lease is returned. A terminal refresh failure marks the account expired (banned if
    /// deactivated) and the next account is tried.
    pub async fn acquire(
        &self,
        model: &str,
        now: SystemTime,
        refresher: &dyn Refresher,
    ) -> Result<Lease, PoolError> {
        // Plan routing by model comes later; every active account serves every model.
        let _ = model;
        let mut tried: Vec<AccountId> = Vec::new();
        loop {
            let id = match self.pick(now, &tried)? {
                Pick::Ready(lease) => return Ok(lease),
                Pick::Refresh(id) => id,
            };
            match self.refresh_account(&id, now, refresher).await? {
                Refreshed::Lease(lease) => return Ok(lease),
                Refreshed::Unusable => tried.push(id),
            }
        }
    }

    /// Chooses an eligible account not in `tried`.
    fn pick(&self, now: SystemTime, tried: &[AccountId]) -> Result<Pick, PoolError> {
        let margin = self.inner.cfg.refresh_margin;
        let mut state = self.state();
        if state.accounts.is_empty() {
            return Err(PoolError::NoAccount);
        }
        // Accounts whose access token is dead with no refresh token can never work again.
        let dead: Vec<usize> = (0..state.accounts.len())
            .filter(|&i| {
                let a = &state.accounts[i];
                a.meta.status == AccountStatus::Active
                    && a.secrets.refresh_token.is_none()
                    && a.access_unusable(now)
            })
            .collect();
        if !dead.is_empty() {
            let mut updated: Vec<Account> =
                dead.iter().map(|&i| state.accounts[i].clone()).collect();
            for a in &mut updated {
                a.meta.status = AccountStatus::Expired;
                a.meta.status_reason = Some("access token expired and no refresh token".to_owned());
            }
            let rows: Vec<&Account> = updated.iter().collect();
            self.inner.store.write(&rows, &[], true)?;
            for (i, a) in dead.into_iter().zip(updated) {
                state.accounts[i] = a;
            }
        }
        let now_secs = unix_secs(now);
        let candidates: Vec<usize> = (0..state.accounts.len())
            .filter(|&i| {
                let a = &state.accounts[i];
                is_eligible(a, now_secs) && !tried.contains(&a.meta.id)
            })
            .collect();
        let chosen = self
            .inner
            .cfg
            .strategy
            .pick(candidates.iter().map(|&i| &state.accounts[i]));
        let Some(index) = chosen.map(|c| candidates[c]) else {
            let soonest_reset = state
                .accounts
                .iter()
                .filter(|a| a.meta.status == AccountStatus::RateLimited)
                .filter_map(|a| a.meta.rate_limited_until)
                .filter(|&until| until > now_secs)
                .min()
                .map(from_unix);
            return Err(PoolError::AllUnavailable {
                total: state.accounts.len(),
                soonest_reset,
            });
        };
        let seq = state.next_seq;
        state.next_seq += 1;
        let account = &mut state.accounts[index];
        account.lease_seq = seq;
        if account.secrets.refresh_token.is_some() && account.needs_refresh(now, margin) {
            return Ok(Pick::Refresh(account.meta.id.clone()));
        }
        match Lease::of(account) {
            Some(lease) => Ok(Pick::Ready(lease)),
            // Unreachable: an account without access token has a refresh token.
            None => Ok(Pick::Refresh(account.meta.id.clone())),
        }
    }

    /// Refreshes one account under its refresh lock, re-checking first in case another
    /// caller refreshed it while we waited.
    async fn refresh_account(
        &self,
        id: &AccountId,
        now: SystemTime,
        refresher: &dyn Refresher,
    ) -> Result<Refreshed, PoolError> {
        let lock = self.refresh_lock(id);
        let _guard = lock.lock().await;
        let margin = self.inner.cfg.refresh_margin;
        let refresh_token = {
            let state = self.state();
            let Some(account) = state.position(id).map(|i| &state.accounts[i]) else {
                return Ok(Refreshed::Unusable);
            };
            if !is_eligible(account, unix_secs(now)) {
                return Ok(Refreshed::Unusable);
            }
            if !account.needs_refresh(now, margin) {
                return Ok(Lease::of(account).map_or(Refreshed::Unusable, Refreshed::Lease));
            }
            match &account.secrets.refresh_token {
                Some(rt) => rt.clone(),
                None => return Ok(Refreshed::Unusable),
            }
        };
        match refresher.refresh(&refresh_token).await {
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
                }) {
                    Ok(_) | Err(PoolError::NotFound) => Ok(Refreshed::Unusable),
                    Err(e) => Err(e),
                }
            }
            Err(err) => {
                tracing::warn!(account = %id, error = %err, "token refresh failed");
                // Still usable if the current token has not actually expired yet.
                let state = self.state();
                Ok(state
                    .position(id)
                    .map(|i| &state.accounts[i])
                    .filter(|a| !a.access_unusable(now))
                    .and_then(Lease::of)
                    .map_or(Refreshed::Unusable, Refreshed::Lease))
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
            },
            &claims,
        );
        if claims.exp.is_none() {
            account.meta.expires_at = expires_in.map(|s| secs_after(now, Duration::from_secs(s)));
        }
        let written = self.inner.store.write(&[&account], &[], true);
        let lease = Lease::of(&account).filter(|_| is_eligible(&account, unix_secs(now)));
        // Keep the new (single-use) refresh token in memory even if the write failed:
        // the old one is already consumed.
        state.accounts[index] = account;
        written?;
        Ok(lease.map_or(Refreshed::Unusable, Refreshed::Lease))
    }
}

/// Active, or rate limited with the limit already over.
fn is_eligible(account: &Account, now_secs: u64) -> bool {
    match account.meta.status {
        AccountStatus::Active => true,
        AccountStatus::RateLimited => account
            .meta
            .rate_limited_until
            .is_none_or(|u| u <= now_secs),
        AccountStatus::Expired | AccountStatus::Banned | AccountStatus::Disabled => false,
    }
}
