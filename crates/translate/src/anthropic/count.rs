//! `POST /v1/messages/count_tokens`: the request is translated exactly as `/v1/messages` would
//! send it, then counted with the o200k_base BPE (the tokenizer family of the Codex models;
//! its ranks are embedded in the `tiktoken-rs` crate, nothing is downloaded). No upstream call.
//!
//! What is counted: the instructions, every input item's text (message text, call names and
//! arguments, tool outputs, reasoning summaries), each tool's JSON declaration, plus the chat
//! framing the model sees (a few tokens per message, as OpenAI documents for its chat format).
//! Images count a fixed 765 tokens (a high-detail 512×512 estimate: sizes are not decoded);
//! encrypted reasoning counts by its summary.

use codex_proxy_schema::responses::{
    ContentPart, FunctionOutput, InputItem, MessageContent, ResponsesRequest, Tool,
};
use tiktoken_rs::o200k_base_singleton;

use super::request::{parse, translate};
use crate::error::TranslateError;
use crate::options::RequestOptions;

/// Framing tokens around each message (`<|start|>role…<|message|>…<|end|>`).
const PER_MESSAGE: u64 = 4;
/// Framing of the reply that the model is primed with.
const REPLY_PRIMING: u64 = 3;
/// Estimate for one image.
const PER_IMAGE: u64 = 765;

/// Count the input tokens of a `count_tokens` body (`max_tokens` not required).
pub fn count_tokens(body: &[u8], opts: &RequestOptions) -> Result<u64, TranslateError> {
    let req = parse(body, false)?;
    let translated = translate(&req, opts)?;
    Ok(count_tokens_request(&translated.request))
}

/// Count the input tokens of a Codex request (see module docs).
pub fn count_tokens_request(req: &ResponsesRequest) -> u64 {
    let mut total = REPLY_PRIMING;
    if let Some(instructions) = req.instructions.as_deref().filter(|i| !i.is_empty()) {
        total += PER_MESSAGE + tokens(instructions);
    }
    for item in &req.input {
        total += PER_MESSAGE + item_tokens(item);
    }
    for tool in req.tools.iter().flatten() {
        total += tool_tokens(tool);
    }
    total
}

fn tokens(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    o200k_base_singleton().count_ordinary(text) as u64
}

fn item_tokens(item: &InputItem) -> u64 {
    match item {
        InputItem::Message(m) => tokens(&m.role) + content_tokens(&m.content),
        InputItem::FunctionCall(c) => tokens(&c.name) + tokens(&c.arguments),
        InputItem::CustomToolCall(c) => tokens(&c.name) + tokens(&c.input),
        InputItem::FunctionCallOutput(o) | InputItem::CustomToolCallOutput(o) => match &o.output {
            FunctionOutput::Text(text) => tokens(text),
            FunctionOutput::Parts(parts) => parts.iter().map(part_tokens).sum(),
        },
        InputItem::Reasoning(r) => r.summary.iter().map(|s| tokens(&s.text)).sum(),
        other => serde_json::to_string(other).map_or(0, |s| tokens(&s)),
    }
}

fn content_tokens(content: &MessageContent) -> u64 {
    match content {
        MessageContent::Text(text) => tokens(text),
        MessageContent::Parts(parts) => parts.iter().map(part_tokens).sum(),
    }
}

fn part_tokens(part: &ContentPart) -> u64 {
    match part {
        ContentPart::InputText(t) | ContentPart::OutputText(t) => tokens(&t.text),
        ContentPart::Refusal(r) => tokens(&r.refusal),
        ContentPart::InputImage(_) => PER_IMAGE,
        ContentPart::InputFile(f) => f.filename.as_deref().map_or(0, tokens) + PER_IMAGE,
        ContentPart::Other(v) => tokens(&v.to_string()),
    }
}

fn tool_tokens(tool: &Tool) -> u64 {
    serde_json::to_string(tool).map_or(0, |s| tokens(&s))
}
