//! Unit tests of the Ollama translator.

use codex_proxy_schema::responses::ResponsesEvent;
use serde_json::{Value, json};

use super::models::{ModelFacts, context_length, family, rfc3339, show, tags};
use super::*;
use crate::{ModelCatalog, RequestOptions};

fn opts() -> RequestOptions {
    RequestOptions {
        catalog: ModelCatalog {
            models: vec!["gpt-5.4".into()],
            default_model: "gpt-5.4".into(),
            ..ModelCatalog::default()
        },
        ..RequestOptions::default()
    }
}

fn chat(body: Value) -> Translated {
    chat_to_responses(body.to_string().as_bytes(), &opts()).expect("translates")
}

#[test]
fn chat_mapping() {
    let t = chat(json!({
        "model": "gpt-5.4:latest", "think": "high", "format": "json", "options": {"temperature": 0.1, "num_predict": 5},
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "look", "images": ["iVBORw0KGgo", "/9j/4AAQ"]},
            {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
            {"role": "tool", "tool_name": "get_weather", "content": "{\"t\":20}"}
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    }));
    assert!(t.stream);
    assert_eq!(t.client_model, "gpt-5.4:latest");
    let v = serde_json::to_value(&t.request).expect("json");
    assert_eq!(v["model"], "gpt-5.4");
    assert_eq!(v["instructions"], "be brief");
    assert_eq!(v["reasoning"]["effort"], "high");
    assert_eq!(v["text"]["format"]["type"], "json_object");
    assert_eq!(
        v["input"][0]["content"][1]["image_url"],
        "data:image/png;base64,iVBORw0KGgo"
    );
    assert_eq!(
        v["input"][0]["content"][2]["image_url"],
        "data:image/jpeg;base64,/9j/4AAQ"
    );
    assert_eq!(
        v["input"][1],
        json!({"type": "function_call", "call_id": "call_2_0", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"})
    );
    assert_eq!(v["input"][2]["call_id"], "call_2_0");
    assert_eq!(
        v["tools"][0]["parameters"],
        json!({"type": "object", "properties": {}})
    );
    assert!(v.get("temperature").is_none() && v.get("max_output_tokens").is_none());
}

#[test]
fn bad_requests() {
    let err = |b: &[u8]| chat_to_responses(b, &opts()).expect_err("rejected");
    assert_eq!(err(b"{x"), crate::TranslateError::InvalidJson);
    let reply = err(b"{\"model\": \"m\"}").to_reply();
    assert_eq!(reply.status, 400);
    let body: Value = serde_json::from_slice(&to_ollama_error_body(&reply)).expect("json");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("model, messages"))
    );
    assert_eq!(err(b"[]").status(), 400);
}

fn run(mode: OllamaMode, frames: &[&str]) -> Vec<Value> {
    let ctx = OllamaContext {
        model: "llama3.2".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        mode,
        tuple_schema: None,
    };
    let mut s = OllamaStream::new(ctx);
    let mut out = Vec::new();
    for f in frames {
        s.push(&ResponsesEvent::parse_json(f).expect("event"), &mut out);
    }
    s.finish(&mut out);
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

const TEXT: &str = r#"{"type":"response.output_text.delta","item_id":"m1","output_index":0,"content_index":0,"delta":"hi"}"#;
const CALL: &str = r#"{"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","id":"fc1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}}"#;
const DONE: &str = r#"{"type":"response.completed","response":{"id":"r","status":"completed","usage":{"input_tokens":7,"output_tokens":3,"total_tokens":10}}}"#;

#[test]
fn ndjson_stream() {
    let lines = run(OllamaMode::Chat, &[TEXT, CALL, DONE]);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["message"]["content"], "hi");
    assert_eq!(
        lines[1]["message"]["tool_calls"][0]["function"]["arguments"],
        json!({"city": "Paris"})
    );
    assert_eq!(lines[2]["done"], true);
    assert_eq!(lines[2]["done_reason"], "tool_calls");
    assert_eq!(lines[2]["message"]["content"], "");
    assert_eq!(
        (
            lines[2]["prompt_eval_count"].as_u64(),
            lines[2]["eval_count"].as_u64()
        ),
        (Some(7), Some(3))
    );
    let truncated = run(OllamaMode::Generate, &[TEXT]);
    assert_eq!(truncated[0]["response"], "hi");
    assert!(truncated[1]["error"].is_string());
}

#[test]
fn collector() {
    let ctx = OllamaContext {
        model: "m".into(),
        created_at: "t".into(),
        ..OllamaContext::default()
    };
    let mut c = OllamaCollector::new(ctx);
    for f in [TEXT, CALL, DONE] {
        c.push(&ResponsesEvent::parse_json(f).expect("event"));
    }
    let v: Value = serde_json::from_slice(&c.finish().expect("reply")).expect("json");
    assert_eq!(v["message"]["content"], "hi");
    assert_eq!(v["message"]["tool_calls"][0]["id"], "call_1");
    assert_eq!(v["done_reason"], "tool_calls");
}

#[test]
fn model_tables() {
    assert_eq!(family("gpt-5.4-mini"), "gpt-5.4");
    assert_eq!(family("llama3.2:latest"), "llama3.2");
    assert_eq!(context_length("gpt-5.3-codex"), 272_000);
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    let facts = ModelFacts {
        id: "gpt-5.4".into(),
        input_modalities: vec!["text".into(), "image".into()],
        efforts: vec!["low".into(), "high".into()],
        digest: "ab".into(),
        ..ModelFacts::default()
    };
    let s = serde_json::to_value(show("gpt-5.4", &facts, "t", false)).expect("json");
    assert_eq!(
        s["capabilities"],
        json!(["completion", "tools", "vision", "thinking"])
    );
    assert_eq!(s["model_info"]["gpt-5.4.context_length"], 400_000);
    assert_eq!(s["parameters"], "num_ctx 400000\nreasoning medium");
    let s = serde_json::to_value(show("gpt-5.4", &facts, "t", true)).expect("json");
    assert_eq!(
        s["capabilities"],
        json!(["completion", "tools", "thinking"])
    );
    let t = serde_json::to_value(tags(std::slice::from_ref(&facts), "t")).expect("json");
    assert_eq!(t["models"][0]["details"]["family"], "gpt-5.4");
}
