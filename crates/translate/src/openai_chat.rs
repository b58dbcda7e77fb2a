//! OpenAI Chat Completions ⇄ Codex Responses.
//!
//! * [`request_to_responses`]: a `/v1/chat/completions` body → a Codex request.
//! * [`ChatStream`]: upstream events → `chat.completion.chunk` SSE bytes, ending with `[DONE]`.
//! * [`ChatCollector`]: upstream events → one `chat.completion` body (non-streaming clients).
//!
//! Deliberate improvements over the reference (translation spec §13): `n > 1` is rejected, an
//! upstream error or truncated stream ends with an OpenAI error object and `[DONE]`,
//! `response.incomplete` finishes with `length` / `content_filter`, `parallel_tool_calls` is
//! forwarded, `image_url.detail` is kept, and a tool call whose `.done` arrives without a start
//! still becomes a complete call at a fresh index.

mod collect;
mod normalize;
mod pipe;
mod request;
mod stream;
mod tools;
mod usage;

pub use collect::ChatCollector;
pub use pipe::{ChatSseCollector, ChatSseTranslator};
pub use request::request_to_responses;
pub use stream::ChatStream;

/// Text injected when the upstream completed without producing anything.
pub(crate) const EMPTY_RESPONSE_TEXT: &str =
    "[Error] Codex returned an empty response. Please retry.";

#[cfg(test)]
mod tests;
