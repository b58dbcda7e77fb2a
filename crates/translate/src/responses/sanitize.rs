//! Input sanitization for the Responses passthrough and compact (translation spec §7.2): replayed
//! `reasoning` items are rebuilt from the keys the backend accepts, `compaction` items without
//! content are dropped, everything else passes untouched.

use serde_json::{Map, Value};

/// Reasoning `status` values the backend accepts.
const STATUSES: [&str; 3] = ["in_progress", "completed", "incomplete"];

/// Sanitize every item of a client `input` array (see module docs).
pub fn sanitize_input(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter_map(sanitize_item).collect()
}

/// One item: `None` drops it.
fn sanitize_item(item: Value) -> Option<Value> {
    let Value::Object(obj) = item else {
        return Some(item);
    };
    match obj.get("type").and_then(Value::as_str) {
        Some("reasoning") => reasoning(obj),
        Some("compaction") => compaction(obj),
        _ => Some(Value::Object(obj)),
    }
}

fn non_blank(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// Keep only `{type:<kind>, text:string}` parts of `parts`.
fn text_parts(parts: &[Value], kind: &str) -> Vec<Value> {
    parts
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some(kind))
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .map(|text| {
            let mut part = Map::new();
            part.insert("type".into(), Value::String(kind.to_owned()));
            part.insert("text".into(), Value::String(text.to_owned()));
            Value::Object(part)
        })
        .collect()
}

fn reasoning(obj: Map<String, Value>) -> Option<Value> {
    let id = non_blank(obj.get("id"))?;
    let summary = obj.get("summary").and_then(Value::as_array)?;
    let mut out = Map::new();
    out.insert("type".into(), Value::String("reasoning".into()));
    out.insert("id".into(), Value::String(id.to_owned()));
    out.insert(
        "summary".into(),
        Value::Array(text_parts(summary, "summary_text")),
    );
    if let Some(status) = obj
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| STATUSES.contains(s))
    {
        out.insert("status".into(), Value::String(status.to_owned()));
    }
    if let Some(enc) = non_blank(obj.get("encrypted_content")) {
        out.insert("encrypted_content".into(), Value::String(enc.to_owned()));
    }
    if let Some(content) = obj.get("content").and_then(Value::as_array) {
        let parts = text_parts(content, "reasoning_text");
        if !parts.is_empty() {
            out.insert("content".into(), Value::Array(parts));
        }
    }
    Some(Value::Object(out))
}

fn compaction(obj: Map<String, Value>) -> Option<Value> {
    let enc = non_blank(obj.get("encrypted_content"))?;
    let mut out = Map::new();
    out.insert("type".into(), Value::String("compaction".into()));
    if let Some(id) = non_blank(obj.get("id")) {
        out.insert("id".into(), Value::String(id.to_owned()));
    }
    out.insert("encrypted_content".into(), Value::String(enc.to_owned()));
    Some(Value::Object(out))
}
