//! Anthropic tools and tool_choice → Codex tools and tool_choice (spec §4.4, §2.7).
//!
//! * client tools (`name` + `input_schema`, also `type: "custom"`) → function tools; the schema
//!   is cleaned: `$schema` / `$id` dropped at the root (the backend does not need them), an
//!   object schema without `properties` gets `properties: {}`; tool-level `cache_control`,
//!   `defer_loading`, `input_examples`, `strict` never travel;
//! * `web_search_*` server tools → hosted `{type:"web_search"}` (options dropped); Claude Code's
//!   own `WebSearch` tool likewise when the request is a Claude Code conversation;
//! * Anthropic-executed server tools that the client could never run (`web_fetch_*`,
//!   `code_execution_*`, `tool_search_tool_*`, `mcp_toolset`) are dropped; client-executed
//!   versioned tools (`bash_*`, `text_editor_*`, `computer_*`, `memory_*`) become function tools
//!   named as declared, without parameters.

use codex_proxy_schema::anthropic::{ToolChoice, ToolDefinition};
use serde_json::{Map, Value, json};

use crate::error::TranslateError;

/// Hint appended to Claude Code's `Read.pages` description (reference behaviour).
const READ_PAGES_HINT: &str =
    " Omit this field entirely for non-PDF files; do not pass an empty string.";

/// Tool types run by Anthropic's servers, meaningless here.
const DROPPED_SERVER_TOOLS: [&str; 4] = [
    "web_fetch",
    "code_execution",
    "tool_search_tool",
    "mcp_toolset",
];

/// Map the declared tools. `claude_code` enables the `WebSearch` → hosted search mapping.
pub(super) fn map_tools(tools: &[ToolDefinition], claude_code: bool) -> Vec<Value> {
    let mut out = Vec::with_capacity(tools.len());
    for tool in tools {
        let kind = tool.kind.as_deref().unwrap_or("");
        if kind.starts_with("web_search") || (claude_code && looks_like_claude_web_search(tool)) {
            if !out.iter().any(|t: &Value| t["type"] == "web_search") {
                out.push(json!({"type": "web_search"}));
            }
            continue;
        }
        if DROPPED_SERVER_TOOLS.iter().any(|p| kind.starts_with(p)) {
            continue;
        }
        let Some(name) = tool.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let mut f = Map::new();
        f.insert("type".into(), Value::String("function".into()));
        f.insert("name".into(), Value::String(name.to_owned()));
        if let Some(d) = tool.description.as_deref().filter(|d| !d.is_empty()) {
            f.insert("description".into(), Value::String(d.to_owned()));
        }
        let client_tool = kind.is_empty() || kind == "custom";
        if let Some(schema) = tool.input_schema.as_ref().filter(|_| client_tool) {
            f.insert("parameters".into(), clean_schema(name, schema));
        }
        out.push(Value::Object(f));
    }
    out
}

/// Append hosted default tools unless a tool of that type (search family) is present.
pub(super) fn append_default_tools(tools: &mut Vec<Value>, defaults: &[String]) {
    let family = |t: &str| {
        if t.starts_with("web_search") {
            "web_search".to_owned()
        } else {
            t.to_owned()
        }
    };
    for name in defaults {
        let present = tools
            .iter()
            .any(|t| t.get("type").and_then(Value::as_str).map(family) == Some(family(name)));
        if !present {
            tools.push(json!({"type": name}));
        }
    }
}

/// `tool_choice` → Codex `tool_choice` and `parallel_tool_calls`.
pub(super) fn map_tool_choice(
    choice: &ToolChoice,
    tools: &[ToolDefinition],
    claude_code: bool,
) -> Result<(Value, Option<bool>), TranslateError> {
    let parallel = choice
        .disable_parallel_tool_use
        .filter(|d| *d)
        .map(|_| false);
    let mapped = match choice.kind.as_str() {
        "auto" => Value::String("auto".into()),
        "any" => Value::String("required".into()),
        "none" => Value::String("none".into()),
        "tool" => {
            let Some(name) = choice.name.as_deref().filter(|n| !n.is_empty()) else {
                return Err(TranslateError::invalid_param(
                    "tool_choice",
                    "tool_choice of type 'tool' needs a name",
                ));
            };
            let hosted = tools.iter().any(|t| {
                let kind = t.kind.as_deref().unwrap_or("");
                (kind.starts_with("web_search") && t.name.as_deref().is_none_or(|n| n == name))
                    || (claude_code
                        && t.name.as_deref() == Some(name)
                        && looks_like_claude_web_search(t))
            });
            if hosted {
                json!({"type": "web_search"})
            } else {
                json!({"type": "function", "name": name})
            }
        }
        other => {
            return Err(TranslateError::invalid_param(
                "tool_choice",
                format!("unsupported tool_choice type '{other}'"),
            ));
        }
    };
    Ok((mapped, parallel))
}

/// Claude Code's client-side `WebSearch` tool (name, description and schema heuristic).
fn looks_like_claude_web_search(tool: &ToolDefinition) -> bool {
    let description = tool.description.as_deref().unwrap_or("").to_lowercase();
    tool.name.as_deref() == Some("WebSearch")
        && description.contains("search")
        && description.contains("web")
        && tool
            .input_schema
            .as_ref()
            .and_then(|s| s.pointer("/properties/query"))
            .is_some_and(Value::is_object)
}

/// The input schema as the backend wants it (see module docs).
fn clean_schema(name: &str, schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Value::Object(obj) = &mut schema {
        obj.remove("$schema");
        obj.remove("$id");
        if obj.get("type").and_then(Value::as_str) == Some("object")
            && !obj.contains_key("properties")
        {
            obj.insert("properties".into(), Value::Object(Map::new()));
        }
        if name == "Read"
            && let Some(Value::Object(pages)) =
                obj.get_mut("properties").and_then(|p| p.get_mut("pages"))
        {
            let description = pages
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if !description.contains(READ_PAGES_HINT.trim()) {
                pages.insert(
                    "description".into(),
                    Value::String(format!("{description}{READ_PAGES_HINT}")),
                );
            }
        }
    } else {
        schema = json!({"type": "object", "properties": {}});
    }
    schema
}
