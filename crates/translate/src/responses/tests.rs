//! Unit tests of the Responses passthrough, compact and images mapping.

use serde_json::{Value, json};

use super::*;
use crate::{ErrorKind, ModelCatalog, RequestOptions, TranslateError};

fn opts() -> RequestOptions {
    RequestOptions {
        catalog: ModelCatalog {
            models: vec!["gpt-5.4".into(), "gpt-5.5".into(), "gpt-5.3-codex".into()],
            aliases: [("codex".to_owned(), "gpt-5.3-codex".to_owned())]
                .into_iter()
                .collect(),
            default_model: "gpt-5.4".into(),
        },
        ..RequestOptions::default()
    }
}

fn map(body: Value) -> ResponsesTranslated {
    passthrough_request(
        body.to_string().as_bytes(),
        &opts(),
        PassthroughRoute::default(),
    )
    .expect("translates")
}

fn wire(t: &ResponsesTranslated) -> Value {
    serde_json::to_value(&t.request).expect("serializes")
}

#[test]
fn passthrough_forces_upstream_flags_and_drops_unsupported() {
    let t = map(json!({
        "model": "codex-high-fast",
        "input": "hi",
        "stream": false,
        "store": true,
        "temperature": 0.3,
        "max_output_tokens": 10,
        "metadata": {"a": "b"},
        "user": "u",
        "truncation": "auto",
        "text": {"verbosity": "low", "format": {"type": "text"}},
        "client_metadata": {"keep": "x", "drop": 1},
        "turnState": "ts1",
    }));
    let w = wire(&t);
    assert!(!t.stream);
    assert_eq!(t.turn_state.as_deref(), Some("ts1"));
    assert_eq!(t.client_model, "gpt-5.3-codex-high-fast");
    assert_eq!(
        w,
        json!({
            "model": "gpt-5.3-codex",
            "instructions": "",
            "stream": true,
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
            "reasoning": {"effort": "high", "summary": "auto"},
            "store": false,
            "include": ["reasoning.encrypted_content"],
            "service_tier": "priority",
            "text": {"format": {"type": "text"}},
            "client_metadata": {"keep": "x"},
        })
    );
}

