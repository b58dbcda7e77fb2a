//! The native Responses routes: `POST /v1/responses` (also `/responses`, the `/review`
//! variants and the `/backend-api/codex/responses` alias Codex clients use), streamed through
//! [`ResponsesRelay`] or collected with [`ResponsesCollector`]; `POST /v1/responses/compact`;
//! `POST /v1/images/generations` and JSON `/v1/images/edits` (`responses/images.rs`).
//!
//! Requests go over the WebSocket transport first (`responses_ws.rs`, HTTP fallback on 426);
//! a `previous_response_id` no parked socket owns gets a 400 (HTTP cannot carry it). A streaming request whose upstream call fails before the stream opens is answered with
//! HTTP 200 and one `response.failed` event (translation spec §9.2); `x-codex-turn-state` is
//! relayed both ways.

mod body;
mod compact;
mod images;

use std::sync::Arc;

use bytes::Bytes;
use codex_proxy_schema::responses::{ResponsesEvent, ResponsesRequest};
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::responses::{
    self as translate, PassthroughRoute, ResponsesCollector, ResponsesRelay, ResponsesTranslated,
};
use codex_proxy_translate::{ErrorKind, ErrorReply};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use sha2::{Digest as _, Sha256};

use crate::attempt::{self, Attempted};
use crate::body::{Body, full};
use crate::error::{ErrorClass, GatewayError};
use crate::events::{self, Tap};
use crate::state::AppState;

pub(crate) use compact::handle as compact;
pub(crate) use images::handle as images;

/// The turn-state side channel header.
const TURN_STATE: &str = "x-codex-turn-state";
/// The subagent header, carried upstream in `client_metadata`.
const SUBAGENT: &str = "x-openai-subagent";
/// Attempts of a non-streamed request whose answers come back empty.
const EMPTY_ATTEMPTS: u32 = 3;

/// Handles one `/v1/responses` request (`review`: a `/review` path).
pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
    review: bool,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())?;
    let seed_key = crate::auth::presented(req.headers())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let header_turn_state = header_str(req.headers(), TURN_STATE);
    let subagent = header_str(req.headers(), SUBAGENT);
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    let opts = state.request_options();
    let mut translated = translate::passthrough_request(&body, &opts, PassthroughRoute { review })
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    drop(body);
    let turn_state = translated.turn_state.clone().or(header_turn_state);
    if let (false, Some(subagent)) = (review, subagent) {
        // The header wins over the body's metadata (translation spec §7.1).
        translated
            .request
            .client_metadata
            .get_or_insert_with(Default::default)
            .insert(SUBAGENT.to_owned(), subagent);
    }
    let session_id = session_id(&translated.request, &seed_key);
    if translated.request.prompt_cache_key.is_none() {
        translated.request.prompt_cache_key = Some(session_id.clone());
    }
    // WebSocket transport first (the only one that carries previous_response_id).
    if !review
        && let Some(resp) =
            crate::responses_ws::serve(&state, &mut translated, &session_id, request_id).await?
    {
        return Ok(resp);
    }
    translate::require_http_compatible(&translated.request)
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    let upstream_body: Bytes = serde_json::to_vec(&translated.request)
        .map_err(|_| GatewayError::Internal("cannot encode the upstream request"))?
        .into();
    let model = translated.request.model.clone();
    let send = || {
        attempt::send_with_turn_state(
            &state,
            &model,
            upstream_body.clone(),
            &session_id,
            request_id,
            turn_state.as_deref(),
        )
    };
    if !translated.stream {
        // An empty answer is resent, up to three attempts in all (translation spec §9.5).
        let mut tries = 0;
        loop {
            tries += 1;
            match collect_response(&state, send().await?, &translated).await {
                Err(GatewayError::Translate(r))
                    if r.kind == ErrorKind::EmptyResponse && tries < EMPTY_ATTEMPTS =>
                {
                    tracing::info!(tries, "empty upstream response; resending");
                }
                Err(GatewayError::Translate(r)) if r.kind == ErrorKind::EmptyResponse => {
                    return Err(GatewayError::Translate(ErrorReply::new(
                        502,
                        ErrorKind::EmptyResponse,
                        "Codex returned empty responses across all attempts",
                        Some("empty_response"),
                    )));
                }
                other => return other,
            }
        }
    }
    match send().await {
        Ok(attempted) => Ok(stream_response(&state, attempted, translated)),
        Err(e @ GatewayError::Internal(_)) => Err(e),
        Err(e) => Ok(prestream_failure(&e)),
    }
}

