//! One assistant turn as a sequence of complete [`Step`]s, for dialects that do not stream tool
//! arguments (Gemini, Ollama): text and thought deltas pass through, tool calls surface once when
//! complete, reasoning signatures (encrypted content) are surfaced for round-tripping, tuple
//! structured output is withheld until completion, and the turn always ends in exactly one
//! [`Step::Done`] or [`Step::Fail`].

use std::borrow::Cow;

use codex_proxy_schema::responses::{OutputItem, ResponsesEvent};
use serde_json::Value;

use crate::event::{Ev, TokenUsage, classify};
use crate::reply::{ErrorKind, ErrorReply};
use crate::structured::reconvert_output;
use crate::upstream::{UpstreamFailure, event_error_to_reply};

/// Why a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Normal end, no calls.
    Stop,
    /// Normal end with at least one call.
    ToolCalls,
    /// `response.incomplete` for output length.
    Length,
    /// `response.incomplete` for a content filter.
    ContentFilter,
}

/// One complete piece of the turn.
#[derive(Debug)]
pub(crate) enum Step<'e> {
    /// Answer text.
    Text(Cow<'e, str>),
    /// Reasoning summary text.
    Thought(&'e str),
    /// Encrypted reasoning of a finished reasoning item.
    Signature(&'e str),
    /// A complete function (or custom) call.
    Call {
        call_id: &'e str,
        name: &'e str,
        arguments: &'e str,
    },
    /// A generated image (base64).
    Image { result: &'e str },
    /// The upstream finished.
    Done {
        usage: Option<TokenUsage>,
        finish: Finish,
    },
    /// The upstream failed (error event, transport, truncation).
    Fail(ErrorReply),
}

#[derive(Debug)]
struct CallAcc {
    item_id: String,
    call_id: String,
    name: String,
    arguments: String,
    done: bool,
}

/// The reducer (see module docs).
#[derive(Debug, Default)]
pub(crate) struct Turn {
    calls: Vec<CallAcc>,
    text_items: Vec<String>,
    tuple_schema: Option<Value>,
    tuple_buf: Option<String>,
    thought_emitted: bool,
    /// Visible output (text, call, image) was produced.
    emitted: bool,
    calls_made: usize,
    ended: bool,
}

impl Turn {
    /// A reducer; with a tuple schema, text is withheld and converted at completion.
    pub(crate) fn new(tuple_schema: Option<Value>) -> Self {
        Turn {
            tuple_buf: tuple_schema.is_some().then(String::new),
            tuple_schema,
            ..Turn::default()
        }
    }

    /// Reduce one upstream event, calling `f` for every step it yields.
    pub(crate) fn push(&mut self, ev: &ResponsesEvent<'_>, f: &mut dyn FnMut(Step<'_>)) {
        if self.ended {
            return;
        }
        if let ResponsesEvent::OutputItemDone(e) = ev
            && let Some(OutputItem::Reasoning(r)) = &e.item
        {
            if let Some(enc) = r.encrypted_content.as_deref().filter(|s| !s.is_empty()) {
                f(Step::Signature(enc));
            }
            return;
        }
        match classify(ev) {
            Ev::Text { item_id, delta } => self.text(item_id, delta, f),
            Ev::MessageDone { item_id, text } => {
                if !text.is_empty() && !self.text_items.iter().any(|i| i == item_id) {
                    self.text(item_id, &text, f);
                }
            }
            Ev::Refusal(delta) => self.text("", delta, f),
            Ev::Reasoning(delta) => {
                if !delta.is_empty() {
                    self.thought_emitted = true;
                    f(Step::Thought(delta));
                }
            }
            Ev::ReasoningPartStart => {
                if self.thought_emitted {
                    f(Step::Thought("\n\n"));
                }
            }
            Ev::CallStart {
                item_id,
                call_id,
                name,
                ..
            } => {
                if self.find(item_id, call_id).is_none() {
                    self.calls.push(CallAcc {
                        item_id: item_id.to_owned(),
                        call_id: call_id.to_owned(),
                        name: name.to_owned(),
                        arguments: String::new(),
                        done: false,
                    });
                }
            }
            Ev::CallDelta { item_id, delta } => {
                if let Some(i) = self.find(item_id, "") {
                    self.calls[i].arguments.push_str(delta);
                }
            }
            Ev::CallDone {
                item_id,
                call_id,
                name,
                arguments,
                ..
            } => {
                let i = match self.find(item_id, call_id) {
                    Some(i) => i,
                    None => {
                        self.calls.push(CallAcc {
                            item_id: item_id.to_owned(),
                            call_id: call_id.to_owned(),
                            name: String::new(),
                            arguments: String::new(),
                            done: false,
                        });
                        self.calls.len() - 1
                    }
                };
                let call = &mut self.calls[i];
                if call.done {
                    return;
                }
                call.done = true;
                if !arguments.is_empty() {
                    call.arguments = arguments.into_owned();
                }
                if call.name.is_empty() {
                    call.name = name.to_owned();
                }
                if call.call_id.is_empty() {
                    call.call_id = if call_id.is_empty() {
                        call.item_id.clone()
                    } else {
                        call_id.to_owned()
                    };
                }
                self.emitted = true;
                self.calls_made += 1;
                let call = &self.calls[i];
                f(Step::Call {
                    call_id: &call.call_id,
                    name: &call.name,
                    arguments: &call.arguments,
                });
            }
            Ev::ImageDone { result, .. } => {
                self.emitted = true;
                self.calls_made += 1;
                f(Step::Image { result });
            }
            Ev::Completed { usage } => {
                let finish = if self.calls_made > 0 {
                    Finish::ToolCalls
                } else {
                    Finish::Stop
                };
                self.end(usage, finish, f);
            }
            Ev::Incomplete { usage, reason } => {
                let finish = if reason == Some("content_filter") {
                    Finish::ContentFilter
                } else {
                    Finish::Length
                };
                self.end(usage, finish, f);
            }
            Ev::Failed { code, message } => {
                self.ended = true;
                f(Step::Fail(event_error_to_reply(&code, &message)));
            }
            Ev::Ignore => {}
        }
    }

    /// End of the upstream body: a turn without a terminal event fails (withheld text is
    /// flushed first so nothing the model said is lost).
    pub(crate) fn finish(&mut self, f: &mut dyn FnMut(Step<'_>)) {
        if self.ended {
            return;
        }
        self.flush_tuple(f);
        self.ended = true;
        let message = if !self.emitted && self.thought_emitted {
            "Upstream closed stream after reasoning without producing output (likely hit response-duration cap)"
        } else {
            "Upstream closed stream without a terminal event"
        };
        f(Step::Fail(ErrorReply::new(
            504,
            ErrorKind::PrematureClose,
            message,
            Some("stream_disconnected"),
        )));
    }

    /// The transport failed mid-stream.
    pub(crate) fn fail(&mut self, err: &UpstreamFailure, f: &mut dyn FnMut(Step<'_>)) {
        if self.ended {
            return;
        }
        self.ended = true;
        f(Step::Fail(ErrorReply::new(
            502,
            ErrorKind::Upstream,
            err.message.clone(),
            Some(err.code),
        )));
    }

    fn end(&mut self, usage: Option<TokenUsage>, finish: Finish, f: &mut dyn FnMut(Step<'_>)) {
        self.flush_tuple(f);
        self.ended = true;
        f(Step::Done { usage, finish });
    }

    fn text(&mut self, item_id: &str, delta: &str, f: &mut dyn FnMut(Step<'_>)) {
        let new_item = !item_id.is_empty() && !self.text_items.iter().any(|i| i == item_id);
        let separate = new_item && !self.text_items.is_empty();
        if new_item {
            self.text_items.push(item_id.to_owned());
        }
        if let Some(buf) = &mut self.tuple_buf {
            buf.push_str(delta);
            return;
        }
        if separate && self.emitted {
            f(Step::Text(Cow::Borrowed("\n\n")));
        }
        if !delta.is_empty() {
            self.emitted = true;
            f(Step::Text(Cow::Borrowed(delta)));
        }
    }

    fn flush_tuple(&mut self, f: &mut dyn FnMut(Step<'_>)) {
        let Some(buf) = self.tuple_buf.take() else {
            return;
        };
        if buf.is_empty() {
            return;
        }
        let text = match &self.tuple_schema {
            Some(schema) => reconvert_output(&buf, schema),
            None => buf,
        };
        self.emitted = true;
        f(Step::Text(Cow::Owned(text)));
    }

    fn find(&self, item_id: &str, call_id: &str) -> Option<usize> {
        self.calls.iter().position(|c| {
            (!item_id.is_empty() && c.item_id == item_id)
                || (!call_id.is_empty() && c.call_id == call_id)
        })
    }
}
