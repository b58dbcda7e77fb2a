//! `/v1/responses` over the WebSocket responses transport, as the official client uses it:
//! a turn is one `response.create` frame on an account's socket; when it completes, the socket
//! is parked under the response id, and a follow-up carrying that id as
//! `previous_response_id` is sent on that same socket (with only its new input). A refused
//! upgrade (426) or a failed one falls back to HTTP (`Ok(None)`: the caller continues).
//!
//! Events arrive as JSON text frames; each is parsed with `ResponsesEvent::parse_json` and fed
//! to a [`WsSink`] — the Responses relay and collector (by frame); a dialect's
//! `dialect::StreamTranslate` fits the same trait (by event) when other routes adopt the socket.
//! `codex.rate_limits` frames go to the pool and are not forwarded.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use codex_proxy_pool::Lease;
use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_schema::sse::SseFrame;
use codex_proxy_translate::UpstreamFailure;
use codex_proxy_translate::responses::{ResponsesCollector, ResponsesRelay, ResponsesTranslated};
use codex_proxy_upstream::{
    RateLimitSnapshot, RateLimitWindow, RateLimitWindows, Upstream, WsCall, WsSession, WsTurn,
};
use http::{HeaderValue, Response, StatusCode, header};
use tokio::sync::mpsc;

use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::events::{self, Tap};
use crate::state::AppState;
use crate::transport::ws_pool::Parked;

/// Where WebSocket events go: the client's translator.
pub(crate) trait WsSink: Send + 'static {
    /// One upstream event (`data` is its JSON text, `ev` the parsed form).
    fn push(&mut self, data: &str, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>);
    /// The socket closed or failed before a terminal event.
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>);
    /// Whether a terminal event was translated.
    fn is_terminated(&self) -> bool;
}

impl WsSink for ResponsesRelay {
    fn push(&mut self, data: &str, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        self.push_frame(&frame(data, ev), out);
    }
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>) {
        ResponsesRelay::fail(self, failure, out);
    }
    fn is_terminated(&self) -> bool {
        ResponsesRelay::is_terminated(self)
    }
}

fn frame<'a>(data: &'a str, ev: &ResponsesEvent<'a>) -> SseFrame<'a> {
    SseFrame {
        event: Some(ev.kind()),
        data,
        id: None,
        retry: None,
    }
}

/// An open socket on a leased account, ready for one turn.
struct Turn {
    lease: Lease,
    session: WsSession,
    session_key: String,
    session_id: String,
}

/// Serves a `/v1/responses` request over the socket when it can: a follow-up whose
/// `previous_response_id` is parked, or a new turn when `ws_pool.enabled` and the backend has
/// not refused upgrades lately. `Ok(None)`: use HTTP (for a `previous_response_id` that no
/// socket owns, HTTP then refuses it with its 400).
pub(crate) async fn serve(
    state: &Arc<AppState>,
    translated: &mut ResponsesTranslated,
    session_id: &str,
    request_id: &str,
) -> Result<Option<Response<Body>>, GatewayError> {
    let cfg = &state.config.transport;
    let turn = match translated.request.previous_response_id.clone() {
        Some(previous) => match follow_up(state, translated, &previous).await? {
            Some(turn) => turn,
            None => return Ok(None),
        },
        None if cfg.ws_enabled && !state.transport.ws.refused() => {
            match open(state, translated, session_id).await? {
                Some(turn) => turn,
                None => return Ok(None),
            }
        }
        None => return Ok(None),
    };
    // The socket chains on its last response itself (`WsSession::send`).
    translated.request.previous_response_id = None;
    let body = serde_json::to_vec(&translated.request)
        .map_err(|_| GatewayError::Internal("cannot encode the upstream request"))?;
    let Turn {
        lease,
        mut session,
        session_key,
        session_id,
    } = turn;
    if let Err(e) = session.send(&body, WsTurn::Turn).await {
        tracing::info!(error = e.label(), request_id, "websocket send failed");
        return Err(GatewayError::Upstream(e));
    }
    let tap = Tap::default();
    let turn = Turn {
        lease,
        session,
        session_key,
        session_id,
    };
    if translated.stream {
        let relay = ResponsesRelay::new(fallback_id(), translated.tuple_schema.clone());
        Ok(Some(stream(state, turn, relay, tap)))
    } else {
        let collector = ResponsesCollector::new(translated.tuple_schema.clone());
        collect(state, turn, collector, tap).await.map(Some)
    }
}

