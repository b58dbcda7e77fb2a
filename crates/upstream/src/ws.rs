//! The WebSocket responses transport (`wss://…/codex/responses`), as the official client uses
//! it: one socket per session, opened with the rustls hello *without* ALPN and the captured
//! upgrade headers; each turn is one `response.create` text frame; the next turn on the same
//! socket chains on the previous response with `previous_response_id`; events come back as one
//! JSON text frame each. A refused upgrade (426) or a failed handshake is reported through
//! [`UpstreamError::is_websocket_refused`] so the caller falls back to HTTP `POST`.
//!
//! Not here: `permessage-deflate` (not offered; tungstenite cannot inflate), socket pooling
//! across sessions (the gateway keeps sessions by response id with [`WsSession::owns`]).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{HeaderMap, HeaderValue};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::call::Credentials;
use crate::client::Upstream;
use crate::connector::Io;
use crate::error::{TimeoutKind, UpstreamError};
use crate::headers;
use crate::ratelimit::RateLimitSnapshot;

/// Identity of a WebSocket session (sent in the upgrade headers).
#[derive(Clone, Copy)]
pub struct WsCall<'a> {
    /// Who pays for it.
    pub creds: Credentials<'a>,
    /// Thread id (`session-id`, `thread-id`, `x-client-request-id`, window id).
    pub session_id: &'a str,
    /// Upstream model id (`x-codex-routing-hint`, turn metadata).
    pub model: &'a str,
    /// The account's installation id (turn metadata only).
    pub installation_id: Option<&'a str>,
}

impl fmt::Debug for WsCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsCall")
            .field("creds", &self.creds)
            .field("session_id", &self.session_id)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// What a `response.create` frame is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsTurn {
    /// Session start: `"generate": false` with the instructions/tools and an empty input; the
    /// backend answers `response.created` + `response.completed` and caches the prefix.
    Prewarm,
    /// A real turn, chained on the socket's last completed response.
    Turn,
}

/// An open WebSocket session. Dropping it closes the socket.
pub struct WsSession {
    socket: WebSocketStream<Box<dyn Io>>,
    headers: HeaderMap,
    idle_timeout: Duration,
    last_response_id: Option<String>,
}

impl fmt::Debug for WsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsSession")
            .field("last_response_id", &self.last_response_id)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Opens a WebSocket session on `{base}/codex/responses` (`wss://` for an `https://` base).
    /// A 426 or any other non-101 answer is `UpstreamError::Status` (fall back to
    /// [`Upstream::responses`] when [`UpstreamError::is_websocket_refused`]).
    pub async fn websocket(&self, call: WsCall<'_>) -> Result<WsSession, UpstreamError> {
        let origin = self.base();
        let scheme = if origin.https { "wss" } else { "ws" };
        let url = format!(
            "{scheme}://{}{}/codex/responses",
            origin.authority,
            self.base_path()
        );
        let mut request =
            http::Request::get(url)
                .body(())
                .map_err(|_| UpstreamError::InvalidUrl {
                    reason: "websocket url is not valid",
                })?;
        let h = request.headers_mut();
        headers::websocket(&call, self.profile(), self.routing_override(), h)?;
        // tungstenite writes these five first and takes them out of the map with
        // `swap_remove`; inserted last, they leave our order intact.
        h.insert(
            http::header::HOST,
            headers::value("host", &origin.authority)?,
        );
        h.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        );
        h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(
            http::header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        h.insert(
            http::header::SEC_WEBSOCKET_KEY,
            headers::value("sec-websocket-key", &generate_key())?,
        );
        let open = async {
            let stream = self.connector().websocket_stream(&origin).await?;
            tokio_tungstenite::client_async_with_config(request, stream, None)
                .await
                .map_err(handshake_error)
        };
        let (socket, response) = tokio::time::timeout(self.connect_timeout(), open)
            .await
            .map_err(|_| UpstreamError::Timeout(TimeoutKind::Connect))??;
        Ok(WsSession {
            socket,
            headers: response.headers().clone(),
            idle_timeout: self.idle_timeout(),
            last_response_id: None,
        })
    }
}

impl WsSession {
    /// Headers of the `101` answer (`x-codex-turn-state`, quota headers).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `x-codex-*` quota headers of the upgrade answer.
    pub fn rate_limits(&self) -> Option<RateLimitSnapshot> {
        RateLimitSnapshot::from_headers(&self.headers)
    }

    /// Id of the last `response.completed` on this socket (what the next turn chains on).
    pub fn last_response_id(&self) -> Option<&str> {
        self.last_response_id.as_deref()
    }

    /// True if `response_id` was completed on this socket, i.e. a request carrying it as
    /// `previous_response_id` must be served here.
    pub fn owns(&self, response_id: &str) -> bool {
        self.last_response_id.as_deref() == Some(response_id)
    }

    /// Sends one turn: `body` is the Responses request JSON object as for HTTP; it becomes
    /// `{"type":"response.create",…}` with `previous_response_id` (the socket's last response,
    /// placed after `stream` as captured) and, for a prewarm, `"generate":false`.
    pub async fn send(&mut self, body: &[u8], turn: WsTurn) -> Result<(), UpstreamError> {
        let message = response_create(body, self.last_response_id.as_deref(), turn)?;
        self.socket
            .send(Message::text(message))
            .await
            .map_err(ws_error)
    }

