//! The responses-over-WebSocket endpoint (opt-in, [`crate::MockServer::enable_websocket`]):
//! authenticates the upgrade, answers `101`, then serves each `response.create` text frame with
//! event frames — a prewarm (`"generate": false`) gets `response.created` +
//! `response.completed` with no output; a turn gets a `codex.rate_limits` frame (spec §13.2)
//! and then the same echo-model events as the HTTP endpoint (tool markers, reasoning,
//! structured output), one JSON text frame each. Fault markers and injected faults apply too:
//! an HTTP-status fault becomes an `error` frame with the backend's code (`usage_limit_reached`
//! with `resets_in_seconds`, `token_expired`, …), `cut:N` closes the socket after N events. A
//! `previous_response_id` that is not this socket's last response gets an `error` event
//! (`previous_response_not_found`), as the real backend scopes responses to their socket.
//!
//! The framing is our own (`ws/codec.rs`): a `permessage-deflate` offer is accepted (answer
//! `permessage-deflate`, as the capture's server did, plus [`WsOptions::deflate`] parameters),
//! client messages with RSV1 are inflated and our events go out compressed. [`WsOptions`] can
//! also fragment our messages and ping before each answer; [`WsStats`] counts what happened.

mod codec;
mod options;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::request::Parts;
use http::{HeaderValue, Response, StatusCode, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use self::codec::{Incoming, ServerSocket};
pub(crate) use self::options::WsState;
pub use self::options::{WsOptions, WsStats};

use std::time::Duration;

use bytes::BytesMut;

use crate::auth;
use crate::body::{self, MockBody, Resp};
use crate::echo::Turn;
use crate::fault::Fault;
use crate::jwt::TokenInfo;
use crate::plan::Ending;
use crate::record::RecordedRequest;
use crate::responses;
use crate::sse::EventGen;
use crate::state::{RateLimits, State};

/// Answers the upgrade request and spawns the socket task.
pub(crate) fn upgrade(state: &Arc<State>, parts: &mut Parts) -> Resp {
    let info = match auth::authenticate(&parts.headers, true) {
        Ok(info) => info,
        Err(resp) => return responses::reject(state, *resp),
    };
    let Some(key) = parts.headers.get("sec-websocket-key") else {
        return responses::reject(
            state,
            body::detail(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key"),
        );
    };
    let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
        return body::detail(
            StatusCode::UPGRADE_REQUIRED,
            "connection cannot be upgraded",
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    let mut resp = Response::new(MockBody::Full(None));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert("sec-websocket-accept", v);
    }
    let options = state.ws.options();
    let offers = parts
        .headers
        .get_all("sec-websocket-extensions")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let deflate = options
        .deflate
        .as_deref()
        .and_then(|params| codec::negotiate(&offers, params));
    if let Some(v) = deflate
        .as_ref()
        .and_then(|n| HeaderValue::from_str(&n.answer).ok())
    {
        h.insert("sec-websocket-extensions", v);
    }
    let rl = state.rate_limits(state.account_snapshot(&info.account_id).0);
    responses::rate_limit_headers(h, &rl, &info.plan_type, false);
    let state = Arc::clone(state);
    let headers = parts.headers.clone();
    let uri = parts.uri.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let socket = ServerSocket::new(TokioIo::new(upgraded), deflate);
        let ctx = Ctx {
            options: &options,
            headers: &headers,
            uri: &uri,
            info: &info,
        };
        serve(&state, socket, &ctx).await;
    });
    resp
}

/// What a socket task needs besides the state.
struct Ctx<'a> {
    options: &'a WsOptions,
    headers: &'a http::HeaderMap,
    uri: &'a http::Uri,
    info: &'a TokenInfo,
}

/// The frames answering one message: sent `delay` apart; with `cut_after`, the socket is
/// dropped (no close frame) after that many.
struct Answer {
    events: Vec<String>,
    delay: Duration,
    cut_after: Option<u32>,
}

impl Answer {
    fn now(events: Vec<Value>) -> Self {
        Self {
            events: events.iter().map(Value::to_string).collect(),
            delay: Duration::ZERO,
            cut_after: None,
        }
    }
}