#[test]
fn passthrough_keeps_codex_cli_shape() {
    let t = map(json!({
        "model": "gpt-5.4",
        "input": [{"type": "message", "role": "system", "content": "sys"}],
        "tools": [
            {"type": "function", "name": "f", "parameters": {"type": "object"}},
            {"type": "namespace", "name": "ns", "tools": [{"type": "function", "name": "g", "parameters": {"type": "object"}}]},
            {"type": "web_search", "external_web_access": false},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": true,
        "reasoning": {"summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "k",
    }));
    let w = wire(&t);
    assert!(!t.stream, "stream defaults to false, as in OpenAI's API");
    assert_eq!(w["input"][0]["role"], "developer");
    assert_eq!(w["tools"][0]["parameters"]["properties"], json!({}));
    assert_eq!(
        w["tools"][1]["tools"][0]["parameters"]["properties"],
        json!({})
    );
    assert_eq!(
        w["tools"][2],
        json!({"type": "web_search", "external_web_access": false})
    );
    assert_eq!(w["reasoning"], json!({"summary": "auto"}));
    assert_eq!(w["tool_choice"], "auto");
    assert_eq!(w["parallel_tool_calls"], true);
    assert_eq!(w["prompt_cache_key"], "k");
    assert!(!t.expects_image);
}

#[test]
fn default_tools_merge_and_image_tool_detected() {
    let mut o = opts();
    o.default_tools = vec!["web_search".into(), "image_generation".into()];
    let body = json!({"input": [], "tools": [{"type": "web_search_preview"}]});
    let t = passthrough_request(body.to_string().as_bytes(), &o, PassthroughRoute::default())
        .expect("translates");
    let w = wire(&t);
    assert_eq!(
        w["tools"],
        json!([{"type": "web_search_preview"}, {"type": "image_generation"}])
    );
    assert!(t.expects_image);
    let t = map(json!({"input": []}));
    assert!(wire(&t).get("tools").is_none(), "empty tools are omitted");
    assert_eq!(
        wire(&t)["model"],
        "gpt-5.3-codex",
        "missing model means `codex`"
    );
}

#[test]
fn review_route_forces_subagent() {
    let body = json!({"input": [], "client_metadata": {"x-openai-subagent": "other"}});
    let t = passthrough_request(
        body.to_string().as_bytes(),
        &opts(),
        PassthroughRoute { review: true },
    )
    .expect("translates");
    assert_eq!(wire(&t)["client_metadata"]["x-openai-subagent"], "review");
}

#[test]
fn previous_response_id_needs_websocket() {
    let t = map(json!({"input": [], "previous_response_id": "resp_1"}));
    assert_eq!(t.request.previous_response_id.as_deref(), Some("resp_1"));
    let err = require_http_compatible(&t.request).expect_err("refused");
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.to_reply().param.as_deref(),
        Some("previous_response_id")
    );
    assert!(require_http_compatible(&map(json!({"input": []})).request).is_ok());
}

#[test]
fn bad_bodies() {
    let o = opts();
    let r = PassthroughRoute::default();
    assert_eq!(
        passthrough_request(b"{", &o, r).expect_err("bad json"),
        TranslateError::InvalidJson
    );
    let err = passthrough_request(b"\"hi\"", &o, r).expect_err("not an object");
    assert_eq!(err.to_reply().code.as_deref(), Some("invalid_request"));
    assert!(compact_request(b"[1]", &o).is_err());
}

#[test]
fn sanitizer_rebuilds_reasoning_and_drops_empty_compaction() {
    let items = sanitize_input(vec![
        json!({"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "s"}, {"type": "x"}],
               "status": "weird", "encrypted_content": "", "signature": "sig",
               "content": [{"type": "other", "text": "t"}]}),
        json!({"type": "reasoning", "id": " ", "summary": []}),
        json!({"type": "reasoning", "id": "rs_2", "summary": [], "status": "completed",
               "encrypted_content": "enc", "content": [{"type": "reasoning_text", "text": "r"}]}),
        json!({"type": "compaction", "encrypted_content": "  "}),
        json!({"type": "compaction", "id": "", "encrypted_content": "blob"}),
        json!("raw"),
    ]);
    assert_eq!(
        items,
        vec![
            json!({"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "s"}]}),
            json!({"type": "reasoning", "id": "rs_2", "summary": [], "status": "completed",
                   "encrypted_content": "enc", "content": [{"type": "reasoning_text", "text": "r"}]}),
            json!({"type": "compaction", "encrypted_content": "blob"}),
            json!("raw"),
        ]
    );
}

#[test]
fn compact_body() {
    let body = json!({
        "model": "gpt-5.4-high", "input": [{"type": "compaction", "encrypted_content": ""}],
        "stream": true, "store": false, "previous_response_id": "r", "include": ["x"],
        "prompt_cache_key": "k", "tools": [], "parallel_tool_calls": false,
        "reasoning": {"effort": "low", "summary": 3, "context": "all"},
        "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}, "strict": true}},
    });
    let out = compact_request(body.to_string().as_bytes(), &opts()).expect("maps");
    assert_eq!(
        out,
        json!({
            "model": "gpt-5.4", "input": [], "instructions": "", "parallel_tool_calls": false,
            "reasoning": {"effort": "low"},
            "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}, "strict": true}},
        })
    );
}

fn sse(events: &[(&str, Value)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in events {
        codex_proxy_schema::sse::write_event(&mut out, Some(name), &data.to_string());
    }
    out
}

fn relay(input: &[u8], tuple: Option<Value>) -> String {
    let mut r = ResponsesRelay::new("resp_proxy_fallback".into(), tuple);
    let mut out = Vec::new();
    for piece in input.chunks(7) {
        r.push_bytes(piece, &mut out);
    }
    r.finish(&mut out);
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn relay_passes_events_and_reports_truncation() {
    let input = sse(&[
        (
            "response.created",
            json!({"type": "response.created", "response": {"id": "resp_1"}}),
        ),
        ("codex.rate_limits", json!({"type": "codex.rate_limits"})),
        (
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "delta": "hi"}),
        ),
    ]);
    let out = relay(&input, None);
    assert!(out.starts_with("event: response.created\ndata: {\"type\":\"response.created\""));
    assert!(!out.contains("codex.rate_limits"));
    assert!(out.contains("\"delta\":\"hi\""));
    let last = out.trim_end().rsplit("\n\n").next().unwrap_or_default();
    assert!(last.starts_with("event: response.failed\n"));
    let data: Value =
        serde_json::from_str(last.trim_start_matches("event: response.failed\ndata: "))
            .expect("json");
    assert_eq!(data["response"]["id"], "resp_1");
    assert_eq!(data["error"]["code"], "stream_disconnected");

    let mut whole = input.clone();
    whole.extend(sse(&[(
        "response.completed",
        json!({"type": "response.completed", "response": {"id": "resp_1"}}),
    )]));
    let out = relay(&whole, None);
    assert!(!out.contains("response.failed"));
    assert!(out.ends_with("\n\n"));
}

#[test]
fn relay_compacts_pretty_json_and_names_ws_frames() {
    let input = b"data: {\"type\":\"response.created\",\n  \"response\": {\"id\": \"r\"}}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\"}}\n\n";
    let out = relay(input, None);
    assert!(out.starts_with("event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\n"));
}

#[test]
fn relay_transport_failure_and_prestream_errors() {
    let mut r = ResponsesRelay::new("resp_proxy_x".into(), None);
    let mut out = Vec::new();
    r.fail(
        &crate::UpstreamFailure {
            message: "reset".into(),
            code: "upstream_transport_error",
        },
        &mut out,
    );
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("Upstream stream closed before response.completed: reset"));
    assert!(text.contains("resp_proxy_x"));
    assert!(r.is_terminated());

    let reply = crate::upstream_error_to_reply(429, br#"{"detail":"slow down"}"#);
    let mut out = Vec::new();
    write_failed_reply(&reply, "resp_proxy_y", &mut out);
    let text = String::from_utf8(out).expect("utf-8");
    let data: Value = serde_json::from_str(
        text.trim_end()
            .trim_start_matches("event: response.failed\ndata: "),
    )
    .expect("json");
    assert_eq!(
        data["error"],
        json!({"type": "rate_limit_error", "code": "rate_limit_exceeded", "message": "slow down"})
    );
}

#[test]
fn relay_tuple_mode_rewrites_text() {
    let schema = json!({"type": "object", "properties": {"p": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}}});
    let text = r#"{"p":{"0":42,"1":"hello"}}"#;
    let input = sse(&[
        (
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "delta": &text[..5]}),
        ),
        (
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "delta": &text[5..]}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "r", "output": [
            {"type": "message", "content": [{"type": "output_text", "text": text}]}]}}),
        ),
    ]);
    let out = relay(&input, Some(schema.clone()));
    assert_eq!(
        out.matches("response.output_text.delta").count(),
        2,
        "one event line + type"
    );
    assert!(out.contains(r#"\"p\":[42,\"hello\"]"#));
    assert!(!out.contains(r#"\"0\":42"#));

    let mut c = ResponsesCollector::new(Some(schema));
    c.push_bytes(&input);
    let body: Value = serde_json::from_slice(&c.finish().expect("collects")).expect("json");
    assert_eq!(body["output_text"], r#"{"p":[42,"hello"]}"#);
}

fn collect(input: &[u8]) -> Result<Value, crate::ErrorReply> {
    let mut c = ResponsesCollector::new(None);
    for piece in input.chunks(5) {
        c.push_bytes(piece);
    }
    c.finish()
        .map(|b| serde_json::from_slice(&b).expect("json"))
}

#[test]
fn collector_backfills_output_and_text() {
    let input = sse(&[
        (
            "response.created",
            json!({"type": "response.created", "response": {"id": "resp_9"}}),
        ),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "item": {"type": "web_search_call", "id": "ws"}}),
        ),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "item": {"type": "message", "content": [{"type": "output_text", "text": "搜索完成"}]}}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "resp_9", "output": [], "usage": {"input_tokens": 1}}}),
        ),
    ]);
    let body = collect(&input).expect("collects");
    assert_eq!(body["output"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["output_text"], "搜索完成");
    assert_eq!(body["usage"]["input_tokens"], 1);

    let input = sse(&[
        (
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "delta": "こんに"}),
        ),
        (
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "delta": "ちは"}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "r"}}),
        ),
    ]);
    let body = collect(&input).expect("collects");
    assert_eq!(body["output"][0]["content"][0]["text"], "こんにちは");
    assert_eq!(body["output_text"], "こんにちは");
}

