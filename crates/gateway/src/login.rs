//! OAuth logins for the dashboard and API: `GET /auth/login` (302 to the authorize URL),
//! `POST /auth/login-start` (`{authUrl, state}`), `GET /auth/callback` (the official redirect
//! path: completes the login), `POST /auth/login/paste` and `POST /auth/code-relay` (the
//! redirect URL pasted when the callback port cannot be reached), and the device flow
//! (`POST /auth/device-login`, `GET /auth/device-poll/{id}`). The flows themselves are the
//! pool's ([`codex_proxy_pool::oauth`]); the HTTP goes through [`UpstreamOAuth`].

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use codex_proxy_pool::oauth::{
    DeviceCode, DevicePoll, OAuthConfig, OAuthTransport as _, PendingLogins, PkceLogin,
    parse_token_response,
};
use codex_proxy_pool::{LoginError, RefreshError};
use codex_proxy_upstream::{Upstream, UpstreamConfig};
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use serde::Deserialize;

use crate::body::Body;
use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::refresher::{UpstreamOAuth, oauth_config};
use crate::router::json_response;
use crate::state::AppState;

/// Device logins remembered at once (the oldest is dropped).
const MAX_DEVICE_LOGINS: usize = 16;

/// Logins in progress.
pub(crate) struct Logins {
    oauth: OAuthConfig,
    pending: PendingLogins,
    devices: Mutex<Vec<(String, DeviceCode)>>,
}

impl std::fmt::Debug for Logins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logins").finish_non_exhaustive()
    }
}

impl Logins {
    /// No login in progress.
    pub fn new(config: &GatewayConfig) -> Self {
        Self {
            oauth: oauth_config(&config.auth),
            pending: PendingLogins::new(),
            devices: Mutex::new(Vec::new()),
        }
    }
}

/// The OAuth transport the `codex-proxy login` command uses: the upstream client built from
/// `config` (same proxy and TLS settings as the server).
pub fn login_transport(config: &GatewayConfig) -> Result<UpstreamOAuth, crate::StartError> {
    let mut up = UpstreamConfig::new(config.api.base_url.clone());
    up.connect_timeout = config.api.connect_timeout;
    up.proxy_url = config.api.proxy_url.clone();
    let upstream = Upstream::new(up).map_err(crate::StartError::Upstream)?;
    Ok(UpstreamOAuth::new(upstream))
}

fn transport(state: &AppState) -> UpstreamOAuth {
    UpstreamOAuth::new(state.upstream.clone())
}

/// `GET /auth/login`: 302 to the authorize URL (the body repeats it as JSON).
pub(crate) fn login_redirect(state: &AppState) -> Response<Body> {
    let (url, login_state) = start(state);
    let mut resp = json_response(
        StatusCode::FOUND,
        &serde_json::json!({ "authUrl": url, "state": login_state }),
    );
    if let Ok(v) = HeaderValue::from_str(&url) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `POST /auth/login-start`: `{authUrl, state}`.
pub(crate) fn login_start(state: &AppState) -> Response<Body> {
    let (url, login_state) = start(state);
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "authUrl": url, "state": login_state }),
    )
}

fn start(state: &AppState) -> (String, String) {
    let now = SystemTime::now();
    let (url, login) = PkceLogin::start_random(&state.logins.oauth, now);
    let id = login.state().to_owned();
    state.logins.pending.insert(login, now);
    tracing::info!("oauth login started");
    (url, id)
}

/// `GET /auth/callback?code=…&state=…`: completes a pending login.
pub(crate) async fn callback(
    state: &AppState,
    query: Option<&str>,
) -> Result<Response<Body>, GatewayError> {
    complete(state, query.unwrap_or("")).await
}

#[derive(Deserialize)]
struct Paste {
    #[serde(
        default,
        alias = "callbackUrl",
        alias = "callback_url",
        alias = "redirectUrl"
    )]
    url: Option<String>,
}

