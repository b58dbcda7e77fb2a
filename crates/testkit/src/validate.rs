//! Strict request validation, rejecting what the real Codex backend rejects (spec §3.6).

use http::StatusCode;
use serde_json::{Map, Value};

use crate::body::{self, Resp};

mod tools;

use tools::tool_list;

/// Top-level fields the backend accepts on `POST /codex/responses`.
pub const ACCEPTED_FIELDS: &[&str] = &[
    "model",
    "instructions",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "store",
    "stream",
    "include",
    "service_tier",
    "prompt_cache_key",
    "text",
    "client_metadata",
];

/// Fields known to be refused with `400 {"detail":"Unsupported parameter: X"}`. Any other field
/// outside [`ACCEPTED_FIELDS`] is refused the same way; this list documents the usual suspects.
pub const REJECTED_FIELDS: &[&str] = &[
    "max_output_tokens",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "top_logprobs",
    "logprobs",
    "previous_response_id",
    "metadata",
    "user",
    "truncation",
    "stream_options",
    "n",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "background",
    "conversation",
    "prompt",
    "max_tool_calls",
    "safety_identifier",
    "messages",
];

/// Input item types the backend accepts (a message may omit `type`).
const ITEM_TYPES: &[&str] = &[
    "message",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "reasoning",
    "compaction",
    "additional_tools",
    "local_shell_call",
    "local_shell_call_output",
    "web_search_call",
    "image_generation_call",
    "item_reference",
];

/// Content part types accepted inside messages (spec §3.6).
const PART_TYPES: &[&str] = &[
    "input_text",
    "input_image",
    "output_text",
    "refusal",
    "input_file",
    "computer_screenshot",
    "summary_text",
];

const ROLES: &[&str] = &["user", "assistant", "developer"];
const REASONING_ITEM_KEYS: &[&str] = &[
    "type",
    "id",
    "summary",
    "status",
    "encrypted_content",
    "content",
];
const EFFORTS: &[&str] = &[
    "none", "minimal", "low", "medium", "high", "xhigh", "max", "ultra",
];
const SUMMARIES: &[&str] = &["auto", "concise", "detailed", "none"];
const TIERS: &[&str] = &["priority", "flex", "default", "auto"];

/// A rejection is a ready-made error response (boxed: responses are large).
type Check = Result<(), Box<Resp>>;

fn bad(message: &str) -> Box<Resp> {
    Box::new(body::detail(StatusCode::BAD_REQUEST, message))
}

fn invalid(message: &str, param: &str, code: &str) -> Box<Resp> {
    Box::new(body::error(
        StatusCode::BAD_REQUEST,
        message,
        "invalid_request_error",
        Some(param),
        Some(code),
    ))
}

fn unsupported(field: &str) -> Box<Resp> {
    bad(&format!("Unsupported parameter: {field}"))
}

/// Validates a `POST /codex/responses` body.
pub(crate) fn responses(v: &Value, models: &[String]) -> Check {
    let obj = v
        .as_object()
        .ok_or_else(|| bad("Request body must be a JSON object"))?;
    if let Some(field) = obj.keys().find(|k| !ACCEPTED_FIELDS.contains(&k.as_str())) {
        return Err(unsupported(field));
    }
    model(obj, models)?;
    if obj.get("stream") != Some(&Value::Bool(true)) {
        return Err(bad("Stream must be set to true"));
    }
    if obj.get("store") != Some(&Value::Bool(false)) {
        return Err(bad("Store must be set to false"));
    }
    common(obj)?;
    if let Some(tier) = obj.get("service_tier").filter(|t| !t.is_null()) {
        match tier.as_str() {
            Some(t) if TIERS.contains(&t) => {}
            Some(t) => return Err(bad(&format!("Unsupported service_tier: {t}"))),
            None => {
                return Err(invalid(
                    "Invalid type for 'service_tier'.",
                    "service_tier",
                    "invalid_type",
                ));
            }
        }
    }
    for key in ["prompt_cache_key", "instructions"] {
        if obj.get(key).is_some_and(|v| !v.is_string() && !v.is_null()) {
            return Err(invalid(
                &format!("Invalid type for '{key}'."),
                key,
                "invalid_type",
            ));
        }
    }
    if let Some(include) = obj.get("include") {
        let ok = include
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string));
        if !ok {
            return Err(invalid(
                "Invalid type for 'include'.",
                "include",
                "invalid_type",
            ));
        }
    }
    if let Some(meta) = obj.get("client_metadata") {
        let ok = meta
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string));
        if !ok {
            return Err(invalid(
                "Invalid type for 'client_metadata'.",
                "client_metadata",
                "invalid_type",
            ));
        }
    }
    Ok(())
}

