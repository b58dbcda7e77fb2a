//! Configuration hot reload. The live [`GatewayConfig`] sits behind `Reloader::live`; requests
//! take a snapshot when they start. `Reloader::apply` swaps in a new config and applies what can
//! change at runtime (proxy key, body limit, heartbeat, model defaults/aliases/catalog, rotation
//! strategy, quota settings, the Ollama bridge listener); everything else is reported as
//! needing a restart, compared with the configuration the process started with.
//!
//! The gateway never reads files or the environment itself: the binary registers a
//! [`ReloadSource`] (a loader closure plus the files it reads). One task, owned by the gateway's
//! task tracker, polls those files' modification stamps every `server.config_poll_seconds` and
//! reloads on change; `POST /admin/reload` and the settings routes reload on demand.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, GatewayConfig, OllamaConfig};
use crate::error::ReloadError;
use crate::ollama::{BridgeSlot, Owner};
use crate::server::StartError;
use crate::state::AppState;

/// The loader closure of a [`ReloadSource`].
type LoadFn = dyn Fn() -> Result<GatewayConfig, ConfigError> + Send + Sync;

/// Where a reload gets its configuration: the binary's own layered loader and the files it reads
/// (`<data-dir>/local.yaml`, the `--config` file), whose edits trigger a reload.
pub struct ReloadSource {
    files: Vec<PathBuf>,
    load: Box<LoadFn>,
}

impl ReloadSource {
    /// `load` re-runs the whole layered load; `files` are watched for edits.
    pub fn new(
        files: Vec<PathBuf>,
        load: impl Fn() -> Result<GatewayConfig, ConfigError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            files,
            load: Box::new(load),
        }
    }
}

impl std::fmt::Debug for ReloadSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadSource")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReloadReport {
    /// Settings now in force (key paths or sections, e.g. `model`, `server.proxy_api_key`).
    pub applied: Vec<&'static str>,
    /// Settings that differ from the ones the process started with and only take effect after a
    /// restart (e.g. `server.port`).
    pub restart_required: Vec<&'static str>,
    /// Live settings that could not be applied (e.g. `ollama` when its port cannot be bound);
    /// the error is logged.
    pub failed: Vec<&'static str>,
}

/// The bridge (re)start future.
pub(crate) type BridgeFuture<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Option<std::net::SocketAddr>, StartError>>
            + Send
            + 'a,
    >,
>;

/// Modification stamp of one watched file (`None`: missing).
type Stamp = Option<(SystemTime, u64)>;

/// The live config and everything that changes it.
pub(crate) struct Reloader {
    live: RwLock<Arc<GatewayConfig>>,
    data_dir: PathBuf,
    source: OnceLock<ReloadSource>,
    owner: OnceLock<Owner>,
    /// The Ollama bridge listener.
    pub bridge: BridgeSlot,
    /// Serializes reloads (and settings writes, which reload).
    serial: tokio::sync::Mutex<()>,
    /// Stamps of the watched files as of the last reload from the source.
    stamps: Mutex<Vec<Stamp>>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader")
            .field("data_dir", &self.data_dir)
            .field("source", &self.source.get())
            .finish_non_exhaustive()
    }
}

impl Reloader {
    pub fn new(config: GatewayConfig, data_dir: &std::path::Path) -> Self {
        Self {
            live: RwLock::new(Arc::new(config)),
            data_dir: data_dir.to_owned(),
            source: OnceLock::new(),
            owner: OnceLock::new(),
            bridge: BridgeSlot::default(),
            serial: tokio::sync::Mutex::new(()),
            stamps: Mutex::new(Vec::new()),
        }
    }

