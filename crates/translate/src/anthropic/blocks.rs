//! `messages` → Codex input items (spec §4.3, with the §13.7 improvements).
//!
//! Items come out in block order: in a user message `[tool_result, text]` the output comes
//! before the text. Text, image and document blocks of a run become one message item (a plain
//! string when it is text only, else `input_text` / `input_image` / `input_file` parts);
//! `tool_use` → `function_call`; `tool_result` → `function_call_output` (text, `Error: ` prefix
//! when `is_error`), its images in a user message right after it; `thinking` /
//! `redacted_thinking` carrying one of our signatures → a `reasoning` item with the encrypted
//! content (others are dropped). `system` messages inside `messages` become `developer` items
//! (the backend refuses `system`); unknown roles become `user`.

use codex_proxy_schema::anthropic::{
    ContentBlock, DocumentBlock, MessageContent, MessageParam, Source, ToolResultBlock,
    ToolResultContent,
};
use serde_json::{Value, json};

use super::signature;

/// Map every message, in order.
pub(super) fn map_messages(messages: &[MessageParam]) -> Vec<Value> {
    let mut items = Vec::with_capacity(messages.len() * 2);
    for msg in messages {
        let role = match msg.role.as_str() {
            "assistant" => "assistant",
            "system" | "developer" => "developer",
            _ => "user",
        };
        match &msg.content {
            MessageContent::Text(text) => items.push(message(role, Value::String(text.clone()))),
            MessageContent::Blocks(blocks) => map_blocks(role, blocks, &mut items),
        }
    }
    items
}

fn message(role: &str, content: Value) -> Value {
    json!({"type": "message", "role": role, "content": content})
}

/// Parts of the message being assembled.
struct Run<'r> {
    role: &'r str,
    parts: Vec<Value>,
    text_only: bool,
}

impl Run<'_> {
    fn flush(&mut self, items: &mut Vec<Value>) {
        if self.parts.is_empty() {
            return;
        }
        let parts = std::mem::take(&mut self.parts);
        // Assistant history is plain text; user text-only content collapses to a string.
        let content = if self.text_only || self.role == "assistant" {
            let texts: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
            Value::String(texts.join("\n"))
        } else {
            Value::Array(parts)
        };
        self.text_only = true;
        items.push(message(self.role, content));
    }

    fn push_text(&mut self, text: &str) {
        let kind = if self.role == "assistant" {
            "output_text"
        } else {
            "input_text"
        };
        self.parts.push(json!({"type": kind, "text": text}));
    }

    fn push_media(&mut self, part: Value) {
        if self.role == "assistant" {
            return;
        }
        self.text_only = false;
        self.parts.push(part);
    }
}

