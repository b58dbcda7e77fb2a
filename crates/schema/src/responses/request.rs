//! The request body sent to `POST /codex/responses` (and, with `type: "response.create"` kept in
//! `extra`, the WebSocket frame): [`ResponsesRequest`] and its small option structs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{InputItem, Tool, ToolChoice};

/// A Codex Responses request. Unknown top-level fields are kept in `extra` and written back, so a
/// body deserialized and serialized again keeps every field (key order may differ).
///
/// Serialized field order follows the official client: `model`, `instructions`, `stream`, …
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest {
    /// Resolved Codex model id.
    pub model: String,
    /// System instructions; `None` omits the field (the official "responses-lite" shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Always `true` upstream.
    #[serde(default)]
    pub stream: bool,
    /// Only accepted on the WebSocket transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// Conversation items.
    #[serde(default)]
    pub input: Vec<InputItem>,
    /// Tools; `None` omits the field, `Some(vec![])` sends `[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// `auto` / `none` / `required` or a named tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Reasoning effort and summary mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Always `false` upstream.
    #[serde(default)]
    pub store: bool,
    /// Extra output to include, e.g. `reasoning.encrypted_content`; `None` omits the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    /// `priority`, `flex`, … (`fast` must already be rewritten to `priority`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Cache / conversation key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// Structured output format and verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    /// String-valued metadata (installation id, session id, window id, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<BTreeMap<String, String>>,
    /// Every other top-level field, preserved verbatim (`type`, `generate`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `reasoning: {effort, summary, ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    /// `none` / `minimal` / `low` / `medium` / `high` / `xhigh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// `auto` / `concise` / `detailed` / `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Other fields (the official client sends `context: "all_turns"`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `text: {format?, verbosity?}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextConfig {
    /// Structured output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    /// `low` / `medium` / `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `text.format: {type, name?, schema?, strict?}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextFormat {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Schema name (json_schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The JSON schema (json_schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// Strict schema adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
