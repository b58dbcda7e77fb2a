//! `/auth/*` and `/admin/*` dispatch (all need the master key except the OAuth callback),
//! the runtime settings routes (`/admin/rotation-settings`, `/admin/quota-settings`) and
//! client key management (`/admin/keys`, also `/admin/client-keys`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codex_proxy_pool::{KeyId, Strategy, WarningThresholds};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;

use crate::body::Body;
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

/// Largest admin request body.
const MAX_ADMIN_BODY: usize = 1024 * 1024;

/// Routes one `/auth/*` or `/admin/*` request.
pub(crate) async fn route(
    state: &Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let method = req.method().clone();
    // The browser lands here from the OAuth server: no key, the state parameter is the proof.
    if method == Method::GET && path == "/auth/callback" {
        let query = req.uri().query().map(str::to_owned);
        return crate::login::callback(state, query.as_deref()).await;
    }
    crate::auth::require_master()?;
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let not_found = || GatewayError::NotFound { path: path.clone() };
    match (&method, segs.as_slice()) {
        (&Method::GET, ["auth", "login"] | ["auth", "accounts", "login"]) => {
            Ok(crate::login::login_redirect(state))
        }
        (&Method::POST, ["auth", "login-start"]) => Ok(crate::login::login_start(state)),
        (&Method::POST, ["auth", "login", "paste"] | ["auth", "code-relay"]) => {
            crate::login::paste(state, req).await
        }
        (&Method::POST, ["auth", "device-login"]) => crate::login::device_start(state).await,
        (&Method::GET, ["auth", "device-poll", id]) => crate::login::device_poll(state, id).await,
        (&Method::GET, ["auth", "quota", "warnings"]) => Ok(crate::accounts::warnings(state)),
        (_, ["auth", "accounts", ..]) => crate::accounts::route(state, req, &segs[2..])
            .await?
            .ok_or_else(not_found),
        (&Method::GET, ["admin", "rotation-settings"]) => Ok(rotation(state)),
        (&Method::POST, ["admin", "rotation-settings"]) => set_rotation(state, req).await,
        (&Method::GET, ["admin", "quota-settings"]) => Ok(quota(state)),
        (&Method::POST, ["admin", "quota-settings"]) => set_quota(state, req).await,
        (&Method::POST, ["admin", "reload"]) => crate::settings::reload(state).await,
        (&Method::GET, ["admin", "ollama-settings" | "ollama-status"]) => {
            Ok(crate::settings::ollama(state))
        }
        (&Method::POST, ["admin", "ollama-settings"]) => {
            crate::settings::set_ollama(state, req).await
        }
        (&Method::GET, ["admin", "model-settings"]) => Ok(crate::settings::model(state)),
        (&Method::POST, ["admin", "model-settings"]) => {
            crate::settings::set_model(state, req).await
        }
        (_, ["admin", "keys" | "client-keys", rest @ ..]) => keys(state, req, rest).await,
        _ => Err(not_found()),
    }
}

/// A JSON settings change as the YAML patch [`crate::settings::persist`] merges.
fn yaml_patch(v: serde_json::Value) -> Result<serde_yaml::Value, GatewayError> {
    serde_yaml::to_value(v).map_err(|_| GatewayError::Internal("settings patch not representable"))
}

/// Reads and parses a JSON admin body.
pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(
    req: Request<Incoming>,
    shape: &str,
) -> Result<T, GatewayError> {
    let body = crate::body::read_limited(req.into_body(), MAX_ADMIN_BODY).await?;
    serde_json::from_slice(&body)
        .map_err(|_| GatewayError::InvalidRequest(format!("expected a json body {shape}")))
}

fn rotation(state: &AppState) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "rotation_strategy": state.pool.strategy().as_str() }),
    )
}

#[derive(Deserialize)]
struct RotationBody {
    rotation_strategy: String,
}

async fn set_rotation(
    state: &Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let body: RotationBody = json_body(req, "{rotation_strategy}").await?;
    let strategy = Strategy::from_name(&body.rotation_strategy).ok_or_else(|| {
        GatewayError::InvalidRequest(
            "rotation_strategy must be one of least_used, round_robin, sticky".to_owned(),
        )
    })?;
    let patch = serde_json::json!({ "auth": { "rotation_strategy": strategy.as_str() } });
    crate::settings::persist(state, yaml_patch(patch)?, &[]).await?;
    state.pool.set_strategy(strategy);
    tracing::info!(strategy = strategy.as_str(), "rotation strategy changed");
    Ok(rotation(state))
}

fn quota(state: &AppState) -> Response<Body> {
    let (skip_exhausted, thresholds) = state.pool.quota_settings();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "refresh_interval_minutes": state.quota.interval().as_secs() / 60,
            "warning_thresholds": {
                "primary": thresholds.primary,
                "secondary": thresholds.secondary,
            },
            "skip_exhausted": skip_exhausted,
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaBody {
    #[serde(default)]
    refresh_interval_minutes: Option<u64>,
    #[serde(default)]
    warning_thresholds: Option<ThresholdsBody>,
    #[serde(default)]
    skip_exhausted: Option<bool>,
}

/// `warning_thresholds`: one list for both windows, or `{primary?, secondary?}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ThresholdsBody {
    Both(Vec<u8>),
    Split {
        #[serde(default)]
        primary: Option<Vec<u8>>,
        #[serde(default)]
        secondary: Option<Vec<u8>>,
    },
}

