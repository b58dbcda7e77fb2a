//! `GET/POST /auth/accounts/{id}/proxy` (admin): read or set the account's own upstream
//! proxy. `POST {"proxy": "socks5://user:pass@host:1080"}` sets it (validated with the
//! transport's parser), `{"proxy": null}` clears it (the account then uses `tls.proxy_url`).
//! Answers show the URL with the password masked.

use codex_proxy_pool::AccountId;
use codex_proxy_upstream::Proxy;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;

use crate::admin::json_body;
use crate::body::Body;
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProxyBody {
    proxy: Option<String>,
}

/// Handles one request for account `id`.
pub(crate) async fn handle(
    state: &AppState,
    req: Request<Incoming>,
    id: &str,
) -> Result<Response<Body>, GatewayError> {
    let id = AccountId::from_string(id);
    let summary = if req.method() == Method::POST {
        let body: ProxyBody = json_body(req, "{proxy: url|null}").await?;
        let proxy = body
            .proxy
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        if let Some(url) = &proxy {
            Proxy::parse(url).map_err(|e| GatewayError::InvalidRequest(format!("proxy: {e}")))?;
        }
        state
            .pool
            .set_account_proxy(&id, proxy)
            .map_err(crate::pool_glue::admin_error)?
    } else {
        state.pool.get(&id).ok_or_else(|| GatewayError::NotFound {
            path: "account".to_owned(),
        })?
    };
    let global = state.config.api.proxy_url.as_deref().map(mask);
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({
            "success": true,
            "id": summary.id,
            "proxy": summary.proxy,
            "effective": summary.proxy.clone().or(global),
        }),
    ))
}

/// `scheme://user:***@host` for display.
fn mask(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => "***".to_owned(),
    }
}
