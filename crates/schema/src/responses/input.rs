//! Request input items ([`InputItem`]) and message content ([`MessageContent`], [`ContentPart`],
//! [`FunctionOutput`]).
//!
//! Deserialization never fails on an unknown or odd item: anything that does not fit a typed
//! variant is kept verbatim in `Other`, so a client body survives a round trip. Messages are
//! read with or without `"type": "message"` and always written with it (as the official client).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::Tool;
use super::tagged::{impl_extra, type_of, typed};

/// One element of `input`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    /// `{type:"message", role, content}`.
    Message(InputMessage),
    /// A tool call the model made earlier.
    FunctionCall(FunctionCallItem),
    /// The result of a function call.
    FunctionCallOutput(FunctionCallOutputItem),
    /// A freeform (custom) tool call the model made earlier.
    CustomToolCall(CustomToolCallItem),
    /// The result of a custom tool call.
    CustomToolCallOutput(FunctionCallOutputItem),
    /// A replayed reasoning item.
    Reasoning(ReasoningItem),
    /// Output of `/responses/compact`.
    Compaction(CompactionItem),
    /// Tools declared inside `input` (the official "responses-lite" shape).
    AdditionalTools(AdditionalToolsItem),
    /// Anything else (`local_shell_call`, `image_generation_call`, `item_reference`, …), verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl InputItem {
    /// A message item with the given role and plain-text content.
    pub fn message(role: impl Into<String>, content: MessageContent) -> Self {
        InputItem::Message(InputMessage {
            role: role.into(),
            content,
            ..InputMessage::default()
        })
    }

    /// The item's `type` (`message` for messages, also when the client sent none).
    pub fn kind(&self) -> &str {
        match self {
            InputItem::Message(_) => "message",
            InputItem::FunctionCall(_) => "function_call",
            InputItem::FunctionCallOutput(_) => "function_call_output",
            InputItem::CustomToolCall(_) => "custom_tool_call",
            InputItem::CustomToolCallOutput(_) => "custom_tool_call_output",
            InputItem::Reasoning(_) => "reasoning",
            InputItem::Compaction(_) => "compaction",
            InputItem::AdditionalTools(_) => "additional_tools",
            InputItem::Other(value) => type_of(value).unwrap_or(""),
        }
    }

    /// Converts arbitrary JSON into an item; never fails (unfit shapes become `Other`).
    pub fn from_value(value: Value) -> Self {
        let parsed = match type_of(&value) {
            None | Some("message") if value.get("role").is_some() => {
                typed(&value).map(InputItem::Message)
            }
            Some("function_call") => typed(&value).map(InputItem::FunctionCall),
            Some("function_call_output") => typed(&value).map(InputItem::FunctionCallOutput),
            Some("custom_tool_call") => typed(&value).map(InputItem::CustomToolCall),
            Some("custom_tool_call_output") => typed(&value).map(InputItem::CustomToolCallOutput),
            Some("reasoning") => typed(&value).map(InputItem::Reasoning),
            Some("compaction") => typed(&value).map(InputItem::Compaction),
            Some("additional_tools") => typed(&value).map(InputItem::AdditionalTools),
            _ => None,
        };
        parsed.unwrap_or(InputItem::Other(value))
    }
}

impl<'de> Deserialize<'de> for InputItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(InputItem::from_value)
    }
}

/// `{type:"message", id?, role, content, phase?}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputMessage {
    /// Item id (present on replayed history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `user`, `assistant`, `system` or `developer`.
    pub role: String,
    /// Text or parts.
    pub content: MessageContent,
    /// `commentary` / `final_answer` on assistant messages of newer models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Other fields (`status`, `internal_chat_message_metadata_passthrough`, …), preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"function_call", id?, call_id, name, arguments}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallItem {
    /// Item id (`fc_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Call id that the output item refers to.
    pub call_id: String,
    /// Function name.
    pub name: String,
    /// Arguments as JSON text.
    pub arguments: String,
    /// Other fields (`status`, `namespace`, …), preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"function_call_output" | "custom_tool_call_output", call_id, output}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallOutputItem {
    /// Item id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The call this answers.
    pub call_id: String,
    /// Text or content parts.
    pub output: FunctionOutput,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"custom_tool_call", id?, call_id, name, input}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomToolCallItem {
    /// Item id (`ctc_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Call id that the output item refers to.
    pub call_id: String,
    /// Tool name.
    pub name: String,
    /// Freeform input text.
    pub input: String,
    /// Other fields (`status`, …), preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"reasoning", id, summary, encrypted_content?, content?}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReasoningItem {
    /// Item id (`rs_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Summary parts (`{type:"summary_text", text}`).
    #[serde(default)]
    pub summary: Vec<ReasoningText>,
    /// Opaque encrypted reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
    /// Raw reasoning parts (`{type:"reasoning_text", text}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<ReasoningText>>,
    /// Other fields (`status`, …), preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"summary_text" | "reasoning_text", text}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasoningText {
    /// `summary_text` or `reasoning_text`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text.
    pub text: String,
}

