//! Tool declarations ([`Tool`]) and the tool choice ([`ToolChoice`]) of a Responses request.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::tagged::{impl_extra, type_of, typed};

/// One entry of `tools`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tool {
    /// `{type:"function", name, description?, parameters?, strict?}`.
    Function(FunctionTool),
    /// `{type:"custom", name, description?, format?}` (freeform / grammar tools).
    Custom(CustomTool),
    /// Hosted and other tools (`web_search`, `image_generation`, `namespace`, …), verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl Tool {
    /// The tool's `type`.
    pub fn kind(&self) -> &str {
        match self {
            Tool::Function(_) => "function",
            Tool::Custom(_) => "custom",
            Tool::Other(value) => type_of(value).unwrap_or(""),
        }
    }

    /// Converts arbitrary JSON into a tool; never fails (unfit shapes become `Other`).
    pub fn from_value(value: Value) -> Self {
        let parsed = match type_of(&value) {
            Some("function") => typed(&value).map(Tool::Function),
            Some("custom") => typed(&value).map(Tool::Custom),
            _ => None,
        };
        parsed.unwrap_or(Tool::Other(value))
    }
}

impl<'de> Deserialize<'de> for Tool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Tool::from_value)
    }
}

/// A function tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionTool {
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
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A custom (freeform) tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomTool {
    /// Tool name.
    pub name: String,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Input format (`{type:"text"}` or `{type:"grammar", syntax, definition}`), verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Other fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_extra!(FunctionTool, CustomTool);

/// `tool_choice`: a mode string or a named tool.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    /// `"auto"`, `"none"` or `"required"`.
    Mode(String),
    /// `{type:"function", name}`.
    Function {
        /// Function name.
        name: String,
    },
    /// `{type:"custom", name}`.
    Custom {
        /// Tool name.
        name: String,
    },
    /// Any other object (hosted tool choice, `allowed_tools`, …), verbatim.
    Other(Value),
}

impl ToolChoice {
    /// Converts arbitrary JSON; never fails (unfit shapes become `Other`).
    pub fn from_value(value: Value) -> Self {
        if let Value::String(mode) = value {
            return ToolChoice::Mode(mode);
        }
        let name = value.get("name").and_then(Value::as_str);
        let only_type_and_name = value.as_object().is_some_and(|o| o.len() == 2);
        match (type_of(&value), name) {
            (Some("function"), Some(name)) if only_type_and_name => ToolChoice::Function {
                name: name.to_owned(),
            },
            (Some("custom"), Some(name)) if only_type_and_name => ToolChoice::Custom {
                name: name.to_owned(),
            },
            _ => ToolChoice::Other(value),
        }
    }
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Mode(mode) => serializer.serialize_str(mode),
            ToolChoice::Function { name } | ToolChoice::Custom { name } => {
                let kind = if matches!(self, ToolChoice::Function { .. }) {
                    "function"
                } else {
                    "custom"
                };
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", kind)?;
                map.serialize_entry("name", name)?;
                map.end()
            }
            ToolChoice::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(ToolChoice::from_value)
    }
}
