//! Non-streaming `/v1/responses` (translation spec §7.4): the upstream stream collected into
//! the `response` object of `response.completed`, repaired: an empty `output` is rebuilt from the
//! `response.output_item.done` items (or from the text deltas), `output_text` is computed, tuple
//! text is re-converted.
//!
//! Deliberate improvements (§13.9): an upstream `error` / `response.failed` event is reported
//! with its real status and code instead of as an empty response, and `response.incomplete` is
//! answered with its (incomplete) response object rather than an error.

use std::borrow::Cow;

use codex_proxy_schema::responses::ErrorPayload;
use codex_proxy_schema::sse::{SseDecoder, SseFrame};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::relay::reconvert_items;
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::event_error_to_reply;

/// Upstream SSE bytes → one `response` object (see module docs).
#[derive(Debug)]
pub struct ResponsesCollector {
    decoder: SseDecoder,
    state: CollectState,
}

#[derive(Debug, Default)]
struct CollectState {
    tuple_schema: Option<Value>,
    response_id: Option<String>,
    text: String,
    done_items: Vec<Value>,
    response: Option<Value>,
    error: Option<ErrorReply>,
}

impl ResponsesCollector {
    /// A collector for one response; `tuple_schema` as for the relay.
    pub fn new(tuple_schema: Option<Value>) -> Self {
        ResponsesCollector {
            decoder: SseDecoder::new(),
            state: CollectState {
                tuple_schema,
                ..CollectState::default()
            },
        }
    }

    /// Feed upstream bytes (split anywhere).
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        if self.state.is_done() {
            return;
        }
        self.decoder.push(chunk);
        self.drain(false);
    }

    /// Feed one already decoded upstream frame (for callers that run their own
    /// [`SseDecoder`]).
    pub fn push_frame(&mut self, frame: &SseFrame<'_>) {
        if !self.state.is_done() {
            self.state.frame(frame);
        }
    }

    /// The response id, once seen.
    pub fn response_id(&self) -> Option<&str> {
        self.state.response_id.as_deref()
    }

    /// End of the upstream body: the response JSON, or the error to answer with.
    /// A stream without a terminal event is an [`ErrorKind::EmptyResponse`] (retryable).
    pub fn finish(mut self) -> Result<Vec<u8>, ErrorReply> {
        if !self.state.is_done() {
            self.drain(true);
        }
        let state = self.state;
        if let Some(err) = state.error {
            return Err(err);
        }
        let Some(mut response) = state.response else {
            let id = state
                .response_id
                .map(|id| format!(" (response {id})"))
                .unwrap_or_default();
            return Err(ErrorReply::new(
                502,
                ErrorKind::EmptyResponse,
                format!("Codex returned an empty response{id}"),
                Some("empty_response"),
            ));
        };
        repair(
            &mut response,
            state.done_items,
            &state.text,
            state.tuple_schema.as_ref(),
        );
        serde_json::to_vec(&response).map_err(|e| {
            ErrorReply::new(
                502,
                ErrorKind::Upstream,
                e.to_string(),
                Some("upstream_protocol_error"),
            )
        })
    }

    fn drain(&mut self, eof: bool) {
        loop {
            let frame = if eof {
                self.decoder.finish()
            } else {
                self.decoder.next_frame()
            };
            match frame {
                Ok(Some(frame)) => {
                    self.state.frame(&frame);
                    if self.state.is_done() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    self.state.error = Some(ErrorReply::new(
                        502,
                        ErrorKind::Upstream,
                        e.to_string(),
                        Some("upstream_protocol_error"),
                    ));
                    return;
                }
            }
        }
    }
}

impl CollectState {
    fn frame(&mut self, frame: &SseFrame<'_>) {
        if frame.is_done() {
            return;
        }
        match frame.event.filter(|e| !e.is_empty()) {
            Some(name) => self.push(name, frame.data),
            None => {
                if let Some(name) = type_of(frame.data) {
                    self.push(&name, frame.data);
                }
            }
        }
    }

    fn is_done(&self) -> bool {
        self.response.is_some() || self.error.is_some()
    }

    fn push(&mut self, name: &str, data: &str) {
        match name {
            "response.created" | "response.in_progress" | "response.queued" => {
                if let Ok(env) = serde_json::from_str::<Envelope<'_>>(data)
                    && let Some(id) = env.response.and_then(|r| r.id)
                {
                    self.response_id = Some(id.into_owned());
                }
            }
            "response.output_text.delta" => {
                if let Ok(delta) = serde_json::from_str::<Delta<'_>>(data) {
                    self.text.push_str(&delta.delta);
                }
            }
            "response.output_item.done" => {
                if let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(data)
                    && let Some(item) = obj.remove("item").filter(Value::is_object)
                {
                    self.done_items.push(item);
                }
            }
            "response.completed" | "response.incomplete" => {
                match serde_json::from_str::<Value>(data) {
                    Ok(Value::Object(mut obj)) => match obj.remove("response") {
                        Some(resp @ Value::Object(_)) => self.response = Some(resp),
                        _ => self.protocol_error(name),
                    },
                    _ => self.protocol_error(name),
                }
            }
            "response.failed" | "error" => {
                let info = ErrorPayload::new(data).extract();
                self.error = Some(event_error_to_reply(&info.code, &info.message));
            }
            _ => {}
        }
    }

    fn protocol_error(&mut self, name: &str) {
        self.error = Some(ErrorReply::new(
            502,
            ErrorKind::Upstream,
            format!("upstream sent a malformed {name} event"),
            Some("upstream_protocol_error"),
        ));
    }
}

/// §7.4 repairs on the `response` object.
fn repair(response: &mut Value, done_items: Vec<Value>, text: &str, tuple: Option<&Value>) {
    let Value::Object(obj) = response else {
        return;
    };
    let output_empty = obj
        .get("output")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if output_empty {
        let items = if !done_items.is_empty() {
            done_items
        } else if !text.is_empty() {
            vec![serde_json::json!({
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text}],
            })]
        } else {
            Vec::new()
        };
        obj.insert("output".into(), Value::Array(items));
    }
    let mut recompute = obj
        .get("output_text")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if let (Some(schema), Some(Value::Array(items))) = (tuple, obj.get_mut("output")) {
        reconvert_items(items, schema);
        recompute = true;
    }
    if recompute && let Some(joined) = output_text(obj) {
        obj.insert("output_text".into(), Value::String(joined));
    }
}

/// Per item, its `output_text` / `text` parts concatenated; non-empty items joined by a blank
/// line. `None` when every item is empty.
fn output_text(obj: &Map<String, Value>) -> Option<String> {
    let items = obj.get("output")?.as_array()?;
    let texts: Vec<String> = items
        .iter()
        .filter_map(|item| item.get("content").and_then(Value::as_array))
        .map(|parts| {
            parts
                .iter()
                .filter(|p| {
                    matches!(
                        p.get("type").and_then(Value::as_str),
                        Some("output_text" | "text")
                    )
                })
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

fn type_of(data: &str) -> Option<String> {
    serde_json::from_str::<Value>(data)
        .ok()?
        .get("type")?
        .as_str()
        .map(str::to_owned)
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
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
}