/// `{type:"compaction", id?, encrypted_content}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompactionItem {
    /// Item id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Opaque compacted history.
    pub encrypted_content: String,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"additional_tools", id?, role?, tools}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdditionalToolsItem {
    /// Item id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Role (the official client sends `developer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The tools.
    pub tools: Vec<Tool>,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_extra!(
    InputMessage,
    FunctionCallItem,
    FunctionCallOutputItem,
    CustomToolCallItem,
    ReasoningItem,
    CompactionItem,
    AdditionalToolsItem,
);

/// Message content: a plain string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// `"content": "text"`.
    Text(String),
    /// `"content": [parts]`.
    Parts(Vec<ContentPart>),
}

impl Default for MessageContent {
    fn default() -> Self {
        MessageContent::Text(String::new())
    }
}

/// Output of a function / custom tool call: a string or content parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FunctionOutput {
    /// `"output": "text"`.
    Text(String),
    /// `"output": [parts]`.
    Parts(Vec<ContentPart>),
}

impl Default for FunctionOutput {
    fn default() -> Self {
        FunctionOutput::Text(String::new())
    }
}

/// One content part of a message or tool output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// `{type:"input_text", text}`.
    InputText(TextPart),
    /// `{type:"input_image", image_url, detail?}`.
    InputImage(ImagePart),
    /// `{type:"output_text", text, annotations?}` (assistant history).
    OutputText(TextPart),
    /// `{type:"refusal", refusal}`.
    Refusal(RefusalPart),
    /// `{type:"input_file", file_id? | file_data? | file_url?, filename?}`.
    InputFile(FilePart),
    /// Any other part type, verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl ContentPart {
    /// `{type:"input_text", text}`.
    pub fn input_text(text: impl Into<String>) -> Self {
        ContentPart::InputText(TextPart {
            text: text.into(),
            extra: Map::new(),
        })
    }

    /// `{type:"output_text", text}`.
    pub fn output_text(text: impl Into<String>) -> Self {
        ContentPart::OutputText(TextPart {
            text: text.into(),
            extra: Map::new(),
        })
    }

    /// `{type:"input_image", image_url}` (a `data:` URL or an http(s) URL).
    pub fn input_image(image_url: impl Into<String>, detail: Option<String>) -> Self {
        ContentPart::InputImage(ImagePart {
            image_url: image_url.into(),
            detail,
            extra: Map::new(),
        })
    }

    /// Converts arbitrary JSON into a part; never fails (unfit shapes become `Other`).
    pub fn from_value(value: Value) -> Self {
        let parsed = match type_of(&value) {
            Some("input_text") => typed(&value).map(ContentPart::InputText),
            Some("input_image") => typed(&value).map(ContentPart::InputImage),
            Some("output_text") => typed(&value).map(ContentPart::OutputText),
            Some("refusal") => typed(&value).map(ContentPart::Refusal),
            Some("input_file") => typed(&value).map(ContentPart::InputFile),
            _ => None,
        };
        parsed.unwrap_or(ContentPart::Other(value))
    }
}

impl<'de> Deserialize<'de> for ContentPart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(ContentPart::from_value)
    }
}

/// A text part (`input_text` / `output_text`); `annotations` etc. stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextPart {
    /// The text.
    pub text: String,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"input_image", image_url, detail?}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImagePart {
    /// `data:` URL or http(s) URL.
    pub image_url: String,
    /// `auto` / `low` / `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"refusal", refusal}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefusalPart {
    /// The refusal text.
    pub refusal: String,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{type:"input_file", ...}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilePart {
    /// Uploaded file id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// Inline file data (`data:` URL or base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    /// Remote file URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_extra!(TextPart, ImagePart, RefusalPart, FilePart);
