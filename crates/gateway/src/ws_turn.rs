//! One upstream turn over the WebSocket responses transport, for every route that goes
//! through `attempt.rs` (chat, Anthropic, Gemini, Ollama, the Responses HTTP path): a fresh
//! socket, the official client's prewarm (`"generate": false`, empty input), then the real
//! turn chained on the prewarm with the full input (fixture README headline 4). The socket's
//! JSON frames are re-expressed as SSE bytes (`event: <type>\ndata: <json>\n\n`, translation
//! spec §1.3) behind the same chunk interface as an HTTP body, so `stream_body.rs`,
//! `dialect::collect` and the failover peek see no difference.
//!
//! Before the first output frame, an `error` / `response.failed` whose code is in the
//! rotatable table (upstream-codex.md §8.4) becomes the HTTP status error the same failure
//! would have been over HTTP, so failover records the same outcome; `server_is_overloaded` is
//! left in the stream for the shared overload peek. `codex.rate_limits` frames go to the pool's
//! quota snapshot and are not forwarded.
//!
//! Not here: keeping a socket for the next request. `WsSession::send` chains every turn on the
//! socket's last response, and these routes resend the whole conversation, so a reused socket
//! would double the context upstream; the socket is closed after its turn.

use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use codex_proxy_pool::{AccountId, Pool};
use codex_proxy_upstream::{UpstreamError, WsSession, WsTurn};
use http::HeaderMap;

/// A turn's events, as SSE bytes.
pub(crate) struct WsBody {
    session: WsSession,
    /// Bytes already read (prewarm-free lifecycle frames held back by the barrier).
    pending: Option<Bytes>,
    account: AccountId,
    pool: Pool,
    /// A terminal event was returned: the stream is over.
    done: bool,
}

impl WsBody {
    /// The `101` answer's headers (`x-codex-turn-state`, quota headers).
    pub fn headers(&self) -> HeaderMap {
        self.session.headers().clone()
    }

    /// The next SSE chunk: what the barrier held back, then one chunk per frame.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        if let Some(p) = self.pending.take() {
            return Some(Ok(p));
        }
        if self.done {
            return None;
        }
        loop {
            let frame = match self.session.next_event().await? {
                Ok(frame) => frame,
                Err(e) => return Some(Err(e)),
            };
            let mut out = BytesMut::with_capacity(frame.len() + 48);
            match classify(&frame) {
                Kind::RateLimits => {
                    record_rate_limits(&self.pool, &self.account, &frame);
                    continue;
                }
                Kind::Event { kind, terminal } => {
                    write_sse(&mut out, Some(kind), &frame);
                    self.done = terminal;
                }
                Kind::Raw => write_sse(&mut out, None, &frame),
            }
            return Some(Ok(out.freeze()));
        }
    }
}

/// Opens the turn on `session`: prewarm, then the real turn with `body`, then the early
/// barrier. `Err` is a failure before anything was produced (for failover).
pub(crate) async fn start(
    mut session: WsSession,
    body: &[u8],
    account: AccountId,
    pool: Pool,
) -> Result<WsBody, UpstreamError> {
    let prewarm = prewarm_body(body).ok_or(UpstreamError::Malformed {
        what: "websocket request body",
    })?;
    session.send(&prewarm, WsTurn::Prewarm).await?;
    // The prewarm answers `response.created` … `response.completed` (no output).
    loop {
        let frame = next(&mut session).await?;
        match classify(&frame) {
            Kind::RateLimits => record_rate_limits(&pool, &account, &frame),
            Kind::Event {
                terminal: true,
                kind,
            } => {
                if kind == "response.completed" {
                    break;
                }
                return Err(failure(&session, &frame).unwrap_or_else(closed_early));
            }
            Kind::Event { .. } | Kind::Raw => {}
        }
    }
    session.send(body, WsTurn::Turn).await?;
    let mut held = BytesMut::new();
    loop {
        let frame = next(&mut session).await?;
        match classify(&frame) {
            Kind::RateLimits => record_rate_limits(&pool, &account, &frame),
            Kind::Event { kind, terminal } => {
                if let (true, Some(e)) = (is_error(kind), failure(&session, &frame)) {
                    return Err(e);
                }
                write_sse(&mut held, Some(kind), &frame);
                if terminal || !is_lifecycle(kind) {
                    return Ok(WsBody {
                        session,
                        pending: Some(held.freeze()),
                        account,
                        pool,
                        done: terminal,
                    });
                }
            }
            Kind::Raw => write_sse(&mut held, None, &frame),
        }
    }
}

/// The next frame; a socket closed before the turn's output is a transport failure.
async fn next(session: &mut WsSession) -> Result<Bytes, UpstreamError> {
    match session.next_event().await {
        Some(r) => r,
        None => Err(closed_early()),
    }
}

