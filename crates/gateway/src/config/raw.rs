//! Raw configuration as written in YAML: every key of the reference (config-and-admin.md §3) plus
//! our own, unknown keys rejected. Converted once into validated types by [`super::GatewayConfig`].
//!
//! All fields are optional so any layer may set any subset; `config/default.yaml` fills them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole configuration file. Sections the gateway does not act on yet are parsed and
/// validated for shape only, so a reference user's `local.yaml` keeps loading.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// `server.*`
    pub server: RawServer,
    /// `api.*`
    pub api: RawApi,
    /// `model.*`
    pub model: RawModel,
    /// `auth.*`
    pub auth: RawAuth,
    /// `client.*` (fingerprint identity)
    pub client: RawClient,
    /// `tls.*`
    pub tls: RawTls,
    /// `quota.*` (not yet used)
    pub quota: RawQuota,
    /// `logs.*` (not yet used)
    pub logs: RawLogs,
    /// `observability.*` (not yet used)
    pub observability: RawObservability,
    /// `ollama.*` (the bridge listener)
    pub ollama: RawOllama,
    /// `session.*` (not yet used)
    pub session: RawSession,
    /// `usage_stats.*` (not yet used)
    pub usage_stats: RawUsageStats,
    /// `update.*` (not yet used)
    pub update: RawUpdate,
    /// `ws_pool.*` (not yet used)
    pub ws_pool: RawWsPool,
    /// `providers.*` third-party upstreams (not yet used; kept verbatim)
    pub providers: BTreeMap<String, serde_json::Value>,
    /// `model_routing.*` (not yet used; kept verbatim)
    pub model_routing: BTreeMap<String, serde_json::Value>,
    /// `official_agent.*` (not yet used)
    pub official_agent: RawOfficialAgent,
}

/// `server.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawServer {
    /// Bind address.
    pub host: Option<String>,
    /// Bind port (1–65535; 0 picks a free port, for tests).
    pub port: Option<u16>,
    /// Key clients must present on `/v1/*` and the admin routes.
    pub proxy_api_key: Option<String>,
    /// Not yet used.
    pub trust_proxy: Option<bool>,
    /// Not yet used.
    pub cors: Option<Vec<String>>,
    /// Not yet used.
    pub cors_allow_null_origin: Option<bool>,
    /// Ours: request body limit in bytes.
    pub max_body_bytes: Option<u64>,
    /// Ours: `: ping` interval on idle streams, seconds (fractions allowed).
    pub heartbeat_seconds: Option<f64>,
    /// Ours: how long in-flight requests may finish on shutdown, seconds.
    pub shutdown_drain_seconds: Option<f64>,
    /// Ours: how often `<data-dir>/local.yaml` and `--config` are checked for edits, seconds
    /// (0 = off).
    pub config_poll_seconds: Option<f64>,
}

/// `api.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawApi {
    /// Codex backend base URL.
    pub base_url: Option<String>,
    /// Not yet used.
    pub timeout_seconds: Option<u64>,
    /// Ours: upstream attempts per request.
    pub max_attempts: Option<u32>,
    /// Ours: backend model list cache lifetime.
    pub models_cache_ttl_seconds: Option<u64>,
    /// Ours: connect timeout.
    pub connect_timeout_seconds: Option<u64>,
    /// Ours: time to the response head.
    pub first_byte_timeout_seconds: Option<u64>,
    /// Ours: longest silence between two body chunks.
    pub idle_timeout_seconds: Option<u64>,
    /// Ours: zstd-compress request bodies like the official client.
    pub compress_requests: Option<bool>,
}

