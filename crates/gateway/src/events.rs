//! Glue between upstream bytes and the translators: pulling the next [`ResponsesEvent`] out of
//! an [`SseDecoder`], usage capture for the pool, quota header forwarding, session seeding.

use codex_proxy_pool::UsageDelta;
use codex_proxy_schema::responses::{InputItem, ResponsesEvent, ResponsesRequest};
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::UpstreamFailure;
use codex_proxy_upstream::UpstreamError;
use http::HeaderMap;

use crate::state::AppState;

/// What the decoder yielded.
#[expect(
    clippy::large_enum_variant,
    reason = "lives on the stack for one loop turn; boxing would allocate per event"
)]
pub(crate) enum Next<'a> {
    /// A parsed event.
    Event(ResponsesEvent<'a>),
    /// A frame that carries nothing for us (`[DONE]`, an unparsable frame); call again.
    Skip,
    /// No complete frame buffered (or, at EOF, nothing left).
    Pending,
}

/// The next event from `decoder`; `eof` flushes a trailing unterminated frame. A framing error
/// (oversized event, invalid UTF-8) ends the stream as a failure.
pub(crate) fn next_event(decoder: &mut SseDecoder, eof: bool) -> Result<Next<'_>, UpstreamFailure> {
    let frame = if eof {
        decoder.finish()
    } else {
        decoder.next_frame()
    };
    let frame = match frame {
        Ok(Some(frame)) => frame,
        Ok(None) => return Ok(Next::Pending),
        Err(e) => {
            return Err(UpstreamFailure {
                message: format!("upstream stream is malformed: {e}"),
                code: "upstream_protocol_error",
            });
        }
    };
    if frame.is_done() {
        return Ok(Next::Skip);
    }
    match ResponsesEvent::parse(&frame) {
        Ok(ev) => Ok(Next::Event(ev)),
        Err(e) => {
            tracing::warn!(event = frame.event.unwrap_or("-"), error = %e, "skipping unparsable upstream event");
            Ok(Next::Skip)
        }
    }
}

/// A transport failure after the response head, as the translators want it.
pub(crate) fn transport_failure(e: &UpstreamError) -> UpstreamFailure {
    let (code, what) = if e.is_timeout() {
        ("upstream_timeout", "upstream went silent for too long")
    } else {
        (
            "upstream_transport_error",
            "upstream connection failed mid-stream",
        )
    };
    UpstreamFailure {
        message: format!("{what} ({})", e.label()),
        code,
    }
}

/// Watches events for what the pool wants to know (usage of a finished response). Created
/// inside the request's handler, it remembers the caller's client key so the usage is also
/// counted against that key's budget.
#[derive(Debug)]
pub(crate) struct Tap {
    usage: UsageDelta,
    completed: bool,
    client_key: Option<codex_proxy_pool::KeyId>,
}

impl Default for Tap {
    fn default() -> Self {
        Self {
            usage: UsageDelta::default(),
            completed: false,
            client_key: crate::auth::current_key(),
        }
    }
}

impl Tap {
    /// Looks at one event.
    pub fn observe(&mut self, ev: &ResponsesEvent<'_>) {
        if let ResponsesEvent::Completed(env) | ResponsesEvent::Incomplete(env) = ev {
            self.completed = true;
            if let Some(u) = &env.response.usage {
                self.usage = UsageDelta {
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    cached_tokens: u.input_tokens_details.cached_tokens,
                };
            }
        }
    }

    /// Reports the outcome to the pool (usage on success; nothing else is the account's fault).
    pub fn report(&self, state: &AppState, lease: &codex_proxy_pool::Lease) {
        if self.completed {
            crate::pool_glue::report_success(state, lease, self.usage);
            if let Some(key) = &self.client_key {
                let tokens = self.usage.input_tokens + self.usage.output_tokens;
                if let Err(e) =
                    state
                        .pool
                        .record_key_usage(key, tokens, std::time::SystemTime::now())
                {
                    tracing::debug!(error = e.label(), "client key usage not recorded");
                }
            }
        }
    }
}

/// The `x-codex-*` quota headers of an upstream response, to copy to the client
/// (`x-codex-turn-state` stays: it is only relayed on Responses routes).
pub(crate) fn quota_headers(upstream: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in upstream {
        let n = name.as_str();
        if n.starts_with("x-codex-") && n != "x-codex-turn-state" {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The JSON of the first user message's content (session seed), if any. Only that content is
/// serialized; earlier items (often a large developer prompt) are skipped by their typed role.
pub(crate) fn first_user_message(req: &ResponsesRequest) -> Option<Vec<u8>> {
    req.input.iter().find_map(|item| match item {
        InputItem::Message(m) if m.role == "user" => serde_json::to_vec(&m.content).ok(),
        _ => None,
    })
}
