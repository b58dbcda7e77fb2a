//! Pre-validation normalization of Cursor / Responses-shaped bodies sent to the chat route
//! (translation spec §3.1): `input` + `instructions` become `messages`, flat tools and tool
//! calls are nested, `reasoning.effort` fills `reasoning_effort`.

use serde_json::{Map, Value, json};

/// Normalize `body` in place.
pub(crate) fn normalize(body: &mut Map<String, Value>) {
    if !body.get("messages").is_some_and(Value::is_array)
        && let Some(input) = body.get("input")
    {
        let mut messages = Vec::new();
        if let Some(Value::String(instructions)) = body.get("instructions")
            && !instructions.is_empty()
        {
            messages.push(json!({"role": "system", "content": instructions}));
        }
        let before = messages.len();
        match input {
            Value::String(s) => messages.push(json!({"role": "user", "content": s})),
            Value::Array(items) => messages.extend(items.iter().filter_map(convert_item)),
            Value::Object(_) => messages.extend(convert_item(input)),
            _ => {}
        }
        if messages.len() > before {
            body.insert("messages".into(), Value::Array(messages));
        }
    }
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        for msg in messages.iter_mut() {
            if let Some(Value::Array(calls)) = msg.get_mut("tool_calls") {
                calls.iter_mut().for_each(wrap_flat_custom_call);
            }
        }
    }
    if !body.contains_key("reasoning_effort")
        && let Some(effort) = body
            .get("reasoning")
            .and_then(|r| r.get("effort"))
            .and_then(Value::as_str)
    {
        let effort = effort.to_owned();
        body.insert("reasoning_effort".into(), Value::String(effort));
    }
    if let Some(Value::Array(tools)) = body.get_mut("tools") {
        tools.iter_mut().for_each(nest_flat_function_tool);
    }
}

/// One Responses input item → one chat message (or nothing).
fn convert_item(item: &Value) -> Option<Value> {
    let obj = item.as_object()?;
    let kind = obj.get("type").and_then(Value::as_str);
    let str_of = |k: &str| obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    match kind {
        Some("function_call") => {
            let name = str_of("name")?;
            let id = str_of("call_id")
                .or(str_of("id"))
                .map_or_else(|| format!("fc_{name}"), str::to_owned);
            let arguments = match obj.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            Some(json!({"role": "assistant", "content": null,
                "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]}))
        }
        Some("custom_tool_call") => {
            let name = str_of("name")?;
            let input = obj.get("input").and_then(Value::as_str)?;
            let id = str_of("call_id")
                .or(str_of("id"))
                .map_or_else(|| format!("ctc_{name}"), str::to_owned);
            Some(json!({"role": "assistant", "content": null,
                "tool_calls": [{"id": id, "type": "custom", "custom": {"name": name, "input": input}}]}))
        }
        Some(k @ ("function_call_output" | "custom_tool_call_output")) => {
            let id = str_of("call_id").or(str_of("id")).unwrap_or("unknown");
            let mut msg = json!({"role": "tool", "tool_call_id": id, "content": output_text(obj.get("output"))});
            if k == "custom_tool_call_output" {
                msg["tool_call_type"] = Value::String("custom".into());
            }
            Some(msg)
        }
        Some("input_text" | "output_text") => Some(
            json!({"role": "user", "content": obj.get("text").cloned().unwrap_or(Value::Null)}),
        ),
        _ if kind == Some("message")
            || obj
                .get("role")
                .and_then(Value::as_str)
                .is_some_and(is_chat_role) =>
        {
            let role = obj
                .get("role")
                .and_then(Value::as_str)
                .filter(|r| is_chat_role(r))
                .unwrap_or("user");
            let mut msg = Map::new();
            msg.insert("role".into(), Value::String(role.into()));
            let content = match obj.get("content") {
                Some(Value::Array(parts)) => {
                    Value::Array(parts.iter().filter_map(convert_part).collect())
                }
                Some(part @ Value::Object(_)) => {
                    Value::Array(convert_part(part).into_iter().collect())
                }
                Some(other) => other.clone(),
                None => Value::Null,
            };
            msg.insert("content".into(), content);
            for key in ["name", "tool_call_id", "tool_calls", "function_call"] {
                if let Some(v) = obj.get(key) {
                    msg.insert(key.into(), v.clone());
                }
            }
            Some(Value::Object(msg))
        }
        _ => None,
    }
}

fn is_chat_role(role: &str) -> bool {
    matches!(
        role,
        "system" | "developer" | "user" | "assistant" | "tool" | "function"
    )
}

/// A Responses content part → a chat content part.
fn convert_part(part: &Value) -> Option<Value> {
    match part.get("type").and_then(Value::as_str) {
        Some("input_text" | "output_text" | "text") => {
            Some(json!({"type": "text", "text": part.get("text").cloned().unwrap_or(Value::Null)}))
        }
        Some("input_image") => {
            let url = part
                .get("image_url")
                .or_else(|| part.get("url"))
                .cloned()
                .unwrap_or(Value::Null);
            Some(json!({"type": "image_url", "image_url": url}))
        }
        _ => Some(part.clone()),
    }
}

/// A function/custom tool output as text: strings as-is, part arrays joined by `\n`.
fn output_text(output: Option<&Value>) -> String {
    match output {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| {
                p.get("text")
                    .or_else(|| p.get("output"))
                    .and_then(Value::as_str)
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => other.to_string(),
    }
}

/// `{type:"custom", name, input}` → `{type:"custom", custom:{name, input}}`.
fn wrap_flat_custom_call(call: &mut Value) {
    let Some(obj) = call.as_object_mut() else {
        return;
    };
    if obj.get("type").and_then(Value::as_str) == Some("custom") && !obj.contains_key("custom") {
        let name = obj.remove("name").unwrap_or(Value::Null);
        let input = obj.remove("input").unwrap_or(Value::Null);
        obj.insert("custom".into(), json!({"name": name, "input": input}));
    }
}

/// `{type:"function", name, parameters|input_schema|schema, ...}` → nested `function`.
fn nest_flat_function_tool(tool: &mut Value) {
    let Some(obj) = tool.as_object_mut() else {
        return;
    };
    if obj.get("type").and_then(Value::as_str) != Some("function") || obj.contains_key("function") {
        return;
    }
    let mut function = Map::new();
    if let Some(name) = obj.remove("name") {
        function.insert("name".into(), name);
    }
    if let Some(d) = obj.remove("description") {
        function.insert("description".into(), d);
    }
    let params = obj
        .remove("parameters")
        .or_else(|| obj.remove("input_schema"))
        .or_else(|| obj.remove("schema"));
    if let Some(p) = params {
        function.insert("parameters".into(), p);
    }
    if let Some(s) = obj.remove("strict") {
        function.insert("strict".into(), s);
    }
    obj.insert("function".into(), Value::Object(function));
}
