//! `POST /v1/chat/completions`: auth → bounded body → translate → lease + upstream (with
//! failover, [`crate::attempt`]) → streamed chunks ([`crate::stream_body`]) or one assembled
//! `chat.completion`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::openai_chat::{self, ChatCollector, ChatStream};
use codex_proxy_translate::{Translated, UpstreamFailure};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use sha2::{Digest as _, Sha256};

use crate::attempt::{self, Attempted};
use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::events::{self, Next, Tap};
use crate::state::AppState;
use crate::stream_body::ChatBody;

/// Handles one chat completions request.
pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.config.server.proxy_api_key.as_ref(), req.headers())?;
    let seed_key = crate::auth::presented(req.headers())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let body =
        crate::body::read_limited(req.into_body(), state.config.server.max_body_bytes).await?;
    let opts = state.request_options();
    let mut translated = openai_chat::request_to_responses(&body, &opts)
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    drop(body);
    let session_id = session_id(&translated, &seed_key);
    if translated.request.prompt_cache_key.is_none() {
        translated.request.prompt_cache_key = Some(session_id.clone());
    }
    let upstream_body: Bytes = serde_json::to_vec(&translated.request)
        .map_err(|_| GatewayError::Internal("cannot encode the upstream request"))?
        .into();
    let model = translated.request.model.clone();
    let attempted = attempt::send(&state, &model, upstream_body, &session_id, request_id).await?;
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ctx = translated.stream_context(
        format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        created,
    );
    if translated.stream {
        Ok(stream_response(&state, attempted, ChatStream::new(ctx)))
    } else {
        collect_response(&state, attempted, ChatCollector::new(ctx)).await
    }
}

fn stream_response(
    state: &Arc<AppState>,
    attempted: Attempted,
    chat: ChatStream,
) -> Response<Body> {
    let Attempted { lease, response } = attempted;
    let quota_headers = events::quota_headers(&response.headers);
    let body = ChatBody::new(
        response,
        chat,
        state.config.server.heartbeat,
        state.clone(),
        lease,
    );
    let mut resp = Response::new(body.boxed_unsync());
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.extend(quota_headers);
    resp
}

async fn collect_response(
    state: &AppState,
    attempted: Attempted,
    mut collector: ChatCollector,
) -> Result<Response<Body>, GatewayError> {
    let Attempted {
        lease,
        mut response,
    } = attempted;
    let quota_headers = events::quota_headers(&response.headers);
    let mut decoder = SseDecoder::new();
    let mut tap = Tap::default();
    let mut failure: Option<UpstreamFailure> = None;
    'read: loop {
        match response.chunk().await {
            Some(Ok(bytes)) => {
                decoder.push(&bytes);
                loop {
                    match events::next_event(&mut decoder, false) {
                        Ok(Next::Event(ev)) => {
                            tap.observe(&ev);
                            collector.push(&ev);
                        }
                        Ok(Next::Skip) => {}
                        Ok(Next::Pending) => break,
                        Err(f) => {
                            failure = Some(f);
                            break 'read;
                        }
                    }
                }
            }
            Some(Err(e)) => {
                // Like a premature close: the collector decides (504 without a terminal event).
                tracing::info!(error = e.label(), "upstream failed while collecting");
                break;
            }
            None => loop {
                match events::next_event(&mut decoder, true) {
                    Ok(Next::Event(ev)) => {
                        tap.observe(&ev);
                        collector.push(&ev);
                    }
                    Ok(Next::Skip) => {}
                    Ok(Next::Pending) => break 'read,
                    Err(f) => {
                        failure = Some(f);
                        break 'read;
                    }
                }
            },
        }
    }
    drop(response);
    tap.report(state, &lease);
    if let Some(f) = failure {
        return Err(GatewayError::Translate(
            codex_proxy_translate::ErrorReply::new(
                502,
                codex_proxy_translate::ErrorKind::Upstream,
                f.message,
                Some(f.code),
            ),
        ));
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
/// `prompt_cache_key`, else its `user`, else the first user message together with the presented
/// API key. Formatted as a UUID like the official client's.
fn session_id(t: &Translated, seed_key: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"codex-proxy-session\0");
    if let Some(k) = &t.request.prompt_cache_key {
        hasher.update(b"pck\0");
        hasher.update(k.as_bytes());
    } else if let Some(user) = &t.conversation_id {
        hasher.update(b"user\0");
        hasher.update(user.as_bytes());
    } else {
        hasher.update(b"first\0");
        hasher.update(seed_key);
        hasher.update(b"\0");
        if let Some(first) = events::first_user_message(&t.request) {
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