/// The socket closed before the turn produced anything: retryable like a broken connection.
fn closed_early() -> UpstreamError {
    UpstreamError::Connect(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "websocket closed before the response started",
    ))
}

/// What a frame is.
enum Kind<'a> {
    /// `codex.rate_limits`: to the pool, not forwarded.
    RateLimits,
    /// A typed event.
    Event { kind: &'a str, terminal: bool },
    /// Not JSON with a `type`: forwarded as `data:` only.
    Raw,
}

fn classify(frame: &[u8]) -> Kind<'_> {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<&'a str>,
    }
    let Ok(Typed { kind: Some(kind) }) = serde_json::from_slice::<Typed<'_>>(frame) else {
        return Kind::Raw;
    };
    if kind == "codex.rate_limits" {
        return Kind::RateLimits;
    }
    let terminal = matches!(
        kind,
        "response.completed" | "response.failed" | "response.incomplete" | "error"
    );
    Kind::Event { kind, terminal }
}

fn is_lifecycle(kind: &str) -> bool {
    matches!(
        kind,
        "response.created"
            | "response.in_progress"
            | "response.queued"
            | "response.metadata"
            | "codex.response.metadata"
    )
}

fn is_error(kind: &str) -> bool {
    matches!(kind, "error" | "response.failed")
}

/// `event: <kind>\ndata: <frame>\n\n` (or `data:` only); a frame never holds a raw newline
/// when it is JSON, but a raw frame may: each line gets its own `data:`.
fn write_sse(out: &mut BytesMut, kind: Option<&str>, frame: &[u8]) {
    if let Some(kind) = kind {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\n");
    }
    for line in frame.split(|b| *b == b'\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.extend_from_slice(b"\n");
    }
    out.extend_from_slice(b"\n");
}

/// The status an early error frame stands for (upstream-codex.md §8.4, matched exactly), and
/// the error body (`{"error": …}`) the HTTP classification reads. `server_is_overloaded` is
/// `None`: the shared peek turns it into the overload retry.
fn failure(session: &WsSession, frame: &[u8]) -> Option<UpstreamError> {
    let v: serde_json::Value = serde_json::from_slice(frame).ok()?;
    let error = v
        .get("error")
        .or_else(|| v.pointer("/response/error"))?
        .clone();
    let code = error
        .get("code")
        .and_then(serde_json::Value::as_str)
        .or_else(|| error.get("type").and_then(serde_json::Value::as_str))?;
    let status = rotatable_status(code)?;
    let body = serde_json::to_vec(&serde_json::json!({ "error": error })).ok()?;
    Some(UpstreamError::Status {
        status,
        headers: Box::new(session.headers().clone()),
        body: body.into(),
    })
}

/// The rotatable error codes and their statuses; `None` for anything else (streamed as is).
pub(crate) fn rotatable_status(code: &str) -> Option<u16> {
    Some(match code {
        "usage_limit_reached" | "rate_limit_exceeded" | "rate_limit_reached" => 429,
        "quota_exhausted" | "payment_required" => 402,
        "unauthorized" | "token_invalid" | "token_expired" | "account_deactivated" => 401,
        "forbidden" | "account_banned" | "banned" => 403,
        "previous_response_not_found" => 400,
        "server_error" => 500,
        "websocket_connection_limit_reached" => 503,
        _ => return None,
    })
}

/// The request body with its `input` array replaced by `[]` (the prewarm), keeping the key
/// order; `None` when `body` is not an object with an `input` array.
fn prewarm_body(body: &[u8]) -> Option<Vec<u8>> {
    #[derive(serde::Deserialize)]
    struct Input<'a> {
        #[serde(borrow)]
        input: &'a serde_json::value::RawValue,
    }
    let text = std::str::from_utf8(body).ok()?;
    let parsed: Input<'_> = serde_json::from_str(text).ok()?;
    let raw = parsed.input.get();
    let start = (raw.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start.checked_add(raw.len())?;
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(body.get(..start)?);
    out.extend_from_slice(b"[]");
    out.extend_from_slice(body.get(end..)?);
    Some(out)
}

/// `codex.rate_limits` into the pool's quota snapshot.
fn record_rate_limits(pool: &Pool, account: &AccountId, frame: &[u8]) {
    let Some(snapshot) = std::str::from_utf8(frame)
        .ok()
        .and_then(crate::responses_ws::parse_rate_limits)
    else {
        return;
    };
    let quota = crate::pool_glue::quota_snapshot(&snapshot);
    if let Err(e) = pool.record_rate_limits(account, quota, SystemTime::now()) {
        tracing::debug!(error = e.label(), "websocket quota snapshot not stored");
    }
}
