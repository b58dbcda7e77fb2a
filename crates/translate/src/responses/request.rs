//! `/v1/responses` and `/v1/responses/compact` bodies → Codex requests (translation spec §7.1,
//! §7.5; upstream spec §3.5).
//!
//! Deliberate improvements over the reference: a body without `stream` is answered without
//! streaming (OpenAI's default; the reference streams, which breaks the OpenAI SDKs'
//! non-streamed calls, e.g. litellm's captured request), a string `input` becomes one user message
//! (the reference sends `[]`), `system` input messages travel as `developer` (the backend
//! refuses `system`), and function tools nested in `namespace` tools get the same
//! `properties: {}` repair as top-level ones.

use std::collections::BTreeMap;

use codex_proxy_schema::responses::ResponsesRequest;
use serde_json::{Map, Value, json};

use super::sanitize::sanitize_input;
use crate::error::TranslateError;
use crate::model::resolve_model;
use crate::options::RequestOptions;
use crate::structured::prepare_schema;

/// Model used when the body names none.
const DEFAULT_MODEL: &str = "codex";

/// A `/v1/responses` body mapped to a Codex request.
#[derive(Debug, Clone)]
pub struct ResponsesTranslated {
    /// The Codex request (`stream:true`, `store:false`). `previous_response_id` is kept: only
    /// the WebSocket transport may carry it (see [`require_http_compatible`]).
    pub request: ResponsesRequest,
    /// The client asked for a streamed answer (`stream:true`; absent means no, as in OpenAI's
    /// API, whose SDKs omit the field for non-streamed calls).
    pub stream: bool,
    /// Model name as the client should see it (`<id>[-<effort>][-<tier>]`).
    pub client_model: String,
    /// The client's tuple schema, when `text.format.schema` used `prefixItems`.
    pub tuple_schema: Option<Value>,
    /// Body `turnState` (the `x-codex-turn-state` side channel; the header form is the
    /// gateway's business).
    pub turn_state: Option<String>,
    /// The final tool list holds an `image_generation` tool.
    pub expects_image: bool,
}

/// Route flavour of a passthrough request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassthroughRoute {
    /// `/v1/responses/review` or `/responses/review`: `x-openai-subagent` is forced to `review`.
    pub review: bool,
}

