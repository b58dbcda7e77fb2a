//! Non-streaming: the same upstream events collected into one `done: true` reply.

use std::borrow::Cow;

use codex_proxy_schema::ollama::{ChatResponse, GenerateResponse, OutMessage, ToolCall};
use codex_proxy_schema::responses::ResponsesEvent;

use super::{OllamaContext, OllamaMode, done_stats, tool_call};
use crate::event::TokenUsage;
use crate::reply::{ErrorKind, ErrorReply};
use crate::turn::{Finish, Step, Turn};

/// Collects one response: [`push`](Self::push) every event, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct OllamaCollector {
    ctx: OllamaContext,
    turn: Turn,
    acc: Acc,
}

#[derive(Debug, Default)]
struct Acc {
    text: String,
    thinking: String,
    calls: Vec<ToolCall>,
    outcome: Option<Result<(Option<TokenUsage>, Finish), ErrorReply>>,
}

impl OllamaCollector {
    /// A collector for one response.
    pub fn new(ctx: OllamaContext) -> Self {
        OllamaCollector {
            turn: Turn::new(ctx.tuple_schema.clone()),
            ctx,
            acc: Acc::default(),
        }
    }

    /// Take in one upstream event.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>) {
        let acc = &mut self.acc;
        self.turn.push(ev, &mut |step| acc.step(step));
    }

    /// The reply JSON, or the error to return instead.
    pub fn finish(mut self) -> Result<Vec<u8>, ErrorReply> {
        let acc = &mut self.acc;
        self.turn.finish(&mut |step| acc.step(step));
        let (usage, finish) = match self.acc.outcome.take() {
            Some(Ok(done)) => done,
            Some(Err(reply)) => return Err(reply),
            None => {
                return Err(ErrorReply::new(
                    502,
                    ErrorKind::PrematureClose,
                    "Upstream closed stream without a terminal event",
                    Some("stream_disconnected"),
                ));
            }
        };
        if self.acc.text.is_empty()
            && self.acc.calls.is_empty()
            && usage.is_none_or(|u| u.output == 0)
        {
            return Err(ErrorReply::new(
                502,
                ErrorKind::EmptyResponse,
                "Codex returned an empty response",
                Some("empty_response"),
            ));
        }
        let stats = Some(done_stats(usage, finish));
        let model = Cow::Borrowed(self.ctx.model.as_str());
        let created_at = Cow::Borrowed(self.ctx.created_at.as_str());
        let thinking =
            (!self.acc.thinking.is_empty()).then_some(Cow::Borrowed(self.acc.thinking.as_str()));
        let content = Cow::Borrowed(self.acc.text.as_str());
        let encoded = match self.ctx.mode {
            OllamaMode::Chat => serde_json::to_vec(&ChatResponse {
                model,
                created_at,
                message: OutMessage {
                    role: "assistant",
                    content,
                    thinking,
                    tool_calls: (!self.acc.calls.is_empty()).then_some(self.acc.calls),
                },
                done: true,
                stats,
            }),
            OllamaMode::Generate => serde_json::to_vec(&GenerateResponse {
                model,
                created_at,
                response: content,
                thinking,
                done: true,
                stats,
            }),
        };
        encoded.map_err(|e| {
            ErrorReply::new(
                500,
                ErrorKind::Upstream,
                format!("cannot encode reply: {e}"),
                None,
            )
        })
    }
}

impl Acc {
    fn step(&mut self, step: Step<'_>) {
        match step {
            Step::Text(text) => self.text.push_str(&text),
            Step::Thought(text) => self.thinking.push_str(text),
            Step::Call {
                call_id,
                name,
                arguments,
            } => {
                let call = tool_call(call_id, name, arguments, self.calls.len());
                self.calls.push(call);
            }
            Step::Signature(_) | Step::Image { .. } => {}
            Step::Done { usage, finish } => self.outcome = Some(Ok((usage, finish))),
            Step::Fail(reply) => self.outcome = Some(Err(reply)),
        }
    }
}