/// Takes the socket owning `previous`, leased again on its account. `Ok(None)` when no
/// socket owns it.
async fn follow_up(
    state: &AppState,
    translated: &ResponsesTranslated,
    previous: &str,
) -> Result<Option<Turn>, GatewayError> {
    let Some(parked) = state.transport.ws.take(previous) else {
        return Ok(None);
    };
    let model = translated.request.model.as_str();
    let lease = crate::pool_glue::acquire_for(state, model, Some(&parked.session_key)).await?;
    if lease.id() != &parked.account {
        // The account that owns the response cannot serve now (rate limited, disabled).
        return Err(GatewayError::InvalidRequest(format!(
            "previous_response_id {previous} belongs to an account that is not available now; \
             resend the full conversation without previous_response_id"
        )));
    }
    Ok(Some(Turn {
        lease,
        session: parked.session,
        session_key: parked.session_key,
        session_id: parked.session_id,
    }))
}

/// Leases an account and opens a socket for a new turn; `Ok(None)` falls back to HTTP.
async fn open(
    state: &AppState,
    translated: &ResponsesTranslated,
    session_id: &str,
) -> Result<Option<Turn>, GatewayError> {
    let model = translated.request.model.as_str();
    let lease = crate::pool_glue::acquire_for(state, model, Some(session_id)).await?;
    let up: Upstream = match state.transport.prepare(state, &lease).await {
        Ok(up) => up,
        // Let the HTTP path's failover deal with the account.
        Err(_) => return Ok(None),
    };
    let call = WsCall {
        creds: crate::pool_glue::credentials(&lease),
        session_id,
        model,
        installation_id: Some(lease.installation_id()),
    };
    match up.websocket(call).await {
        Ok(session) => {
            state
                .transport
                .observe(state, lease.id(), session.headers());
            crate::pool_glue::report_rate_limits(state, &lease, session.headers());
            Ok(Some(Turn {
                lease,
                session,
                session_key: session_id.to_owned(),
                session_id: session_id.to_owned(),
            }))
        }
        Err(e) => {
            if e.is_websocket_refused() {
                tracing::info!("backend refused the websocket upgrade; using HTTP for a while");
                state.transport.ws.mark_refused();
            } else {
                tracing::info!(error = e.label(), "websocket upgrade failed; using HTTP");
            }
            Ok(None)
        }
    }
}

/// What one socket read gave.
enum Step {
    /// A frame was translated (or consumed).
    Event,
    /// A terminal event was translated: the socket can be parked.
    Done,
    /// The socket closed or failed: the sink was told.
    Broken,
}

/// Reads one event from the socket into `sink`.
async fn step<S: WsSink>(
    state: &AppState,
    turn: &mut Turn,
    tap: &mut Tap,
    sink: &mut S,
    out: &mut Vec<u8>,
) -> Step {
    let bytes = match turn.session.next_event().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => {
            tracing::info!(error = e.label(), "websocket failed mid-turn");
            sink.fail(&events::transport_failure(&e), out);
            return Step::Broken;
        }
        None => {
            sink.fail(&closed(), out);
            return Step::Broken;
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Step::Event;
    };
    let ev = match ResponsesEvent::parse_json(text) {
        Ok(ev) => ev,
        Err(e) => {
            tracing::warn!(error = %e, "skipping unparsable websocket event");
            return Step::Event;
        }
    };
    if let ResponsesEvent::RateLimits(raw) = &ev {
        record_rate_limits(state, &turn.lease, raw.get());
        return Step::Event;
    }
    tap.observe(&ev);
    sink.push(text, &ev, out);
    if sink.is_terminated() {
        Step::Done
    } else {
        Step::Event
    }
}

fn closed() -> UpstreamFailure {
    UpstreamFailure {
        message: "upstream websocket closed before the response completed".to_owned(),
        code: "upstream_transport_error",
    }
}

/// Parks the socket under its last response id (reports usage, releases the lease).
fn finish_turn(state: &AppState, turn: Turn, tap: &Tap, reusable: bool) {
    tap.report(state, &turn.lease);
    let Turn {
        lease,
        session,
        session_key,
        session_id,
    } = turn;
    if let (true, Some(id)) = (reusable, session.last_response_id().map(str::to_owned)) {
        let account = lease.id().clone();
        drop(lease);
        state
            .transport
            .ws
            .park(id, Parked::new(account, session_key, session_id, session));
    }
}

