//! The Anthropic Messages routes against the strict fake backend: text, streaming, a two-turn
//! tool loop, thinking signatures carried back into the next turn, every captured client
//! request, count_tokens, the `HEAD /` probe and Anthropic-shaped errors.

use std::path::Path;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use crate::support::{Harness, KEY, Reply};

/// POST with `x-api-key` (Claude Code's auth) and Anthropic headers.
async fn post(h: &Harness, path: &str, body: &Value) -> Reply {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", "localhost")
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header(
            "anthropic-beta",
            "interleaved-thinking-2025-05-14,context-1m-2025-08-07",
        )
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            serde_json::to_vec(body).expect("json"),
        )))
        .expect("request");
    let (parts, body) = h.send(req).await.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
    }
}

/// (event name, data) of an Anthropic SSE body.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((
                name.to_owned(),
                serde_json::from_str(data).unwrap_or(Value::Null),
            ))
        })
        .collect()
}

fn text_of(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect()
}

fn message(text: &str) -> Value {
    json!({"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024, "messages": [{"role": "user", "content": text}]})
}

#[tokio::test]
async fn non_stream_message_echoes_the_client_model() {
    let h = Harness::start().await;
    let r = post(&h, "/v1/messages?beta=true", &message("hello claude")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(v["stop_reason"], "end_turn");
    assert!(
        v["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("hello claude"),
        "{v}"
    );
    assert!(v["usage"]["input_tokens"].as_u64().unwrap_or(0) > 0);
    let sent = h
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/codex/responses"))
        .and_then(|r| r.body)
        .expect("upstream body");
    assert_eq!(
        sent["model"], "gpt-5.4",
        "claude-sonnet-* resolves through the aliases"
    );
    assert!(
        sent["tools"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["type"] == "web_search"))
    );
}

#[tokio::test]
async fn stream_has_every_event_claude_code_needs() {
    let h = Harness::start().await;
    let mut body = message("stream please");
    body["stream"] = json!(true);
    let r = post(&h, "/v1/messages", &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let evs = events(&r.text());
    let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    for needed in [
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
    ] {
        assert!(names.contains(&needed), "{needed} missing: {names:?}");
    }
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(text_of(&evs).contains("stream please"));
}

#[tokio::test]
async fn two_turn_tool_loop_with_thinking() {
    let h = Harness::start().await;
    let tools = json!([{"name": "Bash", "description": "run a command", "input_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}]);
    let prompt = "run it [[tool:Bash {\"command\":\"echo hi\"}]]";
    let first = json!({"model": "claude-opus-4-7", "max_tokens": 4096, "stream": true, "tools": tools,
        "thinking": {"type": "enabled", "budget_tokens": 10000},
        "messages": [{"role": "user", "content": prompt}]});
    let r = post(&h, "/v1/messages", &first).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let evs = events(&r.text());
    let stop = evs
        .iter()
        .find(|(n, _)| n == "message_delta")
        .map(|(_, d)| d["delta"]["stop_reason"].clone());
    assert_eq!(stop, Some(json!("tool_use")));
    let tool = evs
        .iter()
        .find(|(_, d)| d["content_block"]["type"] == "tool_use")
        .map(|(_, d)| d["content_block"].clone())
        .expect("tool_use block");
    assert_eq!(tool["name"], "Bash");
    let input: String = evs
        .iter()
        .filter_map(|(_, d)| d["delta"]["partial_json"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&input).ok(),
        Some(json!({"command": "echo hi"}))
    );
    let signature: String = evs
        .iter()
        .filter_map(|(_, d)| d["delta"]["signature"].as_str())
        .collect();
    assert!(
        signature.starts_with("cxr1."),
        "thinking block is signed: {evs:?}"
    );
    let thinking: String = evs
        .iter()
        .filter_map(|(_, d)| d["delta"]["thinking"].as_str())
        .collect();

    let second = json!({"model": "claude-opus-4-7", "max_tokens": 4096, "tools": tools,
        "thinking": {"type": "enabled", "budget_tokens": 10000},
        "messages": [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": thinking, "signature": signature},
                {"type": "tool_use", "id": tool["id"], "name": "Bash", "input": {"command": "echo hi"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool["id"], "content": "hi"}]}]});
    let r = post(&h, "/v1/messages", &second).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["stop_reason"], "end_turn");
    let texts: String = v["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(texts.contains("tool result: hi"), "{v}");
    let sent = h
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/codex/responses"))
        .and_then(|r| r.body)
        .expect("upstream body");
    let reasoning = sent["input"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["type"] == "reasoning")
        .cloned()
        .expect("reasoning replayed");
    assert_eq!(
        reasoning["encrypted_content"].as_str(),
        signature.strip_prefix("cxr1.")
    );
}

fn captured(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/clients")
        .join(file);
    let list: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("capture")).expect("json");
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn every_captured_client_request_is_accepted() {
    let h = Harness::start().await;
    let mut seen = 0;
    for file in [
        "claude-code_print.json",
        "claude-code_toolcall_2turns.json",
        "anthropic-py_messages_stream.json",
        "anthropic-py_count_tokens.json",
        "node-sdks.json",
        "litellm_anthropic.json",
    ] {
        for req in captured(file) {
            let path = req["path"].as_str().unwrap_or("");
            if req["method"] == "HEAD" {
                let r = h.request("HEAD", path, None, None).await;
                assert_eq!(r.status, 200, "HEAD {path}");
                continue;
            }
            if !path.starts_with("/v1/messages") {
                continue;
            }
            seen += 1;
            let r = post(&h, path, &req["json"]).await;
            assert_eq!(r.status, 200, "{file} {path}: {}", r.text());
            if path.starts_with("/v1/messages/count_tokens") {
                assert!(
                    r.json()["input_tokens"].as_u64().unwrap_or(0) > 0,
                    "{}",
                    r.text()
                );
            } else if req["json"]["stream"] == true {
                let evs = events(&r.text());
                assert_eq!(
                    evs.last().map(|(n, _)| n.as_str()),
                    Some("message_stop"),
                    "{file}: {}",
                    r.text()
                );
            } else {
                assert_eq!(r.json()["type"], "message", "{file}: {}", r.text());
            }
        }
    }
    assert!(seen >= 9, "captured requests missing: {seen}");
}

#[tokio::test]
async fn count_tokens_needs_no_account_but_needs_the_key() {
    let h = Harness::with(&[], |_| {}).await;
    let body = json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello, world"}]});
    let r = post(&h, "/v1/messages/count_tokens?beta=true", &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["input_tokens"]
            .as_u64()
            .is_some_and(|n| n > 3 && n < 100),
        "{}",
        r.text()
    );
    let bytes = Bytes::from(serde_json::to_vec(&body).expect("json"));
    let r = h
        .request(
            "POST",
            "/v1/messages/count_tokens",
            Some("wrong"),
            Some(bytes),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    let r = post(&h, "/v1/messages", &message("no account")).await;
    assert_eq!(r.json()["type"], "error", "{}", r.text());
}

#[tokio::test]
async fn errors_in_anthropic_shape() {
    let h = Harness::start().await;
    let r = h
        .request(
            "POST",
            "/v1/messages",
            Some("bad-key"),
            Some(Bytes::from_static(b"{}")),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["error"]["type"].clone()),
        (401, json!("authentication_error"))
    );
    assert_eq!(r.json()["type"], "error");
    let r = post(
        &h,
        "/v1/messages",
        &json!({"model": "claude-sonnet-4-5", "messages": []}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["error"]["type"].clone()),
        (400, json!("invalid_request_error"))
    );
    let r = h
        .request(
            "POST",
            "/v1/messages",
            Some(KEY),
            Some(Bytes::from_static(b"{not json")),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    let mut body = message("[[fault:overloaded]]");
    body["stream"] = json!(true);
    let r = post(&h, "/v1/messages", &body).await;
    let evs = events(&r.text());
    let last = evs.last().cloned().unwrap_or_default();
    assert_eq!(last.0, "error", "{}", r.text());
    let mut body = message("cut [[fault:cut:3]]");
    body["stream"] = json!(true);
    let r = post(&h, "/v1/messages", &body).await;
    assert_eq!(
        events(&r.text()).last().map(|(n, _)| n.clone()),
        Some("error".to_owned()),
        "a cut stream never ends silently: {}",
        r.text()
    );
    let r = post(&h, "/v1/messages", &message("[[fault:429]]")).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["error"]["type"].clone()),
        (429, json!("rate_limit_error")),
        "{}",
        r.text()
    );
    // The 429 marks the only account as limited: keep it last.
    let r = h.request("HEAD", "/", None, None).await;
    assert_eq!(r.status, 200);
}
