//! Chat Completions request → Codex Responses request (translation spec §2, §3.2, §3.3).

use std::collections::HashSet;

use codex_proxy_schema::openai::{
    ChatCompletionRequest, ChatMessage, ChatRole, ChatTool, ChatToolChoice, ContentPart,
    MessageContent, ResponseFormat,
};
use codex_proxy_schema::responses::ResponsesRequest;
use serde_json::{Map, Value, json};

use super::normalize::normalize;
use super::tools::{append_default_tools, map_tool_choice, map_tools};
use crate::error::TranslateError;
use crate::model::resolve_model;
use crate::options::{RequestOptions, SystemPromptStrategy};
use crate::structured::prepare_schema;
use crate::{StreamContext, Translated};

/// Default instructions when the client sent no system text.
const DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";
/// Efforts a client may ask for in `reasoning_effort`.
const EFFORTS: [&str; 6] = ["none", "minimal", "low", "medium", "high", "xhigh"];

/// Parse, validate and map a `/v1/chat/completions` body to a Codex request.
pub fn request_to_responses(
    body: &[u8],
    opts: &RequestOptions,
) -> Result<Translated, TranslateError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| TranslateError::InvalidJson)?;
    let Value::Object(mut obj) = value else {
        return Err(TranslateError::invalid(
            "request body must be a JSON object",
        ));
    };
    normalize(&mut obj);
    let req: ChatCompletionRequest = serde_json::from_value(Value::Object(obj))
        .map_err(|e| TranslateError::invalid(e.to_string()))?;
    validate(&req)?;

    let resolved = resolve_model(&req.model, &opts.catalog);
    if !resolved.recognized {
        return Err(TranslateError::ModelNotFound(req.model.trim().to_owned()));
    }

    let custom_tools: HashSet<&str> = req
        .tools
        .iter()
        .flatten()
        .filter_map(|t| match t {
            ChatTool::Custom { custom } => Some(custom.name.as_str()),
            _ => None,
        })
        .collect();

    let mut out = Map::new();
    out.insert("model".into(), Value::String(resolved.id.clone()));

    // instructions and input
    let system_text = system_text(&req.messages);
    let mut input = map_messages(&req.messages, &custom_tools);
    if input.is_empty() {
        input.push(json!({"type": "message", "role": "user", "content": ""}));
    }
    let instructions = match opts.system_prompt_strategy {
        SystemPromptStrategy::Instructions => build_instructions(
            opts,
            if system_text.is_empty() {
                DEFAULT_INSTRUCTIONS
            } else {
                &system_text
            },
        ),
        strategy => {
            if !system_text.is_empty() {
                let role = if strategy == SystemPromptStrategy::DeveloperInline {
                    "developer"
                } else {
                    "system"
                };
                input.insert(0, json!({"type": "message", "role": role, "content": [{"type": "input_text", "text": system_text}]}));
            }
            build_instructions(opts, "")
        }
    };
    out.insert("instructions".into(), Value::String(instructions));
    out.insert("input".into(), Value::Array(input));

    // tools
    let mut tools = map_tools(&req);
    append_default_tools(&mut tools, &opts.default_tools);
    out.insert("tools".into(), Value::Array(tools));
    if let Some(choice) = &req.tool_choice {
        out.insert("tool_choice".into(), map_tool_choice(choice));
    }
    if let Some(parallel) = req.parallel_tool_calls {
        out.insert("parallel_tool_calls".into(), Value::Bool(parallel));
    }

    // reasoning
    let effort = req
        .reasoning_effort
        .clone()
        .or_else(|| resolved.effort.map(str::to_owned))
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

    // service tier: body > suffix > config; `fast` travels as `priority`
    let body_tier = req
        .service_tier
        .as_deref()
        .filter(|t| !matches!(*t, "auto" | "default"));
    let tier = body_tier
        .or(resolved.tier)
        .or(opts.default_service_tier.as_deref());
    if let Some(tier) = tier {
        let wire = if matches!(tier, "fast" | "priority") {
            "priority"
        } else {
            tier
        };
        out.insert("service_tier".into(), Value::String(wire.to_owned()));
    }

    // structured output
    let mut tuple_schema = None;
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            out.insert("text".into(), json!({"format": {"type": "json_object"}}));
        }
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            let prepared = prepare_schema(&json_schema.schema);
            tuple_schema = prepared.tuple_original;
            let mut format = Map::new();
            format.insert("type".into(), Value::String("json_schema".into()));
            format.insert("name".into(), Value::String(json_schema.name.clone()));
            format.insert("schema".into(), prepared.schema);
            if let Some(strict) = json_schema.strict {
                format.insert("strict".into(), Value::Bool(strict));
            }
            out.insert("text".into(), json!({"format": format}));
        }
        Some(ResponseFormat::Text) | None => {}
    }

    let request: ResponsesRequest = serde_json::from_value(Value::Object(out))
        .map_err(|e| TranslateError::invalid(e.to_string()))?;
    Ok(Translated {
        request,
        stream: req.stream.unwrap_or(false),
        include_usage: req
            .stream_options
            .as_ref()
            .and_then(|s| s.include_usage)
            .unwrap_or(false),
        client_model: resolved.display,
        conversation_id: req.user.filter(|u| !u.trim().is_empty()),
        want_reasoning,
        tuple_schema,
        cursor_mode: opts.cursor_mode,
    })
}