/// `POST /auth/login/paste` / `POST /auth/code-relay`: `{callbackUrl}` (or `{url}`).
pub(crate) async fn paste(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let body = crate::body::read_limited(req.into_body(), 64 * 1024).await?;
    let paste: Paste = serde_json::from_slice(&body).map_err(|_| {
        GatewayError::InvalidRequest(
            "expected {\"callbackUrl\": \"<the redirect url>\"}".to_owned(),
        )
    })?;
    let url = paste
        .url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| GatewayError::InvalidRequest("callbackUrl is required".to_owned()))?;
    complete(state, &url).await
}

async fn complete(state: &AppState, url_or_query: &str) -> Result<Response<Body>, GatewayError> {
    let now = SystemTime::now();
    let (login, code) = state
        .logins
        .pending
        .take(url_or_query, now)
        .map_err(login_error)?;
    let tokens = login
        .exchange(&transport(state), &code)
        .await
        .map_err(login_error)?;
    let summary = state
        .pool
        .complete_login(tokens, None, SystemTime::now())
        .map_err(crate::pool_glue::admin_error)?;
    tracing::info!(account = %summary.id, "oauth login completed");
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "success": true, "account": summary }),
    ))
}

fn login_error(e: LoginError) -> GatewayError {
    tracing::info!(error = e.label(), "oauth login step failed");
    GatewayError::Login(e)
}

/// `POST /auth/device-login`: requests a user code.
pub(crate) async fn device_start(state: &AppState) -> Result<Response<Body>, GatewayError> {
    let now = SystemTime::now();
    let code = DeviceCode::start(&state.logins.oauth, &transport(state), now)
        .await
        .map_err(login_error)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let body = serde_json::json!({
        "deviceCode": id,
        "userCode": code.user_code(),
        "verificationUrl": code.verification_url(),
        "interval": code.interval().as_secs(),
        "expiresIn": code.expires_at().duration_since(now).map_or(0, |d| d.as_secs()),
    });
    let mut devices = lock(&state.logins.devices);
    devices.retain(|(_, c)| c.expires_at() > now);
    if devices.len() >= MAX_DEVICE_LOGINS {
        devices.remove(0);
    }
    devices.push((id, code));
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /auth/device-poll/{id}`: polls once; `{pending:true, code}` or `{success, account}`.
pub(crate) async fn device_poll(
    state: &AppState,
    id: &str,
) -> Result<Response<Body>, GatewayError> {
    let now = SystemTime::now();
    let code = lock(&state.logins.devices)
        .iter()
        .find(|(k, _)| k == id)
        .map(|(_, c)| c.clone())
        .ok_or(GatewayError::Login(LoginError::UnknownState))?;
    let t = transport(state);
    let polled = code.poll(&t, now).await;
    let grant = match polled {
        Ok(DevicePoll::Pending) => {
            return Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "pending": true, "code": code.user_code() }),
            ));
        }
        Ok(DevicePoll::Authorized(grant)) => grant,
        Err(e) => {
            forget_device(state, id);
            return Err(login_error(e));
        }
    };
    forget_device(state, id);
    let form = code.exchange_form(&grant);
    let reply = t
        .post_form(&state.logins.oauth.token_endpoint(), &form)
        .await
        .map_err(|e| login_error(LoginError::Transport(e.to_string())))?;
    let tokens = parse_token_response(reply.status, &reply.body).map_err(|e| {
        login_error(match e {
            RefreshError::Rejected { status, code, .. } => LoginError::Exchange { status, code },
            RefreshError::Transport(m) => LoginError::Transport(m),
        })
    })?;
    let summary = state
        .pool
        .complete_login(tokens, None, SystemTime::now())
        .map_err(crate::pool_glue::admin_error)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "success": true, "account": summary }),
    ))
}

fn forget_device(state: &AppState, id: &str) {
    lock(&state.logins.devices).retain(|(k, _)| k != id);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