/// `model.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawModel {
    /// Fallback model for `codex` and recognised-but-unknown names.
    pub default: Option<String>,
    /// Not yet used.
    pub image_host_model: Option<String>,
    /// Effort when the client gives none.
    pub default_reasoning_effort: Option<String>,
    /// Service tier when the client gives none.
    pub default_service_tier: Option<String>,
    /// Hosted tool types added to every request.
    pub default_tools: Option<Vec<String>>,
    /// Alias → target model.
    pub aliases: Option<BTreeMap<String, String>>,
    /// Extra catalog entries.
    pub custom_models: Option<Vec<RawCustomModel>>,
    /// Not yet used.
    pub inject_desktop_context: Option<bool>,
    /// Not yet used.
    pub suppress_desktop_directives: Option<bool>,
    /// Not yet used.
    pub allow_client_system_prompt_strategy: Option<bool>,
    /// `instructions`, `developer_inline` or `system_inline`.
    pub system_prompt_strategy: Option<String>,
}

/// A `model.custom_models` entry: an id or a full record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum RawCustomModel {
    /// Just the id.
    Id(String),
    /// A full record (same keys as `config/models.yaml`).
    Entry(Box<RawModelEntry>),
}

/// One catalog record as written in `config/models.yaml` or `model.custom_models`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawModelEntry {
    /// Model id (the slug sent upstream).
    pub id: String,
    /// Human name.
    pub display_name: Option<String>,
    /// One-line description.
    pub description: Option<String>,
    /// Reasoning efforts the model accepts.
    pub supported_reasoning_efforts: Option<Vec<RawEffort>>,
    /// Effort used when none is given.
    pub default_reasoning_effort: Option<String>,
    /// E.g. `[text, image]`.
    pub input_modalities: Option<Vec<String>>,
    /// E.g. `[text]`.
    pub output_modalities: Option<Vec<String>>,
    /// Whether the personality parameter is supported.
    pub supports_personality: Option<bool>,
    /// Context window in tokens.
    pub context_window: Option<u64>,
    /// Largest context window in tokens.
    pub max_context_window: Option<u64>,
    /// Output token cap.
    pub max_output_tokens: Option<u64>,
    /// Auto-compaction threshold in tokens.
    pub auto_compact_token_limit: Option<u64>,
    /// Truncation policy limit in tokens.
    pub truncation_policy_limit: Option<u64>,
}

/// A supported reasoning effort with its description.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawEffort {
    /// `low`, `medium`, ...
    pub effort: String,
    /// What it is good for.
    pub description: String,
}

/// `config/models.yaml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawModelsFile {
    /// Catalog entries.
    pub models: Vec<RawModelEntry>,
    /// Bundled aliases; `@default` stands for `model.default`.
    pub aliases: BTreeMap<String, String>,
}

/// `auth.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawAuth {
    /// Access token added as an account at startup.
    pub jwt_token: Option<String>,
    /// Not yet used.
    pub chatgpt_oauth: Option<bool>,
    /// Refresh expiring tokens on lease.
    pub refresh_enabled: Option<bool>,
    /// Refresh this long before expiry.
    pub refresh_margin_seconds: Option<u64>,
    /// Not yet used.
    pub refresh_concurrency: Option<u32>,
    /// Not yet used.
    pub max_concurrent_per_account: Option<u32>,
    /// Not yet used.
    pub request_interval_ms: Option<u64>,
    /// `least_used`, `round_robin` or `sticky` (not yet used).
    pub rotation_strategy: Option<String>,
    /// Not yet used.
    pub tier_priority: Option<Vec<String>>,
    /// 429 lock length when upstream gives no hint.
    pub rate_limit_backoff_seconds: Option<u64>,
    /// OAuth client id.
    pub oauth_client_id: Option<String>,
    /// OAuth authorize endpoint (used by `login`, later).
    pub oauth_auth_endpoint: Option<String>,
    /// OAuth token endpoint (refresh).
    pub oauth_token_endpoint: Option<String>,
}

/// `client.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawClient {
    /// Not yet used.
    pub profile: Option<String>,
    /// Not yet used.
    pub originator: Option<String>,
    /// Sent as `client_version` to the model list.
    pub app_version: Option<String>,
    /// Not yet used.
    pub build_number: Option<String>,
    /// Not yet used.
    pub platform: Option<String>,
    /// Not yet used.
    pub arch: Option<String>,
    /// Not yet used.
    pub chromium_version: Option<String>,
}