/// Parse and map a `/v1/responses` body (see module docs).
pub fn passthrough_request(
    body: &[u8],
    opts: &RequestOptions,
    route: PassthroughRoute,
) -> Result<ResponsesTranslated, TranslateError> {
    let mut obj = parse_object(body)?;
    let model_name = obj
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_MODEL)
        .to_owned();
    let resolved = resolve_model(&model_name, &opts.catalog);

    let mut out = Map::new();
    out.insert("model".into(), Value::String(resolved.id.clone()));
    out.insert("instructions".into(), Value::String(instructions(&obj)));
    out.insert("input".into(), Value::Array(input(obj.remove("input"))));
    out.insert("stream".into(), Value::Bool(true));
    out.insert("store".into(), Value::Bool(false));

    if let Some(id) = obj.get("previous_response_id").and_then(Value::as_str) {
        out.insert("previous_response_id".into(), Value::String(id.to_owned()));
    }
    if let Some(key) = obj.get("prompt_cache_key").and_then(Value::as_str) {
        out.insert("prompt_cache_key".into(), Value::String(key.to_owned()));
    }
    let include = string_array(obj.get("include"));
    if let Some(choice) = obj.remove("tool_choice").filter(|c| !c.is_null()) {
        out.insert("tool_choice".into(), choice);
    }
    if let Some(parallel) = obj.get("parallel_tool_calls").and_then(Value::as_bool) {
        out.insert("parallel_tool_calls".into(), Value::Bool(parallel));
    }

    // client_metadata: string values only; review paths force the subagent
    let mut metadata: BTreeMap<String, String> = obj
        .get("client_metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    if route.review {
        metadata.insert("x-openai-subagent".into(), "review".into());
    }
    if !metadata.is_empty() {
        out.insert("client_metadata".into(), json!(metadata));
    }

    // reasoning: body effort > suffix > config; present when an effort exists or the client
    // sent a reasoning object
    let client_reasoning = obj.get("reasoning").and_then(Value::as_object);
    let effort = client_reasoning
        .and_then(|r| r.get("effort"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| resolved.effort.map(str::to_owned))
        .or_else(|| opts.default_reasoning_effort.clone());
    if effort.is_some() || client_reasoning.is_some() {
        let summary = client_reasoning
            .and_then(|r| r.get("summary"))
            .and_then(Value::as_str)
            .unwrap_or("auto");
        let mut reasoning = Map::new();
        if let Some(effort) = &effort {
            reasoning.insert("effort".into(), Value::String(effort.clone()));
        }
        reasoning.insert("summary".into(), Value::String(summary.to_owned()));
        out.insert("reasoning".into(), Value::Object(reasoning));
    }
    match include {
        Some(include) => {
            out.insert("include".into(), json!(include));
        }
        None if out.contains_key("reasoning") => {
            out.insert("include".into(), json!(["reasoning.encrypted_content"]));
        }
        None => {}
    }

    // service tier: body > suffix > config; `fast` travels as `priority`
    let tier = obj
        .get("service_tier")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .or(resolved.tier)
        .or(opts.default_service_tier.as_deref());
    if let Some(tier) = tier {
        let wire = if tier == "fast" { "priority" } else { tier };
        out.insert("service_tier".into(), Value::String(wire.to_owned()));
    }

    // tools
    let mut tools = obj
        .remove("tools")
        .and_then(|t| match t {
            Value::Array(list) => Some(list),
            _ => None,
        })
        .unwrap_or_default();
    tools.iter_mut().for_each(repair_tool);
    append_default_tools(&mut tools, &opts.default_tools);
    let expects_image = tools
        .iter()
        .any(|t| t.get("type").and_then(Value::as_str) == Some("image_generation"));
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
    }

    // structured output
    let (text, tuple_schema) = text_format(obj.get("text"), true);
    if let Some(text) = text {
        out.insert("text".into(), text);
    }

    let turn_state = obj
        .get("turnState")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned);
    let stream = obj.get("stream") == Some(&Value::Bool(true));
    let request: ResponsesRequest = serde_json::from_value(Value::Object(out))
        .map_err(|e| TranslateError::invalid(e.to_string()))?;
    Ok(ResponsesTranslated {
        request,
        stream,
        client_model: resolved.display,
        tuple_schema,
        turn_state,
        expects_image,
    })
}

/// Refuse a request that only the WebSocket transport can carry (`previous_response_id`): the
/// HTTP backend answers `400 Unsupported parameter` for it.
pub fn require_http_compatible(request: &ResponsesRequest) -> Result<(), TranslateError> {
    if request.previous_response_id.is_some() {
        return Err(TranslateError::invalid_param(
            "previous_response_id",
            "previous_response_id needs the WebSocket upstream transport, which this gateway \
             does not use for this request; resend the full conversation in `input` instead",
        ));
    }
    Ok(())
}

/// A `/v1/responses/compact` body mapped to the Codex compact body (§7.5): no `stream`, `store`,
/// `previous_response_id`, `include` or `prompt_cache_key`; the schema is not prepared.
pub fn compact_request(body: &[u8], opts: &RequestOptions) -> Result<Value, TranslateError> {
    let mut obj = parse_object(body)?;
    let model_name = obj
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_MODEL)
        .to_owned();
    // Suffixes are parsed (and ignored): only the base model matters here.
    let resolved = resolve_model(&model_name, &opts.catalog);
    let mut out = Map::new();
    out.insert("model".into(), Value::String(resolved.id));
    out.insert("input".into(), Value::Array(input(obj.remove("input"))));
    out.insert("instructions".into(), Value::String(instructions(&obj)));
    if let Some(Value::Array(mut tools)) = obj.remove("tools")
        && !tools.is_empty()
    {
        tools.iter_mut().for_each(repair_tool);
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(parallel) = obj.get("parallel_tool_calls").and_then(Value::as_bool) {
        out.insert("parallel_tool_calls".into(), Value::Bool(parallel));
    }
    if let Some(r) = obj.get("reasoning").and_then(Value::as_object) {
        let kept: Map<String, Value> = ["effort", "summary"]
            .into_iter()
            .filter_map(|k| {
                r.get(k)
                    .and_then(Value::as_str)
                    .map(|v| (k.to_owned(), Value::String(v.to_owned())))
            })
            .collect();
        if !kept.is_empty() {
            out.insert("reasoning".into(), Value::Object(kept));
        }
    }
    if let (Some(text), _) = text_format(obj.get("text"), false) {
        out.insert("text".into(), text);
    }
    Ok(Value::Object(out))
}

