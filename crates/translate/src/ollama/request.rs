//! Ollama `/api/chat` and `/api/generate` bodies → Codex Responses requests (translation spec
//! §6.3, mapped directly instead of through the chat-completions route).

use codex_proxy_schema::ollama::{ChatRequest, GenerateRequest, Message};
use serde_json::{Map, Value, json};

use crate::Translated;
use crate::dialect::{
    data_url, function_tool, into_request, set_common, set_instructions_and_input,
};
use crate::error::TranslateError;
use crate::model::resolve_model;
use crate::options::RequestOptions;
use crate::structured::prepare_schema;

/// Parse, validate and map an `/api/chat` body. `client_model` is the name as sent.
pub fn chat_to_responses(body: &[u8], opts: &RequestOptions) -> Result<Translated, TranslateError> {
    let value = parse_object(body)?;
    if !value.get("model").is_some_and(Value::is_string)
        || !value.get("messages").is_some_and(Value::is_array)
    {
        return Err(TranslateError::invalid(
            "Missing required fields: model, messages",
        ));
    }
    let req: ChatRequest =
        serde_json::from_value(value).map_err(|e| TranslateError::invalid(e.to_string()))?;
    let system_text = req
        .messages
        .iter()
        .filter(|m| m.role == "system")
        .filter_map(|m| m.content.as_deref())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let input = map_messages(&req.messages);
    let tools = req
        .tools
        .iter()
        .flatten()
        .map(|t| {
            function_tool(
                &t.function.name,
                t.function.description.as_deref(),
                t.function.parameters.clone(),
            )
        })
        .collect();
    build(
        &req.model,
        &system_text,
        input,
        tools,
        Shape {
            think: req.think.as_ref(),
            format: req.format.as_ref(),
            stream: req.stream,
        },
        opts,
    )
}

/// Parse, validate and map an `/api/generate` body (prompt + system + images → one turn).
pub fn generate_to_responses(
    body: &[u8],
    opts: &RequestOptions,
) -> Result<Translated, TranslateError> {
    let value = parse_object(body)?;
    if !value.get("model").is_some_and(Value::is_string) {
        return Err(TranslateError::invalid("Missing required fields: model"));
    }
    let req: GenerateRequest =
        serde_json::from_value(value).map_err(|e| TranslateError::invalid(e.to_string()))?;
    let message = Message {
        role: "user".into(),
        content: req.prompt.clone(),
        images: req.images.clone(),
        ..Message::default()
    };
    let input = map_messages(std::slice::from_ref(&message));
    build(
        &req.model,
        req.system.as_deref().unwrap_or(""),
        input,
        Vec::new(),
        Shape {
            think: req.think.as_ref(),
            format: req.format.as_ref(),
            stream: req.stream,
        },
        opts,
    )
}

struct Shape<'a> {
    think: Option<&'a Value>,
    format: Option<&'a Value>,
    stream: Option<bool>,
}

fn parse_object(body: &[u8]) -> Result<Value, TranslateError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| TranslateError::InvalidJson)?;
    if !value.is_object() {
        return Err(TranslateError::invalid("JSON body must be an object"));
    }
    Ok(value)
}

fn build(
    model: &str,
    system_text: &str,
    input: Vec<Value>,
    tools: Vec<Value>,
    shape: Shape<'_>,
    opts: &RequestOptions,
) -> Result<Translated, TranslateError> {
    let client_model = model.trim();
    // Ollama clients append tags (`gpt-5.4:latest`); the tag is not part of a Codex model id.
    let base = client_model.strip_suffix(":latest").unwrap_or(client_model);
    let resolved = resolve_model(base, &opts.catalog);
    let mut out = Map::new();
    out.insert("model".into(), Value::String(resolved.id.clone()));
    set_instructions_and_input(&mut out, opts, system_text, input);
    let effort = match shape.think {
        Some(Value::Bool(true)) => Some("medium"),
        Some(Value::String(s)) => match s.as_str() {
            "true" => Some("medium"),
            "minimal" => Some("minimal"),
            "low" => Some("low"),
            "medium" => Some("medium"),
            "high" => Some("high"),
            "xhigh" => Some("xhigh"),
            _ => None,
        },
        _ => None,
    };
    let want_reasoning = set_common(&mut out, opts, &resolved, tools, effort);
    let mut tuple_schema = None;
    match shape.format {
        Some(Value::String(s)) if s == "json" => {
            out.insert("text".into(), json!({"format": {"type": "json_object"}}));
        }
        Some(schema @ Value::Object(_)) => {
            let prepared = prepare_schema(schema);
            tuple_schema = prepared.tuple_original;
            out.insert(
                "text".into(),
                json!({"format": {"type": "json_schema", "name": "ollama_schema", "schema": prepared.schema, "strict": true}}),
            );
        }
        _ => {}
    }
    Ok(Translated {
        request: into_request(out)?,
        stream: shape.stream != Some(false),
        include_usage: true,
        client_model: client_model.to_owned(),
        conversation_id: None,
        want_reasoning,
        tuple_schema,
        cursor_mode: false,
    })
}

