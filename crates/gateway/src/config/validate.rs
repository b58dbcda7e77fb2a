//! Per-section validation of the merged raw config into the typed config sections.

use std::collections::BTreeMap;
use std::time::Duration;

use super::raw::{RawConfig, RawCustomModel, RawModelEntry, RawModelsFile};
use super::{ApiConfig, AuthConfig, ConfigError, ModelConfig, ProxyApiKey, ServerConfig};
use crate::catalog::{ModelInfo, ModelSource};

pub(super) fn server(raw: &RawConfig) -> Result<ServerConfig, ConfigError> {
    let s = &raw.server;
    let proxy_api_key = match s.proxy_api_key.as_deref() {
        None => None,
        Some(k) if k.trim().is_empty() => None,
        Some(k) => Some(ProxyApiKey::new(k)?),
    };
    let max_body_bytes = s.max_body_bytes.unwrap_or(32 * 1024 * 1024);
    if max_body_bytes < 1024 {
        return Err(ConfigError::invalid(
            "server.max_body_bytes",
            "must be at least 1024",
        ));
    }
    Ok(ServerConfig {
        host: non_empty("server.host", s.host.as_deref(), "127.0.0.1")?,
        port: s.port.unwrap_or(8080),
        proxy_api_key,
        max_body_bytes: usize::try_from(max_body_bytes).unwrap_or(usize::MAX),
        heartbeat: seconds(
            "server.heartbeat_seconds",
            s.heartbeat_seconds.unwrap_or(15.0),
        )?,
        shutdown_drain: seconds(
            "server.shutdown_drain_seconds",
            s.shutdown_drain_seconds.unwrap_or(30.0),
        )?,
        config_poll: Duration::try_from_secs_f64(s.config_poll_seconds.unwrap_or(2.0)).map_err(
            |_| {
                ConfigError::invalid(
                    "server.config_poll_seconds",
                    "must be 0 (off) or a positive number of seconds",
                )
            },
        )?,
    })
}

pub(super) fn api(raw: &RawConfig) -> Result<ApiConfig, ConfigError> {
    let a = &raw.api;
    let base_url = http_url(
        "api.base_url",
        a.base_url
            .as_deref()
            .unwrap_or("https://chatgpt.com/backend-api"),
    )?;
    let max_attempts = a.max_attempts.unwrap_or(3);
    if !(1..=20).contains(&max_attempts) {
        return Err(ConfigError::invalid(
            "api.max_attempts",
            "must be between 1 and 20",
        ));
    }
    if a.timeout_seconds == Some(0) {
        return Err(ConfigError::invalid(
            "api.timeout_seconds",
            "must be at least 1",
        ));
    }
    let secs = |key: &str, v: Option<u64>, d: u64| -> Result<Duration, ConfigError> {
        match v.unwrap_or(d) {
            0 => Err(ConfigError::invalid(key, "must be at least 1")),
            n => Ok(Duration::from_secs(n)),
        }
    };
    Ok(ApiConfig {
        compress_requests: a.compress_requests.unwrap_or(true),
        proxy_url: raw
            .tls
            .proxy_url
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        base_url: base_url.trim_end_matches('/').to_owned(),
        max_attempts,
        models_cache_ttl: Duration::from_secs(a.models_cache_ttl_seconds.unwrap_or(3600)),
        connect_timeout: secs("api.connect_timeout_seconds", a.connect_timeout_seconds, 10)?,
        first_byte_timeout: secs(
            "api.first_byte_timeout_seconds",
            a.first_byte_timeout_seconds,
            120,
        )?,
        idle_timeout: secs("api.idle_timeout_seconds", a.idle_timeout_seconds, 300)?,
    })
}

pub(super) fn model(raw: &RawConfig, file: RawModelsFile) -> Result<ModelConfig, ConfigError> {
    let m = &raw.model;
    let default = non_empty("model.default", m.default.as_deref(), "gpt-5.4")?;
    let effort = |key: &str, v: Option<&str>| -> Result<Option<String>, ConfigError> {
        match v.map(str::trim) {
            None | Some("") => Ok(None),
            Some(e @ ("none" | "minimal" | "low" | "medium" | "high" | "xhigh")) => {
                Ok(Some(e.to_owned()))
            }
            Some(_) => Err(ConfigError::invalid(
                key,
                "must be one of none, minimal, low, medium, high, xhigh",
            )),
        }
    };
    let default_reasoning_effort = effort(
        "model.default_reasoning_effort",
        m.default_reasoning_effort.as_deref(),
    )?;
    let system_prompt_strategy = match m
        .system_prompt_strategy
        .as_deref()
        .unwrap_or("instructions")
    {
        s @ ("instructions" | "developer_inline" | "system_inline") => s.to_owned(),
        _ => {
            return Err(ConfigError::invalid(
                "model.system_prompt_strategy",
                "must be one of instructions, developer_inline, system_inline",
            ));
        }
    };
    let mut aliases = BTreeMap::new();
    let bundled = file
        .aliases
        .into_iter()
        .map(|(k, v)| ("config/models.yaml aliases", k, v));
    let configured = m
        .aliases
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| ("model.aliases", k, v));
    for (key, from, to) in bundled.chain(configured) {
        let (from, to) = (from.trim(), to.trim());
        let to = if to == "@default" {
            default.as_str()
        } else {
            to
        };
        if from.is_empty() || to.is_empty() {
            return Err(ConfigError::invalid(
                format!("{key}.{from}"),
                "alias and target must be non-empty",
            ));
        }
        if from == to {
            aliases.remove(from);
            continue;
        }
        aliases.insert(from.to_owned(), to.to_owned());
    }
    let static_models = file
        .models
        .into_iter()
        .enumerate()
        .map(|(i, e)| model_info(&format!("models[{i}]"), e, ModelSource::Static))
        .collect::<Result<Vec<_>, _>>()?;
    let custom_models = m
        .custom_models
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let entry = match c {
                RawCustomModel::Id(id) => RawModelEntry {
                    id,
                    ..RawModelEntry::default()
                },
                RawCustomModel::Entry(e) => *e,
            };
            model_info(
                &format!("model.custom_models[{i}]"),
                entry,
                ModelSource::Custom,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ModelConfig {
        default,
        default_reasoning_effort,
        default_service_tier: m
            .default_service_tier
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        default_tools: m.default_tools.clone().unwrap_or_default(),
        system_prompt_strategy,
        aliases,
        static_models,
        custom_models,
        image_host_model: m
            .image_host_model
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("gpt-5.5")
            .to_owned(),
    })
}

