//! Route dispatch, request ids, access logging, and the error → response hand-off.

use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{Body, full};
use crate::error::{Dialect, GatewayError};
use crate::state::AppState;

/// Handles one request; never fails (errors are rendered here, once).
pub(crate) async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let request_id = request_id(&req);
    let dialect = dialect_for(&path);
    let caller = crate::auth::authenticate(&state, req.headers());
    let routed = crate::auth::scope(caller, route(&state, req, &request_id)).await;
    let (mut resp, label) = match routed {
        Ok(resp) => (resp, None),
        Err(e) => {
            let label = e.label();
            (e.into_response(dialect), Some(label))
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    match label {
        Some(label) => {
            tracing::info!(%method, %path, status, error = label, ms, request_id, "request failed")
        }
        None => tracing::debug!(%method, %path, status, ms, request_id, "request"),
    }
    resp
}

async fn route(
    state: &Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (&method, path.as_str()) {
        (&Method::GET, "/health") => Ok(health(state)),
        (&Method::HEAD, "/") => Ok(crate::anthropic::probe(true)),
        (&Method::GET, "/") => Ok(crate::anthropic::probe(false)),
        (&Method::POST, "/v1/messages") => {
            crate::anthropic::messages(state.clone(), req, request_id).await
        }
        (&Method::POST, "/v1/messages/count_tokens") => {
            crate::anthropic::count_tokens(state.clone(), req).await
        }
        (&Method::POST, "/v1/chat/completions") => {
            crate::chat::handle(state.clone(), req, request_id).await
        }
        (&Method::POST, "/v1/responses" | "/responses" | "/backend-api/codex/responses") => {
            crate::responses::handle(state.clone(), req, request_id, false).await
        }
        (&Method::POST, "/v1/responses/review" | "/responses/review") => {
            crate::responses::handle(state.clone(), req, request_id, true).await
        }
        (
            &Method::POST,
            "/v1/responses/compact" | "/responses/compact" | "/backend-api/codex/responses/compact",
        ) => crate::responses::compact(state.clone(), req, request_id).await,
        (&Method::POST, "/v1/images/generations" | "/images/generations") => {
            let mode = codex_proxy_translate::responses::ImageMode::Generate;
            crate::responses::images(state.clone(), req, request_id, mode).await
        }
        (&Method::POST, "/v1/images/edits" | "/images/edits") => {
            let mode = codex_proxy_translate::responses::ImageMode::Edit;
            crate::responses::images(state.clone(), req, request_id, mode).await
        }
        (&Method::POST, p) if crate::gemini::is_action_path(p) => {
            crate::gemini::generate(state.clone(), req, request_id).await
        }
        (&Method::GET, "/v1beta/models") => crate::gemini::list(state, &req).await,
        (&Method::GET, p) if p.starts_with("/v1beta/models/") => {
            crate::gemini::one(state, &req).await
        }
        (&Method::GET, "/v1/models") => crate::models::list(state).await,
        (&Method::GET, "/v1/models/catalog") => crate::models::catalog(state).await,
        (&Method::GET, p) if p.starts_with("/v1/models/") => {
            let rest = &p["/v1/models/".len()..];
            match rest.strip_suffix("/info") {
                Some(id) => crate::models::info(state, id).await,
                None => crate::models::one(state, rest).await,
            }
        }
        (_, p) if p.starts_with("/auth/") || p.starts_with("/admin/") => {
            crate::admin::route(state, req).await
        }
        (_, "/health" | "/v1/chat/completions" | "/v1/models" | "/auth/accounts") => {
            Err(GatewayError::MethodNotAllowed {
                method: method.to_string(),
                path,
            })
        }
        _ => Err(GatewayError::NotFound { path }),
    }
}

fn dialect_for(path: &str) -> Dialect {
    if path.starts_with("/auth/") || path.starts_with("/admin/") {
        Dialect::Admin
    } else if crate::gemini::is_gemini_path(path) {
        Dialect::Gemini
    } else if path.starts_with("/v1/messages") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    }
}

fn request_id(req: &Request<Incoming>) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(
            || uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
            str::to_owned,
        )
}

fn health(state: &AppState) -> Response<Body> {
    let (total, active) = crate::pool_glue::counts(&state.pool);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "status": "ok",
            "authenticated": active > 0,
            "pool": { "total": total, "active": active },
            "timestamp": now,
        }),
    )
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let mut resp = Response::new(full(serde_json::to_vec(value).unwrap_or_default()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
