//! Layered configuration: embedded `config/default.yaml` → `<data-dir>/local.yaml` →
//! `--config FILE` → environment → `--host`/`--port`. Errors name the failing key path.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use codex_proxy_gateway::config::DEFAULT_CONFIG_YAML;
use codex_proxy_gateway::{ConfigError, GatewayConfig, RawConfig};
use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Yaml};

use crate::Cli;

/// The merged raw config and the validated config.
pub(crate) struct Loaded {
    pub raw: RawConfig,
    pub config: GatewayConfig,
}

pub(crate) fn load(cli: &Cli) -> anyhow::Result<Loaded> {
    let raw = merged(cli)?
        .extract::<RawConfig>()
        .map_err(|e| anyhow::anyhow!(figment_message(e)))?;
    let config = GatewayConfig::from_raw(raw.clone()).context("invalid configuration")?;
    Ok(Loaded { raw, config })
}

/// The files a running server watches for edits: `<data-dir>/local.yaml` and `--config`.
pub(crate) fn watched_files(cli: &Cli) -> Vec<PathBuf> {
    let mut files = vec![local_yaml(&cli.data_dir)];
    files.extend(cli.config.clone());
    files
}

/// The reload loader handed to the gateway: the same layers as at startup; errors name the key
/// (or the layer when a whole file is unreadable). A key removed from `local.yaml` is
/// generated again, as on first start, so the API never opens up by accident.
pub(crate) fn reload(cli: &Cli) -> Result<GatewayConfig, ConfigError> {
    let layer = |e: anyhow::Error| ConfigError::Layer {
        layer: "configuration".to_owned(),
        reason: format!("{e:#}"),
    };
    let raw = merged(cli)
        .map_err(layer)?
        .extract::<RawConfig>()
        .map_err(config_error)?;
    let mut config = GatewayConfig::from_raw(raw)?;
    if config.server.proxy_api_key.is_none() {
        let key = codex_proxy_gateway::keys::generate_and_persist(&cli.data_dir).map_err(|e| {
            ConfigError::Layer {
                layer: local_yaml(&cli.data_dir).display().to_string(),
                reason: e.to_string(),
            }
        })?;
        tracing::warn!(
            "server.proxy_api_key was removed; generated a new one (`codex-proxy keys` prints it)"
        );
        config.server.proxy_api_key = Some(key);
    }
    Ok(config)
}

/// The first figment error as a [`ConfigError`]: the key path when there is one.
fn config_error(e: figment::Error) -> ConfigError {
    let origin = e
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(source) => format!("{}: {source}", m.name),
            None => m.name.to_string(),
        })
        .unwrap_or_else(|| "configuration".to_owned());
    if e.path.is_empty() {
        ConfigError::Layer {
            layer: origin,
            reason: e.kind.to_string(),
        }
    } else {
        ConfigError::Invalid {
            key: e.path.join("."),
            reason: format!("{} ({origin})", e.kind),
        }
    }
}

/// All layers, not yet extracted.
fn merged(cli: &Cli) -> anyhow::Result<Figment> {
    let local_path = codex_proxy_gateway::keys::local_yaml_path(&cli.data_dir);
    let local_sets = LocalKeys::read(&local_path)?;
    let mut fig = Figment::new().merge(Yaml::string(DEFAULT_CONFIG_YAML));
    if local_path.is_file() {
        fig = fig.merge(Yaml::file(&local_path));
    }
    if let Some(file) = &cli.config {
        if !file.is_file() {
            bail!("config file {} does not exist", file.display());
        }
        fig = fig.merge(Yaml::file(file));
    }
    fig = env_layer(fig, &local_sets);
    if let Some(host) = &cli.host {
        fig = fig.merge(Serialized::default("server.host", host));
    }
    if let Some(port) = cli.port {
        fig = fig.merge(Serialized::default("server.port", port));
    }
    Ok(fig)
}

/// Which keys `local.yaml` sets explicitly (they win over some env variables, as in the
/// reference).
struct LocalKeys {
    host: bool,
    proxy_url: bool,
}

impl LocalKeys {
    fn read(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    host: false,
                    proxy_url: false,
                });
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let doc: serde_yaml::Value = serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not valid yaml", path.display()))?;
        let has = |section: &str, key: &str| doc.get(section).and_then(|s| s.get(key)).is_some();
        Ok(Self {
            host: has("server", "host"),
            proxy_url: has("tls", "proxy_url"),
        })
    }
}

fn env_layer(mut fig: Figment, local: &LocalKeys) -> Figment {
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let truthy = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes");
    if let Some(port) = var("PORT").and_then(|p| p.parse::<u16>().ok()) {
        fig = fig.merge(Serialized::default("server.port", port));
    }
    if !local.host
        && let Some(host) = var("CODEX_PROXY_HOST")
    {
        fig = fig.merge(Serialized::default("server.host", host));
    }
    if !local.proxy_url
        && let Some(proxy) = var("HTTPS_PROXY").or_else(|| var("https_proxy"))
    {
        fig = fig.merge(Serialized::default("tls.proxy_url", proxy));
    }
    if let Some(token) = var("CODEX_JWT_TOKEN") {
        fig = fig.merge(Serialized::default("auth.jwt_token", token));
    }
    if let Some(v) = var("OLLAMA_BRIDGE_ENABLED") {
        fig = fig.merge(Serialized::default("ollama.enabled", truthy(&v)));
    }
    if let Some(v) = var("OLLAMA_BRIDGE_DISABLE_VISION") {
        fig = fig.merge(Serialized::default("ollama.disable_vision", truthy(&v)));
    }
    if let Some(v) = var("OLLAMA_BRIDGE_HOST") {
        fig = fig.merge(Serialized::default("ollama.host", v));
    }
    if let Some(port) = var("OLLAMA_BRIDGE_PORT").and_then(|p| p.parse::<u16>().ok()) {
        fig = fig.merge(Serialized::default("ollama.port", port));
    }
    if let Some(v) = var("OLLAMA_BRIDGE_VERSION") {
        fig = fig.merge(Serialized::default("ollama.version", v));
    }
    // CODEX_PROXY_<SECTION>__<KEY>=value for anything; CODEX_PROXY_HOST (no `__`) is handled above.
    fig.merge(
        Env::prefixed("CODEX_PROXY_")
            .filter(|k| k.as_str().contains("__"))
            .split("__"),
    )
}

/// Figment's errors, one line each, naming the key path and the layer it came from.
fn figment_message(e: figment::Error) -> String {
    let lines: Vec<String> = e
        .into_iter()
        .map(|e| {
            let path = if e.path.is_empty() {
                "<root>".to_owned()
            } else {
                e.path.join(".")
            };
            let origin = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(source) => format!("{}: {source}", m.name),
                    None => m.name.to_string(),
                })
                .unwrap_or_default();
            format!("config key `{path}`: {} ({origin})", e.kind)
        })
        .collect();
    format!("invalid configuration:\n  {}", lines.join("\n  "))
}

/// The data dir as given (for messages).
pub(crate) fn local_yaml(data_dir: &Path) -> PathBuf {
    codex_proxy_gateway::keys::local_yaml_path(data_dir)
}
