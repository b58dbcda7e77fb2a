//! Streaming translation: upstream events in, Anthropic SSE events out (spec §4.6 and the
//! real API's wire shape: `message_start`, `content_block_start/delta/stop` for thinking, text
//! and tool_use blocks, `message_delta`, `message_stop`, `ping`, `error`).

use std::borrow::Cow;

use codex_proxy_schema::anthropic::{
    ApiError, BlockDelta, Message, MessageDelta, ResponseBlock, StreamEvent, Usage,
};
use codex_proxy_schema::responses::{OutputItem, OutputReasoning, ResponsesEvent};
use serde_json::value::RawValue;

use super::error_body::error_type;
use super::usage::to_anthropic;
use super::{AnthropicContext, EMPTY_RESPONSE_TEXT, signature};
use crate::event::{CallKind, Ev, TokenUsage, classify};
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::{UpstreamFailure, event_error_to_reply};

/// The streaming state machine for one response. Call [`push`] for every upstream event,
/// [`ping`] when the stream has been idle, and [`finish`] at the end of the upstream body (or
/// [`fail`] on a transport error); each appends the SSE bytes to send.
///
/// [`push`]: AnthropicStream::push
/// [`ping`]: AnthropicStream::ping
/// [`finish`]: AnthropicStream::finish
/// [`fail`]: AnthropicStream::fail
#[derive(Debug)]
pub struct AnthropicStream {
    ctx: AnthropicContext,
    state: State,
    next_index: u32,
    open: Open,
    /// Message items that streamed text (to recognise `output_item.done` duplicates).
    text_items: Vec<String>,
    tools: Vec<ToolSlot>,
    /// Something visible was sent.
    emitted: bool,
    refusal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Fresh,
    Open,
    Done,
}

/// The open text or thinking block (tool blocks are tracked in `tools`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Text(u32),
    Thinking { index: u32, has_text: bool },
}

#[derive(Debug)]
struct ToolSlot {
    item_id: String,
    call_id: String,
    index: u32,
    got_delta: bool,
    done: bool,
    /// `Read` and custom calls: input held back until done (it may need rewriting).
    held: Option<String>,
    kind: CallKind,
    is_read: bool,
}

const EMPTY_INPUT: &str = "{}";

impl AnthropicStream {
    /// A stream for one response.
    pub fn new(ctx: AnthropicContext) -> Self {
        AnthropicStream {
            ctx,
            state: State::Fresh,
            next_index: 0,
            open: Open::None,
            text_items: Vec::new(),
            tools: Vec::new(),
            emitted: false,
            refusal: false,
        }
    }

    /// Writes `message_start` if it was not written yet (the gateway may call this as soon as
    /// the upstream answered, before any event).
    pub fn start(&mut self, out: &mut Vec<u8>) {
        if self.state != State::Fresh {
            return;
        }
        self.state = State::Open;
        StreamEvent::MessageStart {
            message: Message {
                id: Cow::Borrowed(&self.ctx.id),
                kind: "message",
                role: "assistant",
                content: Vec::new(),
                model: Cow::Borrowed(&self.ctx.model),
                stop_reason: None,
                stop_sequence: None,
                usage: to_anthropic(None),
            },
        }
        .write(out);
    }

    /// A `ping` event (idle keep-alive), preceded by `message_start` if needed; nothing once
    /// the stream has ended.
    pub fn ping(&mut self, out: &mut Vec<u8>) {
        self.start(out);
        if self.state == State::Open {
            StreamEvent::Ping.write(out);
        }
    }