/// Validates a `POST /codex/responses/compact` body (no stream/store requirements).
pub(crate) fn compact(v: &Value, models: &[String]) -> Check {
    let obj = v
        .as_object()
        .ok_or_else(|| bad("Request body must be a JSON object"))?;
    if let Some(field) = obj.keys().find(|k| REJECTED_FIELDS.contains(&k.as_str())) {
        return Err(unsupported(field));
    }
    model(obj, models)?;
    common(obj)
}

fn model(obj: &Map<String, Value>, models: &[String]) -> Check {
    let model = obj.get("model").and_then(Value::as_str).ok_or_else(|| {
        invalid(
            "Missing required parameter: 'model'.",
            "model",
            "missing_required_parameter",
        )
    })?;
    if !models.iter().any(|m| m == model) {
        return Err(bad(&format!(
            "The '{model}' model is not supported when using Codex with a ChatGPT account."
        )));
    }
    Ok(())
}

fn common(obj: &Map<String, Value>) -> Check {
    let input = obj.get("input").ok_or_else(|| {
        invalid(
            "Missing required parameter: 'input'.",
            "input",
            "missing_required_parameter",
        )
    })?;
    let items = input
        .as_array()
        .ok_or_else(|| bad("Input must be a list"))?;
    for (i, item) in items.iter().enumerate() {
        input_item(item, i)?;
    }
    if let Some(tools) = obj.get("tools") {
        let tools = tools
            .as_array()
            .ok_or_else(|| invalid("Invalid type for 'tools'.", "tools", "invalid_type"))?;
        tool_list(tools, "tools")?;
    }
    if let Some(r) = obj.get("reasoning").filter(|r| !r.is_null()) {
        reasoning(r)?;
    }
    Ok(())
}

fn reasoning(r: &Value) -> Check {
    let obj = r
        .as_object()
        .ok_or_else(|| invalid("Invalid type for 'reasoning'.", "reasoning", "invalid_type"))?;
    for (key, allowed) in [("effort", EFFORTS), ("summary", SUMMARIES)] {
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
            Some(other) => {
                let param = format!("reasoning.{key}");
                let msg = format!("Invalid value: {other}. Supported values are: {allowed:?}.");
                return Err(invalid(&msg, &param, "invalid_value"));
            }
        }
    }
    if let Some(k) = obj
        .keys()
        .find(|k| !["effort", "summary", "context", "generate_summary"].contains(&k.as_str()))
    {
        let param = format!("reasoning.{k}");
        return Err(invalid(
            &format!("Unknown parameter: '{param}'."),
            &param,
            "unknown_parameter",
        ));
    }
    Ok(())
}

