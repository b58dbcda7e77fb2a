//! Ollama API wire types (`/api/chat`, `/api/generate`, `/api/tags`, `/api/show`,
//! `/api/version`): tolerant request types and the response lines we write. Streams are NDJSON,
//! one [`ChatResponse`] / [`GenerateResponse`] per line (see [`crate::sse::NdjsonDecoder`] for
//! reading them back).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Body of `POST /api/chat`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatRequest {
    /// Model name (`gpt-5.4`, `llama3.2:latest`, ...).
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Function tools (`{type:"function", function:{name, description, parameters}}`).
    #[serde(default)]
    pub tools: Option<Vec<ToolDef>>,
    /// Stream NDJSON (default `true`).
    #[serde(default)]
    pub stream: Option<bool>,
    /// `true`/`false` or an effort (`low`, `medium`, `high`).
    #[serde(default)]
    pub think: Option<Value>,
    /// `"json"` or a JSON schema object.
    #[serde(default)]
    pub format: Option<Value>,
    /// Sampling options (dropped).
    #[serde(default)]
    pub options: Option<Value>,
    /// `keep_alive` and other fields, ignored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One chat message.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text.
    #[serde(default)]
    pub content: Option<String>,
    /// Images: base64 strings (or data / http URLs).
    #[serde(default)]
    pub images: Option<Vec<String>>,
    /// Calls the assistant made.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// The assistant's reasoning text (not sent upstream).
    #[serde(default)]
    pub thinking: Option<String>,
    /// For `tool` messages: the function that produced this result.
    #[serde(default)]
    pub tool_name: Option<String>,
    /// For `tool` messages: the id of the call this answers (OpenAI-style clients).
    #[serde(default)]
    pub tool_call_id: Option<String>,
    /// Legacy name of the tool.
    #[serde(default)]
    pub name: Option<String>,
}

/// A tool call in a message (request or response).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ToolCall {
    /// Call id (newer Ollama versions send one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The function and its arguments.
    pub function: ToolCallFunction,
}

/// `{index?, name, arguments}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ToolCallFunction {
    /// Position in the turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Function name.
    #[serde(default)]
    pub name: String,
    /// Arguments: an object (a string is tolerated on input).
    #[serde(default)]
    pub arguments: Value,
}

/// `{type:"function", function:{name, description?, parameters?}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToolDef {
    /// `function`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The function.
    pub function: FunctionDef,
}

/// A function tool definition.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunctionDef {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// JSON schema of the arguments.
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// Body of `POST /api/generate`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenerateRequest {
    /// Model name.
    pub model: String,
    /// The prompt.
    #[serde(default)]
    pub prompt: Option<String>,
    /// System text.
    #[serde(default)]
    pub system: Option<String>,
    /// Images (base64).
    #[serde(default)]
    pub images: Option<Vec<String>>,
    /// Stream NDJSON (default `true`).
    #[serde(default)]
    pub stream: Option<bool>,
    /// Thinking switch or effort.
    #[serde(default)]
    pub think: Option<Value>,
    /// `"json"` or a schema.
    #[serde(default)]
    pub format: Option<Value>,
    /// Sampling options (dropped).
    #[serde(default)]
    pub options: Option<Value>,
    /// `suffix`, `raw`, `template`, `context`, `keep_alive`, ... ignored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One `/api/chat` reply line (or the whole non-streamed reply).
#[derive(Debug, Clone, Serialize)]
pub struct ChatResponse<'a> {
    /// Model name as the client sent it.
    pub model: Cow<'a, str>,
    /// RFC 3339 time.
    pub created_at: Cow<'a, str>,
    /// The assistant message (fragment).
    pub message: OutMessage<'a>,
    /// Last line.
    pub done: bool,
    /// Final line fields.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<DoneStats>,
}

/// The assistant message of a reply line.
#[derive(Debug, Clone, Serialize)]
pub struct OutMessage<'a> {
    /// Always `assistant`.
    pub role: &'static str,
    /// Text (fragment).
    pub content: Cow<'a, str>,
    /// Reasoning text (fragment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Cow<'a, str>>,
    /// Completed calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// One `/api/generate` reply line.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateResponse<'a> {
    /// Model name as the client sent it.
    pub model: Cow<'a, str>,
    /// RFC 3339 time.
    pub created_at: Cow<'a, str>,
    /// Text (fragment).
    pub response: Cow<'a, str>,
    /// Reasoning text (fragment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Cow<'a, str>>,
    /// Last line.
    pub done: bool,
    /// Final line fields.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<DoneStats>,
}

/// The fields of the final (`done: true`) line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DoneStats {
    /// `stop`, `length` or `tool_calls`... as a static string.
    pub done_reason: &'static str,
    /// Always 0 (we do not time the model).
    pub total_duration: u64,
    /// Always 0.
    pub load_duration: u64,
    /// Input tokens.
    pub prompt_eval_count: u64,
    /// Always 0.
    pub prompt_eval_duration: u64,
    /// Output tokens.
    pub eval_count: u64,
    /// Always 0.
    pub eval_duration: u64,
}

/// `{error: "..."}`: Ollama's error body and mid-stream error line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: String,
}

/// `GET /api/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionResponse {
    /// Reported version (`ollama.version`).
    pub version: String,
}

/// `GET /api/tags`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TagsResponse {
    /// Local models.
    pub models: Vec<ModelEntry>,
}

/// One model in `/api/tags`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelEntry {
    /// Model name.
    pub name: String,
    /// Same as `name`.
    pub model: String,
    /// RFC 3339 time.
    pub modified_at: String,
    /// Always 0.
    pub size: u64,
    /// sha256 hex of the name.
    pub digest: String,
    /// Family and format.
    pub details: ModelDetails,
}

/// `details` of a model.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelDetails {
    /// Empty.
    pub parent_model: String,
    /// `codex-proxy`.
    pub format: String,
    /// `gpt-5.4`, `codex`, ...
    pub family: String,
    /// `[family]`.
    pub families: Vec<String>,
    /// `unknown`.
    pub parameter_size: String,
    /// `unknown`.
    pub quantization_level: String,
}

/// Body of `POST /api/show`: `model` (or legacy `name`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShowRequest {
    /// Model name.
    #[serde(default)]
    pub model: Option<String>,
    /// Legacy key for the model name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/show` reply.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShowResponse {
    /// The model name.
    pub model: String,
    /// Same as `model`.
    pub remote_model: String,
    /// A fixed note.
    pub license: String,
    /// `FROM <model>`.
    pub modelfile: String,
    /// `num_ctx <n>` (+ `reasoning <effort>`).
    pub parameters: String,
    /// `{{ .Prompt }}`.
    pub template: String,
    /// `completion`, `tools`, `vision`, `thinking`.
    pub capabilities: Vec<String>,
    /// RFC 3339 time.
    pub modified_at: String,
    /// As in `/api/tags`.
    pub details: ModelDetails,
    /// `general.architecture`, `<family>.context_length`, ...
    pub model_info: Map<String, Value>,
}