    /// The next event (one JSON text frame, as sent), `None` when the server closed the
    /// socket. Remembers the id of each `response.completed`. An idle gap longer than the
    /// idle timeout is `Timeout(Idle)`. Pings are answered by the socket itself.
    pub async fn next_event(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        loop {
            let next = tokio::time::timeout(self.idle_timeout, self.socket.next()).await;
            let message = match next {
                Err(_) => return Some(Err(UpstreamError::Timeout(TimeoutKind::Idle))),
                Ok(None) => return None,
                Ok(Some(Err(err))) => return Some(Err(ws_error(err))),
                Ok(Some(Ok(message))) => message,
            };
            let payload: Bytes = match message {
                Message::Text(text) => AsRef::<Bytes>::as_ref(&text).clone(),
                Message::Binary(bytes) => bytes,
                Message::Close(_) => return None,
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
            self.observe(&payload);
            return Some(Ok(payload));
        }
    }

    /// Closes the socket politely.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    fn observe(&mut self, event: &[u8]) {
        // Cheap pre-check; parse only terminal events.
        const MARKER: &[u8] = b"\"response.completed\"";
        if !event.windows(MARKER.len()).any(|w| w == MARKER) {
            return;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(event) else {
            return;
        };
        if value.get("type").and_then(serde_json::Value::as_str) == Some("response.completed")
            && let Some(id) = value
                .pointer("/response/id")
                .and_then(serde_json::Value::as_str)
        {
            self.last_response_id = Some(id.to_owned());
        }
    }
}

/// Builds the `response.create` message text from a request JSON object.
pub(crate) fn response_create(
    body: &[u8],
    previous: Option<&str>,
    turn: WsTurn,
) -> Result<String, UpstreamError> {
    let text = std::str::from_utf8(body).map_err(|_| UpstreamError::Malformed {
        what: "websocket request body",
    })?;
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or(UpstreamError::Malformed {
            what: "websocket request body",
        })?
        .trim();
    let mut previous_field = String::new();
    if let Some(previous) = previous {
        previous_field.push_str("\"previous_response_id\":");
        previous_field.push_str(&serde_json::Value::from(previous).to_string());
        previous_field.push(',');
    }
    // Captured key order: type, model, stream, previous_response_id, input, …, text,
    // generate (prewarm only), client_metadata.
    let split = model_and_stream_len(inner).unwrap_or(0);
    let mut out = String::with_capacity(inner.len() + previous_field.len() + 48);
    out.push_str("{\"type\":\"response.create\"");
    if !inner.is_empty() || !previous_field.is_empty() {
        out.push(',');
    }
    out.push_str(&inner[..split]);
    out.push_str(&previous_field);
    out.push_str(&inner[split..]);
    if out.ends_with(',') {
        out.pop();
    }
    if turn == WsTurn::Prewarm {
        const METADATA: &str = ",\"client_metadata\":";
        let at = out.rfind(METADATA).unwrap_or(out.len());
        out.insert_str(at, ",\"generate\":false");
    }
    out.push('}');
    Ok(out)
}

/// Length of a leading `"model":"…","stream":true|false,` in `inner`, if present.
fn model_and_stream_len(inner: &str) -> Option<usize> {
    let rest = inner.strip_prefix("\"model\":\"")?;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                end = Some(i);
                break;
            }
            _ => escaped = false,
        }
    }
    let after_model = &rest[end? + 1..];
    let stream = [
        "\",\"stream\":true,",
        ",\"stream\":true,",
        ",\"stream\":false,",
    ]
    .iter()
    .find(|p| after_model.starts_with(**p))?;
    Some("\"model\":\"".len() + end? + 1 + stream.len())
}

fn handshake_error(err: tungstenite::Error) -> UpstreamError {
    match err {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let headers = Box::new(response.headers().clone());
            let body = response.into_body().map(Bytes::from).unwrap_or_default();
            UpstreamError::Status {
                status,
                headers,
                body,
            }
        }
        other => ws_error(other),
    }
}

fn ws_error(err: tungstenite::Error) -> UpstreamError {
    match err {
        tungstenite::Error::Io(io) => UpstreamError::Connect(io),
        other => UpstreamError::WebSocket(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_create_keeps_the_captured_key_order() {
        let body = br#"{"model":"gpt-6.1-sol","stream":true,"input":[],"store":false,"client_metadata":{"a":"b"}}"#;
        let prewarm = response_create(body, None, WsTurn::Prewarm).unwrap();
        assert_eq!(
            prewarm,
            r#"{"type":"response.create","model":"gpt-6.1-sol","stream":true,"input":[],"store":false,"generate":false,"client_metadata":{"a":"b"}}"#
        );
        let turn = response_create(body, Some("resp_1"), WsTurn::Turn).unwrap();
        assert_eq!(
            turn,
            r#"{"type":"response.create","model":"gpt-6.1-sol","stream":true,"previous_response_id":"resp_1","input":[],"store":false,"client_metadata":{"a":"b"}}"#
        );
        // Other key orders still produce valid JSON.
        let odd = response_create(br#"{"input":[]}"#, Some("r\"2"), WsTurn::Turn).unwrap();
        let v: serde_json::Value = serde_json::from_str(&odd).unwrap();
        assert_eq!(v["previous_response_id"], "r\"2");
        let empty = response_create(b"{}", None, WsTurn::Prewarm).unwrap();
        assert_eq!(empty, r#"{"type":"response.create","generate":false}"#);
        assert!(response_create(b"[1]", None, WsTurn::Turn).is_err());
    }
}