    /// Translate one upstream event, appending SSE bytes to `out`.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        self.start(out);
        if self.state != State::Open {
            return;
        }
        if let ResponsesEvent::OutputItemDone(done) = ev
            && let Some(OutputItem::Reasoning(item)) = &done.item
        {
            self.reasoning_done(item, out);
            return;
        }
        match classify(ev) {
            Ev::Text { item_id, delta } => self.text(item_id, delta, out),
            Ev::Refusal(delta) => {
                self.refusal = true;
                self.text("", delta, out);
            }
            Ev::MessageDone { item_id, text } => {
                if !text.is_empty() && !self.text_items.iter().any(|i| i == item_id) {
                    self.text(item_id, &text, out);
                }
            }
            Ev::Reasoning(delta) => {
                if self.ctx.want_reasoning && !delta.is_empty() {
                    self.thinking(delta, out);
                }
            }
            Ev::ReasoningPartStart => {
                if let Open::Thinking { has_text: true, .. } = self.open {
                    self.thinking("\n\n", out);
                }
            }
            Ev::CallStart {
                kind,
                item_id,
                call_id,
                name,
            } => {
                if self.slot(item_id, call_id).is_none() {
                    self.start_tool(kind, item_id, call_id, name, out);
                }
            }
            Ev::CallDelta { item_id, delta } => {
                if let Some(i) = self.slot(item_id, "") {
                    let slot = &mut self.tools[i];
                    if let Some(held) = &mut slot.held {
                        held.push_str(delta);
                    } else if !delta.is_empty() {
                        slot.got_delta = true;
                        let index = slot.index;
                        input_delta(index, delta, out);
                    }
                }
            }
            Ev::CallDone {
                kind,
                item_id,
                call_id,
                name,
                arguments,
            } => {
                let i = match self.slot(item_id, call_id) {
                    Some(i) => i,
                    None => {
                        self.start_tool(kind, item_id, call_id, name, out);
                        self.tools.len() - 1
                    }
                };
                self.finish_tool(i, Some(&arguments), out);
            }
            Ev::ImageDone {
                item_id,
                result,
                revised_prompt,
            } => {
                self.close_open(out);
                let input = serde_json::json!({"result": result, "revised_prompt": revised_prompt});
                let input = RawValue::from_string(input.to_string()).ok();
                let index = self.take_index();
                self.tools.push(ToolSlot {
                    item_id: item_id.to_owned(),
                    call_id: item_id.to_owned(),
                    index,
                    got_delta: true,
                    done: true,
                    held: None,
                    kind: CallKind::Function,
                    is_read: false,
                });
                self.emitted = true;
                if let Some(input) = input {
                    block_start(
                        index,
                        ResponseBlock::ToolUse {
                            id: Cow::Borrowed(item_id),
                            name: Cow::Borrowed("image_generation"),
                            input: &input,
                        },
                        out,
                    );
                }
                StreamEvent::ContentBlockStop { index }.write(out);
            }
            Ev::Completed { usage } => {
                if !self.emitted {
                    self.text("", EMPTY_RESPONSE_TEXT, out);
                }
                self.end_message(None, usage.as_ref(), out);
            }
            Ev::Incomplete { usage, reason } => {
                let stop = match reason {
                    Some("content_filter") => "refusal",
                    Some("max_output_tokens") | None => "max_tokens",
                    Some(_) => "pause_turn",
                };
                self.end_message(Some(stop), usage.as_ref(), out);
            }
            Ev::Failed { code, message } => self.error(&event_error_to_reply(&code, &message), out),
            Ev::Ignore => {}
        }
    }

    /// End of the upstream body. A stream without a terminal event ends with an `error` event
    /// (a truncated answer must not look complete).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.start(out);
        if self.state == State::Open {
            let reply = ErrorReply::new(
                502,
                ErrorKind::PrematureClose,
                "Upstream closed stream without a terminal event",
                Some("stream_disconnected"),
            );
            self.error(&reply, out);
        }
    }

    /// The upstream transport failed mid-stream: an `error` event ends the stream.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        self.start(out);
        if self.state == State::Open {
            let reply = ErrorReply::new(
                502,
                ErrorKind::Upstream,
                err.message.clone(),
                Some(err.code),
            );
            self.error(&reply, out);
        }
    }

    /// Whether `message_stop` or an `error` event has been written.
    pub fn is_terminated(&self) -> bool {
        self.state == State::Done
    }

    fn take_index(&mut self) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        index
    }

    fn close_open(&mut self, out: &mut Vec<u8>) {
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None => {}
            Open::Text(index) | Open::Thinking { index, .. } => {
                StreamEvent::ContentBlockStop { index }.write(out);
            }
        }
    }

    fn text(&mut self, item_id: &str, delta: &str, out: &mut Vec<u8>) {
        let known = item_id.is_empty() || self.text_items.iter().any(|i| i == item_id);
        if !known {
            // A new message item (Codex `commentary` then `final_answer`) gets its own block.
            if matches!(self.open, Open::Text(_)) && !self.text_items.is_empty() {
                self.close_open(out);
            }
            self.text_items.push(item_id.to_owned());
        }
        if delta.is_empty() {
            return;
        }
        if !matches!(self.open, Open::Text(_)) {
            self.close_open(out);
            let index = self.take_index();
            self.open = Open::Text(index);
            block_start(
                index,
                ResponseBlock::Text {
                    text: Cow::Borrowed(""),
                },
                out,
            );
        }
        if let Open::Text(index) = self.open {
            self.emitted = true;
            StreamEvent::ContentBlockDelta {
                index,
                delta: BlockDelta::TextDelta {
                    text: Cow::Borrowed(delta),
                },
            }
            .write(out);
        }
    }

    fn thinking(&mut self, delta: &str, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Thinking { .. }) {
            self.close_open(out);
            let index = self.take_index();
            self.open = Open::Thinking {
                index,
                has_text: false,
            };
            block_start(
                index,
                ResponseBlock::Thinking {
                    thinking: Cow::Borrowed(""),
                    signature: Cow::Borrowed(""),
                },
                out,
            );
        }
        if let Open::Thinking { index, has_text } = &mut self.open {
            *has_text = true;
            self.emitted = true;
            StreamEvent::ContentBlockDelta {
                index: *index,
                delta: BlockDelta::ThinkingDelta {
                    thinking: Cow::Borrowed(delta),
                },
            }
            .write(out);
        }
    }

    /// A finished reasoning item: sign and close its thinking block (or emit it whole).
    fn reasoning_done(&mut self, item: &OutputReasoning<'_>, out: &mut Vec<u8>) {
        if !self.ctx.want_reasoning {
            return;
        }
        let signature = item
            .encrypted_content
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(signature::encode);
        if !matches!(self.open, Open::Thinking { .. }) {
            let summary: String = item
                .summary
                .iter()
                .map(|p| p.text.as_ref())
                .collect::<Vec<_>>()
                .join("\n\n");
            if !summary.is_empty() {
                self.thinking(&summary, out);
            } else if let Some(data) = &signature {
                self.close_open(out);
                let index = self.take_index();
                self.emitted = true;
                block_start(
                    index,
                    ResponseBlock::RedactedThinking {
                        data: Cow::Borrowed(data),
                    },
                    out,
                );
                StreamEvent::ContentBlockStop { index }.write(out);
                return;
            } else {
                return;
            }
        }
        if let (Open::Thinking { index, .. }, Some(signature)) = (self.open, &signature) {
            StreamEvent::ContentBlockDelta {
                index,
                delta: BlockDelta::SignatureDelta {
                    signature: Cow::Borrowed(signature),
                },
            }
            .write(out);
        }
        self.close_open(out);
    }

    fn slot(&self, item_id: &str, call_id: &str) -> Option<usize> {
        self.tools.iter().position(|c| {
            (!item_id.is_empty() && c.item_id == item_id)
                || (!call_id.is_empty() && c.call_id == call_id)
        })
    }

    fn start_tool(
        &mut self,
        kind: CallKind,
        item_id: &str,
        call_id: &str,
        name: &str,
        out: &mut Vec<u8>,
    ) {
        self.close_open(out);
        let index = self.take_index();
        let is_read = name == "Read";
        let id = if call_id.is_empty() { item_id } else { call_id };
        self.tools.push(ToolSlot {
            item_id: item_id.to_owned(),
            call_id: call_id.to_owned(),
            index,
            got_delta: false,
            done: false,
            held: (is_read || kind == CallKind::Custom).then(String::new),
            kind,
            is_read,
        });
        self.emitted = true;
        let empty = empty_input();
        block_start(
            index,
            ResponseBlock::ToolUse {
                id: Cow::Borrowed(id),
                name: Cow::Borrowed(name),
                input: &empty,
            },
            out,
        );
    }

    /// Send what is left of a call's input and stop its block (once).
    fn finish_tool(&mut self, i: usize, arguments: Option<&str>, out: &mut Vec<u8>) {
        let Some(slot) = self.tools.get_mut(i) else {
            return;
        };
        if slot.done {
            return;
        }
        slot.done = true;
        let index = slot.index;
        let arguments = arguments.filter(|a| !a.is_empty());
        match slot.held.take() {
            Some(held) => {
                let raw = arguments.map_or(held.as_str(), |a| a);
                let input = if slot.kind == CallKind::Custom {
                    serde_json::json!({ "input": raw }).to_string()
                } else if slot.is_read {
                    sanitize_read(raw)
                } else {
                    raw.to_owned()
                };
                if !input.is_empty() {
                    input_delta(index, &input, out);
                }
            }
            None => {
                if !slot.got_delta
                    && let Some(arguments) = arguments
                {
                    input_delta(index, arguments, out);
                }
            }
        }
        StreamEvent::ContentBlockStop { index }.write(out);
    }

    fn end_message(&mut self, stop: Option<&str>, usage: Option<&TokenUsage>, out: &mut Vec<u8>) {
        self.close_open(out);
        for i in 0..self.tools.len() {
            self.finish_tool(i, None, out);
        }
        let stop_reason = stop.unwrap_or(if self.refusal {
            "refusal"
        } else if self.tools.is_empty() {
            "end_turn"
        } else {
            "tool_use"
        });
        let usage: Usage = to_anthropic(usage);
        StreamEvent::MessageDelta {
            delta: MessageDelta {
                stop_reason,
                stop_sequence: None,
            },
            usage,
        }
        .write(out);
        StreamEvent::MessageStop.write(out);
        self.state = State::Done;
    }

    fn error(&mut self, reply: &ErrorReply, out: &mut Vec<u8>) {
        StreamEvent::Error {
            error: ApiError {
                kind: error_type(reply),
                message: Cow::Borrowed(&reply.message),
            },
        }
        .write(out);
        self.state = State::Done;
    }
}

fn empty_input() -> Box<RawValue> {
    // `{}` is valid JSON; the fallback keeps this total anyway.
    RawValue::from_string(EMPTY_INPUT.to_owned()).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

fn block_start(index: u32, content_block: ResponseBlock<'_>, out: &mut Vec<u8>) {
    StreamEvent::ContentBlockStart {
        index,
        content_block,
    }
    .write(out);
}

fn input_delta(index: u32, partial_json: &str, out: &mut Vec<u8>) {
    StreamEvent::ContentBlockDelta {
        index,
        delta: BlockDelta::InputJsonDelta {
            partial_json: Cow::Borrowed(partial_json),
        },
    }
    .write(out);
}

/// Claude Code's `Read` rejects `pages: ""`: drop a blank string `pages` (spec §4.6).
pub(crate) fn sanitize_read(arguments: &str) -> String {
    let Ok(serde_json::Value::Object(mut obj)) =
        serde_json::from_str::<serde_json::Value>(arguments)
    else {
        return arguments.to_owned();
    };
    match obj.get("pages") {
        Some(serde_json::Value::String(p)) if p.trim().is_empty() => {
            obj.remove("pages");
            serde_json::Value::Object(obj).to_string()
        }
        _ => arguments.to_owned(),
    }
}
