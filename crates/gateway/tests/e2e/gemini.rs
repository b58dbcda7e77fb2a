//! Gemini routes end to end: captured google-genai / litellm requests, streaming in both
//! framings, a function-call turn, thought signatures, auth variants and errors in the Gemini
//! shape.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use crate::support::{Harness, KEY, Reply, sse_data};

async fn gemini(h: &Harness, path: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Full::new(Bytes::from(
            serde_json::to_vec(body).expect("json"),
        )))
        .expect("request");
    let resp = h.send(req).await;
    let (parts, body) = resp.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
    }
}

const GOOG: [(&str, &str); 1] = [("x-goog-api-key", KEY)];

fn text_of(v: &Value) -> String {
    v["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str())
        .collect()
}

fn captured(file: &str) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/clients/");
    let text = std::fs::read_to_string(format!("{path}{file}")).expect("fixture");
    serde_json::from_str::<Vec<Value>>(&text).expect("json list")
}

#[tokio::test]
async fn captured_client_requests_are_served() {
    let h = Harness::start().await;
    let mut served = 0;
    for file in [
        "google-genai-py_generate.json",
        "google-genai-py_stream.json",
        "litellm_gemini.json",
    ] {
        for r in captured(file) {
            let path = r["path"].as_str().expect("path");
            let reply = gemini(&h, path, &GOOG, &r["json"]).await;
            assert_eq!(reply.status, 200, "{file} {path}: {}", reply.text());
            if path.contains("alt=sse") {
                let chunks: Vec<Value> = sse_data(&reply.text())
                    .iter()
                    .map(|d| serde_json::from_str(d).expect("chunk json"))
                    .collect();
                let last = chunks.last().expect("chunks");
                assert_eq!(last["candidates"][0]["finishReason"], "STOP");
                assert!(last["usageMetadata"]["totalTokenCount"].as_u64() > Some(0));
                let text: String = chunks.iter().map(text_of).collect();
                assert!(text.starts_with("echo: "), "{text}");
            } else {
                let v = reply.json();
                assert!(text_of(&v).starts_with("echo: "), "{v}");
                assert!(v["usageMetadata"]["promptTokenCount"].as_u64() > Some(0));
                assert_eq!(v["modelVersion"], "gemini-2.5-flash");
            }
            served += 1;
        }
    }
    assert_eq!(served, 4);
    // The strict fake accepted every translated request.
    assert_eq!(h.mock.stats().rejected, 0);
    assert_eq!(
        h.mock.stats().by_account.get("acct-1").map(|a| a.requests),
        Some(4)
    );
}

#[tokio::test]
async fn json_array_stream_without_alt() {
    let h = Harness::start().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "array please"}]}]});
    let r = gemini(
        &h,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        &GOOG,
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let v: Value = serde_json::from_slice(&r.body).expect("one JSON array");
    let chunks = v.as_array().expect("array");
    let text: String = chunks.iter().map(text_of).collect();
    assert_eq!(text, "echo: array please");
    assert_eq!(
        chunks.last().map(|c| &c["candidates"][0]["finishReason"]),
        Some(&json!("STOP"))
    );
}

