//! Output items of a response ([`OutputItem`]), chosen by `item.type`, borrowing from the event
//! data. Unknown item types are kept as [`OutputItem::Other`] with their raw JSON.

use std::borrow::Cow;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::lenient::{cow_or_empty, opt_cow};
use super::payload::SummaryPart;

/// One item of `response.output` / `output_item.added` / `output_item.done`.
#[derive(Debug, Clone)]
pub enum OutputItem<'a> {
    /// `type: "message"`.
    Message(OutputMessage<'a>),
    /// `type: "function_call"`.
    FunctionCall(OutputFunctionCall<'a>),
    /// `type: "custom_tool_call"`.
    CustomToolCall(OutputCustomToolCall<'a>),
    /// `type: "reasoning"`.
    Reasoning(OutputReasoning<'a>),
    /// `type: "local_shell_call"`.
    LocalShellCall(OutputLocalShellCall<'a>),
    /// `type: "image_generation_call"`.
    ImageGenerationCall(OutputImageGeneration<'a>),
    /// `type: "web_search_call"`.
    WebSearchCall(OutputWebSearch<'a>),
    /// Any other item type, verbatim.
    Other {
        /// The item's `type`.
        kind: Cow<'a, str>,
        /// The whole item JSON.
        raw: &'a RawValue,
    },
}

impl<'a> OutputItem<'a> {
    /// Parses one item from its JSON text (the `type` field picks the variant).
    pub fn from_raw(raw: &'a RawValue) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Kind<'a> {
            #[serde(default, borrow, rename = "type", deserialize_with = "cow_or_empty")]
            kind: Cow<'a, str>,
        }
        let text = raw.get();
        let Kind { kind } = serde_json::from_str(text)?;
        Ok(match kind.as_ref() {
            "message" => OutputItem::Message(serde_json::from_str(text)?),
            "function_call" => OutputItem::FunctionCall(serde_json::from_str(text)?),
            "custom_tool_call" => OutputItem::CustomToolCall(serde_json::from_str(text)?),
            "reasoning" => OutputItem::Reasoning(serde_json::from_str(text)?),
            "local_shell_call" => OutputItem::LocalShellCall(serde_json::from_str(text)?),
            "image_generation_call" => OutputItem::ImageGenerationCall(serde_json::from_str(text)?),
            "web_search_call" => OutputItem::WebSearchCall(serde_json::from_str(text)?),
            _ => OutputItem::Other { kind, raw },
        })
    }

    /// The item's `type`.
    pub fn kind(&self) -> &str {
        match self {
            OutputItem::Message(_) => "message",
            OutputItem::FunctionCall(_) => "function_call",
            OutputItem::CustomToolCall(_) => "custom_tool_call",
            OutputItem::Reasoning(_) => "reasoning",
            OutputItem::LocalShellCall(_) => "local_shell_call",
            OutputItem::ImageGenerationCall(_) => "image_generation_call",
            OutputItem::WebSearchCall(_) => "web_search_call",
            OutputItem::Other { kind, .. } => kind,
        }
    }

    /// The item's `id` (`""` when missing; `None` for [`OutputItem::Other`]).
    pub fn id(&self) -> Option<&str> {
        Some(match self {
            OutputItem::Message(i) => &i.id,
            OutputItem::FunctionCall(i) => &i.id,
            OutputItem::CustomToolCall(i) => &i.id,
            OutputItem::Reasoning(i) => &i.id,
            OutputItem::LocalShellCall(i) => &i.id,
            OutputItem::ImageGenerationCall(i) => &i.id,
            OutputItem::WebSearchCall(i) => &i.id,
            OutputItem::Other { .. } => return None,
        })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for OutputItem<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
        OutputItem::from_raw(raw).map_err(D::Error::custom)
    }
}

/// `{type:"message", id, role, content, phase?, status?}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputMessage<'a> {
    /// `msg_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// `assistant`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub role: Cow<'a, str>,
    /// Content parts (`output_text`, `refusal`).
    #[serde(default, borrow)]
    pub content: Vec<OutputContent<'a>>,
    /// `commentary` / `final_answer` (newer models).
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub phase: Option<Cow<'a, str>>,
    /// `in_progress` / `completed` / `incomplete`.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
}

/// One content part of an output message (`output_text` or `refusal`), as a flat record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputContent<'a> {
    /// `output_text`, `refusal`, …
    #[serde(default, borrow, rename = "type", deserialize_with = "cow_or_empty")]
    pub kind: Cow<'a, str>,
    /// Text of an `output_text` part.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub text: Option<Cow<'a, str>>,
    /// Text of a `refusal` part.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub refusal: Option<Cow<'a, str>>,
    /// Annotations, verbatim.
    #[serde(default, borrow)]
    pub annotations: Option<&'a RawValue>,
}

/// `{type:"function_call", id, call_id, name, arguments, status}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputFunctionCall<'a> {
    /// `fc_…` (what argument deltas refer to as `item_id`).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// `call_…` (what the client must answer with).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub call_id: Cow<'a, str>,
    /// Function name.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub name: Cow<'a, str>,
    /// Arguments JSON text (empty in `output_item.added`).
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub arguments: Cow<'a, str>,
    /// Tool namespace, when the tool was declared inside a `namespace` tool.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub namespace: Option<Cow<'a, str>>,
    /// `in_progress` / `completed`.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
}

/// `{type:"custom_tool_call", id, call_id, name, input, status}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputCustomToolCall<'a> {
    /// `ctc_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// `call_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub call_id: Cow<'a, str>,
    /// Tool name.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub name: Cow<'a, str>,
    /// Freeform input text.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub input: Cow<'a, str>,
    /// Tool namespace, when declared inside a `namespace` tool.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub namespace: Option<Cow<'a, str>>,
    /// `in_progress` / `completed`.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
}

/// `{type:"reasoning", id, summary, encrypted_content?, content?}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputReasoning<'a> {
    /// `rs_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// Summary parts.
    #[serde(default, borrow)]
    pub summary: Vec<SummaryPart<'a>>,
    /// Opaque encrypted reasoning (with `include: ["reasoning.encrypted_content"]`).
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub encrypted_content: Option<Cow<'a, str>>,
    /// Raw reasoning parts, verbatim.
    #[serde(default, borrow)]
    pub content: Option<&'a RawValue>,
    /// Status, if sent.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
}

/// `{type:"local_shell_call", id, call_id, action, status}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputLocalShellCall<'a> {
    /// `lsh_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// `call_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub call_id: Cow<'a, str>,
    /// `{type:"exec", command:[…], …}`, verbatim.
    #[serde(default, borrow)]
    pub action: Option<&'a RawValue>,
    /// Status.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
}

/// `{type:"image_generation_call", id, result, revised_prompt, size, quality, output_format, background, status}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputImageGeneration<'a> {
    /// `ig_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// Base64 image (may be empty or absent).
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub result: Option<Cow<'a, str>>,
    /// The prompt the image model actually used.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub revised_prompt: Option<Cow<'a, str>>,
    /// `1024x1024`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub size: Option<Cow<'a, str>>,
    /// `auto`, `high`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub quality: Option<Cow<'a, str>>,
    /// `png`, `jpeg`, `webp`.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub output_format: Option<Cow<'a, str>>,
    /// `auto`, `opaque`, …
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub background: Option<Cow<'a, str>>,
    /// Status.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
}

/// `{type:"web_search_call", id, status, action}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutputWebSearch<'a> {
    /// `ws_…`.
    #[serde(default, borrow, deserialize_with = "cow_or_empty")]
    pub id: Cow<'a, str>,
    /// Status.
    #[serde(default, borrow, deserialize_with = "opt_cow")]
    pub status: Option<Cow<'a, str>>,
    /// `{type:"search", query, sources?}`, verbatim.
    #[serde(default, borrow)]
    pub action: Option<&'a RawValue>,
}