/// `tls.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawTls {
    /// Not yet used.
    pub transport: Option<String>,
    /// Global upstream proxy (`http://` or `socks5://`).
    pub proxy_url: Option<String>,
    /// Disable HTTP/2 to the backend.
    pub force_http11: Option<bool>,
    /// Not yet used.
    pub health_check_url: Option<String>,
    /// Ours: PEM file of extra trusted root certificates.
    pub extra_ca_file: Option<String>,
    /// Ours: idle upstream connections kept per host (0 = fresh handshake per request).
    pub max_idle_per_host: Option<u32>,
}

/// `quota.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawQuota {
    /// Legacy.
    pub refresh_interval_minutes: Option<u64>,
    /// Legacy.
    pub concurrency: Option<u32>,
    /// Warning levels.
    pub warning_thresholds: Option<RawWarningThresholds>,
    /// Exclude exhausted accounts.
    pub skip_exhausted: Option<bool>,
}

/// `quota.warning_thresholds.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawWarningThresholds {
    /// Percentages 1–100.
    pub primary: Option<Vec<u8>>,
    /// Percentages 1–100.
    pub secondary: Option<Vec<u8>>,
}

/// `logs.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawLogs {
    /// Capture flag.
    pub enabled: Option<bool>,
    /// Ring size.
    pub capacity: Option<u32>,
    /// Include redacted bodies.
    pub capture_body: Option<bool>,
    /// Only LLM routes.
    pub llm_only: Option<bool>,
}

/// `observability.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawObservability {
    /// Write an error log file.
    pub local_error_log: Option<bool>,
    /// Rotate it at this size.
    pub max_log_bytes: Option<u64>,
}

/// `ollama.*` (the bridge listener)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawOllama {
    /// Start the bridge listener.
    pub enabled: Option<bool>,
    /// Bridge bind address.
    pub host: Option<String>,
    /// Bridge port.
    pub port: Option<u16>,
    /// Version reported by `/api/version`.
    pub version: Option<String>,
    /// Hide the vision capability.
    pub disable_vision: Option<bool>,
}

/// `session.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawSession {
    /// Dashboard session lifetime.
    pub ttl_minutes: Option<u64>,
    /// Sweep interval.
    pub cleanup_interval_minutes: Option<u64>,
}

/// `usage_stats.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawUsageStats {
    /// Snapshot cadence (0 = off).
    pub snapshot_interval_minutes: Option<u64>,
    /// Snapshot retention.
    pub history_retention_days: Option<u64>,
    /// Display only.
    pub credits_per_usd: Option<f64>,
}

/// `update.*` (not yet used; codex-proxy never updates itself)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawUpdate {
    /// Reference: auto `git pull`.
    pub auto_update: Option<bool>,
    /// Dashboard flag.
    pub auto_download: Option<bool>,
    /// Dashboard flag.
    pub show_update_dialog: Option<bool>,
    /// Unused in the reference too.
    pub allow_prerelease: Option<bool>,
    /// Ours: the Codex Desktop Sparkle feed the fingerprint updater polls.
    pub sparkle_feed_url: Option<String>,
    /// Ours: hours between fingerprint update checks.
    pub check_interval_hours: Option<f64>,
}

/// `ws_pool.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawWsPool {
    /// Pool WebSocket connections.
    pub enabled: Option<bool>,
    /// Max pooled socket age.
    pub max_age_ms: Option<u64>,
    /// Pooled sockets per account.
    pub max_per_account: Option<u32>,
}

/// `official_agent.*` (not yet used)
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawOfficialAgent {
    /// Bridge to a local `codex app-server`.
    pub enabled: Option<bool>,
    /// Bearer required on `/official-agent/*`.
    pub api_key: Option<String>,
    /// `ws://` or `wss://` URL.
    pub app_server_url: Option<String>,
    /// 1000–300000.
    pub request_timeout_ms: Option<u64>,
    /// `{type: none}` or token material (kept verbatim).
    pub auth: Option<serde_json::Value>,
}
