//! OpenAI Chat Completions wire types: the request a client sends to `/v1/chat/completions`, the
//! non-streamed `chat.completion` body, the streamed `chat.completion.chunk` and the error body.
//!
//! The request side is tolerant (content as string, parts or null; `image_url` as string or
//! object; unknown fields kept in `extra`) because real clients send every variant. The response
//! side is what we emit: [`ChatCompletionChunk`] borrows its strings so the streaming translator
//! can serialize one chunk per upstream event without allocating.

mod chunk;
mod completion;
mod error_body;
mod request;
mod tool;

pub use chunk::{
    ChatCompletionChunk, ChunkChoice, ChunkDelta, ChunkList, ToolCallDelta, ToolCallDeltaCustom,
    ToolCallDeltaFunction,
};
pub use completion::{
    AssistantMessage, ChatCompletion, Choice, CompletionTokensDetails, PromptTokensDetails, Usage,
};
pub use error_body::{ErrorObject, ErrorResponse};
pub use request::{
    ChatCompletionRequest, ChatMessage, ChatRole, ContentPart, ImageUrl, MessageContent,
    StreamOptions,
};
pub use tool::{
    ChatTool, ChatToolChoice, CustomCall, CustomToolDefinition, FunctionCall, FunctionDefinition,
    JsonSchemaFormat, NamedToolChoice, ResponseFormat, ToolCall, ToolName,
};

#[cfg(test)]
mod tests;