#[test]
fn collector_errors() {
    let err = collect(&sse(&[(
        "response.created",
        json!({"response": {"id": "resp_7"}}),
    )]))
    .expect_err("truncated");
    assert_eq!(err.kind, ErrorKind::EmptyResponse);
    assert!(err.message.contains("resp_7"));
    assert!(err.is_retryable());
    let err = collect(&sse(&[(
        "response.failed",
        json!({"type": "response.failed", "response": {"error": {"code": "rate_limit_exceeded", "message": "m"}}}),
    )]))
    .expect_err("failed");
    assert_eq!((err.status, err.kind), (429, ErrorKind::RateLimited));
}

fn img_body(extra: Value) -> Vec<u8> {
    let mut body = json!({"model": "gpt-image-2", "prompt": "a cat"});
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    body.to_string().into_bytes()
}

#[test]
fn images_request_validation() {
    let o = opts();
    let ok = images_request(&img_body(json!({"size": "1024x1536", "output_format": "webp", "output_compression": 80, "background": "opaque", "quality": "hd"})), &o, "gpt-5.5", ImageMode::Generate)
        .expect("valid");
    let w = serde_json::to_value(&ok.request).expect("json");
    assert_eq!(w["model"], "gpt-5.5");
    assert_eq!(
        w["tools"],
        json!([{"type": "image_generation", "size": "1024x1536", "output_format": "webp", "output_compression": 80, "background": "opaque"}])
    );
    assert_eq!(w["input"][0]["content"][0]["text"], "a cat");
    assert_eq!(ok.client_model, "gpt-image-2");

    for bad in [
        json!({"n": 2}),
        json!({"response_format": "url"}),
        json!({"prompt": "x".repeat(32_769)}),
        json!({"output_compression": 80}),
        json!({"output_format": "png", "output_compression": 80}),
        json!({"size": "512x512"}),
        json!({"background": "transparent"}),
        json!({"output_format": "gif"}),
        json!({"partial_images": 4}),
        json!({"moderation": "high"}),
        json!({"stream": true}),
        json!({"prompt": "  "}),
        json!({"mask": "data:image/png;base64,AA"}),
    ] {
        let err = images_request(&img_body(bad.clone()), &o, "gpt-5.5", ImageMode::Generate)
            .expect_err("invalid");
        assert_eq!(err.status, 400, "{bad}");
        let body: Value = serde_json::from_slice(&images_error_body(&err)).expect("json");
        assert_eq!(body["error"]["code"], "invalid_request", "{bad}");
    }
    for host in ["gpt-image-2", "nope"] {
        let err = images_request(&img_body(json!({})), &o, host, ImageMode::Generate)
            .expect_err("bad host");
        assert_eq!(err.status, 500);
        assert_eq!(err.code.as_deref(), Some("image_host_model_invalid"));
    }
    let err = images_request(&img_body(json!({})), &o, "gpt-5.5", ImageMode::Edit)
        .expect_err("edit needs an image");
    assert_eq!(err.status, 400);
    let edit = images_request(
        &img_body(json!({"images": [{"image_url": "data:image/png;base64,AAAA"}]})),
        &o,
        "gpt-5.5",
        ImageMode::Edit,
    )
    .expect("edit");
    let w = serde_json::to_value(&edit.request).expect("json");
    assert_eq!(
        w["input"][0]["content"][1],
        json!({"type": "input_image", "image_url": "data:image/png;base64,AAAA"})
    );
}

