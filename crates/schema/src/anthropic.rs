//! The Anthropic Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`): the request
//! body clients send ([`MessagesRequest`], lenient, owned) and what we answer with
//! ([`Message`] for non-streamed replies, [`StreamEvent`] for SSE frames, [`ErrorResponse`],
//! [`CountTokensResponse`]; borrowed, serialize-only).
//!
//! Request parsing never fails on an unknown content block, tool or field: unknown blocks are
//! kept as [`ContentBlock::Other`], unknown fields in `extra`, so new Claude Code features do
//! not break requests.

mod request;
mod response;

pub use request::{
    ContentBlock, DocumentBlock, ImageBlock, MessageContent, MessageParam, MessagesRequest,
    OutputConfig, Source, SystemBlock, SystemPrompt, ThinkingBlock, ThinkingConfig, ToolChoice,
    ToolDefinition, ToolResultBlock, ToolResultContent, ToolUseBlock,
};
pub use response::{
    ApiError, BlockDelta, CountTokensResponse, ErrorResponse, Message, MessageDelta, ResponseBlock,
    StreamEvent, Usage,
};

#[cfg(test)]
mod tests;