#[tokio::test]
async fn function_call_turn_pairs_ids() {
    let h = Harness::start().await;
    let tools = json!([{"functionDeclarations": [{"name": "get_weather", "description": "w",
        "parameters": {"type": "OBJECT", "properties": {"location": {"type": "STRING"}}}}]}]);
    let user = json!({"role": "user", "parts": [{"text": "weather [[tool:get_weather {\"location\":\"Paris\"}]]"}]});
    let r = gemini(
        &h,
        "/v1/models/gemini-2.5-flash:generateContent",
        &GOOG,
        &json!({"contents": [user], "tools": tools}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let model_turn = v["candidates"][0]["content"].clone();
    let call = model_turn["parts"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p.get("functionCall").is_some()))
        .expect("function call part")["functionCall"]
        .clone();
    assert_eq!(call["name"], "get_weather");
    assert_eq!(call["args"], json!({"location": "Paris"}));
    assert!(call["id"].is_string());
    // Turn 2: the SDK echoes the model turn and answers without an id (paired by name).
    let answer = json!({"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 21}}}]});
    let r = gemini(
        &h,
        "/v1/models/gemini-2.5-flash:generateContent",
        &GOOG,
        &json!({"contents": [user, model_turn, answer], "tools": tools}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(text_of(&r.json()), "tool result: {\"temp\":21}");
}

#[tokio::test]
async fn thoughts_and_signature_round_trip() {
    let h = Harness::start().await;
    let cfg = json!({"thinkingConfig": {"thinkingBudget": 9000, "includeThoughts": true}});
    let user = json!({"role": "user", "parts": [{"text": "think first"}]});
    let r = gemini(
        &h,
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        &GOOG,
        &json!({"contents": [user], "generationConfig": cfg}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let parts: Vec<Value> = sse_data(&r.text())
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .flat_map(|c| {
            c["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert!(parts.iter().any(|p| p["thought"] == true), "{parts:?}");
    let signed: Vec<Value> = parts
        .iter()
        .filter(|p| p["thoughtSignature"].is_string())
        .cloned()
        .collect();
    assert_eq!(signed.len(), 1, "{parts:?}");
    let model_turn =
        json!({"role": "model", "parts": [signed[0].clone(), {"text": "echo: think first"}]});
    let again = json!({"role": "user", "parts": [{"text": "and again"}]});
    let r = gemini(
        &h,
        "/v1beta/models/gemini-2.5-pro:generateContent",
        &GOOG,
        &json!({"contents": [user, model_turn, again], "generationConfig": cfg}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(text_of(&v), "echo: and again");
    assert!(
        v["usageMetadata"]["thoughtsTokenCount"].as_u64() > Some(0),
        "{v}"
    );
}

#[tokio::test]
async fn auth_variants_and_error_shape() {
    let h = Harness::start().await;
    let body = json!({"contents": [{"parts": [{"text": "hi"}]}]});
    let path = "/v1beta/models/gemini-2.5-flash:generateContent";
    let r = gemini(&h, path, &[], &body).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(r.json()["error"]["code"], 401);
    let with_query = format!("{path}?key={KEY}");
    assert_eq!(gemini(&h, &with_query, &[], &body).await.status, 200);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        gemini(&h, path, &[("authorization", bearer.as_str())], &body)
            .await
            .status,
        200
    );
    assert_eq!(
        gemini(&h, path, &[("x-goog-api-key", "wrong")], &body)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn bad_input_in_gemini_shape() {
    let h = Harness::start().await;
    let cases: [(&str, Value); 4] = [
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            json!({"contents": []}),
        ),
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            json!({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}),
        ),
        (
            "/v1beta/models/gemini-2.5-flash:countTokens",
            json!({"contents": [{"parts": [{"text": "x"}]}]}),
        ),
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            json!("not an object"),
        ),
    ];
    for (path, body) in cases {
        let r = gemini(&h, path, &GOOG, &body).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert_eq!(
            r.json()["error"]["status"],
            "INVALID_ARGUMENT",
            "{}",
            r.text()
        );
    }
    let req = Request::builder()
        .method("POST")
        .uri("/v1beta/models/gemini-2.5-flash:generateContent")
        .header("host", "localhost")
        .header("x-goog-api-key", KEY)
        .body(Full::new(Bytes::from_static(b"{\"contents\": [")))
        .expect("request");
    let resp = h.send(req).await;
    assert_eq!(resp.status(), 400);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["error"]["message"], "Malformed JSON request body");
    // Nothing reached the backend.
    assert_eq!(
        h.mock
            .stats()
            .by_account
            .get("acct-1")
            .map(|a| a.requests)
            .unwrap_or(0),
        0
    );
}

#[tokio::test]
async fn upstream_rate_limit_is_resource_exhausted() {
    let h = Harness::start().await;
    let body = json!({"contents": [{"parts": [{"text": "[[fault:429]]"}]}]});
    let r = gemini(
        &h,
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &GOOG,
        &body,
    )
    .await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["status"], "RESOURCE_EXHAUSTED");
}

#[tokio::test]
async fn model_list_and_get() {
    let h = Harness::start().await;
    let req = |path: &str| {
        Request::builder()
            .method("GET")
            .uri(path)
            .header("host", "localhost")
            .header("x-goog-api-key", KEY)
            .body(Full::new(Bytes::new()))
            .expect("request")
    };
    let resp = h.send(req("/v1beta/models")).await;
    assert_eq!(resp.status(), 200);
    let v: Value =
        serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    let names: Vec<&str> = v["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&"models/gpt-5.4"), "{names:?}");
    let resp = h.send(req("/v1beta/models/gpt-5.4")).await;
    assert_eq!(resp.status(), 200);
    let resp = h.send(req("/v1beta/models/nope")).await;
    assert_eq!(resp.status(), 404);
    let v: Value =
        serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    assert_eq!(v["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn client_keys_work_through_goog_key_locations() {
    let h = Harness::start().await;
    let created = h
        .request(
            "POST",
            "/admin/keys",
            Some(KEY),
            Some(Bytes::from(
                json!({"label": "gemini", "models": ["gpt-5.4"]}).to_string(),
            )),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let key = created.json()["key"].as_str().expect("key").to_owned();
    let body = json!({"contents": [{"parts": [{"text": "hi"}]}]});
    // Unknown Gemini model names go to the default model, which this key allows.
    let r = gemini(
        &h,
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &[("x-goog-api-key", key.as_str())],
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let path = format!("/v1beta/models/gpt-5.5:generateContent?key={key}");
    let r = gemini(&h, &path, &[], &body).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"]["status"], "PERMISSION_DENIED");
}
