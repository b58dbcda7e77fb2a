//! codex-proxy-translate: sans-I/O translation between client dialects and the Codex Responses
//! API. It maps client requests to Codex requests (model aliases and suffixes, reasoning effort,
//! service tier, tools, structured output), turns the upstream event stream into the client's
//! stream as a state machine fed one event at a time, assembles non-streamed answers from the
//! same events, and maps upstream errors to dialect-neutral [`ErrorReply`] values.
//!
//! It does no I/O: no sockets, files, clock, environment or logging. Ids and timestamps come in
//! through [`StreamContext`]; config comes in through [`RequestOptions`]. It knows nothing about
//! accounts or HTTP.
//!
//! Start reading at [`openai_chat`] (request mapping, [`openai_chat::ChatStream`],
//! [`openai_chat::ChatCollector`]), then `event.rs` (how upstream events are reduced) and
//! [`model`] (name resolution). The native Responses API (passthrough, compact, images via
//! the `image_generation` tool) is [`responses`].

pub mod anthropic;
mod context;
mod dialect;
mod error;
mod event;
mod frames;
pub mod gemini;
pub mod model;
pub mod ollama;
pub mod openai_chat;
mod options;
mod reply;
pub mod responses;
pub mod structured;
mod turn;
mod upstream;

pub use context::{StreamContext, Translated};
pub use error::TranslateError;
pub use model::{ResolvedModel, resolve_model};
pub use options::{ModelCatalog, RequestOptions, SystemPromptStrategy};
pub use reply::{ErrorKind, ErrorReply, to_openai_error_body};
pub use upstream::{UpstreamFailure, event_error_to_reply, upstream_error_to_reply};
