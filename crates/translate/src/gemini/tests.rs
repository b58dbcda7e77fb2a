//! Unit tests of the Gemini translator: request mapping details and stream framing.

use codex_proxy_schema::responses::ResponsesEvent;
use serde_json::{Value, json};

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

fn map(body: Value) -> Value {
    let t = request_to_responses(
        "gemini-2.5-flash",
        body.to_string().as_bytes(),
        false,
        &opts(),
    )
    .expect("translates");
    serde_json::to_value(&t.translated.request).expect("json")
}

#[test]
fn call_ids_pair_across_turns() {
    let v = map(json!({"contents": [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}, {"functionCall": {"name": "b"}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "b", "response": {"r": 2}}}, {"functionResponse": {"name": "a", "response": {"r": 1}}}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {"x": 1}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {"r": 3}}}]}
    ]}));
    let ids: Vec<(String, String)> = v["input"]
        .as_array()
        .expect("input")
        .iter()
        .filter(|i| i["call_id"].is_string())
        .map(|i| {
            (
                i["type"].as_str().unwrap_or("").to_owned(),
                i["call_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let ids: Vec<(&str, &str)> = ids.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        ids,
        [
            ("function_call", "fc_0"),
            ("function_call", "fc_1"),
            ("function_call_output", "fc_1"),
            ("function_call_output", "fc_0"),
            ("function_call", "fc_2"),
            ("function_call_output", "fc_2"),
        ]
    );
}

#[test]
fn explicit_ids_win() {
    let v = map(json!({"contents": [
        {"role": "model", "parts": [{"functionCall": {"id": "call_x", "name": "a"}}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "call_x", "name": "a", "response": {}}}]}
    ]}));
    assert_eq!(v["input"][0]["call_id"], "call_x");
    assert_eq!(v["input"][1]["call_id"], "call_x");
}

#[test]
fn thinking_and_signature_round_trip() {
    let sig = signature::encode("enc-123");
    let t = request_to_responses(
        "gemini-2.5-pro",
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "q"}]},
                {"role": "model", "parts": [{"text": "hmm", "thought": true}, {"text": "a", "thoughtSignature": sig}]},
                {"role": "model", "parts": [{"text": "b", "thoughtSignature": "CiIBvj72+9zt"}]},
                {"role": "user", "parts": [{"text": "again"}]}
            ],
            "generationConfig": {"thinkingConfig": {"thinkingBudget": 5000, "includeThoughts": true}, "maxOutputTokens": 10}
        })
        .to_string()
        .as_bytes(),
        true,
        &opts(),
    )
    .expect("translates");
    assert!(t.include_thoughts);
    let v = serde_json::to_value(&t.translated.request).expect("json");
    assert_eq!(v["reasoning"]["effort"], "medium");
    assert_eq!(
        v["input"][1],
        json!({"type": "reasoning", "summary": [], "encrypted_content": "enc-123"})
    );
    assert_eq!(v["input"][2]["content"], "a");
    assert_eq!(v["input"][3]["content"], "b");
    assert!(v.get("max_output_tokens").is_none());
}

#[test]
fn bad_requests() {
    let bad = |body: &[u8]| request_to_responses("m", body, false, &opts()).expect_err("rejected");
    assert_eq!(bad(b"{nope"), crate::TranslateError::InvalidJson);
    assert_eq!(bad(b"{\"contents\": []}").status(), 400);
    assert_eq!(
        bad(b"{\"contents\": [{\"role\": \"tool\", \"parts\": [{\"text\": \"x\"}]}]}").status(),
        400
    );
    assert_eq!(bad(b"[1]").status(), 400);
    let body = to_gemini_error_body(&bad(b"{nope").to_reply());
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        v,
        json!({"error": {"code": 400, "message": "Malformed JSON request body", "status": "INVALID_ARGUMENT"}})
    );
}

fn events(ctx: GeminiContext, frames: &[&str]) -> String {
    let mut s = GeminiStream::new(ctx);
    let mut out = Vec::new();
    for f in frames {
        let ev = ResponsesEvent::parse_json(f).expect("event");
        s.push(&ev, &mut out);
    }
    s.finish(&mut out);
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn json_array_framing_and_truncation() {
    let ctx = GeminiContext {
        response_id: "r1".into(),
        model_version: "gemini-x".into(),
        format: StreamFormat::JsonArray,
        ..GeminiContext::default()
    };
    let out = events(
        ctx,
        &[
            r#"{"type":"response.output_text.delta","item_id":"m1","output_index":0,"content_index":0,"delta":"hi"}"#,
        ],
    );
    let v: Value = serde_json::from_str(&out).expect("one JSON array");
    assert_eq!(v[0]["candidates"][0]["content"]["parts"][0]["text"], "hi");
    assert_eq!(v[1]["error"]["status"], "DEADLINE_EXCEEDED");
}
