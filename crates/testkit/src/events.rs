//! Renders Responses SSE events (`event:` line + `data:` JSON with `type` and `sequence_number`).

use bytes::BytesMut;

use crate::json::{push_raw, push_str, push_u64};
use crate::plan::{Ending, Item, Plan};

/// Writes `event: NAME\ndata: {"type":"NAME","sequence_number":SEQ` (caller adds fields, then [`end`]).
pub(crate) fn begin(out: &mut BytesMut, name: &str, seq: u64) {
    push_raw(out, "event: ");
    push_raw(out, name);
    push_raw(out, "\ndata: {\"type\":\"");
    push_raw(out, name);
    push_raw(out, "\",\"sequence_number\":");
    push_u64(out, seq);
}

/// Closes the data object and the SSE frame.
pub(crate) fn end(out: &mut BytesMut) {
    push_raw(out, "}\n\n");
}

/// Status and extras of a response envelope.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Envelope {
    InProgress,
    Completed,
    Incomplete,
    Failed {
        code: &'static str,
        message: &'static str,
    },
}

/// Writes `,"response":{...}`.
pub(crate) fn response(out: &mut BytesMut, plan: &Plan, env: Envelope) {
    push_raw(out, ",\"response\":{\"id\":");
    push_str(out, &plan.resp_id);
    push_raw(out, ",\"object\":\"response\",\"created_at\":");
    push_u64(out, plan.created_at);
    push_raw(out, ",\"status\":");
    push_raw(
        out,
        match env {
            Envelope::InProgress => "\"in_progress\"",
            Envelope::Completed => "\"completed\"",
            Envelope::Incomplete => "\"incomplete\"",
            Envelope::Failed { .. } => "\"failed\"",
        },
    );
    push_raw(out, ",\"model\":");
    push_str(out, &plan.model);
    push_raw(out, ",\"output\":[");
    if matches!(env, Envelope::Completed | Envelope::Incomplete) {
        for (i, it) in plan.items.iter().enumerate() {
            if i > 0 {
                push_raw(out, ",");
            }
            item(out, it, true, plan.ending == Ending::Incomplete);
        }
    }
    push_raw(out, "],\"usage\":");
    match env {
        Envelope::Completed | Envelope::Incomplete => usage(out, plan),
        _ => push_raw(out, "null"),
    }
    push_raw(out, ",\"error\":");
    match env {
        Envelope::Failed { code, message } => {
            push_raw(out, "{\"code\":");
            push_str(out, code);
            push_raw(out, ",\"message\":");
            push_str(out, message);
            push_raw(out, "}");
        }
        _ => push_raw(out, "null"),
    }
    push_raw(out, ",\"incomplete_details\":");
    match env {
        Envelope::Incomplete => push_raw(out, "{\"reason\":\"max_output_tokens\"}"),
        _ => push_raw(out, "null"),
    }
    push_raw(out, "}");
}

fn usage(out: &mut BytesMut, plan: &Plan) {
    let u = plan.usage;
    push_raw(out, "{\"input_tokens\":");
    push_u64(out, u.input);
    push_raw(out, ",\"input_tokens_details\":{\"cached_tokens\":");
    push_u64(out, u.cached);
    push_raw(out, "},\"output_tokens\":");
    push_u64(out, u.output);
    push_raw(out, ",\"output_tokens_details\":{\"reasoning_tokens\":");
    push_u64(out, u.reasoning);
    push_raw(out, "},\"total_tokens\":");
    push_u64(out, u.input + u.output);
    push_raw(out, "}");
}

/// Writes an item object; `done` selects the final shape, `truncated` marks a cut message.
pub(crate) fn item(out: &mut BytesMut, item: &Item, done: bool, truncated: bool) {
    match item {
        Item::Reasoning {
            id,
            summary,
            encrypted,
        } => {
            push_raw(out, "{\"id\":");
            push_str(out, id);
            push_raw(out, ",\"type\":\"reasoning\",\"summary\":[");
            if done {
                push_raw(out, "{\"type\":\"summary_text\",\"text\":");
                push_str(out, summary);
                push_raw(out, "}");
            }
            push_raw(out, "]");
            if let (true, Some(enc)) = (done, encrypted) {
                push_raw(out, ",\"encrypted_content\":");
                push_str(out, enc);
            }
            push_raw(out, "}");
        }
        Item::Message { id, text } => {
            push_raw(out, "{\"id\":");
            push_str(out, id);
            push_raw(out, ",\"type\":\"message\",\"status\":");
            push_raw(out, status(done, truncated));
            push_raw(out, ",\"content\":[");
            if done {
                output_text_part(out, message_text(text, truncated));
            }
            push_raw(out, "],\"role\":\"assistant\"}");
        }
        Item::FunctionCall {
            id,
            call_id,
            name,
            arguments,
        } => {
            push_raw(out, "{\"id\":");
            push_str(out, id);
            push_raw(out, ",\"type\":\"function_call\",\"status\":");
            push_raw(out, status(done, false));
            push_raw(out, ",\"arguments\":");
            push_str(out, if done { arguments } else { "" });
            push_raw(out, ",\"call_id\":");
            push_str(out, call_id);
            push_raw(out, ",\"name\":");
            push_str(out, name);
            push_raw(out, "}");
        }
        Item::CustomToolCall {
            id,
            call_id,
            name,
            input,
        } => {
            push_raw(out, "{\"id\":");
            push_str(out, id);
            push_raw(out, ",\"type\":\"custom_tool_call\",\"status\":");
            push_raw(out, status(done, false));
            push_raw(out, ",\"name\":");
            push_str(out, name);
            push_raw(out, ",\"input\":");
            push_str(out, if done { input } else { "" });
            push_raw(out, ",\"call_id\":");
            push_str(out, call_id);
            push_raw(out, "}");
        }
        Item::ImageGeneration {
            id,
            spec,
            result,
            revised_prompt,
        } => crate::image::write_item(out, id, spec, result, revised_prompt, done),
    }
}

/// The text a message carries given truncation.
pub(crate) fn message_text(text: &str, truncated: bool) -> &str {
    if truncated {
        crate::plan::truncate_half(text)
    } else {
        text
    }
}

fn status(done: bool, truncated: bool) -> &'static str {
    match (done, truncated) {
        (false, _) => "\"in_progress\"",
        (true, false) => "\"completed\"",
        (true, true) => "\"incomplete\"",
    }
}

/// Writes an `output_text` part object.
pub(crate) fn output_text_part(out: &mut BytesMut, text: &str) {
    push_raw(
        out,
        "{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":",
    );
    push_str(out, text);
    push_raw(out, "}");
}

/// Writes `,"item_id":ID,"output_index":N`.
pub(crate) fn item_ref(out: &mut BytesMut, id: &str, index: usize) {
    push_raw(out, ",\"item_id\":");
    push_str(out, id);
    push_raw(out, ",\"output_index\":");
    push_u64(out, index as u64);
}
