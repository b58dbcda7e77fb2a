//! Non-streaming assembly: the same upstream events, collected into one `message` body.
//! Blocks come out in the order the stream would have opened them.

use std::borrow::Cow;

use codex_proxy_schema::anthropic::{Message, ResponseBlock};
use codex_proxy_schema::responses::{OutputItem, ResponsesEvent};
use serde_json::value::RawValue;

use super::stream::sanitize_read;
use super::usage::to_anthropic;
use super::{AnthropicContext, signature};
use crate::event::{CallKind, Ev, TokenUsage, classify};
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::event_error_to_reply;

/// Collects a response for a non-streaming client. Push every event, then [`finish`].
///
/// [`finish`]: AnthropicCollector::finish
#[derive(Debug)]
pub struct AnthropicCollector {
    ctx: AnthropicContext,
    blocks: Vec<Block>,
    text_items: Vec<String>,
    outcome: Outcome,
    refusal: bool,
    has_calls: bool,
}

#[derive(Debug)]
enum Block {
    Text(String),
    Thinking {
        text: String,
        signature: String,
        closed: bool,
    },
    Redacted(String),
    Tool {
        item_id: String,
        call_id: String,
        name: String,
        kind: CallKind,
        arguments: String,
        done: bool,
    },
}

#[derive(Debug)]
enum Outcome {
    Running,
    Finished {
        usage: Option<TokenUsage>,
        stop: Option<&'static str>,
    },
    Failed(ErrorReply),
}

impl AnthropicCollector {
    /// A collector for one response.
    pub fn new(ctx: AnthropicContext) -> Self {
        AnthropicCollector {
            ctx,
            blocks: Vec::new(),
            text_items: Vec::new(),
            outcome: Outcome::Running,
            refusal: false,
            has_calls: false,
        }
    }

