//! The `/v1/chat/completions` request body, tolerant of what real clients send.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::tool::{
    ChatTool, ChatToolChoice, FunctionCall, FunctionDefinition, ResponseFormat, ToolCall,
};

/// A Chat Completions request. Fields the proxy reads are typed; everything else (sampling
/// parameters, `max_tokens`, `stop`, vendor extensions) lands in [`ChatCompletionRequest::extra`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    /// Requested model name (may carry `-high` / `-fast` style suffixes).
    pub model: String,
    /// Conversation so far, in order.
    pub messages: Vec<ChatMessage>,
    /// Stream the answer as SSE chunks (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options (`include_usage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ChatTool>>,
    /// Legacy function declarations (used when `tools` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<FunctionDefinition>>,
    /// Tool selection policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ChatToolChoice>,
    /// Whether several tool calls may be returned at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Output format (`text`, `json_object`, `json_schema`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Reasoning effort (`minimal`, `low`, `medium`, `high`, `xhigh`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Service tier (`fast`, `flex`, `priority`, `auto`, `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Number of choices to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// End-user id, used as a conversation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Every other field, preserved verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stream_options`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Send a final chunk with token usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Other stream options, preserved verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// System prompt.
    System,
    /// Developer prompt (newer name for system).
    Developer,
    /// End user.
    User,
    /// Model.
    Assistant,
    /// A tool result.
    Tool,
    /// A legacy function result.
    Function,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Author role.
    pub role: ChatRole,
    /// Message body: string, parts or null/absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    /// Optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Calls made by an assistant message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// For `tool` messages: the call this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Legacy single function call of an assistant message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    /// Reasoning text some clients echo back on assistant messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Every other field, preserved verbatim (e.g. `tool_call_type`, `refusal`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A message body: a plain string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Typed parts (text, images, ...).
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    /// The text of the message: the string itself, or the non-empty `text` parts joined by `\n`.
    pub fn joined_text(&self) -> String {
        match self {
            MessageContent::Text(s) => s.clone(),
            MessageContent::Parts(parts) => {
                let mut out = String::new();
                for text in parts
                    .iter()
                    .filter_map(ContentPart::text)
                    .filter(|t| !t.is_empty())
                {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(text);
                }
                out
            }
        }
    }
}

/// One content part.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// `{type:"text", text}`.
    Text {
        /// The text.
        text: String,
    },
    /// `{type:"image_url", image_url}`; `None` when the client sent null or nothing.
    ImageUrl {
        /// The image reference.
        image_url: Option<ImageUrl>,
    },
    /// Any other part type (`input_audio`, `file`, ...), kept verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl ContentPart {
    /// The text of a `text` part.
    pub fn text(&self) -> Option<&str> {
        match self {
            ContentPart::Text { text } => Some(text),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for ContentPart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let Value::Object(obj) = &value else {
            return Err(de::Error::custom("content part must be an object"));
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("text") => match obj.get("text") {
                Some(Value::String(s)) => Ok(ContentPart::Text { text: s.clone() }),
                None | Some(Value::Null) => Ok(ContentPart::Text {
                    text: String::new(),
                }),
                Some(_) => Err(de::Error::custom("text part: `text` must be a string")),
            },
            Some("image_url") => {
                let image_url = match obj.get("image_url") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(ImageUrl::deserialize(v).map_err(de::Error::custom)?),
                };
                Ok(ContentPart::ImageUrl { image_url })
            }
            Some(_) => Ok(ContentPart::Other(value)),
            None => Err(de::Error::custom("content part needs a string `type`")),
        }
    }
}

/// `image_url`: a bare URL string or `{url, detail}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ImageUrl {
    /// `"https://..."` or `"data:image/png;base64,..."`.
    Url(String),
    /// `{url, detail?}`.
    Object {
        /// The URL (may be missing in broken clients).
        #[serde(default)]
        url: Option<String>,
        /// `low`, `high` or `auto`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

impl ImageUrl {
    /// The URL, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            ImageUrl::Url(u) => Some(u),
            ImageUrl::Object { url, .. } => url.as_deref(),
        }
    }

    /// The requested detail level, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ImageUrl::Url(_) => None,
            ImageUrl::Object { detail, .. } => detail.as_deref(),
        }
    }
}