fn input_item(item: &Value, i: usize) -> Check {
    let obj = item.as_object().ok_or_else(|| {
        invalid(
            &format!("Invalid type for 'input[{i}]'."),
            &format!("input[{i}]"),
            "invalid_type",
        )
    })?;
    let kind = match obj.get("type") {
        None if obj.contains_key("role") => "message",
        Some(Value::String(t)) => t.as_str(),
        _ => {
            let param = format!("input[{i}].type");
            return Err(invalid(
                &format!("Missing required parameter: '{param}'."),
                &param,
                "missing_required_parameter",
            ));
        }
    };
    if !ITEM_TYPES.contains(&kind) {
        let param = format!("input[{i}].type");
        let msg = format!("Invalid value: '{kind}'. Supported values are: {ITEM_TYPES:?}.");
        return Err(invalid(&msg, &param, "invalid_value"));
    }
    let require_str = |key: &str| -> Check {
        if obj.get(key).is_some_and(Value::is_string) {
            return Ok(());
        }
        let param = format!("input[{i}].{key}");
        Err(invalid(
            &format!("Missing required parameter: '{param}'."),
            &param,
            "missing_required_parameter",
        ))
    };
    match kind {
        "message" => message(obj, i),
        "function_call" => {
            require_str("call_id")?;
            require_str("name")?;
            require_str("arguments")
        }
        "custom_tool_call" => {
            require_str("call_id")?;
            require_str("name")?;
            require_str("input")
        }
        "function_call_output" | "custom_tool_call_output" => {
            require_str("call_id")?;
            match obj.get("output") {
                Some(Value::String(_)) => Ok(()),
                Some(Value::Array(parts)) => parts_ok(parts, &format!("input[{i}].output")),
                _ => {
                    let param = format!("input[{i}].output");
                    Err(invalid(
                        &format!("Missing required parameter: '{param}'."),
                        &param,
                        "missing_required_parameter",
                    ))
                }
            }
        }
        "reasoning" => {
            if let Some(k) = obj
                .keys()
                .find(|k| !REASONING_ITEM_KEYS.contains(&k.as_str()))
            {
                let param = format!("input[{i}].{k}");
                return Err(invalid(
                    &format!("Unknown parameter: '{param}'."),
                    &param,
                    "unknown_parameter",
                ));
            }
            if !obj.get("summary").is_some_and(Value::is_array) {
                let param = format!("input[{i}].summary");
                return Err(invalid(
                    &format!("Missing required parameter: '{param}'."),
                    &param,
                    "missing_required_parameter",
                ));
            }
            Ok(())
        }
        "additional_tools" => match obj.get("tools").and_then(Value::as_array) {
            Some(tools) => tool_list(tools, &format!("input[{i}].tools")),
            None => Err(invalid(
                "Invalid type for 'tools'.",
                &format!("input[{i}].tools"),
                "invalid_type",
            )),
        },
        _ => Ok(()),
    }
}

fn message(obj: &Map<String, Value>, i: usize) -> Check {
    match obj.get("role").and_then(Value::as_str) {
        Some("system") => return Err(bad("System messages are not allowed")),
        Some(r) if ROLES.contains(&r) => {}
        other => {
            let param = format!("input[{i}].role");
            let msg = format!("Invalid value: {other:?}. Supported values are: {ROLES:?}.");
            return Err(invalid(&msg, &param, "invalid_value"));
        }
    }
    match obj.get("content") {
        Some(Value::String(_)) => Ok(()),
        Some(Value::Array(parts)) => parts_ok(parts, &format!("input[{i}].content")),
        _ => {
            let param = format!("input[{i}].content");
            Err(invalid(
                &format!("Missing required parameter: '{param}'."),
                &param,
                "missing_required_parameter",
            ))
        }
    }
}

fn parts_ok(parts: &[Value], at: &str) -> Check {
    for (j, part) in parts.iter().enumerate() {
        let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
        if !PART_TYPES.contains(&kind) {
            let param = format!("{at}[{j}].type");
            let msg = format!("Invalid value: '{kind}'. Supported values are: {PART_TYPES:?}.");
            return Err(invalid(&msg, &param, "invalid_value"));
        }
        let text_key = match kind {
            "input_text" | "output_text" | "summary_text" => Some("text"),
            "refusal" => Some("refusal"),
            _ => None,
        };
        if let Some(key) = text_key
            && !part.get(key).is_some_and(Value::is_string)
        {
            let param = format!("{at}[{j}].{key}");
            return Err(invalid(
                &format!("Missing required parameter: '{param}'."),
                &param,
                "missing_required_parameter",
            ));
        }
    }
    Ok(())
}
