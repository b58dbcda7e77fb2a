//! The Responses routes end to end: passthrough (stream and not), the Codex alias, captured
//! real-client requests accepted by the strict fake, compact, images, and bad input.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::support::{Harness, KEY, Reply, sse_data};

async fn post(h: &Harness, path: &str, body: &Value) -> Reply {
    let bytes = Bytes::from(serde_json::to_vec(body).expect("json"));
    h.request("POST", path, Some(KEY), Some(bytes)).await
}

/// `(event name, data)` pairs of an SSE body.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name.to_owned(), serde_json::from_str(data).ok()?))
        })
        .collect()
}

fn text_of(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .filter_map(|(_, d)| d["delta"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn streamed_passthrough_relays_events_and_turn_state() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/responses",
        &json!({"model": "gpt-5.4", "input": "hello passthrough", "stream": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    assert!(
        r.headers.get("x-codex-turn-state").is_some(),
        "{:?}",
        r.headers
    );
    let ev = events(&r.text());
    assert_eq!(ev.first().map(|e| e.0.as_str()), Some("response.created"));
    assert_eq!(ev.last().map(|e| e.0.as_str()), Some("response.completed"));
    assert!(
        ev.iter()
            .any(|(n, d)| n == "response.output_item.done" && d["item"]["type"] == "message")
    );
    assert!(
        ev.last()
            .is_some_and(|(_, d)| d["response"]["id"].is_string())
    );
    assert_eq!(text_of(&ev), "echo: hello passthrough");
}

#[tokio::test]
async fn non_stream_passthrough_returns_the_response_object() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/responses",
        &json!({"model": "gpt-5.4", "input": "collect me", "stream": false, "temperature": 0.1, "max_output_tokens": 5}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["object"], "response");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["output_text"], "echo: collect me");
    assert!(v["usage"]["input_tokens"].as_u64().unwrap_or(0) > 0);
}

#[tokio::test]
async fn codex_alias_and_tool_loop() {
    let h = Harness::start().await;
    let tools = json!([{"type": "function", "name": "exec_command", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}}]);
    let first = post(
        &h,
        "/backend-api/codex/responses",
        &json!({"model": "gpt-5.4", "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run [[tool:exec_command {\"cmd\":\"ls\"}]]"}]}], "tools": tools, "stream": false}),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let call = first.json()["output"][0].clone();
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], "exec_command");
    let second = post(
        &h,
        "/v1/responses",
        &json!({"model": "gpt-5.4", "stream": true, "tools": tools, "input": [
            {"type": "message", "role": "user", "content": "run"},
            call,
            {"type": "function_call_output", "call_id": call["call_id"], "output": "file.txt"},
        ]}),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert_eq!(text_of(&events(&second.text())), "tool result: file.txt");
}

#[tokio::test]
async fn captured_client_requests_are_accepted_by_the_strict_fake() {
    let h = Harness::start().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/clients");
    let mut sent = 0;
    for file in [
        "codex-cli_exec_turn.json",
        "codex-cli_exec_toolcall_2turns.json",
        "openai-py_responses_stream.json",
        "litellm_responses.json",
        "node-sdks.json",
    ] {
        let list: Vec<Value> =
            serde_json::from_slice(&std::fs::read(dir.join(file)).expect("fixture")).expect("json");
        for req in list.iter().filter(|r| r["path"] == "/v1/responses") {
            let r = post(&h, "/v1/responses", &req["json"]).await;
            assert_eq!(r.status, 200, "{file}: {}", r.text());
            let ev = events(&r.text());
            let stream =
                req["json"]["stream"] != json!(false) && req["json"].get("stream").is_some();
            if stream {
                assert_eq!(
                    ev.last().map(|e| e.0.as_str()),
                    Some("response.completed"),
                    "{file}: {}",
                    r.text()
                );
            } else {
                assert_eq!(r.json()["status"], "completed", "{file}: {}", r.text());
            }
            sent += 1;
        }
    }
    assert_eq!(sent, 7);
    // Every answer above completed, so the strict fake accepted every translated body (its
    // `rejected` counter also counts WebSocket upgrades it refuses with 426, so it is not used).
}

