//! Request-building rules shared by the Gemini and Ollama translators (translation spec §2):
//! instructions and the system-prompt strategy, reasoning effort and service tier, default hosted
//! tools, tool schema normalisation and the final typed [`ResponsesRequest`].

use codex_proxy_schema::responses::ResponsesRequest;
use serde_json::{Map, Value, json};

use crate::error::TranslateError;
use crate::model::ResolvedModel;
use crate::options::{RequestOptions, SystemPromptStrategy};

/// Default instructions when the client sent no system text.
const DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";

/// Budget → effort table (§2.4): absent, 0 or negative → none.
pub(crate) fn budget_effort(budget: i64) -> Option<&'static str> {
    match budget {
        i64::MIN..=0 => None,
        1..=1999 => Some("low"),
        2000..=7999 => Some("medium"),
        8000..=19999 => Some("high"),
        _ => Some("xhigh"),
    }
}

/// Put `instructions` and `input` into `out`, applying the system-prompt strategy (§2.2). An
/// empty `input` gets one empty user message.
pub(crate) fn set_instructions_and_input(
    out: &mut Map<String, Value>,
    opts: &RequestOptions,
    system_text: &str,
    mut input: Vec<Value>,
) {
    if input.is_empty() {
        input.push(json!({"type": "message", "role": "user", "content": ""}));
    }
    let build = |text: &str| match opts
        .instructions_prefix
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        Some(prefix) => format!("{prefix}\n\n{text}"),
        None => text.to_owned(),
    };
    let instructions = match opts.system_prompt_strategy {
        SystemPromptStrategy::Instructions => build(if system_text.is_empty() {
            DEFAULT_INSTRUCTIONS
        } else {
            system_text
        }),
        strategy => {
            if !system_text.is_empty() {
                let role = if strategy == SystemPromptStrategy::DeveloperInline {
                    "developer"
                } else {
                    "system"
                };
                input.insert(
                    0,
                    json!({"type": "message", "role": role, "content": [{"type": "input_text", "text": system_text}]}),
                );
            }
            build("")
        }
    };
    out.insert("instructions".into(), Value::String(instructions));
    out.insert("input".into(), Value::Array(input));
}

/// `tools` (with default hosted tools appended unless one of that type exists) and the fixed
/// fields, effort and tier. Returns whether an effort was set.
pub(crate) fn set_common(
    out: &mut Map<String, Value>,
    opts: &RequestOptions,
    resolved: &ResolvedModel,
    mut tools: Vec<Value>,
    explicit_effort: Option<&str>,
) -> bool {
    let family = |t: &str| {
        if t.starts_with("web_search") {
            "web_search".to_owned()
        } else {
            t.to_owned()
        }
    };
    for name in &opts.default_tools {
        let present = tools
            .iter()
            .any(|t| t.get("type").and_then(Value::as_str).map(family) == Some(family(name)));
        if !present {
            tools.push(json!({"type": name}));
        }
    }
    out.insert("tools".into(), Value::Array(tools));
    let effort = explicit_effort
        .or(resolved.effort)
        .map(str::to_owned)
        .or_else(|| opts.default_reasoning_effort.clone());
    let want_reasoning = effort.is_some();
    if let Some(effort) = effort {
        out.insert(
            "reasoning".into(),
            json!({"effort": effort, "summary": "auto"}),
        );
        out.insert("include".into(), json!(["reasoning.encrypted_content"]));
    }
    out.insert("store".into(), Value::Bool(false));
    out.insert("stream".into(), Value::Bool(true));
    if let Some(tier) = resolved.tier.or(opts.default_service_tier.as_deref()) {
        let wire = if matches!(tier, "fast" | "priority") {
            "priority"
        } else {
            tier
        };
        out.insert("service_tier".into(), Value::String(wire.to_owned()));
    }
    want_reasoning
}

/// A function tool: `parameters` of type object without `properties` gets `properties: {}`.
pub(crate) fn function_tool(name: &str, description: Option<&str>, params: Option<Value>) -> Value {
    let mut tool = Map::new();
    tool.insert("type".into(), Value::String("function".into()));
    tool.insert("name".into(), Value::String(name.to_owned()));
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        tool.insert("description".into(), Value::String(d.to_owned()));
    }
    if let Some(mut params) = params.filter(|p| !p.is_null()) {
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

/// The built map as a typed request.
pub(crate) fn into_request(out: Map<String, Value>) -> Result<ResponsesRequest, TranslateError> {
    serde_json::from_value(Value::Object(out)).map_err(|e| TranslateError::invalid(e.to_string()))
}

/// A `data:` URL for base64 bytes.
pub(crate) fn data_url(mime: &str, data: &str) -> String {
    let mime = if mime.is_empty() { "image/png" } else { mime };
    format!("data:{mime};base64,{data}")
}
