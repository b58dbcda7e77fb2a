//! `/auth/accounts…` (master key only, checked by [`crate::admin`]): list and add, delete,
//! batch delete / status, import, export (`?format=minimal`), refresh one account now, live
//! quota, cookies, label; and `GET /auth/quota/warnings`.

use std::time::SystemTime;

use codex_proxy_pool::{AccountId, AccountStatus, Cookie};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;

use crate::admin::json_body;
use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

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

#[derive(Deserialize)]
struct Ids {
    ids: Vec<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct CookiesBody {
    cookies: Vec<CookieItem>,
}

#[derive(Deserialize)]
struct CookieItem {
    name: String,
    value: String,
    /// Unix seconds.
    #[serde(default)]
    expires: Option<u64>,
}

#[derive(Deserialize)]
struct LabelBody {
    label: Option<String>,
}

/// Routes `/auth/accounts/<rest…>`; `None` for an unknown route.
pub(crate) async fn route(
    state: &AppState,
    req: Request<Incoming>,
    rest: &[&str],
) -> Result<Option<Response<Body>>, GatewayError> {
    let method = req.method().clone();
    let now = SystemTime::now();
    let ok = |v: serde_json::Value| Ok(Some(json_response(StatusCode::OK, &v)));
    match (&method, rest) {
        (&Method::GET, []) => {
            let accounts = state.pool.list().map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({ "accounts": accounts }))
        }
        (&Method::POST, []) => add(state, req).await.map(Some),
        (&Method::POST, ["import"]) => {
            let body = crate::body::read_limited(req.into_body(), 16 * 1024 * 1024).await?;
            let report = state
                .pool
                .import(&body, now)
                .map_err(crate::pool_glue::admin_error)?;
            let errors: Vec<_> = report
                .skipped
                .iter()
                .map(|(i, reason)| serde_json::json!({ "index": i, "error": reason }))
                .collect();
            ok(serde_json::json!({
                "success": true,
                "added": report.added,
                "updated": report.updated,
                "failed": report.skipped.len(),
                "errors": errors,
            }))
        }
        (&Method::GET, ["export"]) => {
            let minimal = req
                .uri()
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == "format=minimal"));
            let mut resp = Response::new(full(state.pool.export(minimal).to_json()));
            resp.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            Ok(Some(resp))
        }
        (&Method::POST, ["batch-delete"]) => {
            let body: Ids = json_body(req, "{ids}").await?;
            let ids = account_ids(&body.ids)?;
            let deleted = state
                .pool
                .remove_many(&ids)
                .map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({
                "success": true, "deleted": deleted, "notFound": ids.len() - deleted,
            }))
        }
        (&Method::POST, ["batch-status"]) => {
            let body: Ids = json_body(req, "{ids, status}").await?;
            let ids = account_ids(&body.ids)?;
            let status = match body.status.as_deref() {
                Some("active") => AccountStatus::Active,
                Some("disabled") => AccountStatus::Disabled,
                _ => {
                    return Err(GatewayError::InvalidRequest(
                        "status must be active or disabled".to_owned(),
                    ));
                }
            };
            let updated = state
                .pool
                .set_status_many(&ids, status)
                .map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({
                "success": true, "updated": updated, "notFound": ids.len() - updated,
            }))
        }
        (&Method::DELETE, [id]) => {
            state
                .pool
                .remove(&AccountId::from_string(*id))
                .map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({ "success": true }))
        }
        (&Method::POST, [id, "refresh"]) => {
            let id = AccountId::from_string(*id);
            let result = state
                .pool
                .refresh_now(&id, now, &state.refresher)
                .await
                .map_err(crate::pool_glue::admin_error)?;
            match result {
                Ok(account) => ok(serde_json::json!({ "success": true, "account": account })),
                Err(e) => ok(serde_json::json!({
                    "success": false,
                    "error": e.to_string(),
                    "account": state.pool.get(&id),
                })),
            }
        }
        (&Method::GET, [id, "quota"]) => {
            let id = AccountId::from_string(*id);
            crate::scheduler::fetch_quota(state, &id, now)
                .await
                .map(|(quota, raw)| {
                    Some(json_response(
                        StatusCode::OK,
                        &serde_json::json!({ "quota": quota, "raw": raw }),
                    ))
                })
        }
        (&Method::GET, [id, "cookies"]) => {
            let cookies = state
                .pool
                .cookies(&AccountId::from_string(*id), now)
                .map_err(crate::pool_glue::admin_error)?;
            let list: Vec<_> = cookies
                .iter()
                .map(|c| serde_json::json!({ "name": c.name, "expires": c.expires.map(unix) }))
                .collect();
            ok(serde_json::json!({ "cookies": list }))
        }
        (&Method::POST, [id, "cookies"]) => {
            let body: CookiesBody = json_body(req, "{cookies:[{name, value, expires?}]}").await?;
            let cookies = body
                .cookies
                .into_iter()
                .map(|c| Cookie {
                    name: c.name,
                    value: c.value,
                    expires: c
                        .expires
                        .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s)),
                })
                .collect();
            state
                .pool
                .set_cookies(&AccountId::from_string(*id), cookies, now)
                .map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({ "success": true }))
        }
        (&Method::DELETE, [id, "cookies"]) => {
            state
                .pool
                .set_cookies(&AccountId::from_string(*id), Vec::new(), now)
                .map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({ "success": true }))
        }
        (&Method::PATCH, [id, "label"]) => {
            let body: LabelBody = json_body(req, "{label}").await?;
            let account = state
                .pool
                .set_label(&AccountId::from_string(*id), body.label.as_deref())
                .map_err(crate::pool_glue::admin_error)?;
            ok(serde_json::json!({ "success": true, "account": account }))
        }
        (&Method::GET | &Method::POST, [id, "proxy"]) => {
            crate::account_proxy::handle(state, req, id).await.map(Some)
        }
        _ => Ok(None),
    }
}

/// `GET /auth/quota/warnings`.
pub(crate) fn warnings(state: &AppState) -> Response<Body> {
    let now = SystemTime::now();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "warnings": state.pool.quota_warnings(now),
            "updatedAt": unix(now),
        }),
    )
}

fn account_ids(ids: &[String]) -> Result<Vec<AccountId>, GatewayError> {
    if ids.is_empty() {
        return Err(GatewayError::InvalidRequest(
            "ids must hold at least one account id".to_owned(),
        ));
    }
    Ok(ids
        .iter()
        .map(|s| AccountId::from_string(s.as_str()))
        .collect())
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Adds an account from tokens.
async fn add(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, GatewayError> {
    let add: AddAccount = json_body(req, "{token?, refreshToken?, label?}").await?;
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
