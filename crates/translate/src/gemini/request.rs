//! Gemini `generateContent` body → Codex Responses request (translation spec §5.2, §5.3, with
//! the §13.6 improvements: request-wide call ids paired across turns, lowercase schema types,
//! `fileData`, thought signatures turned back into reasoning items).

use codex_proxy_schema::gemini::{Content, GenerateContentRequest, Part};
use serde_json::{Map, Value, json};

use super::schema::to_json_schema;
use super::signature;
use crate::dialect::{
    budget_effort, data_url, function_tool, into_request, set_common, set_instructions_and_input,
};
use crate::error::TranslateError;
use crate::model::resolve_model;
use crate::options::RequestOptions;
use crate::structured::prepare_schema;
use crate::{StreamContext, Translated};

/// A translated Gemini request: the shared [`Translated`] plus what only Gemini output needs.
#[derive(Debug, Clone)]
pub struct GeminiTranslated {
    /// The Codex request and response-side facts. `client_model` is the raw URL model segment.
    pub translated: Translated,
    /// `thinkingConfig.includeThoughts`: return thought summaries as `thought: true` parts.
    pub include_thoughts: bool,
}

/// How a streamed answer is framed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StreamFormat {
    /// `?alt=sse`: `data: <chunk>\n\n` frames.
    #[default]
    Sse,
    /// No `alt`: one JSON array whose elements arrive incrementally.
    JsonArray,
}

/// Per-response context of a Gemini stream or collector.
#[derive(Debug, Clone, Default)]
pub struct GeminiContext {
    /// Response id (`responseId`).
    pub response_id: String,
    /// `modelVersion`: the model segment of the URL.
    pub model_version: String,
    /// Return thought parts.
    pub include_thoughts: bool,
    /// Original tuple schema (output text is converted back).
    pub tuple_schema: Option<Value>,
    /// Stream framing.
    pub format: StreamFormat,
}

impl GeminiTranslated {
    /// The response context for this request, with an injected response id.
    pub fn context(&self, response_id: String, format: StreamFormat) -> GeminiContext {
        GeminiContext {
            response_id,
            model_version: self.translated.client_model.clone(),
            include_thoughts: self.include_thoughts,
            tuple_schema: self.translated.tuple_schema.clone(),
            format,
        }
    }

    /// The shared [`StreamContext`] (for code that only needs ids and the model).
    pub fn stream_context(&self, id: String, created: u64) -> StreamContext {
        self.translated.stream_context(id, created)
    }
}

/// Parse, validate and map a Gemini body. `model` is the URL segment before the `:action`
/// (`models/` prefix allowed); `stream` comes from the action / `alt=sse`.
pub fn request_to_responses(
    model: &str,
    body: &[u8],
    stream: bool,
    opts: &RequestOptions,
) -> Result<GeminiTranslated, TranslateError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| TranslateError::InvalidJson)?;
    if !value.is_object() {
        return Err(TranslateError::invalid(
            "request body must be a JSON object",
        ));
    }
    let req: GenerateContentRequest =
        serde_json::from_value(value).map_err(|e| TranslateError::invalid(e.to_string()))?;
    validate(&req)?;

    let model = model.trim().trim_start_matches("models/");
    let resolved = resolve_model(model, &opts.catalog);
    let mut out = Map::new();
    out.insert("model".into(), Value::String(resolved.id.clone()));

    let system_text = req
        .system_instruction
        .as_ref()
        .map(|c| visible_text(&c.parts))
        .unwrap_or_default();
    let input = map_contents(&req.contents);
    set_instructions_and_input(&mut out, opts, &system_text, input);

    let tools = map_tools(&req);
    let thinking = req
        .generation_config
        .as_ref()
        .and_then(|g| g.thinking_config.as_ref());
    let explicit = thinking.and_then(|t| {
        t.thinking_budget.and_then(budget_effort).or_else(|| {
            t.thinking_level
                .as_deref()
                .and_then(|l| level_effort(&l.to_ascii_lowercase()))
        })
    });
    let want_reasoning = set_common(&mut out, opts, &resolved, tools, explicit);
    if let Some(mode) = req
        .tool_config
        .as_ref()
        .and_then(|t| t.function_calling_config.as_ref())
        .and_then(|f| f.mode.as_deref())
    {
        let choice = match mode.to_ascii_uppercase().as_str() {
            "NONE" => Some(json!("none")),
            "ANY" | "VALIDATED" => Some(json!("required")),
            "AUTO" => Some(json!("auto")),
            _ => None,
        };
        if let Some(choice) = choice {
            out.insert("tool_choice".into(), choice);
        }
    }

    let mut tuple_schema = None;
    if let Some(gen_cfg) = &req.generation_config
        && gen_cfg
            .response_mime_type
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("application/json"))
    {
        let schema = gen_cfg
            .response_json_schema
            .clone()
            .or_else(|| gen_cfg.response_schema.as_ref().map(to_json_schema))
            .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()));
        let format = match schema {
            Some(schema) => {
                let prepared = prepare_schema(&schema);
                tuple_schema = prepared.tuple_original;
                json!({"type": "json_schema", "name": "gemini_schema", "schema": prepared.schema, "strict": true})
            }
            None => json!({"type": "json_object"}),
        };
        out.insert("text".into(), json!({ "format": format }));
    }

    let request = into_request(out)?;
    Ok(GeminiTranslated {
        translated: Translated {
            request,
            stream,
            include_usage: true,
            client_model: model.to_owned(),
            conversation_id: None,
            want_reasoning,
            tuple_schema,
            cursor_mode: false,
        },
        include_thoughts: thinking.and_then(|t| t.include_thoughts).unwrap_or(false),
    })
}

