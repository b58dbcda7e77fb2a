//! `GET /auth/accounts` (list, no secrets) and `POST /auth/accounts` (`{token?, refreshToken?,
//! label?}` → add an account). Both need the proxy API key when one is configured.

use std::time::SystemTime;

use http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;

use crate::body::Body;
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

/// Largest accepted `POST /auth/accounts` body.
const MAX_ADD_BODY: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddAccount {
    #[serde(default)]
    token: Option<String>,
    #[serde(default, alias = "refresh_token")]
    refresh_token: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

/// Lists accounts.
pub(crate) fn list(state: &AppState, headers: &HeaderMap) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.config.server.proxy_api_key.as_ref(), headers)?;
    let accounts = state.pool.list().map_err(crate::pool_glue::admin_error)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "accounts": accounts }),
    ))
}

/// Adds an account from tokens.
pub(crate) async fn add(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.config.server.proxy_api_key.as_ref(), req.headers())?;
    let limit = MAX_ADD_BODY.min(state.config.server.max_body_bytes);
    let body = crate::body::read_limited(req.into_body(), limit).await?;
    let add: AddAccount = serde_json::from_slice(&body).map_err(|e| {
        GatewayError::InvalidRequest(format!(
            "expected {{token?, refreshToken?, label?}}: {}",
            e.classify_msg()
        ))
    })?;
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&add.token) && blank(&add.refresh_token) {
        return Err(GatewayError::InvalidRequest(
            "give `token` (an access token) or `refreshToken`".to_owned(),
        ));
    }
    let summary = state
        .pool
        .add_tokens(
            add.token.as_deref(),
            add.refresh_token.as_deref(),
            add.label.as_deref(),
            SystemTime::now(),
        )
        .map_err(crate::pool_glue::admin_error)?;
    tracing::info!(account = %summary.id, "account added");
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "success": true, "account": summary }),
    ))
}

/// A short, secret-free description of a JSON error.
trait ClassifyMsg {
    fn classify_msg(&self) -> &'static str;
}

impl ClassifyMsg for serde_json::Error {
    fn classify_msg(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "malformed json"
            }
            serde_json::error::Category::Data => "wrong field or type",
            serde_json::error::Category::Io => "read error",
        }
    }
}
