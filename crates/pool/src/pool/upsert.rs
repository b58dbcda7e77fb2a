//! Adding credentials to the account list with the reference's dedup rules.

use std::time::{Duration, SystemTime};

use crate::account::{Account, AccountId, AccountMeta, AccountStatus, Secrets, Usage, unix_secs};
use crate::error::TokenError;
use crate::import::Credentials;
use crate::jwt::Claims;

/// Adds or updates the account `creds` belong to. Returns its index and whether it is new.
///
/// Dedup: an access token whose (`chatgpt_account_id`, user id) matches an account updates
/// it (team members share the account id but not the user id, so they stay separate); a
/// refresh-only item matching an account's refresh token updates that account.
pub(super) fn upsert(
    accounts: &mut Vec<Account>,
    creds: Credentials,
    now: SystemTime,
) -> Result<(usize, bool), TokenError> {
    let Credentials {
        access,
        refresh,
        id_token,
        label,
        installation_id,
        account_id_hint,
    } = creds;
    match access {
        Some(access) => {
            let claims = Claims::decode(&access)?;
            let account_id = claims
                .chatgpt_account_id
                .clone()
                .or(account_id_hint)
                .ok_or(TokenError::MissingAccountId)?;
            if refresh.is_none() && claims.is_expired(now, Duration::ZERO) {
                return Err(TokenError::Expired);
            }
            let existing = accounts.iter().position(|a| {
                a.meta.chatgpt_account_id.as_deref() == Some(account_id.as_str())
                    && a.meta.user_id == claims.user_id
            });
            let secrets = Secrets {
                access_token: Some(access),
                refresh_token: refresh,
                id_token,
                cookies: Vec::new(),
                proxy_url: None,
            };
            if let Some(index) = existing {
                let a = &mut accounts[index];
                apply_tokens(a, secrets, &claims);
                if label.is_some() {
                    a.meta.label = label;
                }
                return Ok((index, false));
            }
            let id = AccountId::derive(&account_id, claims.user_id.as_deref());
            let mut account = new_account(accounts, id, label, installation_id, now);
            account.meta.chatgpt_account_id = Some(account_id);
            apply_tokens(&mut account, secrets, &claims);
            accounts.push(account);
            Ok((accounts.len() - 1, true))
        }
        None => {
            let refresh = refresh.ok_or(TokenError::Empty)?;
            if let Some(index) = accounts
                .iter()
                .position(|a| a.secrets.refresh_token.as_deref() == Some(refresh.as_str()))
            {
                if label.is_some() {
                    accounts[index].meta.label = label;
                }
                return Ok((index, false));
            }
            let mut account =
                new_account(accounts, AccountId::random(), label, installation_id, now);
            account.secrets = Secrets {
                access_token: None,
                refresh_token: Some(refresh),
                id_token,
                cookies: Vec::new(),
                proxy_url: None,
            };
            accounts.push(account);
            Ok((accounts.len() - 1, true))
        }
    }
}

/// Stores new tokens and the identity they carry. A missing refresh or id token keeps the
/// stored one. Expired and rate-limited marks are cleared; disabled and banned stay.
pub(super) fn apply_tokens(account: &mut Account, secrets: Secrets, claims: &Claims) {
    let s = &mut account.secrets;
    s.access_token = secrets.access_token.or(s.access_token.take());
    if let Some(rt) = secrets.refresh_token.filter(|t| !t.is_empty()) {
        s.refresh_token = Some(rt);
    }
    if let Some(id) = secrets.id_token.filter(|t| !t.is_empty()) {
        s.id_token = Some(id);
    }
    let m = &mut account.meta;
    if claims.chatgpt_account_id.is_some() {
        m.chatgpt_account_id.clone_from(&claims.chatgpt_account_id);
    }
    if claims.user_id.is_some() {
        m.user_id.clone_from(&claims.user_id);
    }
    if claims.email.is_some() {
        m.email.clone_from(&claims.email);
    }
    if claims.plan_type.is_some() {
        m.plan.clone_from(&claims.plan_type);
    }
    m.expires_at = claims.exp;
    if matches!(
        m.status,
        AccountStatus::Expired | AccountStatus::RateLimited | AccountStatus::QuotaExhausted
    ) {
        m.status = AccountStatus::Active;
        m.status_reason = None;
        m.rate_limited_until = None;
    }
}

fn new_account(
    accounts: &[Account],
    id: AccountId,
    label: Option<String>,
    installation_id: Option<String>,
    now: SystemTime,
) -> Account {
    let order = accounts
        .iter()
        .map(|a| a.meta.order)
        .max()
        .map_or(0, |o| o + 1);
    let installation_id = installation_id
        .filter(|i| uuid::Uuid::parse_str(i).is_ok())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    Account {
        meta: AccountMeta {
            id,
            installation_id,
            label,
            email: None,
            plan: None,
            chatgpt_account_id: None,
            user_id: None,
            status: AccountStatus::Active,
            status_reason: None,
            expires_at: None,
            rate_limited_until: None,
            added_at: unix_secs(now),
            order,
            usage: Usage::default(),
            quota: None,
            models: None,
        },
        secrets: Secrets::default(),
        lease_seq: 0,
        rt: Default::default(),
    }
}
