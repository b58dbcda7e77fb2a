//! Streaming: upstream events in, Ollama NDJSON lines out (`/api/chat` message lines or
//! `/api/generate` response lines), ending with one `done: true` line or an `{"error"}` line.

use std::borrow::Cow;

use codex_proxy_schema::ollama::{ChatResponse, GenerateResponse, OutMessage, ToolCall};
use codex_proxy_schema::responses::ResponsesEvent;

use super::{OllamaContext, OllamaMode, done_stats, tool_call, write_error};
use crate::openai_chat::EMPTY_RESPONSE_TEXT;
use crate::turn::{Step, Turn};
use crate::upstream::UpstreamFailure;

/// The NDJSON state machine for one response: [`push`](Self::push) every upstream event, then
/// [`finish`](Self::finish) (or [`fail`](Self::fail)); each call appends lines to `out`.
#[derive(Debug)]
pub struct OllamaStream {
    turn: Turn,
    render: Render,
}

#[derive(Debug)]
struct Render {
    ctx: OllamaContext,
    emitted: bool,
    calls: usize,
    closed: bool,
}

impl OllamaStream {
    /// A stream for one response.
    pub fn new(ctx: OllamaContext) -> Self {
        OllamaStream {
            turn: Turn::new(ctx.tuple_schema.clone()),
            render: Render {
                ctx,
                emitted: false,
                calls: 0,
                closed: false,
            },
        }
    }

    /// Translate one upstream event.
    pub fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        let render = &mut self.render;
        self.turn.push(ev, &mut |step| render.step(step, out));
    }

    /// End of the upstream body: a truncated stream ends with an error line.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let render = &mut self.render;
        self.turn.finish(&mut |step| render.step(step, out));
    }

    /// The upstream transport failed mid-stream: an error line.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        let render = &mut self.render;
        self.turn.fail(err, &mut |step| render.step(step, out));
    }

    /// Whether the final line (or an error line) was written.
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
                self.line(text, None, None, None, out);
            }
            Step::Thought(text) => self.line(
                Cow::Borrowed(""),
                Some(Cow::Borrowed(text)),
                None,
                None,
                out,
            ),
            Step::Signature(_) | Step::Image { .. } => {}
            Step::Call {
                call_id,
                name,
                arguments,
            } => {
                self.emitted = true;
                let call = tool_call(call_id, name, arguments, self.calls);
                self.calls += 1;
                self.line(Cow::Borrowed(""), None, Some(vec![call]), None, out);
            }
            Step::Done { usage, finish } => {
                if !self.emitted {
                    self.line(Cow::Borrowed(EMPTY_RESPONSE_TEXT), None, None, None, out);
                }
                let stats = done_stats(usage, finish);
                self.line(Cow::Borrowed(""), None, None, Some(stats), out);
                self.closed = true;
            }
            Step::Fail(reply) => {
                write_error(&reply, out);
                out.push(b'\n');
                self.closed = true;
            }
        }
    }

    fn line(
        &self,
        content: Cow<'_, str>,
        thinking: Option<Cow<'_, str>>,
        tool_calls: Option<Vec<ToolCall>>,
        stats: Option<codex_proxy_schema::ollama::DoneStats>,
        out: &mut Vec<u8>,
    ) {
        let model = Cow::Borrowed(self.ctx.model.as_str());
        let created_at = Cow::Borrowed(self.ctx.created_at.as_str());
        let done = stats.is_some();
        // Serializing strings, numbers and JSON values into a Vec cannot fail.
        let _ = match self.ctx.mode {
            OllamaMode::Chat => serde_json::to_writer(
                &mut *out,
                &ChatResponse {
                    model,
                    created_at,
                    message: OutMessage {
                        role: "assistant",
                        content,
                        thinking,
                        tool_calls,
                    },
                    done,
                    stats,
                },
            ),
            OllamaMode::Generate => serde_json::to_writer(
                &mut *out,
                &GenerateResponse {
                    model,
                    created_at,
                    response: content,
                    thinking,
                    done,
                    stats,
                },
            ),
        };
        out.push(b'\n');
    }
}
