//! Streaming: upstream events in, Gemini `GenerateContentResponse` chunks out, framed as SSE
//! (`?alt=sse`) or as one incrementally written JSON array (the REST default).

use std::borrow::Cow;

use codex_proxy_schema::gemini::{
    Candidate, CandidateContent, GenerateContentResponse, OutBlob, OutFunctionCall, OutPart,
};
use codex_proxy_schema::responses::ResponsesEvent;

use super::request::{GeminiContext, StreamFormat};
use super::{finish_reason, parse_args, signature, usage_metadata, write_error};
use crate::openai_chat::EMPTY_RESPONSE_TEXT;
use crate::reply::ErrorReply;
use crate::turn::{Step, Turn};
use crate::upstream::UpstreamFailure;

/// The streaming state machine for one response: [`push`](Self::push) every upstream event,
/// then [`finish`](Self::finish) at end of body (or [`fail`](Self::fail) on a transport error).
/// Each call appends client bytes to `out`.
#[derive(Debug)]
pub struct GeminiStream {
    turn: Turn,
    render: Render,
}

#[derive(Debug)]
struct Render {
    ctx: GeminiContext,
    /// Array mode: `[` written.
    opened: bool,
    /// Terminal chunk or error written (array closed).
    closed: bool,
    /// A visible part was written.
    emitted: bool,
    /// Signature waiting for the next part.
    pending_signature: Option<String>,
}

impl GeminiStream {
    /// A stream for one response.
    pub fn new(ctx: GeminiContext) -> Self {
        GeminiStream {
            turn: Turn::new(ctx.tuple_schema.clone()),
            render: Render {
                ctx,
                opened: false,
                closed: false,
                emitted: false,
                pending_signature: None,
            },
        }
    }

    /// Translate one upstream event.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        let render = &mut self.render;
        self.turn.push(ev, &mut |step| render.step(step, out));
    }

    /// End of the upstream body: a stream without a terminal event ends with an error element.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let render = &mut self.render;
        self.turn.finish(&mut |step| render.step(step, out));
        render.close(out);
    }

    /// The upstream transport failed mid-stream.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        let render = &mut self.render;
        self.turn.fail(err, &mut |step| render.step(step, out));
        render.close(out);
    }

    /// Whether the terminal chunk or an error has been written.
    pub fn is_terminated(&self) -> bool {
        self.render.closed
    }
}

impl Render {
    fn step(&mut self, step: Step<'_>, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        match step {
            Step::Text(text) => {
                self.emitted = true;
                let part = OutPart {
                    text: Some(text),
                    thought_signature: self.pending_signature.take().map(Cow::Owned),
                    ..OutPart::default()
                };
                self.chunk(vec![part], None, None, out);
            }
            Step::Thought(text) => {
                if self.ctx.include_thoughts {
                    let part = OutPart {
                        text: Some(Cow::Borrowed(text)),
                        thought: Some(true),
                        ..OutPart::default()
                    };
                    self.chunk(vec![part], None, None, out);
                }
            }
            Step::Signature(enc) => {
                if let Some(previous) = self.pending_signature.replace(signature::encode(enc)) {
                    let part = OutPart {
                        text: Some(Cow::Borrowed("")),
                        thought_signature: Some(Cow::Owned(previous)),
                        ..OutPart::default()
                    };
                    self.chunk(vec![part], None, None, out);
                }
            }
            Step::Call {
                call_id,
                name,
                arguments,
            } => {
                self.emitted = true;
                let part = OutPart {
                    function_call: Some(OutFunctionCall {
                        id: (!call_id.is_empty()).then_some(Cow::Borrowed(call_id)),
                        name: Cow::Borrowed(name),
                        args: parse_args(arguments),
                    }),
                    thought_signature: self.pending_signature.take().map(Cow::Owned),
                    ..OutPart::default()
                };
                self.chunk(vec![part], None, None, out);
            }
            Step::Image { result } => {
                self.emitted = true;
                let part = OutPart {
                    inline_data: Some(OutBlob {
                        mime_type: Cow::Borrowed("image/png"),
                        data: Cow::Borrowed(result),
                    }),
                    ..OutPart::default()
                };
                self.chunk(vec![part], None, None, out);
            }
            Step::Done { usage, finish } => {
                if !self.emitted {
                    let part = OutPart {
                        text: Some(Cow::Borrowed(EMPTY_RESPONSE_TEXT)),
                        ..OutPart::default()
                    };
                    self.chunk(vec![part], None, None, out);
                }
                let part = OutPart {
                    text: Some(Cow::Borrowed("")),
                    thought_signature: self.pending_signature.take().map(Cow::Owned),
                    ..OutPart::default()
                };
                let usage = usage_metadata(usage.unwrap_or_default());
                self.chunk(vec![part], Some(finish_reason(finish)), Some(usage), out);
                self.close(out);
            }
            Step::Fail(reply) => self.error(&reply, out),
        }
    }

    fn separator(&mut self, out: &mut Vec<u8>) {
        if self.ctx.format == StreamFormat::JsonArray {
            if self.opened {
                out.extend_from_slice(b",\r\n");
            } else {
                self.opened = true;
                out.push(b'[');
            }
        } else {
            out.extend_from_slice(b"data: ");
        }
    }

    fn terminator(&self, out: &mut Vec<u8>) {
        if self.ctx.format == StreamFormat::Sse {
            out.extend_from_slice(b"\n\n");
        }
    }

    fn chunk(
        &mut self,
        parts: Vec<OutPart<'_>>,
        finish: Option<&'static str>,
        usage: Option<codex_proxy_schema::gemini::UsageMetadata>,
        out: &mut Vec<u8>,
    ) {
        self.separator(out);
        let chunk = GenerateContentResponse {
            candidates: vec![Candidate {
                content: CandidateContent {
                    parts,
                    role: "model",
                },
                finish_reason: finish,
                index: 0,
            }],
            usage_metadata: usage,
            model_version: Cow::Borrowed(&self.ctx.model_version),
            response_id: Some(Cow::Borrowed(&self.ctx.response_id)),
        };
        // Serializing strings, numbers and JSON values into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &chunk);
        self.terminator(out);
    }

    fn error(&mut self, reply: &ErrorReply, out: &mut Vec<u8>) {
        self.separator(out);
        write_error(reply, out);
        self.terminator(out);
        self.close(out);
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.closed = true;
        if self.ctx.format == StreamFormat::JsonArray {
            if !self.opened {
                self.opened = true;
                out.push(b'[');
            }
            out.push(b']');
        }
    }
}
