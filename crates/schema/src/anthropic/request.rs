//! The Messages request body ([`MessagesRequest`]) and its parts, as clients send them.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A `POST /v1/messages` (or `/v1/messages/count_tokens`) body. Unknown fields (`temperature`,
/// `context_management`, `betas`, …) are kept in `extra`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessagesRequest {
    /// Client model name (`claude-sonnet-4-5`, …).
    #[serde(default)]
    pub model: String,
    /// Required by the Messages API; the Codex backend has no equivalent.
    #[serde(default)]
    pub max_tokens: Option<Value>,
    /// The conversation.
    #[serde(default)]
    pub messages: Vec<MessageParam>,
    /// System prompt: a string or text blocks.
    #[serde(default)]
    pub system: Option<SystemPrompt>,
    /// Streamed answer wanted.
    #[serde(default)]
    pub stream: Option<bool>,
    /// `{type: enabled|disabled|adaptive, budget_tokens?}`.
    #[serde(default)]
    pub thinking: Option<ThinkingConfig>,
    /// Tool declarations (client tools and server tools).
    #[serde(default)]
    pub tools: Option<Vec<ToolDefinition>>,
    /// `{type: auto|any|tool|none, name?, disable_parallel_tool_use?}`.
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    /// `{user_id?}`; Claude Code puts a JSON string with a `session_id` in `user_id`.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// `{effort?}` (adaptive thinking effort).
    #[serde(default)]
    pub output_config: Option<OutputConfig>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `system`: a string or a list of text blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    /// `"system": "…"`.
    Text(String),
    /// `"system": [{type:"text", text, cache_control?}]`.
    Blocks(Vec<SystemBlock>),
}

/// One block of a block-list `system`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SystemBlock {
    /// `text` (other types are ignored).
    #[serde(default, rename = "type")]
    pub kind: String,
    /// The text.
    #[serde(default)]
    pub text: String,
}

/// One entry of `messages`.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageParam {
    /// `user`, `assistant`, or (Claude Code) `system`.
    #[serde(default)]
    pub role: String,
    /// A string or content blocks.
    pub content: MessageContent,
}

/// Message content: a string or blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// `"content": "…"`.
    Text(String),
    /// `"content": [blocks]`.
    Blocks(Vec<ContentBlock>),
}

/// One content block. Blocks that do not fit their typed shape, and unknown block types, are
/// kept verbatim as [`ContentBlock::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    /// `{type:"text", text}`.
    Text(String),
    /// `{type:"image", source}`.
    Image(ImageBlock),
    /// `{type:"document", source, title?}`.
    Document(DocumentBlock),
    /// `{type:"tool_use", id, name, input}`.
    ToolUse(ToolUseBlock),
    /// `{type:"tool_result", tool_use_id, content?, is_error?}`.
    ToolResult(ToolResultBlock),
    /// `{type:"thinking", thinking, signature}`.
    Thinking(ThinkingBlock),
    /// `{type:"redacted_thinking", data}`.
    RedactedThinking(String),
    /// Anything else (`search_result`, `server_tool_use`, …).
    Other(Value),
}

impl ContentBlock {
    /// Converts arbitrary JSON; never fails.
    pub fn from_value(value: Value) -> Self {
        fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
            T::deserialize(v).ok()
        }
        let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
        let parsed = match kind {
            "text" => value
                .get("text")
                .and_then(Value::as_str)
                .map(|t| ContentBlock::Text(t.to_owned())),
            "image" => typed(&value).map(ContentBlock::Image),
            "document" => typed(&value).map(ContentBlock::Document),
            "tool_use" => typed(&value).map(ContentBlock::ToolUse),
            "tool_result" => typed(&value).map(ContentBlock::ToolResult),
            "thinking" => typed(&value).map(ContentBlock::Thinking),
            "redacted_thinking" => value
                .get("data")
                .and_then(Value::as_str)
                .map(|d| ContentBlock::RedactedThinking(d.to_owned())),
            _ => None,
        };
        parsed.unwrap_or(ContentBlock::Other(value))
    }

    /// The block's `type` (`text`, `image`, …).
    pub fn kind(&self) -> &str {
        match self {
            ContentBlock::Text(_) => "text",
            ContentBlock::Image(_) => "image",
            ContentBlock::Document(_) => "document",
            ContentBlock::ToolUse(_) => "tool_use",
            ContentBlock::ToolResult(_) => "tool_result",
            ContentBlock::Thinking(_) => "thinking",
            ContentBlock::RedactedThinking(_) => "redacted_thinking",
            ContentBlock::Other(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(ContentBlock::from_value)
    }
}

/// Where an image or document comes from: `{type: base64|url|text|file, media_type?, data?, url?}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Source {
    /// `base64`, `url`, `text`, `file`, `content`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// MIME type (`image/png`, `application/pdf`, `text/plain`).
    #[serde(default)]
    pub media_type: Option<String>,
    /// Base64 data (`base64`) or plain text (`text`).
    #[serde(default)]
    pub data: Option<String>,
    /// Remote URL (`url`).
    #[serde(default)]
    pub url: Option<String>,
}

/// `{type:"image", source}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ImageBlock {
    /// The image source.
    pub source: Source,
}

/// `{type:"document", source, title?}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DocumentBlock {
    /// The document source.
    pub source: Source,
    /// Optional title (used as the file name).
    #[serde(default)]
    pub title: Option<String>,
}

/// `{type:"tool_use", id, name, input}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolUseBlock {
    /// `toolu_…` / `call_…`.
    #[serde(default)]
    pub id: String,
    /// Tool name.
    #[serde(default)]
    pub name: String,
    /// Arguments object.
    #[serde(default)]
    pub input: Value,
}

/// `{type:"tool_result", tool_use_id, content?, is_error?}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolResultBlock {
    /// The `tool_use` this answers.
    #[serde(default)]
    pub tool_use_id: String,
    /// A string or blocks (text, image, …).
    #[serde(default)]
    pub content: Option<ToolResultContent>,
    /// The tool failed.
    #[serde(default)]
    pub is_error: Option<bool>,
}

/// Content of a tool result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    /// Plain text.
    Text(String),
    /// Blocks.
    Blocks(Vec<ContentBlock>),
}

/// `{type:"thinking", thinking, signature}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ThinkingBlock {
    /// The (summarised) reasoning text.
    #[serde(default)]
    pub thinking: String,
    /// Opaque signature (ours carries the encrypted Codex reasoning).
    #[serde(default)]
    pub signature: String,
}

/// `thinking: {type, budget_tokens?}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ThinkingConfig {
    /// `enabled`, `disabled` or `adaptive`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Token budget (`enabled`, optionally `adaptive`).
    #[serde(default)]
    pub budget_tokens: Option<i64>,
}

/// `output_config: {effort?}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct OutputConfig {
    /// `low`, `medium`, `high`, `max`.
    #[serde(default)]
    pub effort: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `tools`: a client tool (`name`, `input_schema`) or a server tool (`type`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolDefinition {
    /// `custom`, `web_search_20250305`, `bash_20250124`, … (absent for client tools).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Tool name.
    #[serde(default)]
    pub name: Option<String>,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// JSON schema of the input.
    #[serde(default)]
    pub input_schema: Option<Value>,
    /// Other fields (`cache_control`, `defer_loading`, `max_uses`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolChoice {
    /// `auto`, `any`, `tool` or `none`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Tool name (`tool`).
    #[serde(default)]
    pub name: Option<String>,
    /// At most one tool call per turn.
    #[serde(default)]
    pub disable_parallel_tool_use: Option<bool>,
}
