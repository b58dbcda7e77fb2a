//! Non-streaming assembly: the same upstream events, collected into one `chat.completion`.

use codex_proxy_schema::openai::{
    AssistantMessage, ChatCompletion, Choice, CustomCall, FunctionCall, ToolCall,
};
use codex_proxy_schema::responses::ResponsesEvent;

use super::stream::image_arguments;
use super::usage::to_openai;
use crate::StreamContext;
use crate::event::{CallKind, Ev, TokenUsage, classify};
use crate::reply::{ErrorKind, ErrorReply};
use crate::structured::reconvert_output;
use crate::upstream::event_error_to_reply;

/// Collects a response for a non-streaming client. Push every event, then [`finish`].
///
/// [`finish`]: ChatCollector::finish
#[derive(Debug)]
pub struct ChatCollector {
    ctx: StreamContext,
    text: String,
    text_items: Vec<String>,
    reasoning: String,
    refusal: String,
    calls: Vec<PendingCall>,
    /// Calls in completion order (indices into `calls`).
    completed_calls: Vec<usize>,
    outcome: Outcome,
}

#[derive(Debug)]
struct PendingCall {
    item_id: String,
    call_id: String,
    name: String,
    kind: CallKind,
    arguments: String,
    done: bool,
}

#[derive(Debug)]
enum Outcome {
    Running,
    Finished {
        usage: Option<TokenUsage>,
        finish: Option<&'static str>,
    },
    Failed(ErrorReply),
}

impl ChatCollector {
    /// A collector for one response.
    pub fn new(ctx: StreamContext) -> Self {
        ChatCollector {
            ctx,
            text: String::new(),
            text_items: Vec::new(),
            reasoning: String::new(),
            refusal: String::new(),
            calls: Vec::new(),
            completed_calls: Vec::new(),
            outcome: Outcome::Running,
        }
    }

