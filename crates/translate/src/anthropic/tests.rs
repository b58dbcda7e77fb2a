//! Unit tests of the Anthropic translator: request rules and stream / collector behaviour on
//! hand-built event sequences (recorded streams are covered by the golden suite).

use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_schema::sse::SseDecoder;
use serde_json::{Value, json};

use super::*;
use crate::{ModelCatalog, RequestOptions};

fn opts() -> RequestOptions {
    RequestOptions {
        catalog: ModelCatalog {
            models: vec!["gpt-5.5".into(), "gpt-5.4".into(), "gpt-5.3-codex".into()],
            aliases: [
                ("claude-opus", "gpt-5.5"),
                ("claude-sonnet", "gpt-5.4"),
                ("claude-haiku", "gpt-5.3-codex"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
            default_model: "gpt-5.4".into(),
        },
        ..RequestOptions::default()
    }
}

fn translate(body: Value) -> Value {
    let t = request_to_responses(body.to_string().as_bytes(), &opts()).expect("translates");
    serde_json::to_value(&t.request).expect("json")
}

#[test]
fn thinking_round_trips_through_the_signature() {
    let sig = signature::encode("ENC==");
    let req = translate(json!({
        "model": "claude-opus-4-7", "max_tokens": 100,
        "thinking": {"type": "enabled", "budget_tokens": 10000},
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "plan", "signature": sig},
                {"type": "thinking", "thinking": "foreign", "signature": "EqQBCkYIAxgC"},
                {"type": "redacted_thinking", "data": signature::encode("RED")},
                {"type": "text", "text": "calling"},
                {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "a.txt", "is_error": true},
                {"type": "text", "text": "next"}]}
        ]
    }));
    assert_eq!(req["model"], "gpt-5.5");
    assert_eq!(
        req["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );
    let input = req["input"].as_array().expect("input");
    let kinds: Vec<&str> = input
        .iter()
        .map(|i| i["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "message",
            "reasoning",
            "reasoning",
            "message",
            "function_call",
            "function_call_output",
            "message"
        ]
    );
    assert_eq!(input[1]["encrypted_content"], "ENC==");
    assert_eq!(input[1]["summary"][0]["text"], "plan");
    assert_eq!(input[2]["summary"], json!([]));
    assert_eq!(input[5]["output"], "Error: a.txt");
    assert_eq!(
        input[6]["content"], "next",
        "text after the tool result keeps its place"
    );
}

#[test]
fn request_rules() {
    let req = translate(json!({
        "model": "claude-haiku-4-5-20251001", "max_tokens": 10, "temperature": 0.5, "top_k": 3,
        "stop_sequences": ["x"], "metadata": {"user_id": "{\"session_id\":\"s-1\",\"device_id\":\"d\"}"},
        "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=1"}, {"type": "text", "text": " sys ", "cache_control": {"type": "ephemeral"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
        "tools": [
            {"name": "Read", "description": "read", "input_schema": {"$schema": "x", "type": "object", "properties": {"pages": {"type": "string", "description": "Pages."}}}, "cache_control": {"type": "ephemeral"}, "defer_loading": true},
            {"name": "Empty", "input_schema": {"type": "object"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            {"type": "web_fetch_20250910", "name": "web_fetch"},
            {"type": "bash_20250124", "name": "bash"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}}, {"type": "image", "source": {"type": "url", "url": "https://e/x.png"}}]},
            {"role": "system", "content": "mid-conversation system"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "r"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "BBB"}}]}]}
        ]
    }));
    assert_eq!(req["model"], "gpt-5.3-codex");
    assert_eq!(req["instructions"], "sys");
    assert_eq!(req["tool_choice"], "required");
    assert_eq!(req["parallel_tool_calls"], false);
    assert_eq!(req["prompt_cache_key"], "s-1");
    for dropped in [
        "temperature",
        "top_k",
        "stop_sequences",
        "metadata",
        "max_output_tokens",
    ] {
        assert!(
            req.get(dropped).is_none(),
            "{dropped} must not be forwarded"
        );
    }
    let tools = req["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 4, "{tools:?}");
    assert!(tools[0]["parameters"].get("$schema").is_none());
    assert!(tools[0].get("cache_control").is_none() && tools[0].get("defer_loading").is_none());
    assert!(
        tools[0]["parameters"]["properties"]["pages"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("non-PDF"))
    );
    assert_eq!(tools[1]["parameters"]["properties"], json!({}));
    assert_eq!(tools[2], json!({"type": "web_search"}));
    assert_eq!(tools[3], json!({"type": "function", "name": "bash"}));
    let input = req["input"].as_array().expect("input");
    assert_eq!(
        input[0]["content"][1]["image_url"],
        "data:image/png;base64,AAA"
    );
    assert_eq!(input[0]["content"][2]["image_url"], "https://e/x.png");
    assert_eq!(input[1]["role"], "developer");
    assert_eq!(input[2]["output"], "r");
    assert_eq!(
        input[3]["content"][0]["image_url"],
        "data:image/jpeg;base64,BBB"
    );
}