/// The thresholds after `body` is applied to `current`; each must be 1..=100 (sorted,
/// deduplicated).
fn thresholds(
    body: ThresholdsBody,
    current: WarningThresholds,
) -> Result<WarningThresholds, GatewayError> {
    let (primary, secondary) = match body {
        ThresholdsBody::Both(v) => (Some(v.clone()), Some(v)),
        ThresholdsBody::Split { primary, secondary } => (primary, secondary),
    };
    let clean = |v: Option<Vec<u8>>, old: Vec<u8>| -> Result<Vec<u8>, GatewayError> {
        let Some(mut v) = v else { return Ok(old) };
        if v.iter().any(|p| !(1..=100).contains(p)) {
            return Err(GatewayError::InvalidRequest(
                "warning_thresholds must be integers between 1 and 100".to_owned(),
            ));
        }
        v.sort_unstable();
        v.dedup();
        Ok(v)
    };
    Ok(WarningThresholds {
        primary: clean(primary, current.primary)?,
        secondary: clean(secondary, current.secondary)?,
    })
}

async fn set_quota(
    state: &Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let body: QuotaBody = json_body(
        req,
        "{refresh_interval_minutes, warning_thresholds, skip_exhausted}",
    )
    .await?;
    // Validate everything before changing anything.
    if body.refresh_interval_minutes.is_some_and(|m| m > 10_080) {
        return Err(GatewayError::InvalidRequest(
            "refresh_interval_minutes must be between 0 (off) and 10080".to_owned(),
        ));
    }
    let thresholds = match body.warning_thresholds {
        Some(t) => Some(thresholds(t, state.pool.quota_settings().1)?),
        None => None,
    };
    // Persist to local.yaml (and reload) first: an invalid file changes nothing.
    let mut patch = serde_json::Map::new();
    if let Some(minutes) = body.refresh_interval_minutes {
        patch.insert("refresh_interval_minutes".into(), minutes.into());
    }
    if let Some(skip) = body.skip_exhausted {
        patch.insert("skip_exhausted".into(), skip.into());
    }
    if let Some(t) = &thresholds {
        patch.insert(
            "warning_thresholds".into(),
            serde_json::json!({ "primary": t.primary, "secondary": t.secondary }),
        );
    }
    let patch = yaml_patch(serde_json::json!({ "quota": patch }))?;
    crate::settings::persist(state, patch, &[]).await?;
    if let Some(minutes) = body.refresh_interval_minutes {
        state.quota.set_interval(Duration::from_secs(minutes * 60));
    }
    if body.skip_exhausted.is_some() || thresholds.is_some() {
        state
            .pool
            .set_quota_settings(body.skip_exhausted, thresholds);
        tracing::info!("quota settings changed");
    }
    Ok(quota(state))
}

#[derive(Deserialize)]
struct NewKey {
    #[serde(alias = "name")]
    label: String,
    #[serde(default, alias = "allowed_models")]
    models: Option<Vec<String>>,
    #[serde(default)]
    expires_days: Option<u64>,
    /// Unix seconds.
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default, alias = "max_tokens", alias = "token_budget")]
    budget: Option<u64>,
}

async fn keys(
    state: &AppState,
    req: Request<Incoming>,
    rest: &[&str],
) -> Result<Response<Body>, GatewayError> {
    let method = req.method().clone();
    let now = SystemTime::now();
    match (&method, rest) {
        (&Method::GET, []) => {
            let keys = state.pool.list_client_keys();
            let active = keys.iter().filter(|k| !k.revoked).count();
            Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "keys": keys, "total": keys.len(), "active": active }),
            ))
        }
        (&Method::POST, []) => {
            let body: NewKey = json_body(req, "{label, models?, expires_days?, budget?}").await?;
            if body.label.trim().is_empty() {
                return Err(GatewayError::InvalidRequest("label is required".to_owned()));
            }
            let expires = match (body.expires_at, body.expires_days) {
                (Some(at), _) => Some(SystemTime::UNIX_EPOCH + Duration::from_secs(at)),
                (None, Some(days)) => Some(now + Duration::from_secs(days.saturating_mul(86_400))),
                (None, None) => None,
            };
            let (info, key) = state
                .pool
                .create_client_key(&body.label, body.models, expires, body.budget, now)
                .map_err(crate::pool_glue::admin_error)?;
            tracing::info!(key = %info.id.as_str(), "client key created");
            Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "success": true, "key": key, "info": info }),
            ))
        }
        (&Method::DELETE, [id]) => {
            state
                .pool
                .delete_client_key(&KeyId::from_string(*id))
                .map_err(crate::pool_glue::admin_error)?;
            Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "success": true }),
            ))
        }
        (&Method::POST, [id, "revoke" | "toggle"]) => {
            state
                .pool
                .revoke_client_key(&KeyId::from_string(*id))
                .map_err(crate::pool_glue::admin_error)?;
            Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "success": true }),
            ))
        }
        _ => Err(GatewayError::NotFound {
            path: req.uri().path().to_owned(),
        }),
    }
}
