//! The seam every client dialect plugs into: a streaming translator ([`StreamTranslate`]) and a
//! non-stream collector ([`Collect`]) over Responses events, plus the shared request pipeline
//! ([`send_translated`], [`collect`], [`stream`]) so each dialect's handler only parses its body
//! and picks its translator. Adding a dialect means implementing these two traits in a few lines
//! over the translate crate's types; the streaming body, heartbeats, failover, usage reporting and
//! cancellation are shared.

use std::sync::Arc;

use bytes::Bytes;
use codex_proxy_schema::responses::{ResponsesEvent, ResponsesRequest};
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::openai_chat::{ChatCollector, ChatStream};
use codex_proxy_translate::{ErrorKind, ErrorReply, UpstreamFailure};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use sha2::{Digest as _, Sha256};

use crate::attempt::{self, Attempted};
use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::events::{self, Next, Tap};
use crate::state::AppState;
use crate::stream_body::TranslatedBody;

/// A streaming translator: Responses events in, the client's wire bytes out.
pub(crate) trait StreamTranslate: Send + Unpin + 'static {
    /// Translates one upstream event, appending client bytes to `out`.
    fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>);
    /// The upstream ended (or a terminal event was seen): write the dialect's ending. A stream
    /// that ended without a terminal event must be reported as truncated, not as success.
    fn finish(&mut self, out: &mut Vec<u8>);
    /// The upstream failed mid-stream: write the dialect's error event and ending.
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>);
    /// Whether a terminal event was translated.
    fn is_terminated(&self) -> bool;
    /// The keep-alive written while the upstream is idle.
    fn heartbeat(&self) -> &'static [u8] {
        b": ping\n\n"
    }
    /// The response content type.
    fn content_type(&self) -> &'static str {
        "text/event-stream"
    }
}

/// A non-stream collector: Responses events in, one response body out.
pub(crate) trait Collect: Send {
    /// Looks at one upstream event.
    fn push(&mut self, ev: &ResponsesEvent<'_>);
    /// The assembled body, or the error the client should see.
    fn finish(self) -> Result<Vec<u8>, ErrorReply>;
}

impl StreamTranslate for ChatStream {
    fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        ChatStream::push(self, ev, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        ChatStream::finish(self, out);
    }
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>) {
        ChatStream::fail(self, failure, out);
    }
    fn is_terminated(&self) -> bool {
        ChatStream::is_terminated(self)
    }
}

impl Collect for ChatCollector {
    fn push(&mut self, ev: &ResponsesEvent<'_>) {
        ChatCollector::push(self, ev);
    }
    fn finish(self) -> Result<Vec<u8>, ErrorReply> {
        ChatCollector::finish(self)
    }
}

/// Encodes the request and sends it with failover; when the client gave no `prompt_cache_key`
/// each attempt sends the leased account's stable key for this session. `seed` distinguishes callers (the presented key) in the session derivation.
pub(crate) async fn send_translated(
    state: &AppState,
    request: &mut ResponsesRequest,
    conversation: Option<&str>,
    seed: &[u8],
    request_id: &str,
) -> Result<Attempted, GatewayError> {
    let session_id = session_id(request, conversation, seed);
    let body: Bytes = serde_json::to_vec(&*request)
        .map_err(|_| GatewayError::Internal("cannot encode the upstream request"))?
        .into();
    if request.prompt_cache_key.is_some() {
        return attempt::send(state, &request.model, body, &session_id, request_id).await;
    }
    // The leased account's stable key for this session (pool session affinity).
    attempt::send_with_cache_key(state, &request.model, body, &session_id, request_id).await
}

/// A streamed response translating `attempted` with `translator`.
pub(crate) fn stream<T: StreamTranslate>(
    state: &Arc<AppState>,
    attempted: Attempted,
    translator: T,
) -> Response<Body> {
    let Attempted { lease, response } = attempted;
    let quota_headers = events::quota_headers(&response.headers);
    let content_type = translator.content_type();
    let body = TranslatedBody::new(
        response,
        translator,
        state.live().server.heartbeat,
        state.clone(),
        lease,
    );
    let mut resp = Response::new(http_body_util::BodyExt::boxed_unsync(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.extend(quota_headers);
    resp
}

/// Reads the whole upstream stream into `collector` and answers with its body.
pub(crate) async fn collect<C: Collect>(
    state: &AppState,
    attempted: Attempted,
    mut collector: C,
) -> Result<Response<Body>, GatewayError> {
    let Attempted {
        lease,
        mut response,
    } = attempted;
    let quota_headers: HeaderMap = events::quota_headers(&response.headers);
    let mut decoder = SseDecoder::new();
    let mut tap = Tap::default();
    let mut failure: Option<UpstreamFailure> = None;
    'read: loop {
        let eof = match response.chunk().await {
            Some(Ok(bytes)) => {
                decoder.push(&bytes);
                false
            }
            Some(Err(e)) => {
                // Like a premature close: the collector decides (no terminal event → error).
                tracing::info!(error = e.label(), "upstream failed while collecting");
                break;
            }
            None => true,
        };
        loop {
            match events::next_event(&mut decoder, eof) {
                Ok(Next::Event(ev)) => {
                    tap.observe(&ev);
                    collector.push(&ev);
                }
                Ok(Next::Skip) => {}
                Ok(Next::Pending) if eof => break 'read,
                Ok(Next::Pending) => break,
                Err(f) => {
                    failure = Some(f);
                    break 'read;
                }
            }
        }
    }
    drop(response);
    tap.report(state, &lease);
    if let Some(f) = failure {
        let reply = ErrorReply::new(502, ErrorKind::Upstream, f.message, Some(f.code));
        return Err(GatewayError::Translate(reply));
    }
    let bytes = collector.finish().map_err(GatewayError::Translate)?;
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.extend(quota_headers);
    Ok(resp)
}

/// The upstream session (thread) id, stable per conversation: derived from the client's
/// `prompt_cache_key`, else its conversation id (`user`, `metadata.user_id`, …), else the first
/// user message together with the presented API key. Formatted as a UUID like the official
/// client's.
pub(crate) fn session_id(
    req: &ResponsesRequest,
    conversation: Option<&str>,
    seed: &[u8],
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"codex-proxy-session\0");
    if let Some(k) = &req.prompt_cache_key {
        hasher.update(b"pck\0");
        hasher.update(k.as_bytes());
    } else if let Some(user) = conversation {
        hasher.update(b"user\0");
        hasher.update(user.as_bytes());
    } else {
        hasher.update(b"first\0");
        hasher.update(seed);
        hasher.update(b"\0");
        if let Some(first) = events::first_user_message(req) {
            hasher.update(&first);
        }
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}