#[test]
fn validation_and_effort() {
    let bad = |body: Value| {
        request_to_responses(body.to_string().as_bytes(), &opts()).expect_err("rejected")
    };
    assert_eq!(
        bad(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]})).status(),
        400
    );
    assert_eq!(
        bad(json!({"model": "m", "max_tokens": 1, "messages": []})).status(),
        400
    );
    assert!(matches!(
        request_to_responses(b"{", &opts()),
        Err(crate::TranslateError::InvalidJson)
    ));
    let effort = |extra: Value| {
        let mut body = json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]});
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        translate(body)["reasoning"]["effort"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        effort(json!({"thinking": {"type": "enabled", "budget_tokens": 500}})).as_deref(),
        Some("low")
    );
    assert_eq!(
        effort(json!({"thinking": {"type": "enabled", "budget_tokens": 5000}})).as_deref(),
        Some("medium")
    );
    assert_eq!(
        effort(json!({"thinking": {"type": "enabled", "budget_tokens": 30000}})).as_deref(),
        Some("xhigh")
    );
    assert_eq!(
        effort(json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}))
            .as_deref(),
        Some("xhigh")
    );
    assert_eq!(effort(json!({"thinking": {"type": "adaptive"}})), None);
    assert_eq!(
        effort(json!({"thinking": {"type": "disabled"}, "output_config": {"effort": "high"}})),
        None
    );
}

fn events(sse: &str) -> Vec<(String, Value)> {
    let mut decoder = SseDecoder::new();
    decoder.push(sse.as_bytes());
    let mut out = Vec::new();
    while let Ok(Some(frame)) = decoder.finish() {
        out.push((
            frame.event.unwrap_or("").to_owned(),
            serde_json::from_str(frame.data).expect("json data"),
        ));
    }
    out
}

fn run(upstream: &[(&str, Value)], want_reasoning: bool) -> Vec<(String, Value)> {
    let ctx = AnthropicContext {
        id: "msg_1".into(),
        model: "claude-x".into(),
        want_reasoning,
    };
    let mut stream = AnthropicStream::new(ctx);
    let mut out = Vec::new();
    for (name, data) in upstream {
        let data = data.to_string();
        let ev = ResponsesEvent::parse_named(name, &data).expect("event");
        stream.push(&ev, &mut out);
    }
    stream.finish(&mut out);
    events(&String::from_utf8(out).expect("utf-8"))
}

