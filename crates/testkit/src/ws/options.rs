//! Framing options and counters of the WebSocket endpoint
//! ([`crate::MockServer::set_websocket_options`], [`crate::MockServer::websocket_stats`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Framing options of the WebSocket endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsOptions {
    /// Answer to a `permessage-deflate` offer: `None` ignores the offer (no compression);
    /// `Some(params)` accepts it with these `; `-separated parameters after the name (`""`,
    /// the default, answers a bare `permessage-deflate` as the captured server did), and the
    /// server honours them (`*_no_context_takeover`, `*_max_window_bits`).
    pub deflate: Option<String>,
    /// Split each event into frames of at most this many payload bytes.
    pub fragment: Option<usize>,
    /// Send a ping before answering each message (the pong is counted in [`WsStats`]).
    pub ping: bool,
}

impl Default for WsOptions {
    fn default() -> Self {
        Self {
            deflate: Some(String::new()),
            fragment: None,
            ping: false,
        }
    }
}

/// Counters of the WebSocket endpoint since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WsStats {
    /// Client messages that arrived compressed (RSV1).
    pub compressed_in: u64,
    /// Client messages that arrived uncompressed.
    pub plain_in: u64,
    /// Messages we sent compressed.
    pub compressed_out: u64,
    /// Pongs received with the payload of our ping.
    pub pongs: u64,
    /// Close frames received from clients.
    pub closes: u64,
}

/// Options and counters, kept in the server state.
#[derive(Debug, Default)]
pub(crate) struct WsState {
    options: Mutex<WsOptions>,
    pub(crate) compressed_in: AtomicU64,
    pub(crate) plain_in: AtomicU64,
    pub(crate) compressed_out: AtomicU64,
    pub(crate) pongs: AtomicU64,
    pub(crate) closes: AtomicU64,
}

impl WsState {
    pub(crate) fn set_options(&self, options: WsOptions) {
        *self.options.lock().unwrap_or_else(PoisonError::into_inner) = options;
    }

    pub(crate) fn options(&self) -> WsOptions {
        self.options
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn stats(&self) -> WsStats {
        WsStats {
            compressed_in: self.compressed_in.load(Ordering::Relaxed),
            plain_in: self.plain_in.load(Ordering::Relaxed),
            compressed_out: self.compressed_out.load(Ordering::Relaxed),
            pongs: self.pongs.load(Ordering::Relaxed),
            closes: self.closes.load(Ordering::Relaxed),
        }
    }
}