/// The body as a JSON object; a non-object body is refused like the reference.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, TranslateError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err(TranslateError::invalid(
            "request body must be a JSON object",
        )),
        Err(_) => Err(TranslateError::InvalidJson),
    }
}

fn instructions(obj: &Map<String, Value>) -> String {
    obj.get("instructions")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `input` as sanitized items: a string becomes one user message; `system` messages become
/// `developer` messages.
fn input(value: Option<Value>) -> Vec<Value> {
    let items = match value {
        Some(Value::Array(items)) => items,
        Some(Value::String(text)) => vec![json!({
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        })],
        _ => Vec::new(),
    };
    let mut items = sanitize_input(items);
    for item in &mut items {
        if let Some(role) = item.get_mut("role")
            && role.as_str() == Some("system")
        {
            *role = Value::String("developer".into());
        }
    }
    items
}

fn string_array(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// `parameters: {type:"object"}` without `properties` gets `properties: {}` (the backend
/// refuses it otherwise), also inside `namespace` tools.
fn repair_tool(tool: &mut Value) {
    match tool.get("type").and_then(Value::as_str) {
        Some("function") => {
            if let Some(Value::Object(params)) = tool.get_mut("parameters")
                && params.get("type").and_then(Value::as_str) == Some("object")
                && !params.contains_key("properties")
            {
                params.insert("properties".into(), Value::Object(Map::new()));
            }
        }
        Some("namespace") => {
            if let Some(Value::Array(nested)) = tool.get_mut("tools") {
                nested.iter_mut().for_each(repair_tool);
            }
        }
        _ => {}
    }
}

/// Hosted default tools, appended as `{type}` unless that type (search family counted once) is
/// already present.
fn append_default_tools(tools: &mut Vec<Value>, defaults: &[String]) {
    let family = |t: &str| -> String {
        if t.starts_with("web_search") {
            "web_search".to_owned()
        } else {
            t.to_owned()
        }
    };
    for name in defaults {
        let wanted = family(name);
        let present = tools.iter().any(|t| {
            t.get("type")
                .and_then(Value::as_str)
                .is_some_and(|k| family(k) == wanted)
        });
        if !present {
            tools.push(json!({ "type": name }));
        }
    }
}

/// `text.format` reduced to `{type, name?, schema?, strict?}`; `prepare` runs the schema
/// through [`prepare_schema`] and reports the tuple original.
fn text_format(text: Option<&Value>, prepare: bool) -> (Option<Value>, Option<Value>) {
    let Some(format) = text.and_then(|t| t.get("format")) else {
        return (None, None);
    };
    let Some(kind) = format.get("type").and_then(Value::as_str) else {
        return (None, None);
    };
    let mut out = Map::new();
    out.insert("type".into(), Value::String(kind.to_owned()));
    if let Some(name) = format.get("name").and_then(Value::as_str) {
        out.insert("name".into(), Value::String(name.to_owned()));
    }
    let mut tuple = None;
    if let Some(schema) = format.get("schema").filter(|s| s.is_object()) {
        if prepare {
            let prepared = prepare_schema(schema);
            tuple = prepared.tuple_original;
            out.insert("schema".into(), prepared.schema);
        } else {
            out.insert("schema".into(), schema.clone());
        }
    }
    if let Some(strict) = format.get("strict").and_then(Value::as_bool) {
        out.insert("strict".into(), Value::Bool(strict));
    }
    (Some(json!({ "format": out })), tuple)
}
