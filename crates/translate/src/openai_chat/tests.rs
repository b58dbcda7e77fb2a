//! Unit tests of the chat translators, driven by small hand-written upstream streams.

use serde_json::{Value, json};

use super::*;
use crate::{ErrorKind, RequestOptions, StreamContext, TranslateError, UpstreamFailure};

fn sse(events: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for ev in events {
        let kind = ev["type"].as_str().expect("type");
        out.extend_from_slice(format!("event: {kind}\ndata: {ev}\n\n").as_bytes());
    }
    out
}

fn ctx() -> StreamContext {
    StreamContext {
        id: "chatcmpl-t".into(),
        created: 7,
        model: "m".into(),
        ..StreamContext::default()
    }
}

/// Run a stream through the translator; returns the parsed `data:` payloads (`[DONE]` as a string).
fn run(ctx: StreamContext, input: &[u8], piece: usize) -> Vec<Value> {
    let mut t = ChatSseTranslator::new(ctx);
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        t.push_bytes(chunk, &mut out);
    }
    t.finish(&mut out);
    let text = String::from_utf8(out).expect("utf-8");
    text.split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|f| {
            let data = f.strip_prefix("data: ").expect("data frame");
            if data == "[DONE]" {
                Value::String(data.into())
            } else {
                serde_json::from_str(data).expect("json chunk")
            }
        })
        .collect()
}

fn completed(usage: Value) -> Value {
    json!({"type": "response.completed", "response": {"id": "r", "status": "completed", "usage": usage}})
}

fn text_delta(item: &str, delta: &str) -> Value {
    json!({"type": "response.output_text.delta", "item_id": item, "output_index": 0, "content_index": 0, "delta": delta})
}

fn call_added(item: &str, call: &str, name: &str, output_index: u32) -> Value {
    json!({"type": "response.output_item.added", "output_index": output_index,
           "item": {"type": "function_call", "id": item, "call_id": call, "name": name, "arguments": "", "status": "in_progress"}})
}

fn args_delta(item: &str, delta: &str) -> Value {
    json!({"type": "response.function_call_arguments.delta", "item_id": item, "output_index": 0, "delta": delta})
}

fn args_done(item: &str, args: &str) -> Value {
    json!({"type": "response.function_call_arguments.done", "item_id": item, "output_index": 0, "arguments": args})
}

#[test]
fn text_stream_shape_and_split_invariance() {
    let input = sse(&[
        text_delta("m1", "Hel"),
        text_delta("m1", "lo"),
        completed(
            json!({"input_tokens": 10, "output_tokens": 5, "input_tokens_details": {"cached_tokens": 4}, "output_tokens_details": {"reasoning_tokens": 2}}),
        ),
    ]);
    let whole = run(ctx(), &input, usize::MAX);
    assert_eq!(
        whole,
        run(ctx(), &input, 1),
        "output must not depend on how bytes are split"
    );
    assert_eq!(
        whole[0]["choices"][0]["delta"],
        json!({"role": "assistant"})
    );
    assert_eq!(whole[1]["choices"][0]["delta"]["content"], "Hel");
    let last = &whole[whole.len() - 2];
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4}, "completion_tokens_details": {"reasoning_tokens": 2}})
    );
    assert_eq!(whole[whole.len() - 1], "[DONE]");
    assert!(
        whole[1].get("usage").is_none(),
        "no usage key before the final chunk"
    );
}

#[test]
fn include_usage_sends_separate_usage_chunk() {
    let input = sse(&[
        text_delta("m1", "x"),
        completed(json!({"input_tokens": 1, "output_tokens": 1})),
    ]);
    let out = run(
        StreamContext {
            include_usage: true,
            ..ctx()
        },
        &input,
        64,
    );
    let n = out.len();
    assert_eq!(out[n - 3]["choices"][0]["finish_reason"], "stop");
    assert!(out[n - 3].get("usage").is_none());
    assert_eq!(out[n - 2]["choices"], json!([]));
    assert_eq!(out[n - 2]["usage"]["total_tokens"], 2);
}

