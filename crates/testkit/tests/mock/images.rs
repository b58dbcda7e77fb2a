//! The echo model's `image_generation` answers and the tool's strict option checks.

use base64::Engine as _;
use serde_json::json;

use crate::support::*;

fn image_body(prompt: &str, tool: serde_json::Value) -> serde_json::Value {
    let mut b = body(prompt);
    b["tools"] = json!([tool]);
    b
}

#[tokio::test]
async fn image_tool_gets_an_image_generation_call() {
    let server = server().await;
    let acct = account("acct-image");
    let tool = json!({"type": "image_generation", "size": "1024x1024", "output_format": "png"});
    let reply = responses(&server, &acct, &image_body("a red circle", tool.clone())).await;
    assert_eq!(reply.status, 200);
    let events = reply.events();
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.image_generation_call.in_progress",
            "response.image_generation_call.generating",
            "response.image_generation_call.completed",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let item = &events[6].1["item"];
    assert_eq!(item["type"], "image_generation_call");
    assert_eq!(item["revised_prompt"], "a red circle");
    let png = base64::engine::general_purpose::STANDARD
        .decode(item["result"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(
        events[7].1["response"]["output"][0]["result"],
        item["result"]
    );

    // Deterministic: the same prompt draws the same picture.
    let again = responses(&server, &acct, &image_body("a red circle", tool)).await;
    assert_eq!(again.events()[6].1["item"]["result"], item["result"]);
}

#[tokio::test]
async fn image_tool_options_are_strict() {
    let server = server().await;
    let acct = account("acct-image-bad");
    for tool in [
        json!({"type": "image_generation", "n": 1}),
        json!({"type": "image_generation", "background": "transparent"}),
        json!({"type": "image_generation", "output_compression": 80}),
        json!({"type": "image_generation", "size": "640x480"}),
    ] {
        let reply = responses(&server, &acct, &image_body("x", tool.clone())).await;
        assert_eq!(reply.status, 400, "{tool}");
        assert_eq!(
            reply.json()["error"]["type"],
            "invalid_request_error",
            "{tool}"
        );
    }
}

#[tokio::test]
async fn function_tools_win_unless_marked() {
    let server = server().await;
    let acct = account("acct-image-fn");
    let mut b = body("hello");
    b["tools"] = json!([{"type": "image_generation"}, {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}]);
    let events = responses(&server, &acct, &b).await.events();
    assert_eq!(deltas(&events, "response.output_text.delta"), "echo: hello");
    b["input"][0]["content"][0]["text"] = json!("draw [[image]]");
    let events = responses(&server, &acct, &b).await.events();
    assert!(names(&events).contains(&"response.image_generation_call.completed"));
}