/// A streamed answer: a task pumps the socket into a channel the body drains; heartbeats
/// while idle; a client disconnect drops the socket.
fn stream<S: WsSink>(
    state: &Arc<AppState>,
    mut turn: Turn,
    mut sink: S,
    mut tap: Tap,
) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let state2 = state.clone();
    let heartbeat = state.config.server.heartbeat;
    // Owned by the gateway's tracker: shutdown waits for the turn (or cuts it).
    state.tracker.spawn(async move {
        let state = state2;
        let mut out = Vec::with_capacity(4096);
        let reusable = loop {
            let step = tokio::select! {
                () = tx.closed() => return,
                step = tokio::time::timeout(heartbeat, step(&state, &mut turn, &mut tap, &mut sink, &mut out)) => step,
            };
            let step = match step {
                Ok(step) => step,
                Err(_) => {
                    if tx.send(Bytes::from_static(b": ping\n\n")).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            if !out.is_empty()
                && tx
                    .send(Bytes::from(std::mem::take(&mut out)))
                    .await
                    .is_err()
            {
                return;
            }
            match step {
                Step::Event => {}
                Step::Done => break true,
                Step::Broken => break false,
            }
        };
        finish_turn(&state, turn, &tap, reusable);
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| {
            (
                Ok::<_, std::convert::Infallible>(http_body::Frame::data(b)),
                rx,
            )
        })
    });
    let mut resp = Response::new(http_body_util::BodyExt::boxed_unsync(
        http_body_util::StreamBody::new(body),
    ));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// A non-streamed answer assembled from the socket's events.
async fn collect(
    state: &AppState,
    mut turn: Turn,
    collector: ResponsesCollector,
    mut tap: Tap,
) -> Result<Response<Body>, GatewayError> {
    let mut sink = CollectSink {
        collector,
        done: false,
    };
    let mut out = Vec::new();
    let reusable = loop {
        match step(state, &mut turn, &mut tap, &mut sink, &mut out).await {
            Step::Event => {}
            Step::Done => break true,
            Step::Broken => break false,
        }
    };
    finish_turn(state, turn, &tap, reusable);
    let bytes = sink.collector.finish().map_err(GatewayError::Translate)?;
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// The collector as a sink (terminal events end the read; failures leave it unterminated so
/// `finish` reports them).
struct CollectSink {
    collector: ResponsesCollector,
    done: bool,
}

impl WsSink for CollectSink {
    fn push(&mut self, data: &str, ev: &ResponsesEvent<'_>, _out: &mut Vec<u8>) {
        self.collector.push_frame(&frame(data, ev));
        self.done |= ev.is_terminal();
    }
    fn fail(&mut self, _failure: &UpstreamFailure, _out: &mut Vec<u8>) {}
    fn is_terminated(&self) -> bool {
        self.done
    }
}

/// `codex.rate_limits` (`{rate_limits:{primary:{used_percent, window_minutes, reset_at},
/// secondary:{…}}}`) into the pool's quota snapshot.
fn record_rate_limits(state: &AppState, lease: &Lease, json: &str) {
    let Some(snapshot) = parse_rate_limits(json) else {
        return;
    };
    let quota = crate::pool_glue::quota_snapshot(&snapshot);
    if let Err(e) = state
        .pool
        .record_rate_limits(lease.id(), quota, SystemTime::now())
    {
        tracing::debug!(error = e.label(), "websocket quota snapshot not stored");
    }
}

/// Parses a `codex.rate_limits` frame (pure; tested).
pub(crate) fn parse_rate_limits(json: &str) -> Option<RateLimitSnapshot> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let limits = v.get("rate_limits")?;
    let window = |key: &str| -> Option<RateLimitWindow> {
        let w = limits.get(key)?;
        let used = w.get("used_percent")?.as_f64().filter(|p| p.is_finite())?;
        Some(RateLimitWindow {
            used_percent: used,
            window_minutes: w.get("window_minutes").and_then(serde_json::Value::as_u64),
            reset_at: w.get("reset_at").and_then(serde_json::Value::as_u64),
        })
    };
    let codex = RateLimitWindows {
        primary: window("primary"),
        secondary: window("secondary"),
    };
    if codex.primary.is_none() && codex.secondary.is_none() {
        return None;
    }
    Some(RateLimitSnapshot {
        codex,
        ..RateLimitSnapshot::default()
    })
}

/// `resp_proxy_<hex24>`.
fn fallback_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("resp_proxy_{}", &hex[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_frames_become_snapshots() {
        let s = parse_rate_limits(
            r#"{"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":12.5,"window_minutes":300,"reset_at":1795505800},"secondary":{"used_percent":3,"window_minutes":10080}}}"#,
        )
        .unwrap();
        let p = s.codex.primary.unwrap();
        assert_eq!(
            (p.used_percent, p.window_minutes, p.reset_at),
            (12.5, Some(300), Some(1_795_505_800))
        );
        assert_eq!(s.codex.secondary.unwrap().reset_at, None);
        assert!(parse_rate_limits(r#"{"type":"codex.rate_limits"}"#).is_none());
        assert!(parse_rate_limits("nope").is_none());
    }
}
