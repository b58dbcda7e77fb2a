//! Payload structs of the streamed Responses events. Strings borrow from the frame data when
//! they contain no escapes (`Cow`); opaque JSON is kept as `&RawValue`. Unknown fields are
//! ignored; indexes default to 0 and ids to `""` when missing.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::item::OutputContent;
use super::lenient::{cow_or_empty, null_default, opt_cow};
use super::{OutputItem, ToolUsage, Usage};

/// `response.created` / `in_progress` / `queued` / `completed` / `incomplete` / `failed`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResponseEnvelope<'a> {
    /// The response object (empty when the payload had none).
    #[serde(default, borrow)]
    pub response: ResponseObject<'a>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
    /// The whole event data, for error extraction ([`ErrorPayload`](super::ErrorPayload)).
    #[serde(skip)]
    pub raw: &'a str,
}

/// `response` inside an envelope.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResponseObject<'a> {
    /// `resp_…` (empty if missing).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// `in_progress`, `completed`, `incomplete`, `failed`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
    /// The model that answered.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub model: Option<Cow<'a, str>>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<f64>,
    /// Token usage; `image_gen` is filled from `tool_usage` by [`ResponsesEvent::parse`](super::ResponsesEvent::parse).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// `tool_usage` as sent.
    #[serde(default, deserialize_with = "null_default")]
    pub tool_usage: ToolUsage,
    /// `response.error`, if any.
    #[serde(default, borrow)]
    pub error: Option<ErrorBody<'a>>,
    /// `response.incomplete_details`, if any.
    #[serde(default, borrow)]
    pub incomplete_details: Option<IncompleteDetails<'a>>,
    /// `response.output` (array of output items), parsed on demand by [`Self::output_items`].
    #[serde(default, borrow)]
    pub output: Option<&'a RawValue>,
    /// `auto`, `default`, `priority`, `flex`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub service_tier: Option<Cow<'a, str>>,
}

impl<'a> ResponseObject<'a> {
    /// Parses `response.output` (empty when absent or null).
    pub fn output_items(&self) -> Result<Vec<OutputItem<'a>>, serde_json::Error> {
        match self.output {
            Some(raw) => Ok(Option::<Vec<OutputItem<'a>>>::deserialize(raw)?.unwrap_or_default()),
            None => Ok(Vec::new()),
        }
    }
}

/// `response.error: {code, message, type?}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody<'a> {
    /// Error code.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub code: Option<Cow<'a, str>>,
    /// Error message.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub message: Option<Cow<'a, str>>,
    /// Error type.
    #[serde(default, borrow, rename = "type", deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
}

/// `response.incomplete_details: {reason}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IncompleteDetails<'a> {
    /// `max_output_tokens`, `content_filter`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub reason: Option<Cow<'a, str>>,
}

/// `response.output_item.added` / `.done`.
#[derive(Debug, Clone, Deserialize)]
pub struct OutputItemEvent<'a> {
    /// Index of the item in the response output.
    #[serde(default, alias = "outputIndex")]
    pub output_index: u32,
    /// The item (`None` only in hand-written streams that omit it).
    #[serde(default, borrow)]
    pub item: Option<OutputItem<'a>>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `response.content_part.added` / `.done`.
#[derive(Debug, Clone, Deserialize)]
pub struct ContentPartEvent<'a> {
    /// Owning message item id.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// Index of the item in the response output.
    #[serde(default, alias = "outputIndex")]
    pub output_index: u32,
    /// Index of the part in the message content.
    #[serde(default, alias = "contentIndex")]
    pub content_index: u32,
    /// The part.
    #[serde(default, borrow)]
    pub part: OutputContent<'a>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// Any `*.delta` event carrying text: output text, refusal, reasoning summary / text, function
/// call arguments, custom tool input.
#[derive(Debug, Clone, Deserialize)]
pub struct TextDelta<'a> {
    /// Owning item id (`""` if missing; some mocks send `call_id` instead).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// `call_id`, only sent by mock servers.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub call_id: Option<Cow<'a, str>>,
    /// Index of the item in the response output.
    #[serde(default, alias = "outputIndex")]
    pub output_index: u32,
    /// Content part index (text and refusal deltas).
    #[serde(default, alias = "contentIndex")]
    pub content_index: Option<u32>,
    /// Summary part index (reasoning summary deltas).
    #[serde(default, alias = "summaryIndex")]
    pub summary_index: Option<u32>,
    /// The text fragment (may be empty).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub delta: Cow<'a, str>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `response.output_text.done`, `refusal.done` (`refusal` read as `text`),
