//! Non-streaming: the same upstream events collected into one `GenerateContentResponse`.

use std::borrow::Cow;

use codex_proxy_schema::gemini::{
    Candidate, CandidateContent, GenerateContentResponse, OutBlob, OutFunctionCall, OutPart,
};
use codex_proxy_schema::responses::ResponsesEvent;
use serde_json::Value;

use super::request::GeminiContext;
use super::{finish_reason, parse_args, signature, usage_metadata};
use crate::event::TokenUsage;
use crate::reply::{ErrorKind, ErrorReply};
use crate::turn::{Finish, Step, Turn};

/// Collects one response for a non-streaming client: [`push`](Self::push) every event, then
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct GeminiCollector {
    ctx: GeminiContext,
    turn: Turn,
    acc: Acc,
}

#[derive(Debug, Default)]
struct Acc {
    parts: Vec<PartAcc>,
    pending_signature: Option<String>,
    outcome: Option<Result<(Option<TokenUsage>, Finish), ErrorReply>>,
}

#[derive(Debug)]
enum PartAcc {
    Text(String, Option<String>),
    Thought(String),
    Call {
        id: String,
        name: String,
        args: Value,
        signature: Option<String>,
    },
    Image(String),
}

impl GeminiCollector {
    /// A collector for one response.
    pub fn new(ctx: GeminiContext) -> Self {
        GeminiCollector {
            turn: Turn::new(ctx.tuple_schema.clone()),
            ctx,
            acc: Acc::default(),
        }
    }

    /// Take in one upstream event.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>) {
        let include_thoughts = self.ctx.include_thoughts;
        let acc = &mut self.acc;
        self.turn
            .push(ev, &mut |step| acc.step(step, include_thoughts));
    }

    /// The response JSON, or the error to return instead.
    pub fn finish(mut self) -> Result<Vec<u8>, ErrorReply> {
        let include_thoughts = self.ctx.include_thoughts;
        let acc = &mut self.acc;
        self.turn
            .finish(&mut |step| acc.step(step, include_thoughts));
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
        let visible = self
            .acc
            .parts
            .iter()
            .any(|p| !matches!(p, PartAcc::Thought(_)));
        if !visible && usage.is_none_or(|u| u.output == 0) {
            return Err(ErrorReply::new(
                502,
                ErrorKind::EmptyResponse,
                "Codex returned an empty response",
                Some("empty_response"),
            ));
        }
        let mut parts: Vec<OutPart<'_>> = self.acc.parts.iter().map(PartAcc::render).collect();
        if let Some(sig) = self.acc.pending_signature.take() {
            parts.push(OutPart {
                text: Some(Cow::Borrowed("")),
                thought_signature: Some(Cow::Owned(sig)),
                ..OutPart::default()
            });
        }
        if parts.is_empty() {
            parts.push(OutPart {
                text: Some(Cow::Borrowed("")),
                ..OutPart::default()
            });
        }
        let body = GenerateContentResponse {
            candidates: vec![Candidate {
                content: CandidateContent {
                    parts,
                    role: "model",
                },
                finish_reason: Some(finish_reason(finish)),
                index: 0,
            }],
            usage_metadata: Some(usage_metadata(usage.unwrap_or_default())),
            model_version: Cow::Borrowed(&self.ctx.model_version),
            response_id: Some(Cow::Borrowed(&self.ctx.response_id)),
        };
        serde_json::to_vec(&body).map_err(|e| {
            ErrorReply::new(
                500,
                ErrorKind::Upstream,
                format!("cannot encode response: {e}"),
                None,
            )
        })
    }
}

impl Acc {
    fn step(&mut self, step: Step<'_>, include_thoughts: bool) {
        match step {
            Step::Text(text) => match self.parts.last_mut() {
                Some(PartAcc::Text(buf, _)) => buf.push_str(&text),
                _ => {
                    let sig = self.pending_signature.take();
                    self.parts.push(PartAcc::Text(text.into_owned(), sig));
                }
            },
            Step::Thought(text) => {
                if include_thoughts {
                    match self.parts.last_mut() {
                        Some(PartAcc::Thought(buf)) => buf.push_str(text),
                        _ => self.parts.push(PartAcc::Thought(text.to_owned())),
                    }
                }
            }
            Step::Signature(enc) => {
                if let Some(previous) = self.pending_signature.replace(signature::encode(enc)) {
                    self.parts
                        .push(PartAcc::Text(String::new(), Some(previous)));
                }
            }
            Step::Call {
                call_id,
                name,
                arguments,
            } => self.parts.push(PartAcc::Call {
                id: call_id.to_owned(),
                name: name.to_owned(),
                args: parse_args(arguments),
                signature: self.pending_signature.take(),
            }),
            Step::Image { result } => self.parts.push(PartAcc::Image(result.to_owned())),
            Step::Done { usage, finish } => self.outcome = Some(Ok((usage, finish))),
            Step::Fail(reply) => self.outcome = Some(Err(reply)),
        }
    }
}

impl PartAcc {
    fn render(&self) -> OutPart<'_> {
        match self {
            PartAcc::Text(text, sig) => OutPart {
                text: Some(Cow::Borrowed(text)),
                thought_signature: sig.as_deref().map(Cow::Borrowed),
                ..OutPart::default()
            },
            PartAcc::Thought(text) => OutPart {
                text: Some(Cow::Borrowed(text)),
                thought: Some(true),
                ..OutPart::default()
            },
            PartAcc::Call {
                id,
                name,
                args,
                signature,
            } => OutPart {
                function_call: Some(OutFunctionCall {
                    id: (!id.is_empty()).then_some(Cow::Borrowed(id)),
                    name: Cow::Borrowed(name),
                    args: args.clone(),
                }),
                thought_signature: signature.as_deref().map(Cow::Borrowed),
                ..OutPart::default()
            },
            PartAcc::Image(data) => OutPart {
                inline_data: Some(OutBlob {
                    mime_type: Cow::Borrowed("image/png"),
                    data: Cow::Borrowed(data),
                }),
                ..OutPart::default()
            },
        }
    }
}
