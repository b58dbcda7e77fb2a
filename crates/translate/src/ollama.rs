//! Ollama API ⇄ Codex Responses (translation spec §6, config spec §12), translated directly
//! rather than through the chat-completions route.
//!
//! * [`chat_to_responses`] / [`generate_to_responses`]: `/api/chat` and `/api/generate` bodies.
//! * [`OllamaStream`] / [`OllamaSseTranslator`]: upstream events → NDJSON lines.
//! * [`OllamaCollector`] / [`OllamaSseCollector`]: one non-streamed reply.
//! * [`models`]: `/api/tags` and `/api/show` bodies, model family and context tables.
//! * [`to_ollama_error_body`]: `{"error": "..."}`.
//!
//! Deliberate improvements over the reference (spec §13.8): tool calls are streamed as soon as
//! they complete (with their call id, arguments as objects), the final `done: true` line has
//! `content: ""` like real Ollama, `response.incomplete` gives `done_reason: "length"`, and
//! upstream failures mid-stream end with an `{"error"}` line instead of a normal finish.

mod collect;
pub mod models;
mod pipe;
mod request;
mod stream;

use codex_proxy_schema::ollama::{DoneStats, ErrorResponse, ToolCall, ToolCallFunction};
use serde_json::{Map, Value};

pub use collect::OllamaCollector;
pub use pipe::{OllamaSseCollector, OllamaSseTranslator};
pub use request::{chat_to_responses, generate_to_responses};
pub use stream::OllamaStream;

use crate::Translated;
use crate::event::TokenUsage;
use crate::reply::ErrorReply;
use crate::turn::Finish;

/// Which endpoint's reply shape to produce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OllamaMode {
    /// `/api/chat`: `message: {role, content, thinking?, tool_calls?}`.
    #[default]
    Chat,
    /// `/api/generate`: `response`, `thinking?`.
    Generate,
}

/// Per-response context of an Ollama stream or collector.
#[derive(Debug, Clone, Default)]
pub struct OllamaContext {
    /// Model name as the client sent it.
    pub model: String,
    /// RFC 3339 time stamped on every line (see [`models::rfc3339`]).
    pub created_at: String,
    /// Reply shape.
    pub mode: OllamaMode,
    /// Original tuple schema (output text converted back).
    pub tuple_schema: Option<Value>,
}

impl OllamaContext {
    /// The context for a translated request.
    pub fn for_request(t: &Translated, created_at: String, mode: OllamaMode) -> Self {
        OllamaContext {
            model: t.client_model.clone(),
            created_at,
            mode,
            tuple_schema: t.tuple_schema.clone(),
        }
    }
}

/// `reply` as Ollama's `{"error": message}` body.
pub fn to_ollama_error_body(reply: &ErrorReply) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + reply.message.len());
    write_error(reply, &mut out);
    out
}

fn write_error(reply: &ErrorReply, out: &mut Vec<u8>) {
    // Serializing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(
        &mut *out,
        &ErrorResponse {
            error: reply.message.clone(),
        },
    );
}

fn done_stats(usage: Option<TokenUsage>, finish: Finish) -> DoneStats {
    let usage = usage.unwrap_or_default();
    DoneStats {
        done_reason: match finish {
            Finish::Stop | Finish::ContentFilter => "stop",
            Finish::ToolCalls => "tool_calls",
            Finish::Length => "length",
        },
        prompt_eval_count: usage.input,
        eval_count: usage.output,
        ..DoneStats::default()
    }
}

/// A completed call with its arguments as an object (`{}` when not an object).
fn tool_call(call_id: &str, name: &str, arguments: &str, index: usize) -> ToolCall {
    let arguments = match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(Map::new()),
    };
    ToolCall {
        id: (!call_id.is_empty()).then(|| call_id.to_owned()),
        function: ToolCallFunction {
            index: u32::try_from(index).ok(),
            name: name.to_owned(),
            arguments,
        },
    }
}

#[cfg(test)]
mod tests;
