//! Chat tools and tool choice → Codex tools and tool choice (translation spec §2.7, §3.3).

use codex_proxy_schema::openai::{
    ChatCompletionRequest, ChatTool, ChatToolChoice, FunctionDefinition,
};
use serde_json::{Map, Value, json};

fn function_tool(f: &FunctionDefinition) -> Value {
    let mut tool = Map::new();
    tool.insert("type".into(), Value::String("function".into()));
    tool.insert("name".into(), Value::String(f.name.clone()));
    tool.insert("strict".into(), Value::Bool(f.strict.unwrap_or(false)));
    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
        tool.insert("description".into(), Value::String(d.to_owned()));
    }
    if let Some(params) = &f.parameters {
        let mut params = params.clone();
        if let Value::Object(p) = &mut params
            && p.get("type").and_then(Value::as_str) == Some("object")
            && !p.contains_key("properties")
        {
            p.insert("properties".into(), Value::Object(Map::new()));
        }
        tool.insert("parameters".into(), params);
    }
    Value::Object(tool)
}

pub(super) fn map_tools(req: &ChatCompletionRequest) -> Vec<Value> {
    match req.tools.as_deref() {
        Some(tools) if !tools.is_empty() => tools
            .iter()
            .filter_map(|tool| match tool {
                ChatTool::Function { function } => Some(function_tool(function)),
                ChatTool::Custom { custom } => {
                    let mut t = Map::new();
                    t.insert("type".into(), Value::String("custom".into()));
                    t.insert("name".into(), Value::String(custom.name.clone()));
                    if let Some(d) = custom.description.as_deref().filter(|d| !d.is_empty()) {
                        t.insert("description".into(), Value::String(d.to_owned()));
                    }
                    if let Some(f) = &custom.format {
                        t.insert("format".into(), f.clone());
                    }
                    Some(Value::Object(t))
                }
                ChatTool::WebSearch(opts) => {
                    let mut t = Map::new();
                    t.insert("type".into(), Value::String("web_search".into()));
                    if let Some(size) = opts
                        .get("search_context_size")
                        .filter(|s| matches!(s.as_str(), Some("low" | "medium" | "high")))
                    {
                        t.insert("search_context_size".into(), size.clone());
                    }
                    if let Some(loc) = opts.get("user_location").filter(|l| l.is_object()) {
                        t.insert("user_location".into(), loc.clone());
                    }
                    Some(Value::Object(t))
                }
                ChatTool::ImageGeneration(raw) => Some(Value::Object(raw.clone())),
                ChatTool::Other(_) => None,
            })
            .collect(),
        _ => req.functions.iter().flatten().map(function_tool).collect(),
    }
}

/// Append hosted default tools unless a tool of that type is already present.
pub(super) fn append_default_tools(tools: &mut Vec<Value>, defaults: &[String]) {
    let family = |t: &str| {
        if t.starts_with("web_search") {
            "web_search"
        } else {
            t
        }
        .to_owned()
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

pub(super) fn map_tool_choice(choice: &ChatToolChoice) -> Value {
    match choice {
        ChatToolChoice::Mode(mode) => Value::String(mode.clone()),
        ChatToolChoice::Named(named) => match named.kind.as_str() {
            "web_search" | "web_search_preview" => json!({"type": "web_search"}),
            kind => json!({"type": kind, "name": named.tool_name().unwrap_or_default()}),
        },
    }
}
