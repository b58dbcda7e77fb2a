//! Validated configuration: [`GatewayConfig`], built once from a [`RawConfig`] (the merged YAML
//! layers) by [`GatewayConfig::from_raw`]. Every error names the failing key path.

mod accounts;
mod ollama;
pub mod raw;
mod transport;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

pub use self::accounts::AccountsConfig;
pub use self::ollama::OllamaConfig;
pub use self::raw::RawConfig;
use self::raw::RawModelsFile;
pub use self::transport::{DEFAULT_FEED_URL, TransportConfig};
use self::validate::{api, auth, model, non_empty, server, validate_unused};
use crate::catalog::ModelInfo;

/// `config/default.yaml`, the lowest configuration layer, embedded in the binary.
pub const DEFAULT_CONFIG_YAML: &str = include_str!("../../../config/default.yaml");
/// `config/models.yaml`, the static model catalog and bundled aliases, embedded in the binary.
pub const MODELS_YAML: &str = include_str!("../../../config/models.yaml");

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key holds a value outside its domain.
    #[error("invalid value for `{key}`: {reason}")]
    Invalid {
        /// Dotted key path, e.g. `server.port`.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A configuration layer (file, environment) cannot be read or parsed as a whole.
    #[error("cannot load {layer}: {reason}")]
    Layer {
        /// The file or layer name.
        layer: String,
        /// What is wrong.
        reason: String,
    },
    /// An embedded YAML file does not parse (a build defect).
    #[error("embedded {file} does not parse: {reason}")]
    Embedded {
        /// Which file.
        file: &'static str,
        /// Parser message.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// The dotted key path at fault, if the error is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Invalid { key, .. } => Some(key),
            Self::Embedded { .. } | Self::Layer { .. } => None,
        }
    }
}

/// The proxy API key. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyApiKey(String);

impl ProxyApiKey {
    /// Wraps a key; rejects empty or non-visible-ASCII keys.
    pub fn new(key: &str) -> Result<Self, ConfigError> {
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::invalid(
                "server.proxy_api_key",
                "must be non-empty visible ASCII without spaces",
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key itself; only for comparison and `codex-proxy keys`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with what a client presented.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let ours = self.0.as_bytes();
        if ours.len() != presented.len() {
            return false;
        }
        ours.iter()
            .zip(presented)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl fmt::Debug for ProxyApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProxyApiKey(***)")
    }
}

/// Everything the gateway needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayConfig {
    /// Listener and request handling.
    pub server: ServerConfig,
    /// The Codex backend.
    pub api: ApiConfig,
    /// Models, aliases and defaults.
    pub model: ModelConfig,
    /// Accounts and OAuth.
    pub auth: AuthConfig,
    /// Client identity shown upstream.
    pub client: ClientConfig,
    /// The Ollama bridge listener.
    pub ollama: OllamaConfig,
    /// Rotation, concurrency and quota settings.
    pub accounts: AccountsConfig,
    /// Client profile overrides, fingerprint updater, WebSocket pool, TLS extras.
    pub transport: TransportConfig,
}

/// `server.*`
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Bind address.
    pub host: String,
    /// Bind port; 0 picks a free one.
    pub port: u16,
    /// Key required on `/v1/*` and the admin routes; `None` leaves them open.
    pub proxy_api_key: Option<ProxyApiKey>,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// `: ping` interval while the upstream is idle.
    pub heartbeat: Duration,
    /// How long in-flight requests may finish on shutdown.
    pub shutdown_drain: Duration,
    /// `server.config_poll_seconds` (ours): how often the config files are checked for edits
    /// (hot reload); zero turns the check off.
    pub config_poll: Duration,
}

/// `api.*`
#[derive(Debug, Clone, PartialEq)]
pub struct ApiConfig {
    /// Codex backend base URL without a trailing slash.
    pub base_url: String,
    /// Upstream attempts per request (≥ 1).
    pub max_attempts: u32,
    /// Backend model list cache lifetime.
    pub models_cache_ttl: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Time to the response head.
    pub first_byte_timeout: Duration,
    /// Longest silence between two body chunks.
    pub idle_timeout: Duration,
    /// zstd-compress `POST /codex/responses` bodies.
    pub compress_requests: bool,
    /// Global upstream proxy (`tls.proxy_url`).
    pub proxy_url: Option<String>,
}

