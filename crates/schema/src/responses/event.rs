//! [`ResponsesEvent`]: one streamed Codex event, parsed from an [`SseFrame`] by choosing the
//! payload struct from the event name (never via a buffering serde tagged enum).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::payload::LifecycleIds;
use super::{
    AnnotationAdded, ArgumentsDone, ContentPartEvent, ErrorInfo, ErrorPayload, InputDone,
    OutputItemEvent, PartialImage, ResponseEnvelope, SummaryPartEvent, TextDelta, TextDone,
};
use crate::error::EventError;
use crate::sse::SseFrame;

/// A streamed Responses event. Borrows from the frame data.
#[derive(Debug, Clone)]
pub enum ResponsesEvent<'a> {
    /// `response.created`.
    Created(ResponseEnvelope<'a>),
    /// `response.in_progress`.
    InProgress(ResponseEnvelope<'a>),
    /// `response.queued`.
    Queued(ResponseEnvelope<'a>),
    /// `response.output_item.added`.
    OutputItemAdded(OutputItemEvent<'a>),
    /// `response.output_item.done`.
    OutputItemDone(OutputItemEvent<'a>),
    /// `response.content_part.added`.
    ContentPartAdded(ContentPartEvent<'a>),
    /// `response.content_part.done`.
    ContentPartDone(ContentPartEvent<'a>),
    /// `response.output_text.delta`.
    OutputTextDelta(TextDelta<'a>),
    /// `response.output_text.done`.
    OutputTextDone(TextDone<'a>),
    /// `response.output_text.annotation.added`.
    OutputTextAnnotationAdded(AnnotationAdded<'a>),
    /// `response.refusal.delta`.
    RefusalDelta(TextDelta<'a>),
    /// `response.refusal.done` (the refusal text is in `text`).
    RefusalDone(TextDone<'a>),
    /// `response.reasoning_summary_part.added`.
    ReasoningSummaryPartAdded(SummaryPartEvent<'a>),
    /// `response.reasoning_summary_part.done`.
    ReasoningSummaryPartDone(SummaryPartEvent<'a>),
    /// `response.reasoning_summary_text.delta`.
    ReasoningSummaryTextDelta(TextDelta<'a>),
    /// `response.reasoning_summary_text.done`.
    ReasoningSummaryTextDone(TextDone<'a>),
    /// `response.reasoning_text.delta`.
    ReasoningTextDelta(TextDelta<'a>),
    /// `response.reasoning_text.done`.
    ReasoningTextDone(TextDone<'a>),
    /// `response.function_call_arguments.delta`.
    FunctionCallArgumentsDelta(TextDelta<'a>),
    /// `response.function_call_arguments.done`.
    FunctionCallArgumentsDone(ArgumentsDone<'a>),
    /// `response.custom_tool_call_input.delta`.
    CustomToolCallInputDelta(TextDelta<'a>),
    /// `response.custom_tool_call_input.done`.
    CustomToolCallInputDone(InputDone<'a>),
    /// Hosted-tool lifecycle: `response.<x>_call.<phase>` with phase `in_progress`,
    /// `searching`, `generating`, `interpreting`, `completed` or `failed`
    /// (web_search_call, image_generation_call, file_search_call, code_interpreter_call, …).
    ToolLifecycle {
        /// The full event name.
        kind: &'a str,
        /// `item_id`, if sent.
        item_id: Option<Cow<'a, str>>,
        /// `output_index`, if sent.
        output_index: Option<u32>,
    },
    /// `response.image_generation_call.partial_image`.
    ImagePartial(PartialImage<'a>),
    /// `response.completed`.
    Completed(ResponseEnvelope<'a>),
    /// `response.incomplete` (ends the response: see [`ResponsesEvent::is_terminal`]).
    Incomplete(ResponseEnvelope<'a>),
    /// `response.failed`.
    Failed(ResponseEnvelope<'a>),
    /// `error`.
    Error(ErrorPayload<'a>),
    /// `codex.rate_limits` (the whole data, verbatim).
    RateLimits(&'a RawValue),
    /// `response.metadata` / `codex.response.metadata` (the whole data, verbatim).
    Metadata(&'a RawValue),
    /// Any other event (`keepalive`, new kinds, the `[DONE]` sentinel): to be ignored.
    Unknown {
        /// The event name (`[DONE]` for the sentinel).
        kind: &'a str,
    },
}

impl<'a> ResponsesEvent<'a> {
    /// Parses a frame. The name comes from the `event:` line, else from the JSON `type` field.
    /// Unknown names give [`ResponsesEvent::Unknown`]; data that does not fit a known event
    /// gives [`EventError::Malformed`]. Data `[DONE]` without an event name gives
    /// `Unknown { kind: "[DONE]" }`.
    pub fn parse(frame: &SseFrame<'a>) -> Result<Self, EventError> {
        match frame.event {
            Some(kind) if !kind.is_empty() => Self::parse_named(kind, frame.data),
            _ if frame.is_done() => Ok(ResponsesEvent::Unknown { kind: "[DONE]" }),
            _ => Self::parse_json(frame.data),
        }
    }

    /// Parses JSON event data whose name is its `type` field (WebSocket frames).
    pub fn parse_json(data: &'a str) -> Result<Self, EventError> {
        #[derive(Deserialize)]
        struct Kind<'a> {
            #[serde(rename = "type")]
            kind: Option<&'a str>,
        }
        match serde_json::from_str::<Kind<'a>>(data) {
            Ok(Kind { kind: Some(kind) }) => Self::parse_named(kind, data),
            _ => Err(EventError::MissingType),
        }
    }

    /// Parses `data` as the payload of the event named `kind`.
    pub fn parse_named(kind: &'a str, data: &'a str) -> Result<Self, EventError> {
        let malformed = |source| EventError::Malformed {
            kind: kind.to_owned(),
            source,
        };
        macro_rules! payload {
            ($variant:ident) => {
                serde_json::from_str(data)
                    .map(ResponsesEvent::$variant)
                    .map_err(malformed)
            };
        }
        macro_rules! envelope {
            ($variant:ident) => {
                envelope(data)
                    .map(ResponsesEvent::$variant)
                    .map_err(malformed)
            };
        }
        match kind {
            "response.created" => envelope!(Created),
            "response.in_progress" => envelope!(InProgress),
            "response.queued" => envelope!(Queued),
            "response.completed" => envelope!(Completed),
            "response.incomplete" => envelope!(Incomplete),
            "response.failed" => envelope!(Failed),
            "response.output_item.added" => payload!(OutputItemAdded),
            "response.output_item.done" => payload!(OutputItemDone),
            "response.content_part.added" => payload!(ContentPartAdded),
            "response.content_part.done" => payload!(ContentPartDone),
            "response.output_text.delta" => payload!(OutputTextDelta),
            "response.output_text.done" => payload!(OutputTextDone),
            "response.output_text.annotation.added" => payload!(OutputTextAnnotationAdded),
            "response.refusal.delta" => payload!(RefusalDelta),
            "response.refusal.done" => payload!(RefusalDone),
            "response.reasoning_summary_part.added" => payload!(ReasoningSummaryPartAdded),
            "response.reasoning_summary_part.done" => payload!(ReasoningSummaryPartDone),
            "response.reasoning_summary_text.delta" => payload!(ReasoningSummaryTextDelta),
            "response.reasoning_summary_text.done" => payload!(ReasoningSummaryTextDone),
            "response.reasoning_text.delta" => payload!(ReasoningTextDelta),
            "response.reasoning_text.done" => payload!(ReasoningTextDone),
            "response.function_call_arguments.delta" => payload!(FunctionCallArgumentsDelta),
            "response.function_call_arguments.done" => payload!(FunctionCallArgumentsDone),
            "response.custom_tool_call_input.delta" => payload!(CustomToolCallInputDelta),
            "response.custom_tool_call_input.done" => payload!(CustomToolCallInputDone),
            "response.image_generation_call.partial_image" => payload!(ImagePartial),
            "error" => Ok(ResponsesEvent::Error(ErrorPayload::new(data))),
            "codex.rate_limits" => payload!(RateLimits),
            "response.metadata" | "codex.response.metadata" => payload!(Metadata),
            _ if is_tool_lifecycle(kind) => {
                let ids: LifecycleIds<'a> = serde_json::from_str(data).map_err(malformed)?;
                Ok(ResponsesEvent::ToolLifecycle {
                    kind,
                    item_id: ids.item_id,
                    output_index: ids.output_index,
                })
            }
            _ => Ok(ResponsesEvent::Unknown { kind }),
        }
    }

    /// True for events that end a response: `response.completed`, `response.failed`, `error`,
    /// and also `response.incomplete` (the backend sends nothing after it; translators finish
    /// the stream with a length / content-filter stop).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ResponsesEvent::Completed(_)
                | ResponsesEvent::Incomplete(_)
                | ResponsesEvent::Failed(_)
                | ResponsesEvent::Error(_)
        )
    }

    /// The error record of an `error` or `response.failed` event.
    pub fn error_info(&self) -> Option<ErrorInfo> {
        match self {
            ResponsesEvent::Error(payload) => Some(payload.extract()),
            ResponsesEvent::Failed(envelope) => Some(ErrorPayload::new(envelope.raw).extract()),
            _ => None,
        }
    }

    /// The event name this variant is parsed from (the first one for shared variants).
    pub fn kind(&self) -> &'a str {
        match self {
            ResponsesEvent::Created(_) => "response.created",
            ResponsesEvent::InProgress(_) => "response.in_progress",
            ResponsesEvent::Queued(_) => "response.queued",
            ResponsesEvent::OutputItemAdded(_) => "response.output_item.added",
            ResponsesEvent::OutputItemDone(_) => "response.output_item.done",
            ResponsesEvent::ContentPartAdded(_) => "response.content_part.added",
            ResponsesEvent::ContentPartDone(_) => "response.content_part.done",
            ResponsesEvent::OutputTextDelta(_) => "response.output_text.delta",
            ResponsesEvent::OutputTextDone(_) => "response.output_text.done",
            ResponsesEvent::OutputTextAnnotationAdded(_) => "response.output_text.annotation.added",
            ResponsesEvent::RefusalDelta(_) => "response.refusal.delta",
            ResponsesEvent::RefusalDone(_) => "response.refusal.done",
            ResponsesEvent::ReasoningSummaryPartAdded(_) => "response.reasoning_summary_part.added",
            ResponsesEvent::ReasoningSummaryPartDone(_) => "response.reasoning_summary_part.done",
            ResponsesEvent::ReasoningSummaryTextDelta(_) => "response.reasoning_summary_text.delta",
            ResponsesEvent::ReasoningSummaryTextDone(_) => "response.reasoning_summary_text.done",
            ResponsesEvent::ReasoningTextDelta(_) => "response.reasoning_text.delta",
            ResponsesEvent::ReasoningTextDone(_) => "response.reasoning_text.done",
            ResponsesEvent::FunctionCallArgumentsDelta(_) => {
                "response.function_call_arguments.delta"
            }
            ResponsesEvent::FunctionCallArgumentsDone(_) => "response.function_call_arguments.done",
            ResponsesEvent::CustomToolCallInputDelta(_) => "response.custom_tool_call_input.delta",
            ResponsesEvent::CustomToolCallInputDone(_) => "response.custom_tool_call_input.done",
            ResponsesEvent::ToolLifecycle { kind, .. } | ResponsesEvent::Unknown { kind } => kind,
            ResponsesEvent::ImagePartial(_) => "response.image_generation_call.partial_image",
            ResponsesEvent::Completed(_) => "response.completed",
            ResponsesEvent::Incomplete(_) => "response.incomplete",
            ResponsesEvent::Failed(_) => "response.failed",
            ResponsesEvent::Error(_) => "error",
            ResponsesEvent::RateLimits(_) => "codex.rate_limits",
            ResponsesEvent::Metadata(_) => "response.metadata",
        }
    }
}

/// Every event name [`ResponsesEvent::parse_named`] maps to a typed variant (lifecycle events
/// are matched by pattern and listed with their common examples).
pub const KNOWN_EVENTS: &[&str] = &[
    "response.created",
    "response.in_progress",
    "response.queued",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_text.annotation.added",
    "response.refusal.delta",
    "response.refusal.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done",
    "response.image_generation_call.partial_image",
    "response.image_generation_call.in_progress",
    "response.image_generation_call.generating",
    "response.image_generation_call.completed",
    "response.web_search_call.in_progress",
    "response.web_search_call.searching",
    "response.web_search_call.completed",
    "error",
    "codex.rate_limits",
    "response.metadata",
    "codex.response.metadata",
];

/// `response.<something>_call.<phase>`.
fn is_tool_lifecycle(kind: &str) -> bool {
    let Some((item, phase)) = kind
        .strip_prefix("response.")
        .and_then(|k| k.split_once('.'))
    else {
        return false;
    };
    item.ends_with("_call")
        && matches!(
            phase,
            "in_progress" | "searching" | "generating" | "interpreting" | "completed" | "failed"
        )
}

/// Parses an envelope, keeps the raw data and folds `tool_usage.image_gen` into the usage.
fn envelope(data: &str) -> Result<ResponseEnvelope<'_>, serde_json::Error> {
    let mut envelope: ResponseEnvelope<'_> = serde_json::from_str(data)?;
    envelope.raw = data;
    let image_gen = envelope.response.tool_usage.image_gen;
    if !image_gen.is_zero() {
        envelope
            .response
            .usage
            .get_or_insert_with(Default::default)
            .image_gen = Some(image_gen);
    }
    Ok(envelope)
}