fn model_info(key: &str, e: RawModelEntry, source: ModelSource) -> Result<ModelInfo, ConfigError> {
    let id = e.id.trim().to_owned();
    if id.is_empty() {
        return Err(ConfigError::invalid(
            format!("{key}.id"),
            "must be non-empty",
        ));
    }
    Ok(ModelInfo::from_entry(id, e, source))
}

pub(super) fn auth(raw: &RawConfig) -> Result<AuthConfig, ConfigError> {
    let a = &raw.auth;
    let jwt_token = match a.jwt_token.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) if t.starts_with("eyJ") => Some(t.to_owned()),
        Some(_) => {
            return Err(ConfigError::invalid(
                "auth.jwt_token",
                "must be a JWT (starts with `eyJ`)",
            ));
        }
    };
    if let Some(s) = a.rotation_strategy.as_deref()
        && !matches!(s, "least_used" | "round_robin" | "sticky")
    {
        return Err(ConfigError::invalid(
            "auth.rotation_strategy",
            "must be one of least_used, round_robin, sticky",
        ));
    }
    if a.refresh_concurrency == Some(0) {
        return Err(ConfigError::invalid(
            "auth.refresh_concurrency",
            "must be at least 1",
        ));
    }
    if a.max_concurrent_per_account == Some(0) {
        return Err(ConfigError::invalid(
            "auth.max_concurrent_per_account",
            "must be at least 1",
        ));
    }
    let backoff = a.rate_limit_backoff_seconds.unwrap_or(60);
    if backoff == 0 {
        return Err(ConfigError::invalid(
            "auth.rate_limit_backoff_seconds",
            "must be at least 1",
        ));
    }
    Ok(AuthConfig {
        jwt_token,
        refresh_enabled: a.refresh_enabled.unwrap_or(true),
        refresh_margin: Duration::from_secs(a.refresh_margin_seconds.unwrap_or(300)),
        rate_limit_backoff: Duration::from_secs(backoff),
        oauth_client_id: non_empty(
            "auth.oauth_client_id",
            a.oauth_client_id.as_deref(),
            "app_EMoamEEZ73f0CkXaXp7hrann",
        )?,
        oauth_auth_endpoint: http_url(
            "auth.oauth_auth_endpoint",
            a.oauth_auth_endpoint
                .as_deref()
                .unwrap_or("https://auth.openai.com/oauth/authorize"),
        )?,
        oauth_token_endpoint: http_url(
            "auth.oauth_token_endpoint",
            a.oauth_token_endpoint
                .as_deref()
                .unwrap_or("https://auth.openai.com/oauth/token"),
        )?,
    })
}

/// Checks the domains of keys nothing acts on yet, so a bad value fails at startup, not later.
pub(super) fn validate_unused(raw: &RawConfig) -> Result<(), ConfigError> {
    if let Some(t) = &raw.quota.warning_thresholds {
        for (key, v) in [
            ("quota.warning_thresholds.primary", &t.primary),
            ("quota.warning_thresholds.secondary", &t.secondary),
        ] {
            if v.iter().flatten().any(|p| !(1..=100).contains(p)) {
                return Err(ConfigError::invalid(
                    key,
                    "thresholds must be integers between 1 and 100",
                ));
            }
        }
    }
    if let Some(url) = raw.official_agent.app_server_url.as_deref()
        && !(url.starts_with("ws://") || url.starts_with("wss://"))
    {
        return Err(ConfigError::invalid(
            "official_agent.app_server_url",
            "must be a ws:// or wss:// URL",
        ));
    }
    if let Some(ms) = raw.official_agent.request_timeout_ms
        && !(1000..=300_000).contains(&ms)
    {
        return Err(ConfigError::invalid(
            "official_agent.request_timeout_ms",
            "must be between 1000 and 300000",
        ));
    }
    Ok(())
}

pub(super) fn non_empty(key: &str, v: Option<&str>, default: &str) -> Result<String, ConfigError> {
    match v.map(str::trim) {
        None => Ok(default.to_owned()),
        Some("") => Err(ConfigError::invalid(key, "must be non-empty")),
        Some(s) => Ok(s.to_owned()),
    }
}

fn http_url(key: &str, v: &str) -> Result<String, ConfigError> {
    let v = v.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !v.contains(char::is_whitespace) => {
            Ok(v.to_owned())
        }
        _ => Err(ConfigError::invalid(
            key,
            "must be an http:// or https:// URL",
        )),
    }
}

fn seconds(key: &str, v: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| ConfigError::invalid(key, "must be a positive number of seconds"))
}
