//! Settings routes that persist: `POST /admin/reload`, `GET/POST /admin/ollama-settings` (and
//! `GET /admin/ollama-status`), `GET/POST /admin/model-settings`, and [`persist`], which the
//! rotation and quota routes use too. A change is merged into `<data-dir>/local.yaml`, then the
//! whole configuration is reloaded from the binary's source; an invalid result restores the file,
//! keeps the running configuration and answers 400 naming the key.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::body::Body;
use crate::error::{GatewayError, ReloadError};
use crate::reload::ReloadReport;
use crate::router::json_response;
use crate::state::AppState;

/// `POST /admin/reload`: reload from the registered source now, answer the [`ReloadReport`].
pub(crate) async fn reload(state: &Arc<AppState>) -> Result<Response<Body>, GatewayError> {
    let report = state
        .reload
        .reload_from_source(state)
        .await
        .map_err(reload_error)?;
    Ok(json_response(StatusCode::OK, &report))
}

/// Merges `patch` (a YAML mapping) into `local.yaml` and reloads. `None` (nothing written) when
/// no reload source is registered: the caller then applies its change to the running process
/// only.
pub(crate) async fn persist(
    state: &Arc<AppState>,
    patch: serde_yaml::Value,
    replace: &[&[&str]],
) -> Result<Option<ReloadReport>, GatewayError> {
    if !state.reload.has_source() {
        return Ok(None);
    }
    let _serial = state.reload.serialize().await;
    let dir = state.reload.data_dir();
    let previous = crate::local_yaml::update(dir, patch, replace).map_err(|e| {
        tracing::error!(error = %e, "cannot update local.yaml");
        GatewayError::Internal("cannot write local.yaml")
    })?;
    match state.reload.reload_locked(state).await {
        Ok(report) => Ok(Some(report)),
        Err(e) => {
            if let Err(restore) = crate::local_yaml::restore(dir, previous) {
                tracing::error!(error = %restore, "cannot restore local.yaml");
            }
            Err(reload_error(e))
        }
    }
}

fn reload_error(e: ReloadError) -> GatewayError {
    tracing::warn!(key = e.key().unwrap_or("-"), error = %e, "config reload refused");
    match e {
        ReloadError::Config(e) => GatewayError::InvalidRequest(e.to_string()),
        ReloadError::NoSource => {
            GatewayError::Internal("config reload is not set up in this process")
        }
        ReloadError::LocalYaml(_) => GatewayError::Internal("cannot read local.yaml"),
    }
}

/// Like [`persist`] but the route needs a source (there is no in-process fallback).
async fn persist_required(
    state: &Arc<AppState>,
    patch: serde_yaml::Value,
    replace: &[&[&str]],
) -> Result<ReloadReport, GatewayError> {
    persist(state, patch, replace)
        .await?
        .ok_or_else(|| reload_error(ReloadError::NoSource))
}

fn yaml(v: Value) -> Result<serde_yaml::Value, GatewayError> {
    serde_yaml::to_value(v).map_err(|_| GatewayError::Internal("settings patch not representable"))
}

/// `GET /admin/ollama-settings` and `/admin/ollama-status`.
pub(crate) fn ollama(state: &AppState) -> Response<Body> {
    json_response(StatusCode::OK, &ollama_view(state))
}

fn ollama_view(state: &AppState) -> Value {
    let cfg = state.live();
    let o = &cfg.ollama;
    let addr = state.reload.bridge.addr();
    json!({
        "enabled": o.enabled,
        "host": o.host,
        "port": o.port,
        "version": o.version,
        "disable_vision": o.disable_vision,
        "running": addr.is_some(),
        "endpoint": addr.map(|a| format!("http://{a}")),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OllamaBody {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    disable_vision: Option<bool>,
}

/// `POST /admin/ollama-settings {enabled?, host?, port?, disable_vision?}`: persists and
/// starts, stops or rebinds the bridge.
pub(crate) async fn set_ollama(
    state: &Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let body: OllamaBody =
        crate::admin::json_body(req, "{enabled?, host?, port?, disable_vision?}").await?;
    let mut patch = serde_json::Map::new();
    if let Some(enabled) = body.enabled {
        patch.insert("enabled".into(), enabled.into());
    }
    if let Some(host) = body.host {
        let host = host.trim();
        if host.is_empty() {
            return Err(GatewayError::InvalidRequest(
                "host must not be empty".to_owned(),
            ));
        }
        patch.insert("host".into(), host.into());
    }
    if let Some(port) = body.port {
        patch.insert("port".into(), port.into());
    }
    if let Some(disable) = body.disable_vision {
        patch.insert("disable_vision".into(), disable.into());
    }
    let report = persist_required(state, yaml(json!({ "ollama": patch }))?, &[]).await?;
    let mut view = ollama_view(state);
    view["reload"] = serde_json::to_value(&report).unwrap_or(Value::Null);
    Ok(json_response(StatusCode::OK, &view))
}

/// `GET /admin/model-settings`.
pub(crate) fn model(state: &AppState) -> Response<Body> {
    json_response(StatusCode::OK, &model_view(state))
}

fn model_view(state: &AppState) -> Value {
    let cfg = state.live();
    let m = &cfg.model;
    json!({
        "default_model": m.default,
        "default_reasoning_effort": m.default_reasoning_effort,
        "aliases": m.aliases,
    })
}

/// `POST /admin/model-settings {default_model?, default_reasoning_effort? (null clears),
/// aliases? (replaces model.aliases)}`.
pub(crate) async fn set_model(
    state: &Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let shape = "{default_model?, default_reasoning_effort?, aliases?}";
    let body: serde_json::Map<String, Value> = crate::admin::json_body(req, shape).await?;
    let mut patch = serde_json::Map::new();
    let mut replace: Vec<&[&str]> = Vec::new();
    let bad = |what: &str| GatewayError::InvalidRequest(what.to_owned());
    for (key, value) in body {
        match key.as_str() {
            "default_model" => {
                let model = value
                    .as_str()
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .ok_or_else(|| bad("default_model must be a non-empty string"))?;
                patch.insert("default".into(), model.into());
            }
            "default_reasoning_effort" => {
                if !(value.is_null() || value.is_string()) {
                    return Err(bad("default_reasoning_effort must be a string or null"));
                }
                patch.insert("default_reasoning_effort".into(), value);
            }
            "aliases" | "model_aliases" => {
                let ok = value
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string));
                if !ok {
                    return Err(bad("aliases must be an object of alias → model strings"));
                }
                patch.insert("aliases".into(), value);
                replace.push(&["model", "aliases"]);
            }
            other => return Err(bad(&format!("unknown field `{other}`; expected {shape}"))),
        }
    }
    let report = persist_required(state, yaml(json!({ "model": patch }))?, &replace).await?;
    let mut view = model_view(state);
    view["reload"] = serde_json::to_value(&report).unwrap_or(Value::Null);
    Ok(json_response(StatusCode::OK, &view))
}
