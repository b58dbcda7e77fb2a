//! Tools, tool calls, tool choice and response format of the Chat Completions request.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A call made by an assistant message (`tool_calls[i]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Call id (`call_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function` or `custom`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Function call payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCall>,
    /// Custom (grammar) tool call payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomCall>,
}

/// `{name, arguments}`; `arguments` is JSON text (an object sent by a sloppy client is re-encoded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    #[serde(default)]
    pub name: String,
    /// Arguments as JSON text.
    #[serde(default, deserialize_with = "string_or_json")]
    pub arguments: String,
}

/// `{name, input}` of a custom tool call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomCall {
    /// Tool name.
    #[serde(default)]
    pub name: String,
    /// Raw input text.
    #[serde(default, deserialize_with = "string_or_json")]
    pub input: String,
}

/// A declared tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatTool {
    /// `{type:"function", function:{...}}`.
    Function {
        /// The declaration.
        function: FunctionDefinition,
    },
    /// `{type:"custom", custom:{name, description?, format?}}`.
    Custom {
        /// The declaration.
        custom: CustomToolDefinition,
    },
    /// `{type:"web_search" | "web_search_preview", ...}`: hosted search; the options are kept raw.
    #[serde(untagged)]
    WebSearch(Map<String, Value>),
    /// `{type:"image_generation", ...}` kept verbatim.
    #[serde(untagged)]
    ImageGeneration(Map<String, Value>),
    /// Any other tool type, verbatim (the translator rejects it).
    #[serde(untagged)]
    Other(Value),
}

impl<'de> Deserialize<'de> for ChatTool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let Value::Object(mut obj) = value else {
            return Err(de::Error::custom("tool must be an object"));
        };
        let kind = obj.get("type").and_then(Value::as_str).map(str::to_owned);
        match kind.as_deref() {
            Some("function") => {
                let function = obj
                    .remove("function")
                    .ok_or_else(|| de::Error::custom("function tool needs `function`"))?;
                let function =
                    FunctionDefinition::deserialize(function).map_err(de::Error::custom)?;
                Ok(ChatTool::Function { function })
            }
            Some("custom") => {
                let custom = match obj.remove("custom") {
                    Some(v) => v,
                    // flat form `{type:"custom", name, description?, format?}`
                    None => {
                        obj.remove("type");
                        Value::Object(obj)
                    }
                };
                let custom =
                    CustomToolDefinition::deserialize(custom).map_err(de::Error::custom)?;
                Ok(ChatTool::Custom { custom })
            }
            Some("web_search" | "web_search_preview") => Ok(ChatTool::WebSearch(obj)),
            Some("image_generation") => Ok(ChatTool::ImageGeneration(obj)),
            _ => Ok(ChatTool::Other(Value::Object(obj))),
        }
    }
}

/// A function declaration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    /// Function name.
    pub name: String,
    /// What the function does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Strict schema adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// A custom (free-form / grammar) tool declaration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomToolDefinition {
    /// Tool name.
    pub name: String,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Input format (`{type:"text"}` or a grammar), verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
}

/// `tool_choice`: a mode string or a named tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChatToolChoice {
    /// `none`, `auto` or `required`.
    Mode(String),
    /// `{type:"function", function:{name}}`, `{type:"custom", name}`, `{type:"web_search"}`, ...
    Named(NamedToolChoice),
}

/// An object `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedToolChoice {
    /// `function`, `custom`, `web_search`, `web_search_preview`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `{name}` for function choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<ToolName>,
    /// `{name}` for nested custom choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<ToolName>,
    /// Flat `name` (custom choices, Responses-style function choices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl NamedToolChoice {
    /// The tool name wherever the client put it.
    pub fn tool_name(&self) -> Option<&str> {
        self.function
            .as_ref()
            .map(|f| f.name.as_str())
            .or_else(|| self.custom.as_ref().map(|c| c.name.as_str()))
            .or(self.name.as_deref())
    }
}

/// `{name}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolName {
    /// The name.
    pub name: String,
}

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// Plain text (the default).
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// The schema and its name.
        json_schema: JsonSchemaFormat,
    },
}

/// `response_format.json_schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    /// Schema name.
    pub name: String,
    /// The JSON schema.
    pub schema: Value,
    /// Strict adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// What the format is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Accept a JSON string as-is; re-encode any other JSON value as text; null → "".
fn string_or_json<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Null => Ok(String::new()),
        other => Ok(other.to_string()),
    }
}