/// `model.*` merged with `config/models.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// Fallback model.
    pub default: String,
    /// Effort when the client gives none.
    pub default_reasoning_effort: Option<String>,
    /// Service tier when the client gives none.
    pub default_service_tier: Option<String>,
    /// Hosted tool types added to every request.
    pub default_tools: Vec<String>,
    /// `instructions`, `developer_inline` or `system_inline`.
    pub system_prompt_strategy: String,
    /// Alias → target: bundled aliases overridden by `model.aliases`, `@default` resolved.
    pub aliases: BTreeMap<String, String>,
    /// `config/models.yaml` entries.
    pub static_models: Vec<ModelInfo>,
    /// `model.custom_models` entries (win over everything on the same id).
    pub custom_models: Vec<ModelInfo>,
    /// `model.image_host_model`: the Codex model that runs the `image_generation` tool for
    /// `/v1/images/*` (default `gpt-5.5`).
    pub image_host_model: String,
}

/// `auth.*`
#[derive(Clone, PartialEq)]
pub struct AuthConfig {
    /// Access token added as an account at startup.
    pub jwt_token: Option<String>,
    /// Refresh expiring tokens on lease.
    pub refresh_enabled: bool,
    /// Refresh this long before expiry.
    pub refresh_margin: Duration,
    /// 429 lock length when upstream gives no hint.
    pub rate_limit_backoff: Duration,
    /// OAuth client id.
    pub oauth_client_id: String,
    /// OAuth authorize endpoint.
    pub oauth_auth_endpoint: String,
    /// OAuth token endpoint.
    pub oauth_token_endpoint: String,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_token", &self.jwt_token.as_ref().map(|_| "***"))
            .field("refresh_enabled", &self.refresh_enabled)
            .field("refresh_margin", &self.refresh_margin)
            .field("rate_limit_backoff", &self.rate_limit_backoff)
            .field("oauth_client_id", &self.oauth_client_id)
            .field("oauth_auth_endpoint", &self.oauth_auth_endpoint)
            .field("oauth_token_endpoint", &self.oauth_token_endpoint)
            .finish()
    }
}

/// `client.*` and `tls.*` values the transport uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// `client_version` for the backend model list.
    pub app_version: String,
    /// Disable HTTP/2 to the backend.
    pub force_http11: bool,
}

impl GatewayConfig {
    /// Parses the embedded `config/default.yaml` alone (tests, `check-config` baseline).
    pub fn embedded_raw() -> Result<RawConfig, ConfigError> {
        serde_yaml::from_str(DEFAULT_CONFIG_YAML).map_err(|e| ConfigError::Embedded {
            file: "config/default.yaml",
            reason: e.to_string(),
        })
    }

    /// Validates merged raw config (together with the embedded `config/models.yaml`).
    pub fn from_raw(raw: RawConfig) -> Result<Self, ConfigError> {
        let models: RawModelsFile =
            serde_yaml::from_str(MODELS_YAML).map_err(|e| ConfigError::Embedded {
                file: "config/models.yaml",
                reason: e.to_string(),
            })?;
        Self::from_raw_with_models(raw, models)
    }

    /// Validates merged raw config with an explicit models file.
    pub fn from_raw_with_models(
        raw: RawConfig,
        models: RawModelsFile,
    ) -> Result<Self, ConfigError> {
        validate_unused(&raw)?;
        let server = server(&raw)?;
        let api = api(&raw)?;
        let model = model(&raw, models)?;
        let auth = auth(&raw)?;
        let client = ClientConfig {
            app_version: non_empty(
                "client.app_version",
                raw.client.app_version.as_deref(),
                "0.169.0",
            )?,
            force_http11: raw.tls.force_http11.unwrap_or(false),
        };
        let ollama = self::ollama::ollama(&raw)?;
        let accounts = self::accounts::accounts(&raw)?;
        let transport = self::transport::transport(&raw)?;
        Ok(Self {
            server,
            api,
            model,
            auth,
            client,
            ollama,
            accounts,
            transport,
        })
    }
}

#[cfg(test)]
mod tests;
