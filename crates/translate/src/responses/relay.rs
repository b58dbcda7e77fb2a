//! Streaming passthrough (translation spec §7.3): upstream SSE bytes in, client SSE bytes out,
//! event by event. Data is re-emitted unchanged (compacted when the upstream pretty-printed it);
//! `codex.rate_limits` frames and `[DONE]` are dropped; frames without an `event:` line are named
//! after their JSON `type` (WebSocket frames). Tuple mode withholds text deltas and re-emits the
//! re-converted text just before `response.completed`. A stream that ends without a terminal
//! event gets a synthetic `response.failed` (`stream_disconnected`).
//!
//! Deliberate improvement: `response.incomplete` counts as terminal (the reference would append
//! a `response.failed` after it).

use std::borrow::Cow;

use codex_proxy_schema::sse::{SseDecoder, SseFrame, write_event};
use serde::Deserialize;
use serde_json::Value;

use crate::reply::{ErrorKind, ErrorReply};
use crate::structured::reconvert_output;
use crate::upstream::UpstreamFailure;

/// Message of the synthetic `response.failed` after a truncated stream.
const DISCONNECTED: &str = "Upstream stream closed before response.completed";

/// Upstream SSE → client SSE for `/v1/responses` (see module docs).
#[derive(Debug)]
pub struct ResponsesRelay {
    decoder: SseDecoder,
    state: RelayState,
}

/// Everything but the decoder (so a frame borrowed from the decoder can be relayed).
#[derive(Debug)]
struct RelayState {
    fallback_id: String,
    tuple_schema: Option<Value>,
    tuple_text: String,
    response_id: Option<String>,
    terminal: bool,
    completed: bool,
    broken: bool,
}

impl ResponsesRelay {
    /// A relay for one response. `fallback_id` (`resp_proxy_<hex24>`) names the response in a
    /// synthetic failure when the upstream never sent an id; `tuple_schema` is
    /// [`ResponsesTranslated::tuple_schema`](super::ResponsesTranslated::tuple_schema).
    pub fn new(fallback_id: String, tuple_schema: Option<Value>) -> Self {
        ResponsesRelay {
            decoder: SseDecoder::new(),
            state: RelayState {
                fallback_id,
                tuple_schema,
                tuple_text: String::new(),
                response_id: None,
                terminal: false,
                completed: false,
                broken: false,
            },
        }
    }

    /// Feed upstream bytes (split anywhere); append client bytes to `out`.
    pub fn push_bytes(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.broken {
            return;
        }
        self.decoder.push(chunk);
        self.drain(out, false);
    }

    /// Feed one already decoded upstream frame (for callers that run their own
    /// [`SseDecoder`]); append client bytes to `out`.
    pub fn push_frame(&mut self, frame: &SseFrame<'_>, out: &mut Vec<u8>) {
        if !self.state.broken {
            self.state.frame(frame, out);
        }
    }

    /// End of the upstream body: flush, and report a truncated stream.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.state.broken {
            self.drain(out, true);
        }
        if !self.state.terminal {
            self.state.write_disconnected(None, out);
        }
    }

    /// The upstream transport failed: report it (unless the stream already ended).
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        self.state.broken = true;
        if !self.state.terminal {
            self.state.write_disconnected(Some(&err.message), out);
        }
    }

    /// Whether a terminal event (completed, incomplete, failed, error) was relayed or
    /// synthesized.
    pub fn is_terminated(&self) -> bool {
        self.state.terminal
    }

    /// Whether the upstream sent `response.completed` (the turn counts as served).
    pub fn is_completed(&self) -> bool {
        self.state.completed
    }

    /// The upstream response id, once seen.
    pub fn response_id(&self) -> Option<&str> {
        self.state.response_id.as_deref()
    }

    fn drain(&mut self, out: &mut Vec<u8>, eof: bool) {
        loop {
            let frame = if eof {
                self.decoder.finish()
            } else {
                self.decoder.next_frame()
            };
            match frame {
                Ok(Some(frame)) => self.state.frame(&frame, out),
                Ok(None) => return,
                Err(e) => {
                    self.state.broken = true;
                    if !self.state.terminal {
                        self.state.write_disconnected(Some(&e.to_string()), out);
                    }
                    return;
                }
            }
        }
    }
}

impl RelayState {
    fn frame(&mut self, frame: &SseFrame<'_>, out: &mut Vec<u8>) {
        if frame.is_done() {
            return;
        }
        let name = match frame.event.filter(|e| !e.is_empty()) {
            Some(name) => Cow::Borrowed(name),
            None => match json_type(frame.data) {
                Some(name) => Cow::Owned(name),
                None => return,
            },
        };
        self.relay(&name, frame.data, out);
    }

