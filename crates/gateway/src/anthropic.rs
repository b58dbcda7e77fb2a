//! The Anthropic Messages routes: `POST /v1/messages` (stream and non-stream),
//! `POST /v1/messages/count_tokens`, and the `HEAD /` / `GET /` probe Claude Code sends first.
//!
//! Auth takes `x-api-key` or `Authorization: Bearer`; `anthropic-version`, `anthropic-beta` and
//! `?beta=true` are accepted and need nothing from us. The conversation id (prompt cache and
//! upstream session) comes from `x-claude-code-session-id`, else from `metadata.user_id`. Hosted
//! `web_search` is added by default on this route unless `x-codex-default-tools: off` (or
//! `x-codex-no-default-tools: 1`) or configured default tools say otherwise (spec §2.7).

use std::sync::Arc;

use codex_proxy_schema::anthropic::CountTokensResponse;
use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_translate::anthropic::{self, AnthropicCollector, AnthropicStream};
use codex_proxy_translate::{ErrorReply, RequestOptions, UpstreamFailure};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{Body, full};
use crate::dialect::{self, Collect, StreamTranslate};
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

/// The `ping` event Anthropic sends while a stream is idle (its exact bytes).
const PING_EVENT: &[u8] = b"event: ping\ndata: {\"type\": \"ping\"}\n\n";

impl StreamTranslate for AnthropicStream {
    fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        AnthropicStream::push(self, ev, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        AnthropicStream::finish(self, out);
    }
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>) {
        AnthropicStream::fail(self, failure, out);
    }
    fn is_terminated(&self) -> bool {
        AnthropicStream::is_terminated(self)
    }
    fn heartbeat(&self) -> &'static [u8] {
        PING_EVENT
    }
}

impl Collect for AnthropicCollector {
    fn push(&mut self, ev: &ResponsesEvent<'_>) {
        AnthropicCollector::push(self, ev);
    }
    fn finish(self) -> Result<Vec<u8>, ErrorReply> {
        AnthropicCollector::finish(self)
    }
}

/// `POST /v1/messages`.
pub(crate) async fn messages(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())?;
    let seed_key = crate::auth::presented(req.headers())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let session_header = header_str(req.headers(), "x-claude-code-session-id").map(str::to_owned);
    let opts = route_options(&state, req.headers());
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    let mut translated = anthropic::request_to_responses(&body, &opts)
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    drop(body);
    if let Some(session) = session_header {
        translated.request.prompt_cache_key = Some(session.clone());
        translated.conversation_id = Some(session);
    }
    let attempted = dialect::send_translated(
        &state,
        &mut translated.request,
        translated.conversation_id.as_deref(),
        &seed_key,
        request_id,
    )
    .await?;
    let ctx = translated.anthropic_context(format!(
        "msg_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..24]
    ));
    if translated.stream {
        Ok(dialect::stream(
            &state,
            attempted,
            AnthropicStream::new(ctx),
        ))
    } else {
        dialect::collect(&state, attempted, AnthropicCollector::new(ctx)).await
    }
}

/// `POST /v1/messages/count_tokens`: a local o200k count, no account needed.
pub(crate) async fn count_tokens(
    state: Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())?;
    let opts = route_options(&state, req.headers());
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    // Tokenizing a large agent request takes milliseconds: keep it off the I/O threads.
    let counted = tokio::task::spawn_blocking(move || anthropic::count_tokens(&body, &opts))
        .await
        .map_err(|_| GatewayError::Internal("token counting failed"))?;
    let input_tokens = counted.map_err(|e| GatewayError::Translate(e.to_reply()))?;
    Ok(json_response(
        StatusCode::OK,
        &CountTokensResponse { input_tokens },
    ))
}

/// `HEAD /` and `GET /`: Claude Code checks that the base URL answers.
pub(crate) fn probe(head: bool) -> Response<Body> {
    let body = if head {
        Vec::new()
    } else {
        b"codex-proxy\n".to_vec()
    };
    let mut resp = Response::new(full(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// The request options of this route: hosted `web_search` unless switched off (spec §2.7).
fn route_options(state: &AppState, headers: &HeaderMap) -> Arc<RequestOptions> {
    let opts = state.request_options();
    let off = header_str(headers, "x-codex-default-tools").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "off" | "false" | "0" | "none" | "disable" | "disabled"
        )
    }) || header_str(headers, "x-codex-no-default-tools")
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
    if off {
        let mut o = (*opts).clone();
        o.default_tools.clear();
        return Arc::new(o);
    }
    if opts.default_tools.is_empty() {
        let mut o = (*opts).clone();
        o.default_tools = vec!["web_search".to_owned()];
        return Arc::new(o);
    }
    opts
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