    /// The configuration in force now.
    pub fn live(&self) -> Arc<GatewayConfig> {
        self.live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The data dir (holds `local.yaml`).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Whether a reload source is registered.
    pub fn has_source(&self) -> bool {
        self.source.get().is_some()
    }

    /// Hands over the task owner (set once by `Gateway::start`).
    pub fn set_owner(&self, owner: Owner) {
        let _ = self.owner.set(owner);
    }

    /// Registers the source and starts the polling task. False if one was registered already.
    pub fn watch(&self, state: &Arc<AppState>, source: ReloadSource) -> bool {
        let initial = stamps(&source.files);
        if self.source.set(source).is_err() {
            return false;
        }
        *self.stamps.lock().unwrap_or_else(PoisonError::into_inner) = initial;
        if let Some(owner) = self.owner.get() {
            owner.tracker.spawn(poll(state.clone(), owner.stop.clone()));
        }
        true
    }

    /// Re-runs the source's loader and applies the result; on error the running config stays.
    pub async fn reload_from_source(
        &self,
        state: &Arc<AppState>,
    ) -> Result<ReloadReport, ReloadError> {
        let _serial = self.serial.lock().await;
        self.reload_locked(state).await
    }

    /// Like [`Reloader::reload_from_source`] while the caller holds [`Reloader::serialize`].
    pub async fn reload_locked(&self, state: &Arc<AppState>) -> Result<ReloadReport, ReloadError> {
        let source = self.source.get().ok_or(ReloadError::NoSource)?;
        *self.stamps.lock().unwrap_or_else(PoisonError::into_inner) = stamps(&source.files);
        let new = (source.load)()?;
        Ok(self.apply_locked(state, new).await)
    }

    /// Takes the reload lock (settings routes hold it across their file write and reload).
    pub async fn serialize(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.serial.lock().await
    }

    /// Swaps in `new` and applies its live parts.
    pub async fn apply(&self, state: &Arc<AppState>, new: GatewayConfig) -> ReloadReport {
        let _serial = self.serial.lock().await;
        self.apply_locked(state, new).await
    }

    async fn apply_locked(&self, state: &Arc<AppState>, new: GatewayConfig) -> ReloadReport {
        let old = self.live();
        let mut report = ReloadReport {
            restart_required: restart_required(&state.config, &new),
            ..ReloadReport::default()
        };
        let (s, o) = (&new.server, &old.server);
        let live_keys = [
            (s.proxy_api_key != o.proxy_api_key, "server.proxy_api_key"),
            (
                s.max_body_bytes != o.max_body_bytes,
                "server.max_body_bytes",
            ),
            (s.heartbeat != o.heartbeat, "server.heartbeat_seconds"),
            (
                s.shutdown_drain != o.shutdown_drain,
                "server.shutdown_drain_seconds",
            ),
            (s.config_poll != o.config_poll, "server.config_poll_seconds"),
            (new.model != old.model, "model"),
        ];
        report.applied.extend(
            live_keys
                .iter()
                .filter(|(changed, _)| *changed)
                .map(|k| k.1),
        );
        let model_changed = new.model != old.model;
        let ollama_changed = new.ollama != old.ollama;
        let strategy = new.accounts.strategy;
        let quota_interval = new.accounts.quota_refresh_interval;
        let skip_exhausted = new.accounts.skip_exhausted;
        let thresholds = new.accounts.warning_thresholds.clone();
        let ollama = new.ollama.clone();
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(new);
        if model_changed {
            let live = self.live();
            state.catalog.set_model_config(&live.model);
        }
        if state.pool.strategy() != strategy {
            state.pool.set_strategy(strategy);
            report.applied.push("auth.rotation_strategy");
        }
        if state.quota.interval() != quota_interval {
            state.quota.set_interval(quota_interval);
            report.applied.push("quota.refresh_interval_minutes");
        }
        let (pool_skip, pool_thresholds) = state.pool.quota_settings();
        if pool_skip != skip_exhausted {
            report.applied.push("quota.skip_exhausted");
        }
        if pool_thresholds != thresholds {
            report.applied.push("quota.warning_thresholds");
        }
        if pool_skip != skip_exhausted || pool_thresholds != thresholds {
            state
                .pool
                .set_quota_settings(Some(skip_exhausted), Some(thresholds));
        }
        if ollama_changed {
            match self.apply_ollama(state, &ollama).await {
                Ok(_) => report.applied.push("ollama"),
                Err(e) => {
                    tracing::error!(error = %e, source = ?std::error::Error::source(&e), "ollama bridge not restarted");
                    report.failed.push("ollama");
                }
            }
        }
        if !report.applied.is_empty() || !report.restart_required.is_empty() {
            tracing::info!(applied = ?report.applied, restart_required = ?report.restart_required, "configuration reloaded");
        }
        report
    }

    /// Starts, stops or rebinds the Ollama bridge for `cfg`. Boxed: the bridge forwards to the
    /// main routes, which can reload, which restarts the bridge (a recursive future type).
    pub fn apply_ollama<'a>(
        &'a self,
        state: &'a Arc<AppState>,
        cfg: &'a OllamaConfig,
    ) -> BridgeFuture<'a> {
        Box::pin(async move {
            let Some(owner) = self.owner.get() else {
                return Ok(None);
            };
            self.bridge.apply(state.clone(), cfg, owner).await
        })
    }

    /// Whether a watched file changed since the last reload from the source.
    fn files_changed(&self) -> bool {
        let Some(source) = self.source.get() else {
            return false;
        };
        let now = stamps(&source.files);
        *self.stamps.lock().unwrap_or_else(PoisonError::into_inner) != now
    }
}

/// Keys that differ from the startup config but are read only at startup.
fn restart_required(boot: &GatewayConfig, new: &GatewayConfig) -> Vec<&'static str> {
    let (a, b) = (&new.accounts, &boot.accounts);
    [
        (new.server.host != boot.server.host, "server.host"),
        (new.server.port != boot.server.port, "server.port"),
        (new.api != boot.api, "api"),
        (new.auth != boot.auth, "auth"),
        (new.client != boot.client, "client"),
        (new.transport != boot.transport, "transport"),
        (
            a.max_concurrent_per_account != b.max_concurrent_per_account,
            "auth.max_concurrent_per_account",
        ),
        (
            a.refresh_concurrency != b.refresh_concurrency,
            "auth.refresh_concurrency",
        ),
    ]
    .into_iter()
    .filter(|(changed, _)| *changed)
    .map(|(_, key)| key)
    .collect()
}

fn stamps(files: &[PathBuf]) -> Vec<Stamp> {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// The polling task: checks the watched files every `server.config_poll_seconds` (re-read each
/// round; 0 = off, checked again each second) and reloads on change.
async fn poll(state: Arc<AppState>, stop: CancellationToken) {
    loop {
        let every = state.reload.live().server.config_poll;
        let wait = if every.is_zero() {
            Duration::from_secs(1)
        } else {
            every
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
        if every.is_zero() || !state.reload.files_changed() {
            continue;
        }
        if let Err(e) = state.reload.reload_from_source(&state).await {
            tracing::error!(
                key = e.key().unwrap_or("-"),
                error = %e,
                "config reload failed; keeping the running configuration"
            );
        }
    }
}
