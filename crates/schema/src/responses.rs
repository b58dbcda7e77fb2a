//! The Codex Responses API: the request body we send ([`ResponsesRequest`] and its items, owned
//! and serializable) and the streamed events we read ([`ResponsesEvent`], borrowing from the SSE
//! frame).
//!
//! Requests round-trip: unknown fields and item/tool/part types are preserved verbatim. Events
//! are parsed by name into payload structs; unknown event names become
//! [`ResponsesEvent::Unknown`], unknown fields are ignored.

mod error_info;
mod event;
mod input;
mod item;
mod lenient;
mod payload;
mod rate_limits;
mod request;
mod tagged;
mod tool;
mod usage;

pub use error_info::{ErrorInfo, ErrorPayload, status_for_error_code};
pub use event::{KNOWN_EVENTS, ResponsesEvent};
pub use input::{
    AdditionalToolsItem, CompactionItem, ContentPart, CustomToolCallItem, FilePart,
    FunctionCallItem, FunctionCallOutputItem, FunctionOutput, ImagePart, InputItem, InputMessage,
    MessageContent, ReasoningItem, ReasoningText, RefusalPart, TextPart,
};
pub use item::{
    OutputContent, OutputCustomToolCall, OutputFunctionCall, OutputImageGeneration, OutputItem,
    OutputLocalShellCall, OutputMessage, OutputReasoning, OutputWebSearch,
};
pub use payload::{
    AnnotationAdded, ArgumentsDone, ContentPartEvent, ErrorBody, IncompleteDetails, InputDone,
    OutputItemEvent, PartialImage, ResponseEnvelope, ResponseObject, SummaryPart, SummaryPartEvent,
    TextDelta, TextDone,
};
pub use rate_limits::{CodeReviewLimits, RateLimitSnapshot, RateLimitWindow};
pub use request::{Reasoning, ResponsesRequest, TextConfig, TextFormat};
pub use tool::{CustomTool, FunctionTool, Tool, ToolChoice};
pub use usage::{ImageGenUsage, InputTokensDetails, OutputTokensDetails, ToolUsage, Usage};

#[cfg(test)]
mod tests;
