//! `auth.*` rotation and concurrency keys and `quota.*`, validated into [`AccountsConfig`]:
//! what the pool and the account background tasks need beyond [`super::AuthConfig`].

use std::time::Duration;

use codex_proxy_pool::{Strategy, WarningThresholds};

use super::ConfigError;
use super::raw::RawConfig;

/// Rotation, concurrency and quota settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountsConfig {
    /// `auth.rotation_strategy` (changeable at runtime via `/admin/rotation-settings`).
    pub strategy: Strategy,
    /// `auth.max_concurrent_per_account`.
    pub max_concurrent_per_account: usize,
    /// `auth.refresh_concurrency`.
    pub refresh_concurrency: usize,
    /// `quota.refresh_interval_minutes`; zero turns active quota refresh off.
    pub quota_refresh_interval: Duration,
    /// `quota.skip_exhausted`.
    pub skip_exhausted: bool,
    /// `quota.warning_thresholds`.
    pub warning_thresholds: WarningThresholds,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::LeastUsed,
            max_concurrent_per_account: 3,
            refresh_concurrency: 2,
            quota_refresh_interval: Duration::ZERO,
            skip_exhausted: true,
            warning_thresholds: WarningThresholds::default(),
        }
    }
}

/// Validates the keys (domains are checked by `validate::auth` and `validate_unused` too).
pub(super) fn accounts(raw: &RawConfig) -> Result<AccountsConfig, ConfigError> {
    let a = &raw.auth;
    let q = &raw.quota;
    let d = AccountsConfig::default();
    let strategy = match a.rotation_strategy.as_deref() {
        None => d.strategy,
        Some(s) => Strategy::from_name(s).ok_or_else(|| {
            ConfigError::invalid(
                "auth.rotation_strategy",
                "must be one of least_used, round_robin, sticky",
            )
        })?,
    };
    let minutes = q.refresh_interval_minutes.unwrap_or(0);
    if minutes > 7 * 24 * 60 {
        return Err(ConfigError::invalid(
            "quota.refresh_interval_minutes",
            "must be between 0 (off) and 10080",
        ));
    }
    let thresholds = q.warning_thresholds.as_ref();
    let pick = |v: Option<&Vec<u8>>, default: Vec<u8>| {
        v.filter(|v| !v.is_empty()).cloned().unwrap_or(default)
    };
    Ok(AccountsConfig {
        strategy,
        max_concurrent_per_account: a
            .max_concurrent_per_account
            .map_or(d.max_concurrent_per_account, |n| n as usize),
        refresh_concurrency: a
            .refresh_concurrency
            .map_or(d.refresh_concurrency, |n| n as usize),
        quota_refresh_interval: Duration::from_secs(minutes * 60),
        skip_exhausted: q.skip_exhausted.unwrap_or(d.skip_exhausted),
        warning_thresholds: WarningThresholds {
            primary: pick(
                thresholds.and_then(|t| t.primary.as_ref()),
                d.warning_thresholds.primary.clone(),
            ),
            secondary: pick(
                thresholds.and_then(|t| t.secondary.as_ref()),
                d.warning_thresholds.secondary,
            ),
        },
    })
}