impl Translated {
    /// The streaming / collecting context for this request, with injected id and clock.
    pub fn stream_context(&self, id: String, created: u64) -> StreamContext {
        StreamContext {
            id,
            created,
            model: self.client_model.clone(),
            include_usage: self.include_usage,
            tuple_schema: self.tuple_schema.clone(),
            cursor_mode: self.cursor_mode,
        }
    }
}

fn validate(req: &ChatCompletionRequest) -> Result<(), TranslateError> {
    if req.messages.is_empty() {
        return Err(TranslateError::invalid_param(
            "messages",
            "messages must contain at least one message",
        ));
    }
    match req.n {
        None | Some(1) => {}
        Some(n) => {
            return Err(TranslateError::invalid_param(
                "n",
                format!("n={n} is not supported: only one choice can be generated"),
            ));
        }
    }
    if let Some(effort) = &req.reasoning_effort
        && !EFFORTS.contains(&effort.as_str())
    {
        return Err(TranslateError::invalid_param(
            "reasoning_effort",
            format!("unsupported reasoning_effort '{effort}'"),
        ));
    }
    if let Some(tier) = &req.service_tier
        && !matches!(
            tier.as_str(),
            "fast" | "flex" | "priority" | "auto" | "default"
        )
    {
        return Err(TranslateError::invalid_param(
            "service_tier",
            format!("unsupported service_tier '{tier}'"),
        ));
    }
    for tool in req.tools.iter().flatten() {
        if let ChatTool::Other(raw) = tool {
            let kind = raw
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("<missing>");
            return Err(TranslateError::invalid_param(
                "tools",
                format!("unsupported tool type '{kind}'"),
            ));
        }
    }
    match &req.tool_choice {
        Some(ChatToolChoice::Mode(mode))
            if !matches!(mode.as_str(), "none" | "auto" | "required") =>
        {
            return Err(TranslateError::invalid_param(
                "tool_choice",
                format!("unsupported tool_choice '{mode}'"),
            ));
        }
        Some(ChatToolChoice::Named(named)) => match named.kind.as_str() {
            "function" | "custom" if named.tool_name().is_none() => {
                return Err(TranslateError::invalid_param(
                    "tool_choice",
                    "tool_choice needs a tool name",
                ));
            }
            "function" | "custom" | "web_search" | "web_search_preview" => {}
            other => {
                return Err(TranslateError::invalid_param(
                    "tool_choice",
                    format!("unsupported tool_choice type '{other}'"),
                ));
            }
        },
        _ => {}
    }
    Ok(())
}

/// Text of every system/developer message, joined by a blank line.
fn system_text(messages: &[ChatMessage]) -> String {
    let texts = messages
        .iter()
        .filter(|m| matches!(m.role, ChatRole::System | ChatRole::Developer))
        .filter_map(|m| m.content.as_ref().map(MessageContent::joined_text))
        .filter(|t| !t.is_empty());
    texts.collect::<Vec<_>>().join("\n\n")
}