fn image_done(result: &str) -> (&'static str, Value) {
    (
        "response.output_item.done",
        json!({"type": "response.output_item.done", "item": {"type": "image_generation_call", "id": "ig", "result": result, "revised_prompt": "a fluffy cat"}}),
    )
}

#[test]
fn image_collector_selection_rules() {
    let collect = |events: &[(&str, Value)]| {
        let mut c = ImageCollector::new();
        c.push_bytes(&sse(events));
        c.finish(7)
    };
    let completed = |output: Value| {
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "r", "output": output}}),
        )
    };
    let ok = collect(&[image_done("QUJD"), completed(json!([]))]).expect("image");
    let body: Value = serde_json::from_slice(&ok).expect("json");
    assert_eq!(
        body,
        json!({"created": 7, "data": [{"b64_json": "QUJD", "revised_prompt": "a fluffy cat"}]})
    );

    let err = collect(&[image_done("QUJD")]).expect_err("no completed");
    assert_eq!(err.code.as_deref(), Some("image_generation_failed"));
    let err = collect(&[
        image_done("QUJD"),
        completed(json!([{"type": "message", "content": []}])),
    ])
    .expect_err("authoritative output without image");
    assert_eq!(err.status, 502);
    assert!(err.message.contains("no image_generation_call.result"));
    let err = collect(&[(
        "error",
        json!({"type": "error", "error": {"code": "rate_limit_exceeded", "message": "m"}}),
    )])
    .expect_err("error");
    assert_eq!(err.status, 429);
    let body: Value = serde_json::from_slice(&images_error_body(&err)).expect("json");
    assert_eq!(body["error"]["type"], "rate_limit_error");
}

#[test]
fn responses_error_shape() {
    let body: Value = serde_json::from_slice(&responses_error_body(
        &TranslateError::invalid("request body must be a JSON object").to_reply(),
    ))
    .expect("json");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["code"], "invalid_request");
}
