//! Streaming translation: upstream events in, `chat.completion.chunk` SSE frames out.

use std::borrow::Cow;

use codex_proxy_schema::openai::{
    ChatCompletionChunk, ChunkChoice, ChunkDelta, ChunkList, ToolCallDelta, ToolCallDeltaCustom,
    ToolCallDeltaFunction, Usage,
};
use codex_proxy_schema::responses::ResponsesEvent;

use super::EMPTY_RESPONSE_TEXT;
use super::usage::to_openai;
use crate::StreamContext;
use crate::event::{CallKind, Ev, TokenUsage, classify};
use crate::reply::{ErrorKind, ErrorReply, write_openai_error};
use crate::structured::reconvert_output;
use crate::upstream::{UpstreamFailure, event_error_to_reply};

/// The streaming state machine for one response. Feed every upstream event to [`push`], then
/// call [`finish`] at the end of the upstream body (or [`fail`] on a transport error); each call
/// appends the SSE bytes to send to the client.
///
/// [`push`]: ChatStream::push
/// [`finish`]: ChatStream::finish
/// [`fail`]: ChatStream::fail
#[derive(Debug)]
pub struct ChatStream {
    ctx: StreamContext,
    state: State,
    calls: Vec<CallSlot>,
    /// Something visible was sent (text, refusal, reasoning, a call).
    emitted: bool,
    /// Reasoning text was sent (summary parts after the first get a blank line before them).
    reasoning_emitted: bool,
    /// The last message item that streamed text (to recognise `output_item.done` duplicates).
    text_items: Vec<String>,
    /// Tuple-schema mode: the answer text, withheld until completion.
    tuple_buf: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing written yet.
    Fresh,
    /// Role chunk written.
    Open,
    /// Finish chunk or error written; only `[DONE]` remains.
    Terminated,
    /// `[DONE]` written.
    Closed,
}

#[derive(Debug)]
struct CallSlot {
    item_id: String,
    call_id: String,
    kind: CallKind,
    index: u32,
    got_delta: bool,
    done: bool,
}

impl ChatStream {
    /// A stream for one response.
    pub fn new(ctx: StreamContext) -> Self {
        let tuple_buf = ctx.tuple_schema.is_some().then(String::new);
        ChatStream {
            ctx,
            state: State::Fresh,
            calls: Vec::new(),
            emitted: false,
            reasoning_emitted: false,
            text_items: Vec::new(),
            tuple_buf,
        }
    }

