//! Unit tests for the OpenAI chat wire types.

use serde_json::json;

use super::*;

#[test]
fn content_variants_parse() {
    let req: ChatCompletionRequest = serde_json::from_value(json!({
        "model": "gpt-5",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": "https://x/y.png"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA", "detail": "low"}},
                {"type": "image_url", "image_url": null},
                {"type": "input_audio", "input_audio": {}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"}
        ],
        "temperature": 0.2,
        "stream_options": {"include_usage": true}
    }))
    .expect("parses");
    assert_eq!(req.messages.len(), 4);
    assert_eq!(req.extra.get("temperature"), Some(&json!(0.2)));
    let Some(MessageContent::Parts(parts)) = &req.messages[1].content else {
        panic!("parts expected");
    };
    assert_eq!(
        parts[1],
        ContentPart::ImageUrl {
            image_url: Some(ImageUrl::Url("https://x/y.png".into()))
        }
    );
    assert_eq!(
        parts[2].clone(),
        ContentPart::ImageUrl {
            image_url: Some(ImageUrl::Object {
                url: Some("data:image/png;base64,AA".into()),
                detail: Some("low".into())
            })
        }
    );
    assert_eq!(parts[3], ContentPart::ImageUrl { image_url: None });
    assert!(matches!(parts[4], ContentPart::Other(_)));
    let calls = req.messages[2].tool_calls.as_ref().expect("calls");
    assert_eq!(
        calls[0].function.as_ref().map(|f| f.arguments.as_str()),
        Some(r#"{"a":1}"#)
    );
    assert_eq!(req.stream_options.and_then(|s| s.include_usage), Some(true));
}

#[test]
fn unknown_role_is_rejected() {
    let err = serde_json::from_value::<ChatCompletionRequest>(json!({
        "model": "m", "messages": [{"role": "robot", "content": "x"}]
    }));
    assert!(err.is_err());
}

#[test]
fn tools_and_choice_parse() {
    let req: ChatCompletionRequest = serde_json::from_value(json!({
        "model": "m", "messages": [],
        "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}},
            {"type": "custom", "custom": {"name": "apply_patch"}},
            {"type": "custom", "name": "flat"},
            {"type": "web_search", "search_context_size": "low"},
            {"type": "image_generation", "size": "1024x1024"},
            {"type": "code_interpreter"}
        ],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}
    }))
    .expect("parses");
    let tools = req.tools.expect("tools");
    assert!(matches!(&tools[0], ChatTool::Function { function } if function.name == "f"));
    assert!(matches!(&tools[1], ChatTool::Custom { custom } if custom.name == "apply_patch"));
    assert!(matches!(&tools[2], ChatTool::Custom { custom } if custom.name == "flat"));
    assert!(matches!(&tools[3], ChatTool::WebSearch(_)));
    assert!(matches!(&tools[4], ChatTool::ImageGeneration(_)));
    assert!(matches!(&tools[5], ChatTool::Other(_)));
    let Some(ChatToolChoice::Named(choice)) = req.tool_choice else {
        panic!("named")
    };
    assert_eq!(choice.tool_name(), Some("f"));
    assert!(matches!(
        req.response_format,
        Some(ResponseFormat::JsonSchema { .. })
    ));
}

#[test]
fn chunk_usage_null_vs_absent() {
    let chunk = ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        object: "chat.completion.chunk".into(),
        created: 1,
        model: "m".into(),
        choices: vec![ChunkChoice {
            index: 0,
            delta: ChunkDelta::default(),
            finish_reason: None,
        }]
        .into(),
        usage: Some(None),
    };
    let text = serde_json::to_string(&chunk).expect("serializes");
    assert_eq!(
        text,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":null}],"usage":null}"#
    );
    let back: ChatCompletionChunk<'_> = serde_json::from_str(&text).expect("parses");
    assert_eq!(back, chunk);
    let absent: ChatCompletionChunk<'_> =
        serde_json::from_str(r#"{"id":"a","object":"o","created":1,"model":"m","choices":[]}"#)
            .expect("parses");
    assert_eq!(absent.usage, None);
}

#[test]
fn error_body_shape() {
    let body = ErrorResponse {
        error: ErrorObject {
            message: "m".into(),
            kind: "invalid_request_error".into(),
            param: None,
            code: Some("c".into()),
        },
    };
    assert_eq!(
        serde_json::to_string(&body).expect("serializes"),
        r#"{"error":{"message":"m","type":"invalid_request_error","param":null,"code":"c"}}"#
    );
}
