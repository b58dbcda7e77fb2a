//! Quota windows: the plain [`QuotaSnapshot`] the gateway hands in (from `x-codex-*` headers
//! or WebSocket rate-limit events), the `/wham/usage` body parser, exhaustion and warnings.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::account::{AccountId, from_unix, unix_secs};

/// One rate-limit window (primary = the short window, secondary = the weekly one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuotaWindow {
    /// Percent of the window used (0–100; may exceed 100).
    pub used_percent: f64,
    /// Window length in minutes, if known.
    #[serde(default)]
    pub window_minutes: Option<u64>,
    /// When the window resets.
    #[serde(default, with = "unix_opt")]
    pub reset_at: Option<SystemTime>,
}

/// The quota state of an account, as last observed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuotaSnapshot {
    /// The short window (`x-codex-primary-*`, usage `rate_limit.primary_window`).
    #[serde(default)]
    pub primary: Option<QuotaWindow>,
    /// The long window (`x-codex-secondary-*`, usage `rate_limit.secondary_window`).
    #[serde(default)]
    pub secondary: Option<QuotaWindow>,
    /// Upstream said `limit_reached` explicitly (usage body only).
    #[serde(default)]
    pub limit_reached: bool,
    /// Plan type reported by the usage endpoint.
    #[serde(default)]
    pub plan_type: Option<String>,
    /// When the snapshot was observed.
    #[serde(default, with = "unix_opt")]
    pub observed_at: Option<SystemTime>,
}

impl QuotaSnapshot {
    /// Parses a `/wham/usage` body (upstream-codex.md §10.1). `None` when the body is not
    /// JSON or has no `rate_limit` object.
    pub fn from_usage_json(body: &[u8]) -> Option<QuotaSnapshot> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let rl = v.get("rate_limit")?.as_object()?;
        let window = |key: &str| -> Option<QuotaWindow> {
            let w = rl.get(key)?.as_object()?;
            let used = w.get("used_percent")?.as_f64().filter(|f| f.is_finite())?;
            let reset = w
                .get("reset_at")
                .and_then(serde_json::Value::as_f64)
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| from_unix(f as u64));
            Some(QuotaWindow {
                used_percent: used,
                window_minutes: w
                    .get("limit_window_seconds")
                    .and_then(serde_json::Value::as_u64)
                    .map(|s| s / 60),
                reset_at: reset,
            })
        };
        Some(QuotaSnapshot {
            primary: window("primary_window"),
            secondary: window("secondary_window"),
            limit_reached: rl
                .get("limit_reached")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
                || rl.get("allowed").and_then(serde_json::Value::as_bool) == Some(false),
            plan_type: v
                .get("plan_type")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            observed_at: None,
        })
    }

    /// If the account is exhausted at `now`: `Some(reset)` with the time it becomes usable
    /// again (`None` inside when unknown). Windows whose reset has passed count as reset.
    pub fn exhausted_until(&self, now: SystemTime) -> Option<Option<SystemTime>> {
        let live = |w: &QuotaWindow| w.reset_at.is_none_or(|r| r > now);
        // Each blocking window's reset; `None` = blocked with no known end.
        let mut resets: Vec<Option<SystemTime>> = [self.primary, self.secondary]
            .into_iter()
            .flatten()
            .filter(|w| w.used_percent >= 100.0 && live(w))
            .map(|w| w.reset_at)
            .collect();
        if self.limit_reached && resets.is_empty() {
            let reset = self.primary.and_then(|w| w.reset_at);
            if reset.is_none_or(|r| r > now) {
                resets.push(reset);
            }
        }
        if resets.is_empty() {
            return None;
        }
        // Usable again when the last blocking window resets; unknown if any is unknown.
        let until = resets
            .iter()
            .try_fold(SystemTime::UNIX_EPOCH, |acc, r| r.map(|r| acc.max(r)));
        Some(until)
    }
}

/// Which window a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaWindowKind {
    /// The short window.
    Primary,
    /// The long window.
    Secondary,
}

/// Warning severity: `critical` when the highest configured threshold is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningLevel {
    /// A threshold below the highest one is reached.
    Warning,
    /// The highest threshold is reached.
    Critical,
}

/// Warning thresholds in percent (`quota.warning_thresholds`), default `[80, 90]` each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningThresholds {
    /// Thresholds for the primary window.
    pub primary: Vec<u8>,
    /// Thresholds for the secondary window.
    pub secondary: Vec<u8>,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        WarningThresholds {
            primary: vec![80, 90],
            secondary: vec![80, 90],
        }
    }
}

/// One quota warning (`GET /auth/quota/warnings`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaWarning {
    /// The account.
    pub account: AccountId,
    /// Its email, if known.
    pub email: Option<String>,
    /// Which window.
    pub window: QuotaWindowKind,
    /// Severity.
    pub level: WarningLevel,
    /// The matched threshold.
    pub threshold: u8,
    /// Percent used.
    pub used_percent: f64,
    /// When the window resets, Unix seconds.
    pub reset_at: Option<u64>,
}

/// The level for `used` against `thresholds`: the highest threshold ≤ used matches;
/// critical if it is the highest threshold overall.
pub(crate) fn level(used: f64, thresholds: &[u8]) -> Option<(WarningLevel, u8)> {
    let max = thresholds.iter().copied().max()?;
    let hit = thresholds
        .iter()
        .copied()
        .filter(|&t| f64::from(t) <= used)
        .max()?;
    Some((
        if hit == max {
            WarningLevel::Critical
        } else {
            WarningLevel::Warning
        },
        hit,
    ))
}

/// Warnings for one account's snapshot at `now` (windows already reset are ignored).
pub(crate) fn warnings_for(
    account: &AccountId,
    email: Option<&str>,
    snapshot: &QuotaSnapshot,
    thresholds: &WarningThresholds,
    now: SystemTime,
    out: &mut Vec<QuotaWarning>,
) {
    let windows = [
        (
            QuotaWindowKind::Primary,
            snapshot.primary,
            &thresholds.primary,
        ),
        (
            QuotaWindowKind::Secondary,
            snapshot.secondary,
            &thresholds.secondary,
        ),
    ];
    for (kind, window, list) in windows {
        let Some(w) = window else { continue };
        if w.reset_at.is_some_and(|r| r <= now) {
            continue;
        }
        if let Some((level, threshold)) = level(w.used_percent, list) {
            out.push(QuotaWarning {
                account: account.clone(),
                email: email.map(str::to_owned),
                window: kind,
                level,
                threshold,
                used_percent: w.used_percent,
                reset_at: w.reset_at.map(unix_secs),
            });
        }
    }
}

/// Serde for `Option<SystemTime>` as Unix seconds.
mod unix_opt {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        t.map(unix_secs).serialize(s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s)))
    }
}

#[cfg(test)]
mod tests;
