//! Gemini `generateContent` ⇄ Codex Responses (translation spec §5).
//!
//! * [`request_to_responses`]: URL model + body → a Codex request ([`GeminiTranslated`]).
//! * [`GeminiStream`]: upstream events → chunks, as SSE (`?alt=sse`) or a JSON array
//!   ([`StreamFormat`]); [`GeminiSseTranslator`] adds the SSE decoder in front.
//! * [`GeminiCollector`] / [`GeminiSseCollector`]: one non-streamed response.
//! * [`to_gemini_error`] / [`gemini_status`]: an [`ErrorReply`] as `{error:{code,message,status}}`.
//!
//! Deliberate improvements over the reference (spec §13): call ids are counted per request and
//! responses pair by `functionResponse.id` or by name across turns (no `fc_0` restart), output
//! `functionCall`s carry the Codex call id, schema type names are lowercased, `fileData` and
//! non-image `inlineData` are forwarded, reasoning summaries become `thought: true` parts when
//! `includeThoughts` is set, reasoning travels as `thoughtSignature` and returns as a reasoning
//! item, `response.incomplete` maps to `MAX_TOKENS` / `SAFETY`, usage reports
//! `thoughtsTokenCount`, mid-stream failures and truncated streams end with an error element.

mod collect;
mod pipe;
mod request;
mod schema;
mod signature;
mod stream;

use codex_proxy_schema::gemini::{ErrorBody, ErrorResponse, UsageMetadata};
use serde_json::{Map, Value};

pub use collect::GeminiCollector;
pub use pipe::{GeminiSseCollector, GeminiSseTranslator};
pub use request::{GeminiContext, GeminiTranslated, StreamFormat, request_to_responses};
pub use stream::GeminiStream;

use crate::event::TokenUsage;
use crate::reply::ErrorReply;
use crate::turn::Finish;

/// The gRPC status name Gemini uses for an HTTP status.
pub fn gemini_status(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// `reply` as a Gemini error body.
pub fn to_gemini_error(reply: &ErrorReply) -> ErrorResponse {
    ErrorResponse {
        error: ErrorBody {
            code: reply.status,
            message: reply.message.clone(),
            status: gemini_status(reply.status).to_owned(),
        },
    }
}

/// `reply` as Gemini error body bytes.
pub fn to_gemini_error_body(reply: &ErrorReply) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + reply.message.len());
    write_error(reply, &mut out);
    out
}

pub(crate) fn write_error(reply: &ErrorReply, out: &mut Vec<u8>) {
    // Serializing strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &to_gemini_error(reply));
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop | Finish::ToolCalls => "STOP",
        Finish::Length => "MAX_TOKENS",
        Finish::ContentFilter => "SAFETY",
    }
}

/// Gemini usage: candidates exclude thoughts; total counts everything.
fn usage_metadata(u: TokenUsage) -> UsageMetadata {
    let thoughts = u.reasoning.filter(|r| *r > 0);
    UsageMetadata {
        prompt_token_count: u.input,
        candidates_token_count: u.output.saturating_sub(thoughts.unwrap_or(0)),
        total_token_count: u.input + u.output,
        cached_content_token_count: u.cached.filter(|c| *c > 0),
        thoughts_token_count: thoughts,
    }
}

/// Call arguments as an object (`{}` when unparsable or not an object).
fn parse_args(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests;
