//! Unit tests of the Responses types: event dispatch, tolerance, error extraction, request items.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::*;
use crate::error::EventError;
use crate::sse::SseFrame;

fn parse<'a>(event: Option<&'a str>, data: &'a str) -> Result<ResponsesEvent<'a>, EventError> {
    ResponsesEvent::parse(&SseFrame {
        event,
        data,
        id: None,
        retry: None,
    })
}

#[test]
fn name_comes_from_event_line_else_json_type() {
    let data = r#"{"type":"response.output_text.delta","item_id":"m","output_index":1,"content_index":0,"delta":"a\nb"}"#;
    let ev = parse(None, data).expect("parses");
    let ResponsesEvent::OutputTextDelta(d) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (d.item_id.as_ref(), d.output_index, d.content_index),
        ("m", 1, Some(0))
    );
    assert!(
        matches!(d.delta, Cow::Owned(ref s) if s == "a\nb"),
        "escaped text is unescaped"
    );
    // The event line wins over the JSON type.
    let ev = parse(Some("response.refusal.delta"), data).expect("parses");
    assert!(matches!(ev, ResponsesEvent::RefusalDelta(_)));
}

#[test]
fn unknown_events_and_done() {
    assert!(matches!(
        parse(Some("keepalive"), r#"{"type":"keepalive"}"#),
        Ok(ResponsesEvent::Unknown { kind: "keepalive" })
    ));
    assert!(matches!(
        parse(None, r#"{"type":"response.future_thing","x":1}"#),
        Ok(ResponsesEvent::Unknown {
            kind: "response.future_thing"
        })
    ));
    assert!(matches!(
        parse(None, "[DONE]"),
        Ok(ResponsesEvent::Unknown { kind: "[DONE]" })
    ));
    assert!(matches!(
        parse(None, "not json"),
        Err(EventError::MissingType)
    ));
    assert!(matches!(
        parse(None, r#"{"no":"type"}"#),
        Err(EventError::MissingType)
    ));
}

#[test]
fn malformed_known_event_is_an_error() {
    let err = parse(Some("response.output_text.delta"), r#"{"delta": 5}"#).expect_err("wrong type");
    assert_eq!(err.kind(), Some("response.output_text.delta"));
    assert!(parse(Some("response.completed"), "{").is_err());
    assert!(
        parse(
            Some("response.output_item.added"),
            r#"{"item":{"type":"function_call","name":7}}"#
        )
        .is_err()
    );
}

#[test]
fn terminal_events() {
    let completed = parse(Some("response.completed"), r#"{"response":{"id":"r"}}"#).expect("ok");
    let incomplete = parse(
        Some("response.incomplete"),
        r#"{"response":{"id":"r","incomplete_details":{"reason":"max_output_tokens"}}}"#,
    )
    .expect("ok");
    let failed = parse(
        Some("response.failed"),
        r#"{"response":{"id":"r","error":{"code":"server_error","message":"x"}}}"#,
    )
    .expect("ok");
    let error = parse(Some("error"), "anything").expect("raw-tolerant");
    let delta = parse(Some("response.output_text.delta"), r#"{"delta":""}"#).expect("ok");
    assert!(
        completed.is_terminal()
            && incomplete.is_terminal()
            && failed.is_terminal()
            && error.is_terminal()
    );
    assert!(!delta.is_terminal());
    let ResponsesEvent::Incomplete(env) = incomplete else {
        panic!()
    };
    assert_eq!(
        env.response
            .incomplete_details
            .and_then(|d| d.reason)
            .as_deref(),
        Some("max_output_tokens")
    );
    let info = failed.error_info().expect("failed has an error");
    assert_eq!(
        (
            info.code.as_str(),
            info.message.as_str(),
            info.http_status()
        ),
        ("server_error", "x", 500)
    );
}

#[test]
fn usage_tolerates_null_missing_and_odd_numbers() {
    let data = r#"{"response":{"id":"r","usage":{"input_tokens":10,"input_tokens_details":null,"output_tokens":"7","output_tokens_details":{"reasoning_tokens":3.0},"total_tokens":-1},"tool_usage":{"image_gen":{"input_tokens":5,"output_tokens":0,"total_tokens":5}}}}"#;
    let ResponsesEvent::Completed(env) = parse(Some("response.completed"), data).expect("ok")
    else {
        panic!()
    };
    let usage = env.response.usage.expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (10, 0, 0)
    );
    assert_eq!(
        (
            usage.input_tokens_details.cached_tokens,
            usage.output_tokens_details.reasoning_tokens
        ),
        (0, 3)
    );
    assert_eq!(usage.image_gen.map(|i| i.input_tokens), Some(5));
}

#[test]
fn image_usage_creates_zeroed_usage_and_zero_image_usage_is_ignored() {
    let data = r#"{"response":{"tool_usage":{"image_gen":{"input_tokens":0,"output_tokens":9}}}}"#;
    let ResponsesEvent::Completed(env) = parse(Some("response.completed"), data).expect("ok")
    else {
        panic!()
    };
    let usage = env.response.usage.expect("created");
    assert_eq!(
        (usage.input_tokens, usage.image_gen.map(|i| i.output_tokens)),
        (0, Some(9))
    );
    let data = r#"{"response":{"usage":{"input_tokens":1},"tool_usage":{"image_gen":{"input_tokens":0,"output_tokens":0}}}}"#;
    let ResponsesEvent::Completed(env) = parse(Some("response.completed"), data).expect("ok")
    else {
        panic!()
    };
    assert_eq!(env.response.usage.and_then(|u| u.image_gen), None);
}

#[test]
fn output_items_by_type() {
    let data = r#"{"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"add"}}"#;
    let ResponsesEvent::OutputItemAdded(ev) =
        parse(Some("response.output_item.added"), data).expect("ok")
    else {
        panic!()
    };
    let Some(OutputItem::FunctionCall(call)) = ev.item else {
        panic!()
    };
    assert_eq!(
        (
            ev.output_index,
            call.id.as_ref(),
            call.call_id.as_ref(),
            call.name.as_ref()
        ),
        (2, "fc_1", "call_1", "add")
    );

    let data = r#"{"item":{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":"gAAA"}}"#;
    let ResponsesEvent::OutputItemDone(ev) =
        parse(Some("response.output_item.done"), data).expect("ok")
    else {
        panic!()
    };
    let Some(OutputItem::Reasoning(r)) = ev.item else {
        panic!()
    };
    assert_eq!(
        (r.summary[0].text.as_ref(), r.encrypted_content.as_deref()),
        ("t", Some("gAAA"))
    );

    let data = r#"{"item":{"type":"mcp_call","id":"x","server":"s"}}"#;
    let ResponsesEvent::OutputItemDone(ev) =
        parse(Some("response.output_item.done"), data).expect("ok")
    else {
        panic!()
    };
    let Some(OutputItem::Other { kind, raw }) = ev.item else {
        panic!()
    };
    assert_eq!(
        (kind.as_ref(), raw.get()),
        ("mcp_call", r#"{"type":"mcp_call","id":"x","server":"s"}"#)
    );
}

#[test]
fn lifecycle_and_opaque_events() {
    let ev = parse(
        Some("response.web_search_call.searching"),
        r#"{"item_id":"ws_1","output_index":3}"#,
    )
    .expect("ok");
    assert!(matches!(
        ev,
        ResponsesEvent::ToolLifecycle {
            kind: "response.web_search_call.searching",
            output_index: Some(3),
            ..
        }
    ));
    let ev = parse(Some("response.code_interpreter_call.interpreting"), "{}").expect("ok");
    assert!(matches!(
        ev,
        ResponsesEvent::ToolLifecycle { item_id: None, .. }
    ));
    let ev = parse(
        Some("response.function_call_arguments.delta"),
        r#"{"delta":"{"}"#,
    )
    .expect("ok");
    assert!(matches!(ev, ResponsesEvent::FunctionCallArgumentsDelta(_)));
    let rl = r#"{"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":5}}}"#;
    let ResponsesEvent::RateLimits(raw) = parse(None, rl).expect("ok") else {
        panic!()
    };
    assert_eq!(raw.get(), rl);
    assert!(matches!(
        parse(None, r#"{"type":"codex.response.metadata","headers":{}}"#),
        Ok(ResponsesEvent::Metadata(_))
    ));
}

#[test]
fn mock_camel_case_and_call_id_variants_are_accepted() {
    let ev = parse(
        Some("response.function_call_arguments.delta"),
        r#"{"call_id":"c1","outputIndex":4,"delta":"x"}"#,
    )
    .expect("ok");
    let ResponsesEvent::FunctionCallArgumentsDelta(d) = ev else {
        panic!()
    };
    assert_eq!(
        (d.item_id.as_ref(), d.call_id.as_deref(), d.output_index),
        ("", Some("c1"), 4)
    );
}

fn info(data: &str) -> ErrorInfo {
    ErrorPayload::new(data).extract()
}

#[test]
fn error_extraction_rules() {
    let e = info(
        r#"{"type":"error","error":{"type":"insufficient_quota","code":"insufficient_quota","message":"quota"}}"#,
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str(), e.kind.as_str()),
        ("insufficient_quota", "quota", "insufficient_quota")
    );
    // response.error record, code from it; type falls back to the payload type.
    let e = info(
        r#"{"type":"response.failed","response":{"error":{"code":"rate_limit_exceeded","message":"slow"}}}"#,
    );
    assert_eq!(
        (e.code.as_str(), e.kind.as_str(), e.http_status()),
        ("rate_limit_exceeded", "response.failed", 429)
    );
    // No code: the type is the code unless it is generic.
    let e = info(
        r#"{"error":{"type":"usage_limit_reached","detail":"d","resets_in_seconds":30,"plan_type":"plus"}}"#,
    );
    assert_eq!(
        (
            e.code.as_str(),
            e.message.as_str(),
            e.resets_in_seconds,
            e.plan_type.as_deref()
        ),
        ("usage_limit_reached", "d", Some(30), Some("plus"))
    );
    let e = info(r#"{"type":"response.failed","response":{"id":"r"}}"#);
    assert_eq!(e.code, "unknown");
    assert_eq!(
        e.message,
        r#"{"type":"response.failed","response":{"id":"r"}}"#
    );
    // Message fallbacks in order.
    let e = info(r#"{"error":{"error_description":"desc"},"message":"outer"}"#);
    assert_eq!(e.message, "desc");
    let e = info(r#"{"error":"not an object","detail":"outer detail","status":503}"#);
    assert_eq!((e.message.as_str(), e.status), ("outer detail", Some(503)));
    let e = info(r#"{"response":{"message":"resp msg","code":"server_is_overloaded"}}"#);
    assert_eq!(
        (e.message.as_str(), e.code.as_str(), e.http_status()),
        ("resp msg", "server_is_overloaded", 503)
    );
    // Non-object data.
    let e = info("{broken");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("malformed_error_event", "{broken")
    );
    let e = info("plain text");
    assert_eq!((e.code.as_str(), e.kind.as_str()), ("unknown", "error"));
    let e = info(r#""{\"x\":1}""#);
    assert_eq!(e.code, "malformed_error_event");
}

#[test]
fn non_sse_body_error() {
    assert_eq!(
        ErrorInfo::non_sse_response(r#"{"detail":"Unauthorized"}"#).message,
        "Unauthorized"
    );
    assert_eq!(
        ErrorInfo::non_sse_response(r#"{"error":{"message":"m"}}"#).message,
        "m"
    );
    let e = ErrorInfo::non_sse_response("<html>blocked</html>");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("non_sse_response", "<html>blocked</html>")
    );
}

#[test]
fn status_table() {
    let cases = [
        ("server_is_overloaded", 503),
        ("SERVER_ERROR", 500),
        ("invalid_request_error", 400),
        ("model_not_found", 400),
        ("rate_limit_exceeded", 429),
        ("usage_limit_reached", 429),
        ("unauthorized", 401),
        ("invalid_api_key", 401),
        ("account_banned", 403),
        ("Forbidden", 403),
        ("insufficient_quota", 402),
        ("payment_required", 402),
        ("server_is_overloaded_x", 502),
        ("", 502),
    ];
    for (code, status) in cases {
        assert_eq!(status_for_error_code(code), status, "{code}");
    }
}

#[test]
fn input_items_typed_and_fallbacks() {
    let items: Vec<InputItem> = serde_json::from_value(json!([
        {"role": "user", "content": "hi"},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "42"},
        {"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text", "text": "s"}], "encrypted_content": "e"},
        {"type": "function_call", "call_id": "c"},
        {"type": "local_shell_call", "id": "l", "action": {"type": "exec"}},
        "weird",
    ]))
    .expect("never fails");
    assert!(
        matches!(&items[0], InputItem::Message(m) if m.content == MessageContent::Text("hi".into()))
    );
    assert!(
        matches!(&items[1], InputItem::FunctionCall(f) if f.arguments == "{}" && f.extra.is_empty())
    );
    assert!(
        matches!(&items[2], InputItem::FunctionCallOutput(o) if o.output == FunctionOutput::Text("42".into()))
    );
    assert!(
        matches!(&items[3], InputItem::Reasoning(r) if r.encrypted_content.as_deref() == Some("e"))
    );
    assert!(
        matches!(&items[4], InputItem::Other(_)),
        "missing fields keep the item verbatim"
    );
    assert_eq!(items[5].kind(), "local_shell_call");
    assert!(matches!(&items[6], InputItem::Other(Value::String(_))));
    let out = serde_json::to_value(&items).expect("serializes");
    assert_eq!(
        out[0],
        json!({"type": "message", "role": "user", "content": "hi"})
    );
    assert_eq!(out[4], json!({"type": "function_call", "call_id": "c"}));
    assert_eq!(out[6], json!("weird"));
}

#[test]
fn tools_and_tool_choice() {
    let tools: Vec<Tool> = serde_json::from_value(json!([
        {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": false},
        {"type": "custom", "name": "apply_patch", "format": {"type": "grammar", "syntax": "lark", "definition": "x"}},
        {"type": "web_search"},
    ]))
    .expect("parses");
    assert!(matches!(&tools[0], Tool::Function(f) if f.name == "f" && f.strict == Some(false)));
    assert!(matches!(&tools[1], Tool::Custom(c) if c.name == "apply_patch"));
    assert_eq!(tools[2].kind(), "web_search");
    for (choice, expected) in [
        (json!("required"), ToolChoice::Mode("required".into())),
        (
            json!({"type": "function", "name": "f"}),
            ToolChoice::Function { name: "f".into() },
        ),
        (
            json!({"type": "custom", "name": "c"}),
            ToolChoice::Custom { name: "c".into() },
        ),
        (
            json!({"type": "allowed_tools", "mode": "auto"}),
            ToolChoice::Other(json!({"type": "allowed_tools", "mode": "auto"})),
        ),
    ] {
        let parsed: ToolChoice = serde_json::from_value(choice.clone()).expect("parses");
        assert_eq!(parsed, expected);
        assert_eq!(serde_json::to_value(&parsed).expect("serializes"), choice);
    }
}

#[test]
fn content_parts() {
    let parts: Vec<ContentPart> = serde_json::from_value(json!([
        {"type": "input_text", "text": "a"},
        {"type": "input_image", "image_url": "data:image/png;base64,AA", "detail": "high"},
        {"type": "output_text", "text": "b", "annotations": []},
        {"type": "input_file", "file_id": "f"},
        {"type": "computer_screenshot", "image_url": "x"},
    ]))
    .expect("parses");
    assert!(matches!(&parts[1], ContentPart::InputImage(i) if i.detail.as_deref() == Some("high")));
    assert!(matches!(&parts[2], ContentPart::OutputText(t) if t.extra.contains_key("annotations")));
    assert!(matches!(&parts[3], ContentPart::InputFile(f) if f.file_id.as_deref() == Some("f")));
    assert!(matches!(&parts[4], ContentPart::Other(_)));
    assert_eq!(
        serde_json::to_value(ContentPart::input_image("u", None)).expect("ok"),
        json!({"type": "input_image", "image_url": "u"})
    );
}

#[test]
fn unknown_fields_keep_exact_float_values() {
    // Found by fuzzing: without serde_json's `float_roundtrip` this number moved by one ulp.
    let text = r#"{"model":"m","input":[{"type":"message","role":"user","content":"x","meta":{"t":1795505604.6388666}}],"x":0.1}"#;
    let request: ResponsesRequest = serde_json::from_str(text).expect("parses");
    let out = serde_json::to_string(&request).expect("serializes");
    assert!(out.contains("1795505604.6388667"), "{out}");
    let again: ResponsesRequest = serde_json::from_str(&out).expect("parses");
    assert_eq!(again, request);
}
