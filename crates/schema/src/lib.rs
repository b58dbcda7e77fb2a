//! Wire types and stream codecs for codex-proxy: the incremental SSE decoder / encoder
//! ([`sse`]), the Codex Responses request and event types ([`responses`]), the OpenAI Chat
//! Completions types (`openai`) and the Anthropic Messages types ([`anthropic`]).
//!
//! This crate does no I/O, keeps no clock and logs nothing: it turns bytes into typed values and
//! back. Streaming is incremental: push bytes into [`sse::SseDecoder`], parse each
//! [`sse::SseFrame`] with [`responses::ResponsesEvent::parse`]; the event borrows from the frame,
//! so a stream is decoded without per-event allocation in the common case.
//!
//! Start reading at [`sse`] (framing rules), then [`responses::ResponsesEvent`] (what upstream
//! streams) and [`responses::ResponsesRequest`] (what we send). Errors live in [`error`].

pub mod anthropic;
pub mod error;
pub mod gemini;
pub mod ollama;
pub mod openai;
pub mod responses;
pub mod sse;

pub use error::{EventError, SseError};