/// `reasoning_summary_text.done`, `reasoning_text.done`.
#[derive(Debug, Clone, Deserialize)]
pub struct TextDone<'a> {
    /// Owning item id.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// Index of the item in the response output.
    #[serde(default, alias = "outputIndex")]
    pub output_index: u32,
    /// Content part index.
    #[serde(default, alias = "contentIndex")]
    pub content_index: Option<u32>,
    /// Summary part index.
    #[serde(default, alias = "summaryIndex")]
    pub summary_index: Option<u32>,
    /// The full text.
    #[serde(default, borrow, alias = "refusal", deserialize_with = "cow_or_empty")]
    pub text: Cow<'a, str>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `response.function_call_arguments.done`.
#[derive(Debug, Clone, Deserialize)]
pub struct ArgumentsDone<'a> {
    /// Owning item id (`fc_…`).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// `call_id`, only sent by mock servers.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub call_id: Option<Cow<'a, str>>,
    /// Function name, when present.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub name: Option<Cow<'a, str>>,
    /// Index of the item in the response output.
    #[serde(default, alias = "outputIndex")]
    pub output_index: u32,
    /// The complete arguments JSON text.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub arguments: Cow<'a, str>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `response.custom_tool_call_input.done`.
#[derive(Debug, Clone, Deserialize)]
pub struct InputDone<'a> {
    /// Owning item id (`ctc_…`).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// `call_id`, only sent by mock servers.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub call_id: Option<Cow<'a, str>>,
    /// Index of the item in the response output.
    #[serde(default, alias = "outputIndex")]
    pub output_index: u32,
    /// The complete input text.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub input: Cow<'a, str>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `response.output_text.annotation.added`.
#[derive(Debug, Clone, Deserialize)]
pub struct AnnotationAdded<'a> {
    /// Owning message item id.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// Index of the item in the response output.
    #[serde(default)]
    pub output_index: u32,
    /// Content part index.
    #[serde(default)]
    pub content_index: u32,
    /// Annotation index within the part.
    #[serde(default)]
    pub annotation_index: u32,
    /// The annotation (`url_citation`, …), verbatim.
    #[serde(default, borrow)]
    pub annotation: Option<&'a RawValue>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `response.reasoning_summary_part.added` / `.done`.
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryPartEvent<'a> {
    /// Owning reasoning item id.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// Index of the item in the response output.
    #[serde(default)]
    pub output_index: u32,
    /// Index of the part in the summary.
    #[serde(default)]
    pub summary_index: u32,
    /// The part (`summary_text`).
    #[serde(default, borrow)]
    pub part: SummaryPart<'a>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// `{type:"summary_text", text}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SummaryPart<'a> {
    /// `summary_text`.
    #[serde(default, borrow, rename = "type", deserialize_with = "cow_or_empty")]
    pub kind: Cow<'a, str>,
    /// The text.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub text: Cow<'a, str>,
}

/// `response.image_generation_call.partial_image`.
#[derive(Debug, Clone, Deserialize)]
pub struct PartialImage<'a> {
    /// Owning `image_generation_call` item id.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub item_id: Cow<'a, str>,
    /// Index of the item in the response output.
    #[serde(default)]
    pub output_index: u32,
    /// Which partial image this is (0-based).
    #[serde(default)]
    pub partial_image_index: u32,
    /// Base64 image data.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub partial_image_b64: Cow<'a, str>,
    /// `1024x1024`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub size: Option<Cow<'a, str>>,
    /// `png`, `jpeg`, `webp`.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub output_format: Option<Cow<'a, str>>,
    /// `auto`, `opaque`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub background: Option<Cow<'a, str>>,
    /// Position in the stream.
    #[serde(default)]
    pub sequence_number: Option<u64>,
}

/// Ids of a hosted-tool lifecycle event (`response.web_search_call.searching`, …).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LifecycleIds<'a> {
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub(crate) item_id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) output_index: Option<u32>,
}