fn level_effort(level: &str) -> Option<&'static str> {
    match level {
        "minimal" => Some("minimal"),
        "low" => Some("low"),
        "medium" => Some("medium"),
        "high" => Some("high"),
        _ => None,
    }
}

fn validate(req: &GenerateContentRequest) -> Result<(), TranslateError> {
    if req.contents.is_empty() {
        return Err(TranslateError::invalid_param(
            "contents",
            "contents must contain at least one content",
        ));
    }
    for (i, content) in req.contents.iter().enumerate() {
        if let Some(role) = content.role.as_deref()
            && !matches!(role, "user" | "model" | "function" | "")
        {
            return Err(TranslateError::invalid_param(
                "contents",
                format!("contents[{i}].role must be 'user' or 'model', got '{role}'"),
            ));
        }
        if content.parts.is_empty() {
            return Err(TranslateError::invalid_param(
                "contents",
                format!("contents[{i}].parts must not be empty"),
            ));
        }
    }
    for tool in &req.tools {
        for f in &tool.function_declarations {
            if f.name.trim().is_empty() {
                return Err(TranslateError::invalid_param(
                    "tools",
                    "function declarations need a name",
                ));
            }
        }
    }
    Ok(())
}

/// Non-thought text parts joined with `\n`.
fn visible_text(parts: &[Part]) -> String {
    let texts: Vec<&str> = parts
        .iter()
        .filter(|p| p.thought != Some(true))
        .filter_map(|p| p.text.as_deref())
        .filter(|t| !t.is_empty())
        .collect();
    texts.join("\n")
}

/// A call seen in the history, for pairing responses.
struct SeenCall {
    id: String,
    name: String,
    answered: bool,
}

