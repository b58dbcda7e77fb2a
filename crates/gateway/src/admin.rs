//! `/auth/*` and `/admin/*` dispatch (all need the master key except the OAuth callback),
//! the runtime settings routes (`/admin/rotation-settings`, `/admin/quota-settings`) and
//! client key management (`/admin/keys`, also `/admin/client-keys`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codex_proxy_pool::{KeyId, Strategy};
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
        (_, ["admin", "keys" | "client-keys", rest @ ..]) => keys(state, req, rest).await,
        _ => Err(not_found()),
    }
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
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let body: RotationBody = json_body(req, "{rotation_strategy}").await?;
    let strategy = Strategy::from_name(&body.rotation_strategy).ok_or_else(|| {
        GatewayError::InvalidRequest(
            "rotation_strategy must be one of least_used, round_robin, sticky".to_owned(),
        )
    })?;
    state.pool.set_strategy(strategy);
    tracing::info!(strategy = strategy.as_str(), "rotation strategy changed");
    Ok(rotation(state))
}

fn quota(state: &AppState) -> Response<Body> {
    let cfg = state.pool.config();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "refresh_interval_minutes": state.quota.interval().as_secs() / 60,
            "warning_thresholds": {
                "primary": cfg.warning_thresholds.primary,
                "secondary": cfg.warning_thresholds.secondary,
            },
            "skip_exhausted": cfg.skip_exhausted,
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaBody {
    #[serde(default)]
    refresh_interval_minutes: Option<u64>,
    #[serde(default)]
    warning_thresholds: Option<serde_json::Value>,
    #[serde(default)]
    skip_exhausted: Option<bool>,
}

async fn set_quota(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let body: QuotaBody = json_body(req, "{refresh_interval_minutes}").await?;
    let cfg = state.pool.config();
    if body.skip_exhausted.is_some_and(|s| s != cfg.skip_exhausted)
        || body.warning_thresholds.is_some()
    {
        return Err(GatewayError::InvalidRequest(
            "warning_thresholds and skip_exhausted are read at startup: set quota.* in the config and restart".to_owned(),
        ));
    }
    if let Some(minutes) = body.refresh_interval_minutes {
        if minutes > 10_080 {
            return Err(GatewayError::InvalidRequest(
                "refresh_interval_minutes must be between 0 (off) and 10080".to_owned(),
            ));
        }
        state.quota.set_interval(Duration::from_secs(minutes * 60));
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