    /// Take in one upstream event. Events after a terminal one are ignored.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>) {
        if !matches!(self.outcome, Outcome::Running) {
            return;
        }
        match classify(ev) {
            Ev::Text { item_id, delta } => {
                self.begin_text(item_id);
                self.text.push_str(delta);
            }
            Ev::MessageDone { item_id, text } => {
                if !text.is_empty() && !self.text_items.iter().any(|i| i == item_id) {
                    self.begin_text(item_id);
                    self.text.push_str(&text);
                }
            }
            Ev::Refusal(delta) => self.refusal.push_str(delta),
            Ev::Reasoning(delta) => self.reasoning.push_str(delta),
            Ev::ReasoningPartStart => {
                if !self.reasoning.is_empty() {
                    self.reasoning.push_str("\n\n");
                }
            }
            Ev::CallStart {
                kind,
                item_id,
                call_id,
                name,
            } => {
                if self.find(item_id, call_id).is_none() {
                    self.calls.push(PendingCall {
                        item_id: item_id.to_owned(),
                        call_id: call_id.to_owned(),
                        name: name.to_owned(),
                        kind,
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
                kind,
                item_id,
                call_id,
                name,
                arguments,
            } => {
                let i = match self.find(item_id, call_id) {
                    Some(i) => i,
                    None => {
                        self.calls.push(PendingCall {
                            item_id: item_id.to_owned(),
                            call_id: call_id.to_owned(),
                            name: String::new(),
                            kind,
                            arguments: String::new(),
                            done: false,
                        });
                        self.calls.len() - 1
                    }
                };
                let call = &mut self.calls[i];
                if !call.done {
                    call.done = true;
                    if !arguments.is_empty() || call.arguments.is_empty() {
                        call.arguments = arguments.into_owned();
                    }
                    if call.name.is_empty() {
                        call.name = name.to_owned();
                    }
                    if call.call_id.is_empty() {
                        call.call_id = call_id.to_owned();
                    }
                    self.completed_calls.push(i);
                }
            }
            Ev::ImageDone {
                item_id,
                result,
                revised_prompt,
            } => {
                self.calls.push(PendingCall {
                    item_id: item_id.to_owned(),
                    call_id: item_id.to_owned(),
                    name: "image_generation".to_owned(),
                    kind: CallKind::Function,
                    arguments: image_arguments(result, revised_prompt),
                    done: true,
                });
                self.completed_calls.push(self.calls.len() - 1);
            }
            Ev::Completed { usage } => {
                self.outcome = Outcome::Finished {
                    usage,
                    finish: None,
                }
            }
            Ev::Incomplete { usage, reason } => {
                let finish = if reason == Some("content_filter") {
                    "content_filter"
                } else {
                    "length"
                };
                self.outcome = Outcome::Finished {
                    usage,
                    finish: Some(finish),
                };
            }
            Ev::Failed { code, message } => {
                self.outcome = Outcome::Failed(event_error_to_reply(&code, &message))
            }
            Ev::Ignore => {}
        }
    }

    /// The assembled completion, or the error to return instead.
    pub fn into_completion(self) -> Result<ChatCompletion, ErrorReply> {
        let (usage, finish) = match self.outcome {
            Outcome::Failed(reply) => return Err(reply),
            Outcome::Running => {
                let message = if self.text.is_empty()
                    && self.calls.is_empty()
                    && !self.reasoning.is_empty()
                {
                    "Upstream closed stream after reasoning without producing output (likely hit response-duration cap)"
                } else {
                    "Upstream closed stream without a terminal event"
                };
                return Err(ErrorReply::new(
                    504,
                    ErrorKind::PrematureClose,
                    message,
                    Some("stream_disconnected"),
                ));
            }
            Outcome::Finished { usage, finish } => (usage, finish),
        };
        let output_tokens = usage.map_or(0, |u| u.output);
        if self.text.is_empty()
            && self.refusal.is_empty()
            && self.completed_calls.is_empty()
            && output_tokens == 0
        {
            return Err(ErrorReply::new(
                502,
                ErrorKind::EmptyResponse,
                "Codex returned an empty response",
                Some("empty_response"),
            ));
        }
        let text = match &self.ctx.tuple_schema {
            Some(schema) if !self.text.is_empty() => reconvert_output(&self.text, schema),
            _ => self.text,
        };
        let cursor = self.ctx.cursor_mode;
        let tool_calls: Vec<ToolCall> = self
            .completed_calls
            .iter()
            .filter_map(|&i| self.calls.get(i))
            .map(|c| {
                let id = Some(if c.call_id.is_empty() {
                    c.item_id.clone()
                } else {
                    c.call_id.clone()
                });
                if c.kind == CallKind::Custom && !cursor {
                    ToolCall {
                        id,
                        kind: Some("custom".into()),
                        function: None,
                        custom: Some(CustomCall {
                            name: c.name.clone(),
                            input: c.arguments.clone(),
                        }),
                    }
                } else {
                    ToolCall {
                        id,
                        kind: Some("function".into()),
                        function: Some(FunctionCall {
                            name: c.name.clone(),
                            arguments: c.arguments.clone(),
                        }),
                        custom: None,
                    }
                }
            })
            .collect();
        let finish = finish.unwrap_or(if tool_calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        });
        Ok(ChatCompletion {
            id: self.ctx.id,
            object: "chat.completion".to_owned(),
            created: self.ctx.created,
            model: self.ctx.model,
            choices: vec![Choice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant".to_owned(),
                    content: (!text.is_empty()).then_some(text),
                    reasoning_content: (!self.reasoning.is_empty()).then_some(self.reasoning),
                    refusal: (!self.refusal.is_empty()).then_some(self.refusal),
                    tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                },
                finish_reason: Some(finish.to_owned()),
            }],
            usage: Some(to_openai(&usage.unwrap_or_default())),
        })
    }

    /// The assembled completion as JSON bytes, or the error to return instead.
    pub fn finish(self) -> Result<Vec<u8>, ErrorReply> {
        let completion = self.into_completion()?;
        serde_json::to_vec(&completion).map_err(|e| {
            ErrorReply::new(
                500,
                ErrorKind::Upstream,
                format!("cannot encode completion: {e}"),
                None,
            )
        })
    }

    /// Track message items; text of a later item is separated from earlier text by a blank line.
    fn begin_text(&mut self, item_id: &str) {
        if self.text_items.last().is_some_and(|last| last == item_id)
            || self.text_items.iter().any(|i| i == item_id)
        {
            return;
        }
        if !self.text_items.is_empty() && !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
        self.text_items.push(item_id.to_owned());
    }

    fn find(&self, item_id: &str, call_id: &str) -> Option<usize> {
        self.calls.iter().position(|c| {
            (!item_id.is_empty() && c.item_id == item_id)
                || (!call_id.is_empty() && c.call_id == call_id)
        })
    }
}
