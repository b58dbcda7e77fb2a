//! The translators' view of an upstream event: [`classify`] reduces a
//! [`ResponsesEvent`] to the few facts every dialect needs (text, reasoning, tool-call lifecycle,
//! terminal outcome), so the per-dialect state machines do not depend on the wire details.

use std::borrow::Cow;

use codex_proxy_schema::responses::{
    ErrorPayload, OutputContent, OutputItem, ResponseEnvelope, ResponsesEvent, Usage,
};

/// Token usage reported by the upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TokenUsage {
    /// Input tokens (including cached).
    pub(crate) input: u64,
    /// Output tokens (including reasoning).
    pub(crate) output: u64,
    /// Cached input tokens, when reported.
    pub(crate) cached: Option<u64>,
    /// Reasoning tokens, when reported.
    pub(crate) reasoning: Option<u64>,
}

/// Which kind of tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// A function tool call (`function_call` item).
    Function,
    /// A custom / free-form tool call (`custom_tool_call` item).
    Custom,
}

/// One upstream event, reduced.
#[derive(Debug)]
pub(crate) enum Ev<'e> {
    /// Answer text.
    Text { item_id: &'e str, delta: &'e str },
    /// Refusal text.
    Refusal(&'e str),
    /// Reasoning summary text.
    Reasoning(&'e str),
    /// A new reasoning summary part starts.
    ReasoningPartStart,
    /// A tool call item was added.
    CallStart {
        kind: CallKind,
        item_id: &'e str,
        call_id: &'e str,
        name: &'e str,
    },
    /// Argument / input fragment of a call.
    CallDelta { item_id: &'e str, delta: &'e str },
    /// Complete arguments / input of a call (`*.done` event or `output_item.done`).
    CallDone {
        kind: CallKind,
        item_id: &'e str,
        call_id: &'e str,
        name: &'e str,
        arguments: Cow<'e, str>,
    },
    /// A finished message item, with its full text (used when no deltas were streamed).
    MessageDone {
        item_id: &'e str,
        text: Cow<'e, str>,
    },
    /// A finished image generation call.
    ImageDone {
        item_id: &'e str,
        result: &'e str,
        revised_prompt: Option<&'e str>,
    },
    /// `response.completed`.
    Completed { usage: Option<TokenUsage> },
    /// `response.incomplete` with its reason (`max_output_tokens`, `content_filter`, ...).
    Incomplete {
        usage: Option<TokenUsage>,
        reason: Option<&'e str>,
    },
    /// `response.failed` or `error`.
    Failed {
        code: Cow<'e, str>,
        message: Cow<'e, str>,
    },
    /// Nothing a translator needs.
    Ignore,
}

/// Reduce `ev` (see module docs). This is the one place that knows the event wire shapes.
pub(crate) fn classify<'e>(ev: &'e ResponsesEvent<'_>) -> Ev<'e> {
    match ev {
        ResponsesEvent::OutputTextDelta(d) => Ev::Text {
            item_id: &d.item_id,
            delta: &d.delta,
        },
        ResponsesEvent::RefusalDelta(d) => Ev::Refusal(&d.delta),
        ResponsesEvent::ReasoningSummaryTextDelta(d) => Ev::Reasoning(&d.delta),
        ResponsesEvent::ReasoningSummaryPartAdded(_) => Ev::ReasoningPartStart,
        ResponsesEvent::FunctionCallArgumentsDelta(d)
        | ResponsesEvent::CustomToolCallInputDelta(d) => Ev::CallDelta {
            item_id: delta_id(&d.item_id, d.call_id.as_deref()),
            delta: &d.delta,
        },
        ResponsesEvent::FunctionCallArgumentsDone(d) => Ev::CallDone {
            kind: CallKind::Function,
            item_id: delta_id(&d.item_id, d.call_id.as_deref()),
            call_id: d.call_id.as_deref().unwrap_or(""),
            name: d.name.as_deref().unwrap_or(""),
            arguments: Cow::Borrowed(&d.arguments),
        },
        ResponsesEvent::CustomToolCallInputDone(d) => Ev::CallDone {
            kind: CallKind::Custom,
            item_id: delta_id(&d.item_id, d.call_id.as_deref()),
            call_id: d.call_id.as_deref().unwrap_or(""),
            name: "",
            arguments: Cow::Borrowed(&d.input),
        },
        ResponsesEvent::OutputItemAdded(e) => match &e.item {
            Some(OutputItem::FunctionCall(call)) => Ev::CallStart {
                kind: CallKind::Function,
                item_id: &call.id,
                call_id: &call.call_id,
                name: &call.name,
            },
            Some(OutputItem::CustomToolCall(call)) => Ev::CallStart {
                kind: CallKind::Custom,
                item_id: &call.id,
                call_id: &call.call_id,
                name: &call.name,
            },
            _ => Ev::Ignore,
        },
        ResponsesEvent::OutputItemDone(e) => match &e.item {
            Some(OutputItem::FunctionCall(call)) => Ev::CallDone {
                kind: CallKind::Function,
                item_id: &call.id,
                call_id: &call.call_id,
                name: &call.name,
                arguments: Cow::Borrowed(&call.arguments),
            },
            Some(OutputItem::CustomToolCall(call)) => Ev::CallDone {
                kind: CallKind::Custom,
                item_id: &call.id,
                call_id: &call.call_id,
                name: &call.name,
                arguments: Cow::Borrowed(&call.input),
            },
            Some(OutputItem::ImageGenerationCall(image)) => Ev::ImageDone {
                item_id: &image.id,
                result: image.result.as_deref().unwrap_or(""),
                revised_prompt: image.revised_prompt.as_deref(),
            },
            // Codex's built-in shell tool, surfaced as a call of a function named `local_shell`.
            Some(OutputItem::LocalShellCall(call)) => Ev::CallDone {
                kind: CallKind::Function,
                item_id: &call.id,
                call_id: &call.call_id,
                name: "local_shell",
                arguments: Cow::Borrowed(call.action.map_or("{}", |a| a.get())),
            },
            Some(OutputItem::Message(msg)) => Ev::MessageDone {
                item_id: &msg.id,
                text: message_text(&msg.content),
            },
            _ => Ev::Ignore,
        },
        ResponsesEvent::Completed(env) => Ev::Completed { usage: usage(env) },
        ResponsesEvent::Incomplete(env) => Ev::Incomplete {
            usage: usage(env),
            reason: env
                .response
                .incomplete_details
                .as_ref()
                .and_then(|d| d.reason.as_deref()),
        },
        ResponsesEvent::Failed(env) => failed(&ErrorPayload::new(env.raw)),
        ResponsesEvent::Error(payload) => failed(payload),
        _ => Ev::Ignore,
    }
}

/// Codex sends `item_id`; mock servers sometimes only `call_id`.
fn delta_id<'e>(item_id: &'e str, call_id: Option<&'e str>) -> &'e str {
    if item_id.is_empty() {
        call_id.unwrap_or("")
    } else {
        item_id
    }
}

fn usage(env: &ResponseEnvelope<'_>) -> Option<TokenUsage> {
    env.response.usage.as_ref().map(|u: &Usage| TokenUsage {
        input: u.input_tokens,
        output: u.output_tokens,
        cached: Some(u.input_tokens_details.cached_tokens),
        reasoning: Some(u.output_tokens_details.reasoning_tokens),
    })
}

fn failed<'e>(payload: &ErrorPayload<'_>) -> Ev<'e> {
    let info = payload.extract();
    Ev::Failed {
        code: Cow::Owned(info.code),
        message: Cow::Owned(info.message),
    }
}

/// The `output_text` parts of a message, concatenated.
fn message_text<'e>(content: &'e [OutputContent<'_>]) -> Cow<'e, str> {
    let mut texts = content
        .iter()
        .filter(|c| c.kind == "output_text")
        .filter_map(|c| c.text.as_deref());
    match (texts.next(), texts.next()) {
        (None, _) => Cow::Borrowed(""),
        (Some(one), None) => Cow::Borrowed(one),
        (Some(a), Some(b)) => {
            let mut s = String::from(a);
            s.push_str(b);
            texts.for_each(|t| s.push_str(t));
            Cow::Owned(s)
        }
    }
}
