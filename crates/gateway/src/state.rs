//! Shared per-process state handed to every request: config, account pool, upstream client,
//! model catalog, the OAuth refresher, and the cached translator options.

use std::path::Path;
use std::sync::{Arc, RwLock};

use codex_proxy_pool::Pool;
use codex_proxy_translate::{ModelCatalog, RequestOptions, SystemPromptStrategy};
use codex_proxy_upstream::{Upstream, UpstreamConfig};

use crate::catalog::Catalog;
use crate::config::GatewayConfig;
use crate::refresher::GatewayRefresher;
use crate::server::StartError;

/// Everything a request handler needs.
pub(crate) struct AppState {
    /// The configuration the process started with: what is read once (listener, upstream
    /// client, pool, transport). Per-request settings come from [`AppState::live`].
    pub config: GatewayConfig,
    /// The live configuration, hot reload and the Ollama bridge listener.
    pub reload: crate::reload::Reloader,
    pub pool: Pool,
    pub upstream: Upstream,
    pub catalog: Catalog,
    pub refresher: GatewayRefresher,
    /// OAuth logins in progress.
    pub logins: crate::login::Logins,
    /// The live `quota.refresh_interval_minutes`.
    pub quota: crate::scheduler::QuotaSettings,
    /// Per-account transport views, the live client profile, parked WebSocket sessions.
    pub transport: crate::transport::Transport,
    /// Owns every task the gateway starts (the server waits for it on shutdown).
    pub tracker: tokio_util::task::TaskTracker,
    /// Translator options, rebuilt when the catalog changes (keyed by the catalog generation).
    options: RwLock<(u64, Arc<RequestOptions>)>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(config: GatewayConfig, data_dir: &Path) -> Result<Self, StartError> {
        let pool = crate::pool_glue::open(&config, data_dir).map_err(StartError::Pool)?;
        let mut up = UpstreamConfig::new(config.api.base_url.clone());
        up.connect_timeout = config.api.connect_timeout;
        up.first_byte_timeout = config.api.first_byte_timeout;
        up.idle_timeout = config.api.idle_timeout;
        up.compress_requests = config.api.compress_requests;
        up.proxy_url = config.api.proxy_url.clone();
        up.max_idle_per_host = config.transport.max_idle_per_host;
        if let Some(path) = &config.transport.extra_ca_file {
            up.extra_ca_pem = Some(std::fs::read(path).map_err(|source| StartError::ReadFile {
                path: path.display().to_string(),
                source,
            })?);
        }
        let upstream = Upstream::new(up).map_err(StartError::Upstream)?;
        let transport = crate::transport::Transport::new(&config, data_dir, &upstream);
        let upstream = upstream.with_profile(transport.profile().upstream_profile());
        let catalog = Catalog::new(&config.model, config.api.models_cache_ttl);
        let refresher = crate::refresher::refresher(&upstream, &config.auth, &pool);
        let logins = crate::login::Logins::new(&config);
        let quota = crate::scheduler::QuotaSettings::new(config.accounts.quota_refresh_interval);
        let options = (
            catalog.generation(),
            Arc::new(build_options(&config, &catalog)),
        );
        Ok(Self {
            reload: crate::reload::Reloader::new(config.clone(), data_dir),
            config,
            pool,
            upstream,
            catalog,
            refresher,
            logins,
            quota,
            transport,
            tracker: tokio_util::task::TaskTracker::new(),
            options: RwLock::new(options),
        })
    }

    /// A snapshot of the live configuration (take it once per request).
    pub fn live(&self) -> Arc<GatewayConfig> {
        self.reload.live()
    }

    /// Translator options for the current catalog.
    pub fn request_options(&self) -> Arc<RequestOptions> {
        let generation = self.catalog.generation();
        {
            let cached = self
                .options
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cached.0 == generation {
                return cached.1.clone();
            }
        }
        let fresh = Arc::new(build_options(&self.live(), &self.catalog));
        let mut cached = self
            .options
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *cached = (generation, fresh.clone());
        fresh
    }
}

fn build_options(config: &GatewayConfig, catalog: &Catalog) -> RequestOptions {
    let m = &config.model;
    RequestOptions {
        catalog: ModelCatalog {
            models: catalog.models().into_iter().map(|m| m.id).collect(),
            aliases: m
                .aliases
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            default_model: m.default.clone(),
        },
        default_reasoning_effort: m.default_reasoning_effort.clone(),
        default_service_tier: m.default_service_tier.clone(),
        system_prompt_strategy: SystemPromptStrategy::parse(&m.system_prompt_strategy)
            .unwrap_or_default(),
        instructions_prefix: None,
        default_tools: m.default_tools.clone(),
        cursor_mode: false,
    }
}