#[test]
fn parallel_calls_keep_stable_indices() {
    let input = sse(&[
        call_added("fc_1", "call_a", "add", 0),
        call_added("fc_2", "call_b", "mul", 1),
        args_delta("fc_2", "{\"x\":"),
        args_delta("fc_1", "{\"y\":"),
        args_delta("fc_2", "2}"),
        args_done("fc_2", "{\"x\":2}"),
        args_delta("fc_1", "1}"),
        args_done("fc_1", "{\"y\":1}"),
        completed(json!({"input_tokens": 1, "output_tokens": 1})),
    ]);
    let out = run(ctx(), &input, 13);
    let calls: Vec<(u64, Option<&str>, &str)> = out
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0].as_object())
        .map(|c| {
            (
                c["index"].as_u64().unwrap_or(99),
                c.get("id").and_then(Value::as_str),
                c["function"]["arguments"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (0, Some("call_a"), ""),
            (1, Some("call_b"), ""),
            (1, None, "{\"x\":"),
            (0, None, "{\"y\":"),
            (1, None, "2}"),
            (0, None, "1}")
        ]
    );
    assert_eq!(
        out[out.len() - 2]["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[test]
fn done_without_start_becomes_a_full_call() {
    let input = sse(&[
        json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "custom_tool_call", "id": "ct_1", "call_id": "call_p", "name": "apply_patch", "input": "*** Begin Patch"}}),
        completed(json!({"input_tokens": 1, "output_tokens": 1})),
    ]);
    let out = run(ctx(), &input, 5);
    assert_eq!(
        out[1]["choices"][0]["delta"]["tool_calls"][0],
        json!({"index": 0, "id": "call_p", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin Patch"}})
    );
    let cursor = run(
        StreamContext {
            cursor_mode: true,
            ..ctx()
        },
        &input,
        5,
    );
    assert_eq!(
        cursor[1]["choices"][0]["delta"]["tool_calls"][0]["function"],
        json!({"name": "apply_patch", "arguments": "*** Begin Patch"})
    );
}

#[test]
fn error_event_ends_with_error_object_and_done() {
    let input = sse(&[
        text_delta("m1", "partial"),
        json!({"type": "error", "error": {"type": "rate_limit_error", "code": "rate_limit_exceeded", "message": "slow down"}}),
        text_delta("m1", "ignored"),
    ]);
    let out = run(ctx(), &input, 100);
    assert_eq!(out.len(), 4);
    assert_eq!(out[2]["error"]["code"], "rate_limit_exceeded");
    assert_eq!(out[2]["error"]["type"], "rate_limit_error");
    assert_eq!(out[3], "[DONE]");
}

#[test]
fn truncated_stream_and_transport_failure_are_errors() {
    let out = run(ctx(), &sse(&[text_delta("m1", "cut")]), 100);
    assert_eq!(out[2]["error"]["code"], "stream_disconnected");
    assert_eq!(out[3], "[DONE]");

    let mut s = ChatStream::new(ctx());
    let mut bytes = Vec::new();
    s.fail(
        &UpstreamFailure {
            message: "idle timeout".into(),
            code: "upstream_timeout",
        },
        &mut bytes,
    );
    s.finish(&mut bytes);
    let text = String::from_utf8(bytes).expect("utf-8");
    assert_eq!(text.matches("[DONE]").count(), 1);
    assert!(text.contains("\"code\":\"upstream_timeout\""));
}

#[test]
fn empty_completion_gets_marker_text() {
    let out = run(
        ctx(),
        &sse(&[completed(json!({"input_tokens": 3, "output_tokens": 0}))]),
        100,
    );
    assert_eq!(
        out[1]["choices"][0]["delta"]["content"],
        EMPTY_RESPONSE_TEXT
    );
}

#[test]
fn tuple_schema_text_is_withheld_and_converted() {
    let schema = json!({"type": "object", "properties": {"p": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}}});
    let input = sse(&[
        text_delta("m1", "{\"p\":{\"0\":1,"),
        text_delta("m1", "\"1\":\"a\"}}"),
        completed(json!({"input_tokens": 1, "output_tokens": 1})),
    ]);
    let c = StreamContext {
        tuple_schema: Some(schema.clone()),
        ..ctx()
    };
    let out = run(c.clone(), &input, 100);
    assert_eq!(
        out[1]["choices"][0]["delta"]["content"],
        "{\"p\":[1,\"a\"]}"
    );
    let mut col = ChatSseCollector::new(c);
    col.push_bytes(&input);
    let body: Value = serde_json::from_slice(&col.finish().expect("completion")).expect("json");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "{\"p\":[1,\"a\"]}"
    );
}

fn collect(input: &[u8]) -> Result<Value, crate::ErrorReply> {
    let mut col = ChatSseCollector::new(ctx());
    col.push_bytes(input);
    col.finish()
        .map(|b| serde_json::from_slice(&b).expect("json"))
}

#[test]
fn collector_outcomes() {
    let empty = collect(&sse(&[completed(
        json!({"input_tokens": 3, "output_tokens": 0}),
    )]))
    .expect_err("empty");
    assert_eq!(empty.kind, ErrorKind::EmptyResponse);
    assert!(empty.is_retryable());

    let reasoning_only = sse(&[
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs", "output_index": 0, "summary_index": 0, "delta": "thinking"}),
    ]);
    let cut = collect(&reasoning_only).expect_err("premature");
    assert_eq!((cut.status, cut.kind), (504, ErrorKind::PrematureClose));
    assert!(cut.message.contains("after reasoning"));

    let failed = collect(&sse(&[json!({"type": "response.failed", "response": {"id": "r", "status": "failed", "error": {"code": "server_is_overloaded", "message": "busy"}}})])).expect_err("failed");
    assert_eq!(failed.status, 503);

    let calls = collect(&sse(&[
        call_added("fc_1", "call_a", "add", 0),
        args_delta("fc_1", "{}"),
        args_done("fc_1", "{}"),
        completed(json!({"input_tokens": 1, "output_tokens": 4})),
    ]))
    .expect("completion");
    assert_eq!(calls["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(calls["choices"][0]["message"]["content"], Value::Null);
    assert_eq!(
        calls["choices"][0]["message"]["tool_calls"][0],
        json!({"id": "call_a", "type": "function", "function": {"name": "add", "arguments": "{}"}})
    );
}

#[test]
fn request_errors_have_kinds() {
    let opts = RequestOptions {
        catalog: crate::ModelCatalog {
            default_model: "gpt-5.4".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = request_to_responses(b"{", &opts).expect_err("bad json");
    assert_eq!(err, TranslateError::InvalidJson);
    let err = request_to_responses(
        br#"{"model":"gpt-5","messages":[{"role":"user","content":"x"}],"n":2}"#,
        &opts,
    )
    .expect_err("n");
    assert_eq!(err.to_reply().param.as_deref(), Some("n"));
    let err = request_to_responses(
        br#"{"model":"llama","messages":[{"role":"user","content":"x"}]}"#,
        &opts,
    )
    .expect_err("model");
    assert_eq!(err.status(), 404);
    let ok = request_to_responses(
        br#"{"model":"gpt-5","messages":[{"role":"user","content":"x"}],"stream":true}"#,
        &opts,
    )
    .expect("ok");
    assert!(ok.stream);
    assert_eq!(ok.client_model, "gpt-5.4");
}