async fn serve<S>(state: &State, mut socket: ServerSocket<S>, ctx: &Ctx<'_>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut last_id: Option<String> = None;
    let mut pings = 0u64;
    while let Ok(Some(incoming)) = socket.next().await {
        let (text, compressed) = match incoming {
            Incoming::Text(text, compressed) => (text, compressed),
            Incoming::Pong(payload) => {
                if payload == format!("ping-{pings}").as_bytes() {
                    state.ws.pongs.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            Incoming::Close => {
                state.ws.closes.fetch_add(1, Ordering::Relaxed);
                break;
            }
        };
        let counter = if compressed {
            &state.ws.compressed_in
        } else {
            &state.ws.plain_in
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let request: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
        if state.recording() {
            state.record(RecordedRequest::new(
                &http::Method::GET,
                ctx.uri,
                ctx.headers,
                Some(request.clone()),
            ));
        }
        if ctx.options.ping {
            pings += 1;
            if socket
                .ping(format!("ping-{pings}").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
        let answer = answer(state, &request, text.len(), ctx.info, &mut last_id);
        for (i, event) in answer.events.iter().enumerate() {
            if answer
                .cut_after
                .is_some_and(|n| usize::try_from(n) == Ok(i))
            {
                return;
            }
            if i > 0 && !answer.delay.is_zero() {
                tokio::time::sleep(answer.delay).await;
            }
            if socket
                .send_text(event.as_bytes(), ctx.options.fragment)
                .await
                .is_err()
            {
                return;
            }
            if socket.is_compressed() {
                state.ws.compressed_out.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The events answering one `response.create` frame.
fn answer(
    state: &State,
    request: &Value,
    len: usize,
    info: &TokenInfo,
    last_id: &mut Option<String>,
) -> Answer {
    if request.get("type").and_then(Value::as_str) != Some("response.create") {
        return Answer::now(vec![error(
            "invalid_request_error",
            "expected a response.create message",
        )]);
    }
    if let Some(previous) = request.get("previous_response_id").and_then(Value::as_str)
        && last_id.as_deref() != Some(previous)
    {
        return Answer::now(vec![error(
            "previous_response_not_found",
            "Previous response not found on this connection",
        )]);
    }
    let model = request.get("model").and_then(Value::as_str).unwrap_or("");
    if request.get("generate") == Some(&Value::Bool(false)) {
        let id = format!("resp_ws_{:06}", state.next_id());
        *last_id = Some(id.clone());
        let envelope = |status: &str| json!({"id": id, "object": "response", "status": status, "model": model, "output": []});
        return Answer::now(vec![
            json!({"type": "response.created", "sequence_number": 0, "response": envelope("in_progress")}),
            json!({"type": "response.completed", "sequence_number": 1, "response": envelope("completed")}),
        ]);
    }
    let turn = Turn::read(request);
    let adm = state.admit(&info.account_id, turn.cache_key_hash(), turn.marker_fault());
    let rl = state.rate_limits(adm.count);
    if let Some(fault) = adm.fault.filter(Fault::is_http_error) {
        return Answer::now(vec![fault_event(fault, info, &rl)]);
    }
    let mut events = vec![rate_limits_event(&rl, &info.plan_type).to_string()];
    let mut delay = state.cfg.delay;
    let mut cut_after = None;
    let mut ending = Ending::Completed;
    match adm.fault {
        Some(Fault::Overloaded) => ending = Ending::Overloaded,
        Some(Fault::ErrorEvent) => ending = Ending::ErrorEvent,
        Some(Fault::Incomplete) => ending = Ending::Incomplete,
        // The rate-limit frame is not an event of the response.
        Some(Fault::Cut(k)) => cut_after = Some(k + 1),
        Some(Fault::Slow(d)) => delay = d,
        _ => {}
    }
    let plan = turn.plan(
        state.next_id(),
        len,
        adm.cache_hit,
        ending,
        crate::state::unix_now(),
    );
    let mut events_gen = EventGen::new(plan);
    let mut buf = BytesMut::new();
    while events_gen.write_next(&mut buf) {
        let data = sse_data(&buf);
        buf.clear();
        if (last_id.is_none() || data.contains("\"response.completed\""))
            && let Some(id) = serde_json::from_str::<Value>(&data)
                .ok()
                .and_then(|v| v.pointer("/response/id")?.as_str().map(str::to_owned))
        {
            *last_id = Some(id);
        }
        events.push(data);
    }
    Answer {
        events,
        delay,
        cut_after,
    }
}

/// The `data:` payload of one rendered SSE event.
fn sse_data(event: &[u8]) -> String {
    let text = String::from_utf8_lossy(event);
    let mut out = String::new();
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("data:") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(d.strip_prefix(' ').unwrap_or(d));
        }
    }
    out
}

/// `codex.rate_limits` (upstream-codex.md §13.2) with the same numbers as the headers.
fn rate_limits_event(rl: &RateLimits, plan: &str) -> Value {
    json!({"type": "codex.rate_limits", "plan_type": plan, "rate_limits": {
        "primary": {"used_percent": rl.primary_used, "window_minutes": crate::state::PRIMARY_WINDOW_SECS / 60,
            "reset_at": rl.now + rl.primary_reset_after},
        "secondary": {"used_percent": rl.secondary_used, "window_minutes": crate::state::SECONDARY_WINDOW_SECS / 60,
            "reset_at": rl.now + rl.secondary_reset_after},
    }})
}

/// The `error` frame the socket sends for a fault the HTTP endpoint answers with a status.
fn fault_event(fault: Fault, info: &TokenInfo, rl: &RateLimits) -> Value {
    let (status, code, message) = match fault {
        Fault::RateLimit => {
            let secs = rl.primary_reset_after;
            return json!({"type": "error", "status": 429, "error": {
                "type": "usage_limit_reached", "code": "usage_limit_reached",
                "message": "The usage limit has been reached", "plan_type": info.plan_type,
                "resets_at": rl.now + secs, "resets_in_seconds": secs}});
        }
        Fault::Unauthorized => (
            401,
            "token_expired",
            "Provided authentication token is expired. Please try signing in again.",
        ),
        Fault::PaymentRequired => (
            402,
            "quota_exhausted",
            "You have exhausted the usage included in your plan.",
        ),
        Fault::Banned | Fault::Cloudflare => (
            403,
            "account_banned",
            "This account has been banned for violating our usage policies.",
        ),
        _ => (
            500,
            "server_error",
            "An error occurred while processing your request.",
        ),
    };
    json!({"type": "error", "status": status, "error": {"type": "invalid_request_error",
        "code": code, "message": message}})
}

fn error(code: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": "invalid_request_error", "code": code, "message": message}})
}