    /// Take in one upstream event. Events after a terminal one are ignored.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>) {
        if !matches!(self.outcome, Outcome::Running) {
            return;
        }
        if let ResponsesEvent::OutputItemDone(done) = ev
            && let Some(OutputItem::Reasoning(item)) = &done.item
        {
            if self.ctx.want_reasoning {
                let sig = item
                    .encrypted_content
                    .as_deref()
                    .filter(|e| !e.is_empty())
                    .map(signature::encode);
                match self.blocks.last_mut() {
                    Some(Block::Thinking {
                        signature, closed, ..
                    }) if !*closed => {
                        *signature = sig.unwrap_or_default();
                        *closed = true;
                    }
                    _ => {
                        let text: Vec<&str> =
                            item.summary.iter().map(|p| p.text.as_ref()).collect();
                        let text = text.join("\n\n");
                        match (text.is_empty(), sig) {
                            (false, sig) => self.blocks.push(Block::Thinking {
                                text,
                                signature: sig.unwrap_or_default(),
                                closed: true,
                            }),
                            (true, Some(sig)) => self.blocks.push(Block::Redacted(sig)),
                            (true, None) => {}
                        }
                    }
                }
            }
            return;
        }
        match classify(ev) {
            Ev::Text { item_id, delta } => self.text(item_id, delta),
            Ev::Refusal(delta) => {
                self.refusal = true;
                self.text("", delta);
            }
            Ev::MessageDone { item_id, text } => {
                if !text.is_empty() && !self.text_items.iter().any(|i| i == item_id) {
                    self.text(item_id, &text);
                }
            }
            Ev::Reasoning(delta) => {
                if self.ctx.want_reasoning && !delta.is_empty() {
                    match self.blocks.last_mut() {
                        Some(Block::Thinking {
                            text,
                            closed: false,
                            ..
                        }) => text.push_str(delta),
                        _ => self.blocks.push(Block::Thinking {
                            text: delta.to_owned(),
                            signature: String::new(),
                            closed: false,
                        }),
                    }
                }
            }
            Ev::ReasoningPartStart => {
                if let Some(Block::Thinking {
                    text,
                    closed: false,
                    ..
                }) = self.blocks.last_mut()
                    && !text.is_empty()
                {
                    text.push_str("\n\n");
                }
            }
            Ev::CallStart {
                kind,
                item_id,
                call_id,
                name,
            } => {
                if self.find(item_id, call_id).is_none() {
                    self.push_tool(kind, item_id, call_id, name);
                }
            }
            Ev::CallDelta { item_id, delta } => {
                if let Some(i) = self.find(item_id, "")
                    && let Block::Tool { arguments, .. } = &mut self.blocks[i]
                {
                    arguments.push_str(delta);
                }
            }
            Ev::CallDone {
                kind,
                item_id,
                call_id,
                name: done_name,
                arguments: done_args,
            } => {
                let i = match self.find(item_id, call_id) {
                    Some(i) => i,
                    None => {
                        self.push_tool(kind, item_id, call_id, done_name);
                        self.blocks.len() - 1
                    }
                };
                if let Block::Tool {
                    name,
                    arguments,
                    done,
                    ..
                } = &mut self.blocks[i]
                    && !*done
                {
                    *done = true;
                    if !done_args.is_empty() {
                        *arguments = done_args.into_owned();
                    }
                    if name.is_empty() {
                        *name = done_name.to_owned();
                    }
                }
            }
            Ev::ImageDone {
                item_id,
                result,
                revised_prompt,
            } => {
                self.has_calls = true;
                self.blocks.push(Block::Tool {
                    item_id: item_id.to_owned(),
                    call_id: item_id.to_owned(),
                    name: "image_generation".to_owned(),
                    kind: CallKind::Function,
                    arguments:
                        serde_json::json!({"result": result, "revised_prompt": revised_prompt})
                            .to_string(),
                    done: true,
                });
            }
            Ev::Completed { usage } => self.outcome = Outcome::Finished { usage, stop: None },
            Ev::Incomplete { usage, reason } => {
                let stop = match reason {
                    Some("content_filter") => "refusal",
                    Some("max_output_tokens") | None => "max_tokens",
                    Some(_) => "pause_turn",
                };
                self.outcome = Outcome::Finished {
                    usage,
                    stop: Some(stop),
                };
            }
            Ev::Failed { code, message } => {
                self.outcome = Outcome::Failed(event_error_to_reply(&code, &message))
            }
            Ev::Ignore => {}
        }
    }

    /// The assembled message as JSON bytes, or the error to return instead: an upstream error
    /// event, an empty answer (retryable), or a stream cut before its terminal event.
    pub fn finish(self) -> Result<Vec<u8>, ErrorReply> {
        let (usage, stop) = match self.outcome {
            Outcome::Failed(reply) => return Err(reply),
            Outcome::Running if self.blocks.is_empty() => {
                return Err(ErrorReply::new(
                    502,
                    ErrorKind::EmptyResponse,
                    "Codex returned an empty response",
                    Some("empty_response"),
                ));
            }
            Outcome::Running => {
                return Err(ErrorReply::new(
                    502,
                    ErrorKind::PrematureClose,
                    "Upstream closed stream without a terminal event",
                    Some("stream_disconnected"),
                ));
            }
            Outcome::Finished { usage, stop } => (usage, stop),
        };
        let visible = self
            .blocks
            .iter()
            .any(|b| !matches!(b, Block::Thinking { .. } | Block::Redacted(_)));
        if !visible && usage.is_none_or(|u| u.output == 0) {
            return Err(ErrorReply::new(
                502,
                ErrorKind::EmptyResponse,
                "Codex returned an empty response",
                Some("empty_response"),
            ));
        }
        let mut inputs: Vec<Box<RawValue>> = Vec::new();
        for block in &self.blocks {
            if let Block::Tool {
                name,
                kind,
                arguments,
                ..
            } = block
            {
                inputs.push(tool_input(name, *kind, arguments));
            }
        }
        let mut inputs = inputs.iter();
        let mut content = Vec::with_capacity(self.blocks.len());
        let mut has_tools = self.has_calls;
        for block in &self.blocks {
            content.push(match block {
                Block::Text(text) => ResponseBlock::Text {
                    text: Cow::Borrowed(text),
                },
                Block::Thinking {
                    text, signature, ..
                } => ResponseBlock::Thinking {
                    thinking: Cow::Borrowed(text),
                    signature: Cow::Borrowed(signature),
                },
                Block::Redacted(data) => ResponseBlock::RedactedThinking {
                    data: Cow::Borrowed(data),
                },
                Block::Tool {
                    item_id,
                    call_id,
                    name,
                    ..
                } => {
                    has_tools = true;
                    let Some(input) = inputs.next() else { continue };
                    let id = if call_id.is_empty() { item_id } else { call_id };
                    ResponseBlock::ToolUse {
                        id: Cow::Borrowed(id),
                        name: Cow::Borrowed(name),
                        input,
                    }
                }
            });
        }
        if !visible {
            content.push(ResponseBlock::Text {
                text: Cow::Borrowed(""),
            });
        }
        let stop_reason = stop.unwrap_or(if self.refusal {
            "refusal"
        } else if has_tools {
            "tool_use"
        } else {
            "end_turn"
        });
        let message = Message {
            id: Cow::Borrowed(&self.ctx.id),
            kind: "message",
            role: "assistant",
            content,
            model: Cow::Borrowed(&self.ctx.model),
            stop_reason: Some(stop_reason),
            stop_sequence: None,
            usage: to_anthropic(usage.as_ref()),
        };
        serde_json::to_vec(&message).map_err(|e| {
            ErrorReply::new(
                500,
                ErrorKind::Upstream,
                format!("cannot encode message: {e}"),
                None,
            )
        })
    }

    fn text(&mut self, item_id: &str, delta: &str) {
        let new_item = !item_id.is_empty() && !self.text_items.iter().any(|i| i == item_id);
        if new_item {
            self.text_items.push(item_id.to_owned());
        }
        if delta.is_empty() {
            return;
        }
        match self.blocks.last_mut() {
            Some(Block::Text(text)) if !new_item || self.text_items.len() == 1 => {
                text.push_str(delta)
            }
            _ => self.blocks.push(Block::Text(delta.to_owned())),
        }
    }

    fn push_tool(&mut self, kind: CallKind, item_id: &str, call_id: &str, name: &str) {
        self.has_calls = true;
        if let Some(Block::Thinking { closed, .. }) = self.blocks.last_mut() {
            *closed = true;
        }
        self.blocks.push(Block::Tool {
            item_id: item_id.to_owned(),
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            kind,
            arguments: String::new(),
            done: false,
        });
    }

    fn find(&self, item_id: &str, call_id: &str) -> Option<usize> {
        self.blocks.iter().position(|b| match b {
            Block::Tool {
                item_id: i,
                call_id: c,
                ..
            } => (!item_id.is_empty() && i == item_id) || (!call_id.is_empty() && c == call_id),
            _ => false,
        })
    }
}

/// The tool input object: parsed arguments (`{}` when unparsable or not an object), `Read`
/// sanitised, custom-tool text wrapped as `{"input": text}`.
fn tool_input(name: &str, kind: CallKind, arguments: &str) -> Box<RawValue> {
    let text = if kind == CallKind::Custom {
        serde_json::json!({ "input": arguments }).to_string()
    } else if name == "Read" {
        sanitize_read(arguments)
    } else {
        arguments.to_owned()
    };
    let is_object =
        serde_json::from_str::<&RawValue>(&text).is_ok() && text.trim_start().starts_with('{');
    let text = if is_object { text } else { "{}".to_owned() };
    RawValue::from_string(text).unwrap_or_else(|_| RawValue::NULL.to_owned())
}