/// An unanswered call seen in the history.
struct SeenCall {
    id: String,
    name: String,
    answered: bool,
}

/// Messages → input items; tool results pair with calls by id, else by tool name, else with
/// the earliest unanswered call.
fn map_messages(messages: &[Message]) -> Vec<Value> {
    let mut items = Vec::with_capacity(messages.len());
    let mut calls: Vec<SeenCall> = Vec::new();
    for (i, msg) in messages.iter().enumerate() {
        let text = msg.content.as_deref().unwrap_or("");
        match msg.role.as_str() {
            "system" => {}
            "assistant" => {
                let tool_calls = msg.tool_calls.as_deref().unwrap_or(&[]);
                if !text.is_empty() || tool_calls.is_empty() {
                    items.push(json!({"type": "message", "role": "assistant", "content": text}));
                }
                for (j, call) in tool_calls.iter().enumerate() {
                    let id = call
                        .id
                        .clone()
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| format!("call_{i}_{j}"));
                    let name = if call.function.name.is_empty() {
                        "tool"
                    } else {
                        &call.function.name
                    };
                    let arguments = match &call.function.arguments {
                        Value::String(s) => s.clone(),
                        Value::Null => "{}".to_owned(),
                        other => other.to_string(),
                    };
                    items.push(json!({"type": "function_call", "call_id": id, "name": name, "arguments": arguments}));
                    calls.push(SeenCall {
                        id,
                        name: name.to_owned(),
                        answered: false,
                    });
                }
            }
            "tool" => {
                let name = msg.tool_name.as_deref().or(msg.name.as_deref());
                let by_id = msg
                    .tool_call_id
                    .as_deref()
                    .and_then(|id| calls.iter().position(|c| c.id == id));
                let by_name =
                    || name.and_then(|n| calls.iter().position(|c| !c.answered && c.name == n));
                let any = || calls.iter().position(|c| !c.answered);
                let id = match by_id.or_else(by_name).or_else(any) {
                    Some(k) => {
                        calls[k].answered = true;
                        calls[k].id.clone()
                    }
                    None => msg
                        .tool_call_id
                        .clone()
                        .unwrap_or_else(|| format!("call_{i}")),
                };
                items.push(json!({"type": "function_call_output", "call_id": id, "output": text}));
            }
            _ => {
                items.push(json!({"type": "message", "role": "user", "content": user_content(msg)}))
            }
        }
    }
    items
}

fn user_content(msg: &Message) -> Value {
    let text = msg.content.as_deref().unwrap_or("");
    let images = msg.images.as_deref().unwrap_or(&[]);
    if images.is_empty() {
        return Value::String(text.to_owned());
    }
    let mut parts = Vec::with_capacity(images.len() + 1);
    if !text.is_empty() {
        parts.push(json!({"type": "input_text", "text": text}));
    }
    for image in images {
        let url = if image.starts_with("data:")
            || image.starts_with("http://")
            || image.starts_with("https://")
        {
            image.clone()
        } else {
            data_url(sniff_mime(image), image)
        };
        parts.push(json!({"type": "input_image", "image_url": url}));
    }
    Value::Array(parts)
}

/// The image type from the first base64 characters (Ollama sends bare base64).
fn sniff_mime(b64: &str) -> &'static str {
    if b64.starts_with("/9j/") {
        "image/jpeg"
    } else if b64.starts_with("R0lGOD") {
        "image/gif"
    } else if b64.starts_with("UklGR") {
        "image/webp"
    } else {
        "image/png"
    }
}
