//! Every request body the official Codex CLI 0.169.0 sent (HTTP and WebSocket) deserializes into
//! `ResponsesRequest` with typed items and serializes back to the same JSON.

use std::path::PathBuf;

use codex_proxy_schema::responses::{
    ContentPart, FunctionOutput, InputItem, MessageContent, ResponsesRequest, Tool, ToolChoice,
};
use serde_json::Value;

fn official_bodies() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/official-client");
    let mut bodies: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures/official-client exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("request-body-") && name.ends_with(".json")
        })
        .map(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            (name, std::fs::read_to_string(&p).expect("readable"))
        })
        .collect();
    bodies.sort();
    bodies
}

#[test]
fn official_request_bodies_round_trip() {
    let bodies = official_bodies();
    assert!(
        bodies.len() >= 10,
        "expected the 3 HTTP and 7 WS bodies, found {}",
        bodies.len()
    );
    for (name, text) in bodies {
        let original: Value = serde_json::from_str(&text).expect("fixture is json");
        let request: ResponsesRequest =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = serde_json::to_value(&request).expect("serializes");
        assert_eq!(again, original, "{name} changed in a round trip");
        assert!(request.stream && !request.store, "{name}");
        assert_eq!(
            request.tool_choice,
            Some(ToolChoice::Mode("auto".into())),
            "{name}"
        );
        let reasoning = request.reasoning.as_ref().expect("reasoning");
        assert!(reasoning.effort.is_some(), "{name}");
        assert!(
            reasoning.extra.contains_key("context"),
            "{name}: unknown field kept"
        );
        assert_eq!(
            request.include.as_deref(),
            Some(&["reasoning.encrypted_content".to_owned()][..])
        );
        for item in &request.input {
            assert!(
                !matches!(item, InputItem::Other(_)),
                "{name}: untyped item {}",
                item.kind()
            );
        }
    }
}

#[test]
fn official_items_are_typed() {
    let bodies = official_bodies();
    let (_, followup) = bodies
        .iter()
        .find(|(n, _)| n == "request-body-responses-post-http1-followup.json")
        .expect("follow-up body");
    let request: ResponsesRequest = serde_json::from_str(followup).expect("parses");
    let InputItem::AdditionalTools(tools) = &request.input[0] else {
        panic!("first item is additional_tools")
    };
    assert!(tools.tools.iter().any(|t| t.kind() == "namespace"));
    let InputItem::Message(first) = &request.input[1] else {
        panic!("message")
    };
    assert_eq!(first.role, "developer");
    let MessageContent::Parts(parts) = &first.content else {
        panic!("parts")
    };
    assert!(matches!(parts[0], ContentPart::InputText(_)));
    assert!(
        first
            .extra
            .contains_key("internal_chat_message_metadata_passthrough")
    );
    let call = request.input.iter().find_map(|i| match i {
        InputItem::CustomToolCall(c) => Some(c),
        _ => None,
    });
    assert_eq!(call.map(|c| c.name.as_str()), Some("exec"));
    let output = request.input.iter().find_map(|i| match i {
        InputItem::CustomToolCallOutput(o) => Some(o),
        _ => None,
    });
    let Some(FunctionOutput::Parts(parts)) = output.map(|o| &o.output) else {
        panic!("output parts")
    };
    assert_eq!(parts.len(), 2);
    // The WS-only fields stay in `extra` or typed fields.
    let (_, ws) = bodies
        .iter()
        .find(|(n, _)| n == "request-body-ws-exec-turn.json")
        .expect("ws turn");
    let ws: ResponsesRequest = serde_json::from_str(ws).expect("parses");
    assert_eq!(
        ws.extra.get("type").and_then(Value::as_str),
        Some("response.create")
    );
    assert!(ws.previous_response_id.is_some());
    assert!(ws.instructions.is_none() && ws.tools.is_none());
    let tool_names: Vec<&str> = tools.tools.iter().map(Tool::kind).collect();
    assert!(!tool_names.is_empty());
}

#[test]
fn built_request_matches_official_shape() {
    let request = ResponsesRequest {
        model: "gpt-5.5".into(),
        instructions: Some(String::new()),
        stream: true,
        input: vec![InputItem::message(
            "user",
            MessageContent::Parts(vec![ContentPart::input_text("hi")]),
        )],
        tools: Some(Vec::new()),
        ..ResponsesRequest::default()
    };
    let json = serde_json::to_string(&request).expect("serializes");
    assert_eq!(
        json,
        r#"{"model":"gpt-5.5","instructions":"","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],"tools":[],"store":false}"#
    );
}