fn map_blocks(role: &str, blocks: &[ContentBlock], items: &mut Vec<Value>) {
    let start = items.len();
    let mut run = Run {
        role,
        parts: Vec::new(),
        text_only: true,
    };
    let mut has_tool_blocks = false;
    for block in blocks {
        match block {
            ContentBlock::Text(text) => {
                if !text.is_empty() {
                    run.push_text(text);
                }
            }
            ContentBlock::Image(image) => {
                if let Some(url) = image_url(&image.source) {
                    run.push_media(json!({"type": "input_image", "image_url": url}));
                }
            }
            ContentBlock::Document(doc) => match document_part(doc) {
                Some(DocPart::Text(text)) => run.push_text(&text),
                Some(DocPart::File(part)) => run.push_media(part),
                None => {}
            },
            ContentBlock::ToolUse(call) => {
                has_tool_blocks = true;
                run.flush(items);
                let arguments = if call.input.is_null() {
                    "{}".to_owned()
                } else {
                    call.input.to_string()
                };
                let call_id = if call.id.is_empty() {
                    format!("tc_{}", call.name)
                } else {
                    call.id.clone()
                };
                let name = if call.name.is_empty() {
                    "unknown"
                } else {
                    &call.name
                };
                items.push(json!({"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}));
            }
            ContentBlock::ToolResult(result) => {
                has_tool_blocks = true;
                run.flush(items);
                tool_result(result, items);
            }
            ContentBlock::Thinking(thinking) => {
                if let Some(encrypted) = signature::decode(&thinking.signature) {
                    run.flush(items);
                    items.push(reasoning(&thinking.thinking, encrypted));
                }
            }
            ContentBlock::RedactedThinking(data) => {
                if let Some(encrypted) = signature::decode(data) {
                    run.flush(items);
                    items.push(reasoning("", encrypted));
                }
            }
            ContentBlock::Other(_) => {}
        }
    }
    run.flush(items);
    if items.len() == start && !has_tool_blocks {
        items.push(message(role, Value::String(String::new())));
    }
}

fn reasoning(summary: &str, encrypted: &str) -> Value {
    let summary = if summary.is_empty() {
        json!([])
    } else {
        json!([{"type": "summary_text", "text": summary}])
    };
    json!({"type": "reasoning", "summary": summary, "encrypted_content": encrypted})
}

fn tool_result(result: &ToolResultBlock, items: &mut Vec<Value>) {
    let call_id = if result.tool_use_id.is_empty() {
        "unknown"
    } else {
        &result.tool_use_id
    };
    let mut texts: Vec<String> = Vec::new();
    let mut media: Vec<Value> = Vec::new();
    match &result.content {
        None => {}
        Some(ToolResultContent::Text(text)) => texts.push(text.clone()),
        Some(ToolResultContent::Blocks(blocks)) => {
            for block in blocks {
                match block {
                    ContentBlock::Text(text) => texts.push(text.clone()),
                    ContentBlock::Image(image) => {
                        if let Some(url) = image_url(&image.source) {
                            media.push(json!({"type": "input_image", "image_url": url}));
                        }
                    }
                    ContentBlock::Document(doc) => match document_part(doc) {
                        Some(DocPart::Text(text)) => texts.push(text),
                        Some(DocPart::File(part)) => media.push(part),
                        None => {}
                    },
                    _ => {}
                }
            }
        }
    }
    let mut output = texts.join("\n");
    if result.is_error == Some(true) {
        output.insert_str(0, "Error: ");
    }
    items.push(json!({"type": "function_call_output", "call_id": call_id, "output": output}));
    if !media.is_empty() {
        items.push(message("user", Value::Array(media)));
    }
}

/// `data:` URL of a base64 source, or the URL of a url source.
fn image_url(source: &Source) -> Option<String> {
    match source.kind.as_str() {
        "base64" => {
            let data = source.data.as_deref().filter(|d| !d.is_empty())?;
            let media = source.media_type.as_deref().unwrap_or("image/png");
            Some(format!("data:{media};base64,{data}"))
        }
        "url" => source.url.clone().filter(|u| !u.is_empty()),
        _ => None,
    }
}

enum DocPart {
    Text(String),
    File(Value),
}

/// A document block as text (plain-text sources) or an `input_file` part (PDF data / URL).
fn document_part(doc: &DocumentBlock) -> Option<DocPart> {
    let source = &doc.source;
    let filename = doc
        .title
        .clone()
        .unwrap_or_else(|| "document.pdf".to_owned());
    match source.kind.as_str() {
        "text" => source.data.clone().map(|text| match &doc.title {
            Some(title) => DocPart::Text(format!("{title}\n\n{text}")),
            None => DocPart::Text(text),
        }),
        "base64" => {
            let data = source.data.as_deref().filter(|d| !d.is_empty())?;
            let media = source.media_type.as_deref().unwrap_or("application/pdf");
            Some(DocPart::File(
                json!({"type": "input_file", "filename": filename, "file_data": format!("data:{media};base64,{data}")}),
            ))
        }
        "url" => {
            let url = source.url.as_deref().filter(|u| !u.is_empty())?;
            Some(DocPart::File(
                json!({"type": "input_file", "file_url": url}),
            ))
        }
        _ => None,
    }
}