#[tokio::test]
async fn bad_input_gets_openai_errors() {
    let h = Harness::start().await;
    let r = h
        .request(
            "POST",
            "/v1/responses",
            Some(KEY),
            Some(Bytes::from_static(b"{nope")),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid_json");
    let r = post(&h, "/v1/responses", &json!(["not", "an", "object"])).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    assert_eq!(r.json()["error"]["code"], "invalid_request");
    let r = post(
        &h,
        "/v1/responses",
        &json!({"input": "x", "previous_response_id": "resp_1"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["param"], "previous_response_id");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("WebSocket")
    );
    let r = h
        .request(
            "POST",
            "/v1/responses",
            Some("wrong"),
            Some(Bytes::from_static(b"{}")),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        h.mock
            .stats()
            .by_route
            .get("responses")
            .copied()
            .unwrap_or(0),
        0
    );
}

#[tokio::test]
async fn prestream_upstream_failure_is_a_failed_event() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/responses",
        &json!({"input": "x [[fault:429]]", "stream": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ev = events(&r.text());
    assert_eq!(ev.len(), 1, "{}", r.text());
    assert_eq!(ev[0].0, "response.failed");
    assert_eq!(ev[0].1["error"]["type"], "rate_limit_error");
    assert_eq!(ev[0].1["error"]["code"], "rate_limit_exceeded");
    let r = post(
        &h,
        "/v1/responses",
        &json!({"input": "x [[fault:429]]", "stream": false}),
    )
    .await;
    assert_eq!(r.status, 429, "{}", r.text());
}

#[tokio::test]
async fn truncated_stream_ends_with_stream_disconnected() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/responses",
        &json!({"input": "cut me [[fault:cut:4]]", "stream": true}),
    )
    .await;
    assert_eq!(r.status, 200);
    let data = sse_data(&r.text());
    let last: Value = serde_json::from_str(data.last().expect("events")).expect("json");
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["error"]["code"], "stream_disconnected");
}

#[tokio::test]
async fn compact_returns_the_upstream_json() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/responses/compact",
        &json!({"model": "gpt-5.4", "input": [{"role": "user", "content": "long history"}, {"type": "compaction", "encrypted_content": ""}], "stream": true, "store": false, "previous_response_id": "r"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let output = v["output"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        output.last().map(|o| o["type"].clone()),
        Some(json!("compaction"))
    );
    let r = post(&h, "/v1/responses/compact", &json!("nope")).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn images_generate_and_edit() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/images/generations",
        &json!({"model": "gpt-image-2", "prompt": "a red circle", "size": "1024x1024"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(v["created"].as_u64().unwrap_or(0) > 0);
    assert_eq!(v["data"][0]["revised_prompt"], "a red circle");
    assert!(
        v["data"][0]["b64_json"]
            .as_str()
            .is_some_and(|s| s.starts_with("iVBORw0KGgo"))
    );
    let r = post(&h, "/v1/images/edits", &json!({"model": "gpt-image-2", "prompt": "add a hat", "images": [{"image_url": "data:image/png;base64,iVBORw0KGgo="}]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    for bad in [
        json!({"model": "gpt-image-2", "prompt": "x", "n": 2}),
        json!({"model": "gpt-image-2", "prompt": "x", "output_compression": 80}),
    ] {
        let r = post(&h, "/v1/images/generations", &bad).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["error"]["code"], "invalid_request");
    }
}

#[tokio::test]
async fn empty_non_stream_answers_are_resent_then_502() {
    let h = Harness::start().await;
    let r = post(
        &h,
        "/v1/responses",
        &json!({"input": "cut [[fault:cut:3]]"}),
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "empty_response");
    assert_eq!(
        h.mock.stats().by_account.get("acct-1").map(|a| a.requests),
        Some(3)
    );
}

#[tokio::test]
async fn unusable_image_host_model_is_a_server_error() {
    let h = Harness::with(&["acct-1"], |raw| {
        raw.model.image_host_model = Some("gpt-image-2".to_owned());
    })
    .await;
    let r = post(
        &h,
        "/v1/images/generations",
        &json!({"model": "gpt-image-2", "prompt": "x"}),
    )
    .await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "image_host_model_invalid");
    assert_eq!(
        h.mock
            .stats()
            .by_route
            .get("responses")
            .copied()
            .unwrap_or(0),
        0
    );
}

#[tokio::test]
async fn images_edit_accepts_a_multipart_form() {
    let h = Harness::start().await;
    let body = b"--b0undary\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-image-2\r\n\
--b0undary\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nadd a hat\r\n\
--b0undary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"in.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\
--b0undary--\r\n";
    let req = http::Request::builder()
        .method("POST")
        .uri("/v1/images/edits")
        .header("host", "localhost")
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "multipart/form-data; boundary=b0undary")
        .body(http_body_util::Full::new(Bytes::from_static(body)))
        .expect("request");
    let resp = h.send(req).await;
    assert_eq!(resp.status(), 200);
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    let v: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(v["data"][0]["revised_prompt"], "add a hat");
}