    fn relay(&mut self, name: &str, data: &str, out: &mut Vec<u8>) {
        match name {
            "codex.rate_limits" => return,
            "response.created" | "response.in_progress" | "response.queued" => {
                self.remember_id(data);
            }
            "response.output_text.delta" if self.tuple_schema.is_some() => {
                if let Ok(delta) = serde_json::from_str::<Delta<'_>>(data) {
                    self.tuple_text.push_str(&delta.delta);
                }
                return;
            }
            "response.completed" => {
                self.remember_id(data);
                self.terminal = true;
                self.completed = true;
                if let Some(schema) = &self.tuple_schema {
                    let rewritten = tuple_completed(data, schema, &self.tuple_text, out);
                    write_event(out, Some(name), &rewritten);
                    return;
                }
            }
            "response.incomplete" | "response.failed" | "error" => {
                self.remember_id(data);
                self.terminal = true;
            }
            _ => {}
        }
        write_compact(out, name, data);
    }

    fn remember_id(&mut self, data: &str) {
        if let Ok(env) = serde_json::from_str::<Envelope<'_>>(data)
            && let Some(resp) = env.response
            && !resp.id.is_empty()
        {
            self.response_id = Some(resp.id.into_owned());
        }
    }

    fn write_disconnected(&mut self, detail: Option<&str>, out: &mut Vec<u8>) {
        let message = match detail {
            Some(d) => format!("{DISCONNECTED}: {d}"),
            None => DISCONNECTED.to_owned(),
        };
        let id = self
            .response_id
            .clone()
            .unwrap_or_else(|| self.fallback_id.clone());
        write_failed(out, &id, "server_error", "stream_disconnected", &message);
        self.terminal = true;
    }
}

/// Write the pre-stream error `reply` as the single `response.failed` event of a streaming
/// `/v1/responses` answer (translation spec §9.2: the `Codex API error (N): ` prefix is stripped
/// and the error classified by status).
pub fn write_failed_reply(reply: &ErrorReply, response_id: &str, out: &mut Vec<u8>) {
    let message = strip_codex_prefix(&reply.message);
    let (kind, code) = match reply.status {
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        401 | 403 => ("invalid_request_error", "authentication_error"),
        _ if message
            .to_ascii_lowercase()
            .contains("error sending request")
            || reply.code.as_deref() == Some("upstream_transport_error") =>
        {
            ("server_error", "upstream_transport_error")
        }
        400..=499 => ("invalid_request_error", "codex_api_error"),
        _ if reply.kind == ErrorKind::InvalidRequest => {
            ("invalid_request_error", "codex_api_error")
        }
        _ => ("server_error", "codex_api_error"),
    };
    write_failed(out, response_id, kind, code, message);
}

/// `event: response.failed` with `{type, response:{id, status:"failed", error:E}, error:E}`.
fn write_failed(out: &mut Vec<u8>, id: &str, kind: &str, code: &str, message: &str) {
    let error = serde_json::json!({"type": kind, "code": code, "message": message});
    let data = serde_json::json!({
        "type": "response.failed",
        "response": {"id": id, "status": "failed", "error": error},
        "error": error,
    });
    write_event(out, Some("response.failed"), &data.to_string());
}

fn strip_codex_prefix(message: &str) -> &str {
    message
        .strip_prefix("Codex API error (")
        .and_then(|rest| rest.split_once("): "))
        .map_or(message, |(_, tail)| tail)
}

/// Data is relayed verbatim unless it spans several lines (pretty-printed upstream JSON).
fn write_compact(out: &mut Vec<u8>, name: &str, data: &str) {
    if data.contains('\n')
        && let Ok(value) = serde_json::from_str::<Value>(data)
    {
        write_event(out, Some(name), &value.to_string());
        return;
    }
    write_event(out, Some(name), data);
}

/// Tuple mode at `response.completed`: emit the buffered, re-converted text as one delta, and
/// return the completed data with its text parts re-converted.
fn tuple_completed(data: &str, schema: &Value, buffered: &str, out: &mut Vec<u8>) -> String {
    if !buffered.is_empty() {
        let delta = serde_json::json!({
            "type": "response.output_text.delta",
            "delta": reconvert_output(buffered, schema),
        });
        write_event(out, Some("response.output_text.delta"), &delta.to_string());
    }
    let Ok(mut value) = serde_json::from_str::<Value>(data) else {
        return data.to_owned();
    };
    if let Some(output) = value
        .get_mut("response")
        .and_then(|r| r.get_mut("output"))
        .and_then(Value::as_array_mut)
    {
        reconvert_items(output, schema);
    }
    value.to_string()
}

/// Re-convert every `output_text` / `text` part of message items.
pub(crate) fn reconvert_items(items: &mut [Value], schema: &Value) {
    for item in items {
        let Some(parts) = item.get_mut("content").and_then(Value::as_array_mut) else {
            continue;
        };
        for part in parts {
            let is_text = matches!(
                part.get("type").and_then(Value::as_str),
                Some("output_text" | "text")
            );
            if let (true, Some(Value::String(text))) = (is_text, part.get_mut("text")) {
                *text = reconvert_output(text, schema);
            }
        }
    }
}

fn json_type(data: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Kind<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<Kind<'_>>(data)
        .ok()?
        .kind
        .map(Cow::into_owned)
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow, default)]
    delta: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    response: Option<IdOnly<'a>>,
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Cow<'a, str>,
}