/// Contents → input items. Call ids: the client's `functionCall.id` when present, else `fc_<n>`
/// counted over the whole request; a `functionResponse` pairs by its `id`, else with the
/// earliest unanswered call of the same name anywhere before it.
fn map_contents(contents: &[Content]) -> Vec<Value> {
    let mut items = Vec::with_capacity(contents.len());
    let mut calls: Vec<SeenCall> = Vec::new();
    let mut counter = 0usize;
    let next_id = |counter: &mut usize| {
        let id = format!("fc_{counter}");
        *counter += 1;
        id
    };
    for content in contents {
        let is_model = content.role.as_deref() == Some("model");
        if is_model {
            for part in &content.parts {
                if let Some(enc) = part
                    .thought_signature
                    .as_deref()
                    .and_then(signature::decode)
                {
                    items.push(
                        json!({"type": "reasoning", "summary": [], "encrypted_content": enc}),
                    );
                }
            }
            let text = visible_text(&content.parts);
            let has_calls = content.parts.iter().any(|p| p.function_call.is_some());
            if !text.is_empty() || !has_calls {
                items.push(json!({"type": "message", "role": "assistant", "content": text}));
            }
            for call in content
                .parts
                .iter()
                .filter_map(|p| p.function_call.as_ref())
            {
                let id = match call.id.as_deref().filter(|s| !s.is_empty()) {
                    Some(id) => id.to_owned(),
                    None => next_id(&mut counter),
                };
                let arguments = call
                    .args
                    .as_ref()
                    .filter(|a| !a.is_null())
                    .map_or_else(|| "{}".to_owned(), Value::to_string);
                items.push(json!({"type": "function_call", "call_id": id, "name": call.name, "arguments": arguments}));
                calls.push(SeenCall {
                    id,
                    name: call.name.clone(),
                    answered: false,
                });
            }
            continue;
        }
        // user turn: tool outputs first (they answer the previous model turn), then the message
        for resp in content
            .parts
            .iter()
            .filter_map(|p| p.function_response.as_ref())
        {
            let by_id = resp
                .id
                .as_deref()
                .filter(|s| !s.is_empty())
                .and_then(|id| calls.iter().position(|c| c.id == id));
            let by_name = || {
                calls
                    .iter()
                    .position(|c| !c.answered && c.name == resp.name)
            };
            let id = match by_id.or_else(by_name) {
                Some(i) => {
                    calls[i].answered = true;
                    calls[i].id.clone()
                }
                None => match resp.id.as_deref().filter(|s| !s.is_empty()) {
                    Some(id) => id.to_owned(),
                    None => next_id(&mut counter),
                },
            };
            let output = resp
                .response
                .as_ref()
                .filter(|r| !r.is_null())
                .map_or_else(|| "{}".to_owned(), Value::to_string);
            items.push(json!({"type": "function_call_output", "call_id": id, "output": output}));
        }
        let has_responses = content.parts.iter().any(|p| p.function_response.is_some());
        if let Some(message) = user_message(&content.parts, has_responses) {
            items.push(message);
        }
    }
    items
}

/// The user message of a turn: a string when text only, else `input_text` / `input_image` /
/// `input_file` parts. `None` when empty and the turn carried tool outputs.
fn user_message(parts: &[Part], has_responses: bool) -> Option<Value> {
    let has_media = parts
        .iter()
        .any(|p| p.inline_data.is_some() || p.file_data.is_some());
    if !has_media {
        let text = visible_text(parts);
        if text.is_empty() && has_responses {
            return None;
        }
        return Some(json!({"type": "message", "role": "user", "content": text}));
    }
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        if let Some(text) = part
            .text
            .as_deref()
            .filter(|t| !t.is_empty() && part.thought != Some(true))
        {
            out.push(json!({"type": "input_text", "text": text}));
        }
        if let Some(blob) = &part.inline_data {
            if blob.mime_type.is_empty() || blob.mime_type.starts_with("image/") {
                out.push(json!({"type": "input_image", "image_url": data_url(&blob.mime_type, &blob.data)}));
            } else {
                out.push(json!({"type": "input_file", "filename": file_name(&blob.mime_type), "file_data": data_url(&blob.mime_type, &blob.data)}));
            }
        }
        if let Some(file) = &part.file_data {
            let mime = file.mime_type.as_deref().unwrap_or("");
            if mime.is_empty() || mime.starts_with("image/") {
                out.push(json!({"type": "input_image", "image_url": file.file_uri}));
            } else {
                out.push(json!({"type": "input_file", "file_url": file.file_uri}));
            }
        }
    }
    Some(json!({"type": "message", "role": "user", "content": out}))
}

/// A file name for an inline document (`file.pdf`, ...).
fn file_name(mime: &str) -> String {
    let ext = mime.rsplit('/').next().unwrap_or("bin");
    format!("file.{ext}")
}

/// Tool groups → Codex tools: hosted search first in its group, then its functions.
fn map_tools(req: &GenerateContentRequest) -> Vec<Value> {
    let mut tools = Vec::new();
    for group in &req.tools {
        let search = [&group.google_search, &group.google_search_retrieval]
            .iter()
            .any(|t| t.as_ref().is_some_and(Value::is_object));
        if search {
            tools.push(json!({"type": "web_search"}));
        }
        for f in &group.function_declarations {
            let params = f
                .parameters_json_schema
                .clone()
                .or_else(|| f.parameters.as_ref().map(to_json_schema));
            tools.push(function_tool(&f.name, f.description.as_deref(), params));
        }
    }
    tools
}
