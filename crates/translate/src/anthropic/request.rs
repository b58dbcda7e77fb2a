//! `/v1/messages` body → Codex request (spec §2, §4.1–§4.5).

use codex_proxy_schema::anthropic::{MessagesRequest, SystemPrompt, ThinkingConfig};
use codex_proxy_schema::responses::ResponsesRequest;
use serde_json::{Map, Value, json};

use super::blocks::map_messages;
use super::model::resolve_anthropic_model;
use super::tools::{append_default_tools, map_tool_choice, map_tools};
use crate::Translated;
use crate::error::TranslateError;
use crate::options::{RequestOptions, SystemPromptStrategy};

/// Default instructions when the client sent no system text.
const DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";
/// Claude Code's per-request billing block: dropped so the prompt cache keeps hitting.
const BILLING_HEADER: &str = "x-anthropic-billing-header:";

/// Per-response context of [`AnthropicStream`](super::AnthropicStream) and
/// [`AnthropicCollector`](super::AnthropicCollector); the id is injected.
#[derive(Debug, Clone, Default)]
pub struct AnthropicContext {
    /// Message id (`msg_…`).
    pub id: String,
    /// The model name the client asked for (echoed back).
    pub model: String,
    /// Whether thinking blocks are produced (a reasoning effort was set).
    pub want_reasoning: bool,
}

impl Translated {
    /// The Anthropic stream / collector context for this request, with an injected id.
    pub fn anthropic_context(&self, id: String) -> AnthropicContext {
        AnthropicContext {
            id,
            model: self.client_model.clone(),
            want_reasoning: self.want_reasoning,
        }
    }
}

/// Parse, validate and map a `/v1/messages` body. `request.prompt_cache_key` is set from the
/// conversation (Claude Code session id, else a hash of model, system text and first user
/// text) so repeated turns hit the upstream prompt cache; the gateway may override it, e.g.
/// from `x-claude-code-session-id`.
pub fn request_to_responses(
    body: &[u8],
    opts: &RequestOptions,
) -> Result<Translated, TranslateError> {
    let req = parse(body, true)?;
    translate(&req, opts)
}

/// Parse and validate (spec §4.1). `count_tokens` bodies need no `max_tokens`.
pub(super) fn parse(body: &[u8], need_max_tokens: bool) -> Result<MessagesRequest, TranslateError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| TranslateError::InvalidJson)?;
    if !value.is_object() {
        return Err(TranslateError::invalid(
            "request body must be a JSON object",
        ));
    }
    let req: MessagesRequest =
        serde_json::from_value(value).map_err(|e| TranslateError::invalid(e.to_string()))?;
    if req.model.trim().is_empty() {
        return Err(TranslateError::invalid_param(
            "model",
            "model: Field required",
        ));
    }
    if req.messages.is_empty() {
        return Err(TranslateError::invalid_param(
            "messages",
            "messages: at least one message is required",
        ));
    }
    if need_max_tokens
        && req
            .max_tokens
            .as_ref()
            .and_then(Value::as_u64)
            .is_none_or(|n| n == 0)
    {
        return Err(TranslateError::invalid_param(
            "max_tokens",
            "max_tokens: a positive integer is required",
        ));
    }
    if let Some(thinking) = &req.thinking {
        validate_thinking(thinking)?;
    }
    Ok(req)
}

fn validate_thinking(t: &ThinkingConfig) -> Result<(), TranslateError> {
    let budget_ok = t.budget_tokens.is_none_or(|b| b > 0);
    match t.kind.as_str() {
        "enabled" if t.budget_tokens.is_some() && budget_ok => Ok(()),
        "disabled" => Ok(()),
        "adaptive" if budget_ok => Ok(()),
        _ => Err(TranslateError::invalid_param(
            "thinking",
            "thinking must be {type:enabled, budget_tokens>0}, {type:disabled} or {type:adaptive}",
        )),
    }
}