#[test]
fn parallel_tools_thinking_and_usage() {
    let out = run(
        &[
            ("response.created", json!({"response": {"id": "r"}})),
            (
                "response.reasoning_summary_text.delta",
                json!({"item_id": "rs", "delta": "think"}),
            ),
            (
                "response.output_item.done",
                json!({"item": {"type": "reasoning", "id": "rs", "summary": [], "encrypted_content": "E"}}),
            ),
            (
                "response.output_item.added",
                json!({"item": {"type": "function_call", "id": "fa", "call_id": "A", "name": "Bash", "arguments": ""}}),
            ),
            (
                "response.output_item.added",
                json!({"item": {"type": "function_call", "id": "fb", "call_id": "B", "name": "Read", "arguments": ""}}),
            ),
            (
                "response.function_call_arguments.delta",
                json!({"item_id": "fa", "delta": "{\"c\":1}"}),
            ),
            (
                "response.function_call_arguments.delta",
                json!({"item_id": "fb", "delta": "{\"pages\":\" \"}"}),
            ),
            (
                "response.function_call_arguments.done",
                json!({"item_id": "fb", "arguments": "{\"pages\":\" \"}"}),
            ),
            (
                "response.function_call_arguments.done",
                json!({"item_id": "fa", "arguments": "{\"c\":1}"}),
            ),
            (
                "response.function_call_arguments.done",
                json!({"call_id": "C", "name": "Late", "arguments": "{}"}),
            ),
            (
                "response.completed",
                json!({"response": {"id": "r", "usage": {"input_tokens": 50, "output_tokens": 7, "input_tokens_details": {"cached_tokens": 30}}}}),
            ),
        ],
        true,
    );
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert_eq!(out[1].1["content_block"]["type"], "thinking");
    assert_eq!(
        out[3].1["delta"],
        json!({"type": "signature_delta", "signature": "cxr1.E"})
    );
    let starts: Vec<i64> = out
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .filter_map(|(_, d)| d["index"].as_i64())
        .collect();
    let mut stops: Vec<i64> = out
        .iter()
        .filter(|(n, _)| n == "content_block_stop")
        .filter_map(|(_, d)| d["index"].as_i64())
        .collect();
    stops.sort_unstable();
    assert_eq!(starts, [0, 1, 2, 3]);
    assert_eq!(stops, [0, 1, 2, 3], "each block stopped exactly once");
    let read_input: Vec<&Value> = out
        .iter()
        .filter(|(_, d)| d["index"] == 2 && d["delta"]["type"] == "input_json_delta")
        .map(|(_, d)| &d["delta"]["partial_json"])
        .collect();
    assert_eq!(
        read_input,
        [&json!("{}")],
        "Read: blank pages removed, sent once at done"
    );
    let delta = &out[out.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["input_tokens"], 20);
    assert_eq!(delta["usage"]["cache_read_input_tokens"], 30);
    assert_eq!(delta["usage"]["output_tokens"], 7);
}

#[test]
fn ends_with_error_or_stop_reason() {
    let cut = run(
        &[(
            "response.output_text.delta",
            json!({"item_id": "m", "delta": "par"}),
        )],
        false,
    );
    assert_eq!(
        cut.last()
            .map(|(n, d)| (n.as_str(), d["error"]["type"].clone())),
        Some(("error", json!("api_error")))
    );
    let failed = run(
        &[(
            "error",
            json!({"code": "server_is_overloaded", "message": "busy"}),
        )],
        false,
    );
    assert_eq!(
        failed.last().map(|(_, d)| d["error"]["type"].clone()),
        Some(json!("overloaded_error"))
    );
    let limited = run(
        &[(
            "response.failed",
            json!({"response": {"error": {"code": "rate_limit_exceeded", "message": "slow"}}}),
        )],
        false,
    );
    assert_eq!(
        limited.last().map(|(_, d)| d["error"]["type"].clone()),
        Some(json!("rate_limit_error"))
    );
    let long = run(
        &[
            (
                "response.output_text.delta",
                json!({"item_id": "m", "delta": "x"}),
            ),
            (
                "response.incomplete",
                json!({"response": {"incomplete_details": {"reason": "max_output_tokens"}}}),
            ),
        ],
        false,
    );
    assert_eq!(long[long.len() - 2].1["delta"]["stop_reason"], "max_tokens");
    let empty = run(
        &[(
            "response.completed",
            json!({"response": {"usage": {"input_tokens": 3, "output_tokens": 0}}}),
        )],
        false,
    );
    assert_eq!(empty[2].1["delta"]["text"], EMPTY_RESPONSE_TEXT);
    let mut stream = AnthropicStream::new(AnthropicContext::default());
    let mut out = Vec::new();
    stream.ping(&mut out);
    let pinged = events(&String::from_utf8(out).expect("utf-8"));
    assert_eq!(
        pinged.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["message_start", "ping"]
    );
}

