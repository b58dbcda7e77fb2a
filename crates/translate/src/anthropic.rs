//! Anthropic Messages ⇄ Codex Responses (translation spec §4, §9–§13).
//!
//! * [`request_to_responses`]: a `/v1/messages` body → a Codex request ([`Translated`]).
//! * [`AnthropicStream`]: upstream events → Anthropic SSE (`message_start` … `message_stop`),
//!   with [`AnthropicStream::ping`] for the gateway's idle keep-alive.
//! * [`AnthropicCollector`]: upstream events → one `message` body (non-streaming clients).
//! * [`AnthropicSseTranslator`] / [`AnthropicSseCollector`]: the same fed raw upstream bytes.
//! * [`count_tokens`]: `/v1/messages/count_tokens` with the o200k_base tokenizer.
//! * [`error_type`] / [`to_error_body`]: an [`ErrorReply`](crate::ErrorReply) in Anthropic shape.
//!
//! Deliberate improvements over the reference (spec §13): block order is preserved inside a
//! message; URL images and documents are forwarded; `thinking` blocks round-trip the encrypted
//! reasoning through their `signature` (see [`signature`]); `tool_choice: none` is accepted and
//! `disable_parallel_tool_use` becomes `parallel_tool_calls: false`; `claude-*` names resolve by
//! tier through the aliases and the reply echoes the client's model name; the stream carries
//! `signature_delta`, `max_tokens` / `refusal` stop reasons, `ping`, and ends with an
//! `event: error` frame (never silently) when the upstream fails or is cut.
//!
//! [`Translated`]: crate::Translated

mod blocks;
mod collect;
mod count;
mod error_body;
mod model;
mod pipe;
mod request;
pub mod signature;
mod stream;
mod tools;
mod usage;

pub use collect::AnthropicCollector;
pub use count::{count_tokens, count_tokens_request};
pub use error_body::{error_type, to_error_body};
pub use model::resolve_anthropic_model;
pub use pipe::{AnthropicSseCollector, AnthropicSseTranslator};
pub use request::{AnthropicContext, request_to_responses};
pub use stream::AnthropicStream;

/// Text injected when the upstream completed without producing anything.
pub(crate) const EMPTY_RESPONSE_TEXT: &str =
    "[Error] Codex returned an empty response. Please retry.";

#[cfg(test)]
mod tests;
