//! `TransportConfig`: the issue-6 keys — client profile overrides (`client.*`), the
//! fingerprint updater (`update.*`), the WebSocket session pool (`ws_pool.*`) and the TLS
//! extras (`tls.extra_ca_file`, `tls.max_idle_per_host`).

use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::raw::RawConfig;

/// The Codex Desktop update feed (Sparkle appcast) the reference polls.
pub const DEFAULT_FEED_URL: &str = "https://persistent.oaistatic.com/codex-app-prod/appcast.xml";

/// Transport settings beyond `api.*`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportConfig {
    /// `client.originator` override of the fingerprint profile.
    pub originator: Option<String>,
    /// `client.app_version` override (pins the version: the updater leaves it alone).
    pub app_version: Option<String>,
    /// `client.build_number` override.
    pub build_number: Option<String>,
    /// `client.platform` override.
    pub platform: Option<String>,
    /// `client.arch` override.
    pub arch: Option<String>,
    /// `update.auto_update`: poll the appcast and apply new versions at runtime.
    pub auto_update: bool,
    /// `update.sparkle_feed_url` (ours; the reference's `sparkle_feed_url`).
    pub feed_url: String,
    /// `update.check_interval_hours` (ours; default 72, ±10 % jitter).
    pub check_interval: Duration,
    /// `ws_pool.enabled`: serve `/v1/responses` over the WebSocket transport.
    pub ws_enabled: bool,
    /// `ws_pool.max_age_ms`: how long an idle parked socket is kept for a follow-up turn.
    pub ws_max_idle: Duration,
    /// `ws_pool.max_per_account`: parked sockets per account (oldest closed first).
    pub ws_max_per_account: usize,
    /// `tls.extra_ca_file` (ours): PEM file of extra trusted roots (corporate CA, tests).
    pub extra_ca_file: Option<PathBuf>,
    /// `tls.max_idle_per_host` (ours): idle upstream connections kept per host (0 = a fresh
    /// handshake per request).
    pub max_idle_per_host: usize,
}

fn text(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub(super) fn transport(raw: &RawConfig) -> Result<TransportConfig, ConfigError> {
    let c = &raw.client;
    let u = &raw.update;
    let w = &raw.ws_pool;
    let feed_url = text(u.sparkle_feed_url.as_ref()).unwrap_or_else(|| DEFAULT_FEED_URL.into());
    if !(feed_url.starts_with("https://") || feed_url.starts_with("http://")) {
        return Err(ConfigError::invalid(
            "update.sparkle_feed_url",
            "must be an http:// or https:// URL",
        ));
    }
    let hours = u.check_interval_hours.unwrap_or(72.0);
    if !(hours.is_finite() && hours > 0.0 && hours <= 24.0 * 365.0) {
        return Err(ConfigError::invalid(
            "update.check_interval_hours",
            "must be a positive number of hours (at most a year)",
        ));
    }
    let max_per_account = w.max_per_account.unwrap_or(8);
    if max_per_account == 0 {
        return Err(ConfigError::invalid(
            "ws_pool.max_per_account",
            "must be at least 1",
        ));
    }
    Ok(TransportConfig {
        originator: text(c.originator.as_ref()),
        app_version: text(c.app_version.as_ref()),
        build_number: text(c.build_number.as_ref()),
        platform: text(c.platform.as_ref()),
        arch: text(c.arch.as_ref()),
        auto_update: u.auto_update.unwrap_or(false),
        feed_url,
        check_interval: Duration::from_secs_f64(hours * 3600.0),
        ws_enabled: w.enabled.unwrap_or(true),
        ws_max_idle: Duration::from_millis(w.max_age_ms.unwrap_or(3_300_000).max(1)),
        ws_max_per_account: usize::try_from(max_per_account).unwrap_or(usize::MAX),
        extra_ca_file: text(raw.tls.extra_ca_file.as_ref()).map(PathBuf::from),
        max_idle_per_host: usize::try_from(raw.tls.max_idle_per_host.unwrap_or(8))
            .unwrap_or(usize::MAX),
    })
}
