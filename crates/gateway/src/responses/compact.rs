//! `POST /v1/responses/compact`: the compact body (translation spec §7.5) to
//! `{base}/codex/responses/compact`, the upstream JSON back verbatim. Accounts fail over like
//! model calls: rate limit, quota, auth or ban move to the next account, a transient failure is
//! retried once.

use std::sync::Arc;

use bytes::Bytes;
use codex_proxy_translate::responses as translate;
use codex_proxy_upstream::{ResponsesCall, UpstreamError};
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::pool_glue;
use crate::state::AppState;

/// Handles one compact request.
pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())?;
    let seed_key = crate::auth::presented(req.headers())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    let opts = state.request_options();
    let value = translate::compact_request(&body, &opts)
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    let model = value
        .get("model")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let session_id = super::hash_session(&[b"compact\0", &seed_key, &body]);
    drop(body);
    let upstream_body: Bytes = serde_json::to_vec(&value)
        .map_err(|_| GatewayError::Internal("cannot encode the upstream request"))?
        .into();
    let answer = send(&state, &model, upstream_body, &session_id, request_id).await?;
    let mut resp = Response::new(full(answer));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// The compact call with account failover; the 2xx JSON body.
async fn send(
    state: &AppState,
    model: &str,
    body: Bytes,
    session_id: &str,
    request_id: &str,
) -> Result<Bytes, GatewayError> {
    let mut last: Option<UpstreamError> = None;
    let mut retried = false;
    for _ in 0..state.config.api.max_attempts {
        let lease = match pool_glue::acquire(state, model).await {
            Ok(lease) => lease,
            Err(e) => return Err(last.map_or(e, GatewayError::Upstream)),
        };
        let call = ResponsesCall {
            creds: pool_glue::credentials(&lease),
            body: body.clone(),
            session_id,
            model,
            turn_state: None,
            request_id,
            installation_id: Some(lease.installation_id()),
        };
        match state.transport.for_lease(state, &lease).compact(call).await {
            Ok(resp) => {
                if serde_json::from_slice::<serde_json::Value>(&resp.body).is_err() {
                    return Err(GatewayError::Translate(
                        codex_proxy_translate::ErrorReply::new(
                            502,
                            codex_proxy_translate::ErrorKind::Upstream,
                            "compact response is not valid json",
                            Some("upstream_protocol_error"),
                        ),
                    ));
                }
                return Ok(resp.body);
            }
            Err(e) => {
                pool_glue::report_failure(state, &lease, &e);
                let again = e.is_account_fault() || (e.is_retryable() && !retried);
                retried |= e.is_retryable();
                if !again {
                    return Err(GatewayError::Upstream(e));
                }
                tracing::info!(error = e.label(), "compact attempt failed");
                last = Some(e);
            }
        }
    }
    Err(last.map_or(
        GatewayError::Internal("no upstream attempt was made"),
        GatewayError::Upstream,
    ))
}