/// Map a parsed request (shared with `count_tokens`).
pub(super) fn translate(
    req: &MessagesRequest,
    opts: &RequestOptions,
) -> Result<Translated, TranslateError> {
    let resolved = resolve_anthropic_model(&req.model, &opts.catalog);
    let conversation_id = session_id(req.metadata.as_ref());
    let claude_code = conversation_id.is_some();

    let system_text = system_text(req.system.as_ref());
    let mut input = map_messages(&req.messages);
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
                // The backend refuses `system` input messages: both inline strategies use
                // the developer role on this route.
                let _ = strategy;
                input.insert(0, json!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": system_text}]}));
            }
            build_instructions(opts, "")
        }
    };

    let mut out = Map::new();
    out.insert("model".into(), Value::String(resolved.id.clone()));
    out.insert("instructions".into(), Value::String(instructions));
    let cache_key = conversation_id
        .clone()
        .unwrap_or_else(|| content_cache_key(&resolved.id, &system_text, &req.messages));
    out.insert("input".into(), Value::Array(input));

    let declared = req.tools.as_deref().unwrap_or_default();
    let mut tools = map_tools(declared, claude_code);
    append_default_tools(&mut tools, &opts.default_tools);
    out.insert("tools".into(), Value::Array(tools));
    if let Some(choice) = &req.tool_choice {
        let (choice, parallel) = map_tool_choice(choice, declared, claude_code)?;
        out.insert("tool_choice".into(), choice);
        if let Some(parallel) = parallel {
            out.insert("parallel_tool_calls".into(), Value::Bool(parallel));
        }
    }

    let effort = thinking_effort(req)
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
    out.insert("prompt_cache_key".into(), Value::String(cache_key));

    let request: ResponsesRequest = serde_json::from_value(Value::Object(out))
        .map_err(|e| TranslateError::invalid(e.to_string()))?;
    Ok(Translated {
        request,
        stream: req.stream.unwrap_or(false),
        include_usage: false,
        client_model: resolved.display,
        conversation_id,
        want_reasoning,
        tuple_schema: None,
        cursor_mode: false,
    })
}

/// Effort from `thinking` (budget table, §2.4) or, unless thinking is disabled,
/// `output_config.effort` (`max` → `xhigh`).
fn thinking_effort(req: &MessagesRequest) -> Option<&'static str> {
    let thinking = req.thinking.as_ref();
    if thinking.is_some_and(|t| t.kind == "disabled") {
        return None;
    }
    if let Some(budget) = thinking.and_then(|t| t.budget_tokens).filter(|b| *b > 0) {
        return Some(match budget {
            1..=1999 => "low",
            2000..=7999 => "medium",
            8000..=19999 => "high",
            _ => "xhigh",
        });
    }
    let effort = req
        .output_config
        .as_ref()
        .and_then(|o| o.effort.as_deref())?;
    match effort {
        "none" => Some("none"),
        "minimal" => Some("minimal"),
        "low" => Some("low"),
        "medium" => Some("medium"),
        "high" => Some("high"),
        "max" | "xhigh" => Some("xhigh"),
        _ => None,
    }
}

/// System text: trimmed blocks without the billing header, joined by a blank line.
fn system_text(system: Option<&SystemPrompt>) -> String {
    match system {
        None => String::new(),
        Some(SystemPrompt::Text(text)) => text.trim().to_owned(),
        Some(SystemPrompt::Blocks(blocks)) => blocks
            .iter()
            .map(|b| b.text.trim())
            .filter(|t| !t.is_empty() && !t.starts_with(BILLING_HEADER))
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
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

/// Claude Code's `metadata.user_id` is a JSON string with a `session_id`.
fn session_id(metadata: Option<&Value>) -> Option<String> {
    let user_id = metadata?.get("user_id")?.as_str()?;
    let parsed: Value = serde_json::from_str(user_id).ok()?;
    parsed
        .get("session_id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A stable key from model, system text (≤ 2000 chars) and the first user text with leading
/// `<system-reminder>` blocks removed (spec §2.9), as `anth_` + 32 hex (FNV-1a, 128 bit).
fn content_cache_key(
    model: &str,
    system: &str,
    messages: &[codex_proxy_schema::anthropic::MessageParam],
) -> String {
    use codex_proxy_schema::anthropic::{ContentBlock, MessageContent};
    let system: String = system.chars().take(2000).collect();
    let first_user = messages
        .iter()
        .find(|m| m.role == "user")
        .map(|m| match &m.content {
            MessageContent::Text(t) => strip_reminders(t).to_owned(),
            MessageContent::Blocks(blocks) => blocks
                .iter()
                .filter_map(|b| match b {
                    ContentBlock::Text(t) => Some(strip_reminders(t)),
                    _ => None,
                })
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .unwrap_or_default();
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for part in [model, "\u{0}", &system, "\u{0}", &first_user] {
        for byte in part.bytes() {
            hash ^= u128::from(byte);
            hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
        }
    }
    format!("anth_{hash:032x}")
}

fn strip_reminders(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start();
        let Some(rest) = trimmed.strip_prefix("<system-reminder>") else {
            return trimmed;
        };
        match rest.find("</system-reminder>") {
            Some(end) => text = &rest[end + "</system-reminder>".len()..],
            None => return trimmed,
        }
    }
}