#[test]
fn collector_builds_blocks_in_order() {
    let ctx = AnthropicContext {
        id: "msg_1".into(),
        model: "claude-x".into(),
        want_reasoning: true,
    };
    let mut collector = AnthropicCollector::new(ctx);
    for (name, data) in [
        (
            "response.reasoning_summary_text.delta",
            json!({"item_id": "rs", "delta": "plan"}),
        ),
        (
            "response.output_item.done",
            json!({"item": {"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text", "text": "plan"}], "encrypted_content": "E"}}),
        ),
        (
            "response.output_text.delta",
            json!({"item_id": "m", "delta": "hello"}),
        ),
        (
            "response.output_item.added",
            json!({"item": {"type": "function_call", "id": "f", "call_id": "c", "name": "Bash", "arguments": ""}}),
        ),
        (
            "response.function_call_arguments.done",
            json!({"item_id": "f", "arguments": "not json"}),
        ),
        (
            "response.completed",
            json!({"response": {"usage": {"input_tokens": 9, "output_tokens": 4}}}),
        ),
    ] {
        let data = data.to_string();
        collector.push(&ResponsesEvent::parse_named(name, &data).expect("event"));
    }
    let body: Value = serde_json::from_slice(&collector.finish().expect("message")).expect("json");
    assert_eq!(
        body["content"],
        json!([
            {"type": "thinking", "thinking": "plan", "signature": "cxr1.E"},
            {"type": "text", "text": "hello"},
            {"type": "tool_use", "id": "c", "name": "Bash", "input": {}}
        ])
    );
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(body["model"], "claude-x");
    assert_eq!(body["usage"]["input_tokens"], 9);
}

#[test]
fn error_types() {
    use crate::{ErrorKind, ErrorReply, upstream_error_to_reply};
    assert_eq!(
        error_type(&upstream_error_to_reply(429, b"{}")),
        "rate_limit_error"
    );
    assert_eq!(
        error_type(&upstream_error_to_reply(401, b"{}")),
        "api_error",
        "the proxy's account, not the client"
    );
    assert_eq!(
        error_type(&upstream_error_to_reply(503, b"{}")),
        "overloaded_error"
    );
    assert_eq!(
        error_type(&upstream_error_to_reply(400, b"{}")),
        "invalid_request_error"
    );
    assert_eq!(
        error_type(&ErrorReply::new(401, ErrorKind::InvalidRequest, "k", None)),
        "authentication_error"
    );
    let body: Value = serde_json::from_slice(&to_error_body(&ErrorReply::new(
        500,
        ErrorKind::Upstream,
        "boom",
        None,
    )))
    .expect("json");
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "api_error", "message": "boom"}})
    );
}

#[test]
fn count_tokens_uses_o200k() {
    let body = json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello, world"}]});
    let n = count_tokens(body.to_string().as_bytes(), &opts()).expect("counts");
    // "Hello, world" is 3 o200k tokens; "You are a helpful assistant." 6; role "user" 1.
    assert_eq!(
        n,
        3 + (4 + 6) + (4 + 1 + 3),
        "priming + instructions + message"
    );
}