    /// Translate one upstream event, appending SSE bytes to `out`.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        self.open(out);
        if self.state != State::Open {
            return;
        }
        match classify(ev) {
            Ev::Text { item_id, delta } => self.text(item_id, delta, out),
            Ev::Refusal(delta) => {
                self.emitted = true;
                self.write(
                    out,
                    ChunkDelta {
                        refusal: Some(Cow::Borrowed(delta)),
                        ..ChunkDelta::default()
                    },
                );
            }
            Ev::Reasoning(delta) => {
                if !delta.is_empty() {
                    self.emitted = true;
                    self.reasoning_emitted = true;
                    self.write(
                        out,
                        ChunkDelta {
                            reasoning_content: Some(Cow::Borrowed(delta)),
                            ..ChunkDelta::default()
                        },
                    );
                }
            }
            Ev::ReasoningPartStart => {
                if self.reasoning_emitted {
                    self.write(
                        out,
                        ChunkDelta {
                            reasoning_content: Some(Cow::Borrowed("\n\n")),
                            ..ChunkDelta::default()
                        },
                    );
                }
            }
            Ev::CallStart {
                kind,
                item_id,
                call_id,
                name,
            } => {
                if self.slot(item_id, call_id).is_none() {
                    self.start_call(kind, item_id, call_id, name, "", out);
                }
            }
            Ev::CallDelta { item_id, delta } => {
                // A delta for a call we never saw start is dropped; its `.done` recovers it.
                if let Some(i) = self.slot(item_id, "") {
                    let slot = &mut self.calls[i];
                    slot.got_delta = true;
                    let (index, kind) = (slot.index, slot.kind);
                    self.write_call(out, index, None, kind, None, delta);
                }
            }
            Ev::CallDone {
                kind,
                item_id,
                call_id,
                name,
                arguments,
            } => match self.slot(item_id, call_id) {
                None => {
                    self.start_call(kind, item_id, call_id, name, &arguments, out);
                    if let Some(slot) = self.calls.last_mut() {
                        slot.done = true;
                    }
                }
                Some(i) => {
                    let slot = &mut self.calls[i];
                    let send_full = !slot.got_delta && !slot.done && !arguments.is_empty();
                    slot.done = true;
                    let (index, kind) = (slot.index, slot.kind);
                    if send_full {
                        self.write_call(out, index, None, kind, None, &arguments);
                    }
                }
            },
            Ev::MessageDone { item_id, text } => {
                if !text.is_empty() && !self.text_items.iter().any(|i| i == item_id) {
                    self.text(item_id, &text, out);
                }
            }
            Ev::ImageDone {
                item_id,
                result,
                revised_prompt,
            } => {
                let arguments = image_arguments(result, revised_prompt);
                let index = self.next_index();
                self.calls.push(CallSlot {
                    item_id: item_id.to_owned(),
                    call_id: item_id.to_owned(),
                    kind: CallKind::Function,
                    index,
                    got_delta: true,
                    done: true,
                });
                self.emitted = true;
                self.write_call(
                    out,
                    index,
                    Some(item_id),
                    CallKind::Function,
                    Some("image_generation"),
                    "",
                );
                self.write_call(out, index, None, CallKind::Function, None, &arguments);
            }
            Ev::Completed { usage } => self.complete(usage, None, out),
            Ev::Incomplete { usage, reason } => {
                let finish = match reason {
                    Some("content_filter") => "content_filter",
                    _ => "length",
                };
                self.complete(usage, Some(finish), out);
            }
            Ev::Failed { code, message } => {
                self.flush_tuple(out);
                self.error(&event_error_to_reply(&code, &message), out);
            }
            Ev::Ignore => {}
        }
    }

    /// End of the upstream body: a stream without a terminal event gets an error object, then
    /// `data: [DONE]`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.open(out);
        if self.state == State::Open {
            self.flush_tuple(out);
            let reply = ErrorReply::new(
                502,
                ErrorKind::PrematureClose,
                "Upstream closed stream without a terminal event",
                Some("stream_disconnected"),
            );
            self.error(&reply, out);
        }
        self.done(out);
    }

    /// The upstream transport failed mid-stream: error object, then `data: [DONE]`.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        self.open(out);
        if self.state == State::Open {
            self.flush_tuple(out);
            self.error(
                &ErrorReply::new(
                    502,
                    ErrorKind::Upstream,
                    err.message.clone(),
                    Some(err.code),
                ),
                out,
            );
        }
        self.done(out);
    }

    /// Whether a terminal frame (finish chunk or error) has been written.
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated | State::Closed)
    }

    fn open(&mut self, out: &mut Vec<u8>) {
        if self.state == State::Fresh {
            self.state = State::Open;
            self.write(
                out,
                ChunkDelta {
                    role: Some(Cow::Borrowed("assistant")),
                    ..ChunkDelta::default()
                },
            );
        }
    }

    fn done(&mut self, out: &mut Vec<u8>) {
        if self.state != State::Closed {
            self.state = State::Closed;
            out.extend_from_slice(b"data: [DONE]\n\n");
        }
    }

    fn text(&mut self, item_id: &str, delta: &str, out: &mut Vec<u8>) {
        // Several message items (Codex `phase: commentary` then `final_answer`) are separated by
        // a blank line instead of running together.
        let new_item = self.text_items.last().is_none_or(|last| last != item_id)
            && !self.text_items.iter().any(|i| i == item_id);
        let separator = if new_item {
            let separate = !self.text_items.is_empty();
            self.text_items.push(item_id.to_owned());
            separate
        } else {
            false
        };
        if let Some(buf) = &mut self.tuple_buf {
            buf.push_str(delta);
            return;
        }
        if separator {
            self.write(
                out,
                ChunkDelta {
                    content: Some(Cow::Borrowed("\n\n")),
                    ..ChunkDelta::default()
                },
            );
        }
        if !delta.is_empty() {
            self.emitted = true;
            self.write(
                out,
                ChunkDelta {
                    content: Some(Cow::Borrowed(delta)),
                    ..ChunkDelta::default()
                },
            );
        }
    }

    fn flush_tuple(&mut self, out: &mut Vec<u8>) {
        let Some(buf) = self.tuple_buf.take() else {
            return;
        };
        if buf.is_empty() {
            return;
        }
        let text = match &self.ctx.tuple_schema {
            Some(schema) => reconvert_output(&buf, schema),
            None => buf,
        };
        self.emitted = true;
        self.write(
            out,
            ChunkDelta {
                content: Some(Cow::Owned(text)),
                ..ChunkDelta::default()
            },
        );
    }

    fn complete(&mut self, usage: Option<TokenUsage>, finish: Option<&str>, out: &mut Vec<u8>) {
        self.flush_tuple(out);
        if !self.emitted {
            self.emitted = true;
            self.write(
                out,
                ChunkDelta {
                    content: Some(Cow::Borrowed(EMPTY_RESPONSE_TEXT)),
                    ..ChunkDelta::default()
                },
            );
        }
        let finish = finish.unwrap_or(if self.calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        });
        let usage = usage.as_ref().map(to_openai);
        if self.ctx.include_usage {
            self.write_full(out, Some((ChunkDelta::default(), Some(finish))), None);
            self.write_full(out, None, Some(usage));
        } else {
            self.write_full(
                out,
                Some((ChunkDelta::default(), Some(finish))),
                Some(usage),
            );
        }
        self.state = State::Terminated;
    }

    fn error(&mut self, reply: &ErrorReply, out: &mut Vec<u8>) {
        out.extend_from_slice(b"data: ");
        write_openai_error(reply, out);
        out.extend_from_slice(b"\n\n");
        self.state = State::Terminated;
    }

    fn slot(&self, item_id: &str, call_id: &str) -> Option<usize> {
        self.calls.iter().position(|c| {
            (!item_id.is_empty() && c.item_id == item_id)
                || (!call_id.is_empty() && c.call_id == call_id)
        })
    }

    fn next_index(&self) -> u32 {
        self.calls.last().map_or(0, |c| c.index + 1)
    }

    fn start_call(
        &mut self,
        kind: CallKind,
        item_id: &str,
        call_id: &str,
        name: &str,
        arguments: &str,
        out: &mut Vec<u8>,
    ) {
        let index = self.next_index();
        let id = if call_id.is_empty() { item_id } else { call_id };
        self.calls.push(CallSlot {
            item_id: item_id.to_owned(),
            call_id: call_id.to_owned(),
            kind,
            index,
            got_delta: false,
            done: false,
        });
        self.emitted = true;
        self.write_call(out, index, Some(id), kind, Some(name), arguments);
    }

    /// One tool-call fragment. `id` and `name` only on the first fragment of a call.
    fn write_call(
        &self,
        out: &mut Vec<u8>,
        index: u32,
        id: Option<&str>,
        kind: CallKind,
        name: Option<&str>,
        text: &str,
    ) {
        let custom = kind == CallKind::Custom && !self.ctx.cursor_mode;
        let call = ToolCallDelta {
            index,
            id: id.map(Cow::Borrowed),
            kind: id.map(|_| Cow::Borrowed(if custom { "custom" } else { "function" })),
            function: (!custom).then(|| ToolCallDeltaFunction {
                name: name.map(Cow::Borrowed),
                arguments: Some(Cow::Borrowed(text)),
            }),
            custom: custom.then(|| ToolCallDeltaCustom {
                name: name.map(Cow::Borrowed),
                input: Some(Cow::Borrowed(text)),
            }),
        };
        let delta = ChunkDelta {
            tool_calls: Some(ChunkList::Borrowed(std::slice::from_ref(&call))),
            ..ChunkDelta::default()
        };
        self.write(out, delta);
    }

    fn write(&self, out: &mut Vec<u8>, delta: ChunkDelta<'_>) {
        self.write_full(out, Some((delta, None)), None);
    }

    /// `data: <chunk>\n\n`; `choice = None` writes `choices: []`.
    fn write_full(
        &self,
        out: &mut Vec<u8>,
        choice: Option<(ChunkDelta<'_>, Option<&str>)>,
        usage: Option<Option<Usage>>,
    ) {
        let one: [ChunkChoice<'_>; 1];
        let choices: &[ChunkChoice<'_>] = match choice {
            Some((delta, finish)) => {
                one = [ChunkChoice {
                    index: 0,
                    delta,
                    finish_reason: finish.map(Cow::Borrowed),
                }];
                &one
            }
            None => &[],
        };
        let chunk = ChatCompletionChunk {
            id: Cow::Borrowed(&self.ctx.id),
            object: Cow::Borrowed("chat.completion.chunk"),
            created: self.ctx.created,
            model: Cow::Borrowed(&self.ctx.model),
            choices: ChunkList::Borrowed(choices),
            usage,
        };
        out.extend_from_slice(b"data: ");
        // Serializing into a Vec cannot fail: every field is a string, number or option.
        let _ = serde_json::to_writer(&mut *out, &chunk);
        out.extend_from_slice(b"\n\n");
    }
}

/// Arguments of the synthetic `image_generation` call: `{"result", "revised_prompt"?}`.
pub(crate) fn image_arguments(result: &str, revised_prompt: Option<&str>) -> String {
    match revised_prompt {
        Some(prompt) => serde_json::json!({ "result": result, "revised_prompt": prompt }),
        None => serde_json::json!({ "result": result }),
    }
    .to_string()
}
