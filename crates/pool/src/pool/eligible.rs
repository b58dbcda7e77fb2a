//! Which accounts may serve a request now: status, cooldowns, quota, plan routing.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::account::{Account, AccountStatus, from_unix};

/// The status allows use at `now` (rate and quota locks expire on their own).
pub(super) fn status_usable(account: &Account, now: SystemTime) -> bool {
    let until = account.meta.rate_limited_until.map(from_unix);
    match account.meta.status {
        AccountStatus::Active | AccountStatus::Refreshing => true,
        AccountStatus::RateLimited => until.is_none_or(|u| u <= now),
        AccountStatus::QuotaExhausted => until.is_some_and(|u| u <= now),
        AccountStatus::Expired | AccountStatus::Banned | AccountStatus::Disabled => false,
    }
}

/// Usable now: status, cooldown and (with `skip_exhausted`) quota.
pub(super) fn usable(account: &Account, now: SystemTime, skip_exhausted: bool) -> bool {
    status_usable(account, now)
        && account.rt.cooldown_until.is_none_or(|c| c <= now)
        && !refresh_backing_off(account, now)
        && !(skip_exhausted
            && account
                .meta
                .quota
                .as_ref()
                .is_some_and(|q| q.exhausted_until(now).is_some()))
}

/// When a temporarily blocked account becomes usable again; `None` if it is not blocked
/// by time (usable, dead, or blocked without a known end).
pub(super) fn blocked_until(
    account: &Account,
    now: SystemTime,
    skip_exhausted: bool,
) -> Option<SystemTime> {
    if matches!(
        account.meta.status,
        AccountStatus::Expired | AccountStatus::Banned | AccountStatus::Disabled
    ) || usable(account, now, skip_exhausted)
    {
        return None;
    }
    let mut until: Option<SystemTime> = None;
    let mut later = |t: Option<SystemTime>| {
        if let Some(t) = t.filter(|&t| t > now) {
            until = Some(until.map_or(t, |u| u.max(t)));
        }
    };
    if !status_usable(account, now) {
        later(account.meta.rate_limited_until.map(from_unix));
    }
    later(account.rt.cooldown_until);
    if refresh_backing_off(account, now) {
        later(account.rt.refresh_retry_at);
    }
    if skip_exhausted && let Some(q) = &account.meta.quota {
        later(q.exhausted_until(now).flatten());
    }
    until
}

/// The token is unusable and the last refresh failed transiently: wait for the backoff.
fn refresh_backing_off(account: &Account, now: SystemTime) -> bool {
    account.rt.refresh_retry_at.is_some_and(|r| r > now) && account.access_unusable(now)
}

/// Models served per plan, from accounts whose model list is known.
pub(super) fn plan_models(accounts: &[Account]) -> HashMap<&str, Vec<&str>> {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    for a in accounts {
        if let (Some(plan), Some(models)) = (a.meta.plan.as_deref(), &a.meta.models) {
            let list = map.entry(plan).or_default();
            for m in models {
                if !list.contains(&m.as_str()) {
                    list.push(m);
                }
            }
        }
    }
    map
}

/// Plan routing: an account serves `model` if its own model list has it, else if its
/// plan's known list has it; with neither list known it is allowed.
pub(super) fn serves(account: &Account, model: &str, plans: &HashMap<&str, Vec<&str>>) -> bool {
    if model.is_empty() {
        return true;
    }
    if let Some(models) = &account.meta.models {
        return models.iter().any(|m| m == model);
    }
    match account.meta.plan.as_deref().and_then(|p| plans.get(p)) {
        Some(list) => list.contains(&model),
        None => true,
    }
}
