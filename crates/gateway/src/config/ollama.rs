//! `ollama.*`: the Ollama-compatible bridge listener (config spec §3, §12), validated.

use super::ConfigError;
use super::raw::RawConfig;

/// The Ollama bridge listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaConfig {
    /// Start the bridge listener.
    pub enabled: bool,
    /// Bind address (default `127.0.0.1`). Anything beyond loopback is warned about loudly:
    /// the bridge has no authentication.
    pub host: String,
    /// Bind port (default 11434; 0 picks a free port, for tests).
    pub port: u16,
    /// Version reported by `/api/version` (1–64 characters).
    pub version: String,
    /// Hide the `vision` capability in `/api/show`.
    pub disable_vision: bool,
}

impl Default for OllamaConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "127.0.0.1".to_owned(),
            port: 11434,
            version: "0.18.3".to_owned(),
            disable_vision: false,
        }
    }
}

/// Validates `ollama.*`.
pub(super) fn ollama(raw: &RawConfig) -> Result<OllamaConfig, ConfigError> {
    let o = &raw.ollama;
    let defaults = OllamaConfig::default();
    let version = o
        .version
        .as_deref()
        .map_or(defaults.version, |v| v.trim().to_owned());
    if !(1..=64).contains(&version.len()) {
        return Err(ConfigError::invalid(
            "ollama.version",
            "must be 1 to 64 characters",
        ));
    }
    let host = o
        .host
        .as_deref()
        .map_or(defaults.host, |h| h.trim().to_owned());
    if host.is_empty() {
        return Err(ConfigError::invalid("ollama.host", "must not be empty"));
    }
    Ok(OllamaConfig {
        enabled: o.enabled.unwrap_or(false),
        host,
        port: o.port.unwrap_or(defaults.port),
        version,
        disable_vision: o.disable_vision.unwrap_or(false),
    })
}