fn stream_response(
    state: &Arc<AppState>,
    attempted: Attempted,
    translated: ResponsesTranslated,
) -> Response<Body> {
    let Attempted { lease, response } = attempted;
    let mut headers = events::quota_headers(&response.headers);
    if let Some(v) = response.headers.get(TURN_STATE) {
        headers.insert(TURN_STATE, v.clone());
    }
    let relay = ResponsesRelay::new(fallback_id(), translated.tuple_schema);
    let body = body::ResponsesBody::new(
        response,
        relay,
        state.live().server.heartbeat,
        state.clone(),
        lease,
    );
    sse_response(body.boxed_unsync(), headers)
}

async fn collect_response(
    state: &AppState,
    attempted: Attempted,
    translated: &ResponsesTranslated,
) -> Result<Response<Body>, GatewayError> {
    let Attempted {
        lease,
        mut response,
    } = attempted;
    let mut headers = events::quota_headers(&response.headers);
    if let Some(v) = response.headers.get(TURN_STATE) {
        headers.insert(TURN_STATE, v.clone());
    }
    let mut collector = ResponsesCollector::new(translated.tuple_schema.clone());
    let mut decoder = SseDecoder::new();
    let mut tap = Tap::default();
    let mut eof = false;
    while !eof {
        match response.chunk().await {
            Some(Ok(bytes)) => decoder.push(&bytes),
            Some(Err(e)) => {
                tracing::info!(error = e.label(), "upstream failed while collecting");
                eof = true;
            }
            None => eof = true,
        }
        feed(&mut decoder, eof, &mut tap, |f| collector.push_frame(f))?;
    }
    drop(response);
    tap.report(state, &lease);
    let bytes = collector.finish().map_err(GatewayError::Translate)?;
    let mut resp = Response::new(full(bytes));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.extend(headers);
    Ok(resp)
}

/// Decodes every buffered frame: the tap sees terminal events, `push` sees every frame.
pub(crate) fn feed(
    decoder: &mut SseDecoder,
    eof: bool,
    tap: &mut Tap,
    mut push: impl FnMut(&codex_proxy_schema::sse::SseFrame<'_>),
) -> Result<(), GatewayError> {
    loop {
        let frame = if eof {
            decoder.finish()
        } else {
            decoder.next_frame()
        };
        match frame {
            Ok(Some(frame)) => {
                observe(tap, &frame);
                push(&frame);
            }
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(GatewayError::Translate(ErrorReply::new(
                    502,
                    ErrorKind::Upstream,
                    format!("upstream stream is malformed: {e}"),
                    Some("upstream_protocol_error"),
                )));
            }
        }
    }
}

/// Usage capture: only terminal events are parsed.
pub(crate) fn observe(tap: &mut Tap, frame: &codex_proxy_schema::sse::SseFrame<'_>) {
    if matches!(
        frame.event,
        Some("response.completed" | "response.incomplete")
    ) && let Ok(ev) = ResponsesEvent::parse(frame)
    {
        tap.observe(&ev);
    }
}

/// HTTP 200 with one `response.failed` event for an upstream failure before the stream.
fn prestream_failure(e: &GatewayError) -> Response<Body> {
    let r = e.reply();
    let kind = match r.class {
        ErrorClass::RateLimit => ErrorKind::RateLimited,
        ErrorClass::InvalidRequest | ErrorClass::NotFound => ErrorKind::InvalidRequest,
        ErrorClass::Authentication | ErrorClass::Server => ErrorKind::Upstream,
    };
    let reply = ErrorReply::new(r.status.as_u16(), kind, r.message, r.code.as_deref());
    let mut out = Vec::with_capacity(256);
    translate::write_failed_reply(&reply, &fallback_id(), &mut out);
    sse_response(full(out), HeaderMap::new())
}

fn sse_response(body: Body, extra: HeaderMap) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.extend(extra);
    resp
}

/// `resp_proxy_<hex24>`.
pub(crate) fn fallback_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("resp_proxy_{}", &hex[..24])
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The upstream session id: the client's `prompt_cache_key` (Codex CLI sends its thread id),
/// else the first input item with the presented key. Formatted as a UUID.
fn session_id(req: &ResponsesRequest, seed_key: &[u8]) -> String {
    match &req.prompt_cache_key {
        Some(k) => hash_session(&[b"pck\0", k.as_bytes()]),
        None => {
            let first = events::first_user_message(req).unwrap_or_default();
            hash_session(&[b"first\0", seed_key, b"\0", &first])
        }
    }
}

fn hash_session(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"codex-proxy-session\0");
    for p in parts {
        hasher.update(p);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}