fn build_instructions(opts: &RequestOptions, text: &str) -> String {
    match opts
        .instructions_prefix
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        Some(prefix) => format!("{prefix}\n\n{text}"),
        None => text.to_owned(),
    }
}

/// Non-system messages → Codex input items.
fn map_messages(messages: &[ChatMessage], custom_tools: &HashSet<&str>) -> Vec<Value> {
    let mut items = Vec::with_capacity(messages.len());
    let mut custom_call_ids: HashSet<String> = HashSet::new();
    for msg in messages {
        match msg.role {
            ChatRole::System | ChatRole::Developer => {}
            ChatRole::User => items.push(json!({"type": "message", "role": "user", "content": user_content(msg.content.as_ref())})),
            ChatRole::Assistant => {
                let text = msg.content.as_ref().map(MessageContent::joined_text).unwrap_or_default();
                let has_calls = msg.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) || msg.function_call.is_some();
                if !text.is_empty() || !has_calls {
                    items.push(json!({"type": "message", "role": "assistant", "content": text}));
                }
                for call in msg.tool_calls.iter().flatten() {
                    let id = call.id.clone().unwrap_or_default();
                    if let Some(custom) = &call.custom {
                        custom_call_ids.insert(id.clone());
                        items.push(json!({"type": "custom_tool_call", "call_id": id, "name": custom.name, "input": custom.input}));
                    } else if let Some(function) = &call.function {
                        if custom_tools.contains(function.name.as_str()) {
                            custom_call_ids.insert(id.clone());
                            items.push(json!({"type": "custom_tool_call", "call_id": id, "name": function.name, "input": function.arguments}));
                        } else {
                            items.push(json!({"type": "function_call", "call_id": id, "name": function.name, "arguments": function.arguments}));
                        }
                    }
                }
                if let Some(fc) = &msg.function_call {
                    items.push(json!({"type": "function_call", "call_id": format!("fc_{}", fc.name), "name": fc.name, "arguments": fc.arguments}));
                }
            }
            ChatRole::Tool => {
                let call_id = msg.tool_call_id.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "unknown".to_owned());
                let marked_custom = msg.extra.get("tool_call_type").and_then(Value::as_str) == Some("custom");
                let kind = if marked_custom || custom_call_ids.contains(&call_id) { "custom_tool_call_output" } else { "function_call_output" };
                let output = msg.content.as_ref().map(MessageContent::joined_text).unwrap_or_default();
                items.push(json!({"type": kind, "call_id": call_id, "output": output}));
            }
            ChatRole::Function => {
                let name = msg.name.as_deref().filter(|n| !n.is_empty()).unwrap_or("unknown");
                let output = msg.content.as_ref().map(MessageContent::joined_text).unwrap_or_default();
                items.push(json!({"type": "function_call_output", "call_id": format!("fc_{name}"), "output": output}));
            }
        }
    }
    items
}

/// User content: a string, or `input_text`/`input_image` parts when images are present.
fn user_content(content: Option<&MessageContent>) -> Value {
    match content {
        None => Value::String(String::new()),
        Some(MessageContent::Text(s)) => Value::String(s.clone()),
        Some(c @ MessageContent::Parts(parts)) => {
            if !parts
                .iter()
                .any(|p| matches!(p, ContentPart::ImageUrl { .. }))
            {
                return Value::String(c.joined_text());
            }
            let mut out = Vec::with_capacity(parts.len());
            for part in parts {
                match part {
                    ContentPart::Text { text } if !text.is_empty() => {
                        out.push(json!({"type": "input_text", "text": text}))
                    }
                    ContentPart::ImageUrl {
                        image_url: Some(image),
                    } => {
                        if let Some(url) = image.url().filter(|u| !u.is_empty()) {
                            let mut p = json!({"type": "input_image", "image_url": url});
                            if let Some(detail) = image.detail() {
                                p["detail"] = Value::String(detail.to_owned());
                            }
                            out.push(p);
                        }
                    }
                    _ => {}
                }
            }
            if out.is_empty() {
                Value::String(String::new())
            } else {
                Value::Array(out)
            }
        }
    }
}
