//! The WebSocket responses transport (`wss://…/codex/responses`), as the official client uses
//! it: one socket per session, opened with the rustls hello *without* ALPN and the captured
//! upgrade headers; each turn is one `response.create` text frame; the next turn on the same
//! socket chains on the previous response with `previous_response_id`; events come back as one
//! JSON text frame each. A refused upgrade (426) or a failed handshake is reported through
//! [`UpstreamError::is_websocket_refused`] so the caller falls back to HTTP `POST`.
//!
//! The upgrade offers `permessage-deflate; client_max_window_bits` as the last header, as the
//! official client does; when the server accepts, messages go out compressed (RSV1) and
//! compressed messages are inflated. The framing is ours (`ws/socket.rs`, `ws/frame.rs`,
//! `ws/deflate.rs`) because tungstenite rejects RSV1 frames; only its accept-key helpers are
//! used. The handshake is written by hand (`ws/handshake.rs`) to keep the captured order.
//!
//! Not here: socket pooling across sessions (the gateway keeps sessions by response id with
//! [`WsSession::owns`]).

mod create;
mod deflate;
mod frame;
mod handshake;
mod socket;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;

use crate::call::Credentials;
use crate::client::Upstream;
use crate::connector::Io;
use crate::error::{TimeoutKind, UpstreamError};
use crate::headers;
use crate::ratelimit::RateLimitSnapshot;

use create::response_create;
use deflate::Deflate;
use socket::Socket;

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
    socket: Socket<Box<dyn Io>>,
    headers: HeaderMap,
    idle_timeout: Duration,
    last_response_id: Option<String>,
}

impl fmt::Debug for WsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsSession")
            .field("last_response_id", &self.last_response_id)
            .field("deflate", &self.socket.deflate())
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Opens a WebSocket session on `{base}/codex/responses` (`wss://` for an `https://` base).
    /// A 426 or any other non-101 answer is `UpstreamError::Status` (fall back to
    /// [`Upstream::responses`] when [`UpstreamError::is_websocket_refused`]).
    pub async fn websocket(&self, call: WsCall<'_>) -> Result<WsSession, UpstreamError> {
        let origin = self.base();
        let path = format!("{}/codex/responses", self.base_path());
        let mut h = HeaderMap::new();
        headers::websocket(&call, self.profile(), self.routing_override(), &mut h)?;
        let key = generate_key();
        let request = handshake::request(&path, &origin.authority, &key, &h);
        let open = async {
            let mut stream = self.connector().websocket_stream(&origin).await?;
            let upgraded = handshake::upgrade(&mut stream, &request, &key).await?;
            Ok::<_, UpstreamError>((stream, upgraded))
        };
        let (stream, upgraded) = tokio::time::timeout(self.connect_timeout(), open)
            .await
            .map_err(|_| UpstreamError::Timeout(TimeoutKind::Connect))??;
        let seed = u64::from_le_bytes(
            uuid::Uuid::new_v4().as_bytes()[..8]
                .try_into()
                .unwrap_or_default(),
        );
        let socket = Socket::new(
            stream,
            upgraded.leftover,
            upgraded.deflate.map(Deflate::new),
            seed,
        );
        Ok(WsSession {
            socket,
            headers: upgraded.headers,
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
        self.socket.send_text(message.as_bytes()).await
    }

    /// True when the server accepted `permessage-deflate`: messages travel compressed both
    /// ways.
    pub fn is_compressed(&self) -> bool {
        self.socket.deflate().is_some()
    }

    /// The next event (one JSON message, as sent, inflated if compressed), `None` when the
    /// server closed the socket with a close frame. Remembers the id of each
    /// `response.completed`. An idle gap longer than the idle timeout is `Timeout(Idle)`;
    /// an EOF without a close frame is an error. Pings are answered here.
    pub async fn next_event(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        let next = tokio::time::timeout(self.idle_timeout, self.socket.next_message()).await;
        let payload = match next {
            Err(_) => return Some(Err(UpstreamError::Timeout(TimeoutKind::Idle))),
            Ok(Ok(None)) => return None,
            Ok(Err(err)) => return Some(Err(err)),
            Ok(Ok(Some(payload))) => payload,
        };
        self.observe(&payload);
        Some(Ok(payload))
    }

    /// Closes the socket politely (close frame 1000, then shutdown).
    pub async fn close(mut self) {
        let _ = self.socket.close().await;
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
