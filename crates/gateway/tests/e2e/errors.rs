//! Bad input and upstream failures: status codes and OpenAI-shaped errors.

use serde_json::{Value, json};

use crate::support::{Harness, KEY, sse_data, user, user_stream};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn malformed_json_is_400() {
    let h = Harness::start().await;
    let r = h.chat_raw(b"{not json").await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert_eq!(code(&v), "invalid_json");
}

#[tokio::test]
async fn wrong_types_and_missing_messages_are_400() {
    let h = Harness::start().await;
    for body in [
        json!({"model": "gpt-5.4", "messages": "hi"}),
        json!({"model": "gpt-5.4"}),
        json!([1, 2]),
    ] {
        let r = h.chat(&body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    }
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
async fn unknown_model_is_404_but_gpt_names_fall_back() {
    let h = Harness::start().await;
    let mut body = user("x");
    body["model"] = json!("llama-3-70b");
    let r = h.chat(&body).await;
    assert_eq!(r.status, 404);
    assert_eq!(code(&r.json()), "model_not_found");
    body["model"] = json!("gpt-unknown-model");
    let r = h.chat(&body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    body["model"] = json!("codex");
    let r = h.chat(&body).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn oversize_body_is_413() {
    let h = Harness::with(&["acct-1"], |raw| raw.server.max_body_bytes = Some(2048)).await;
    let r = h.chat(&user(&"x".repeat(4096))).await;
    assert_eq!(r.status, 413);
    assert_eq!(code(&r.json()), "request_too_large");
}

#[tokio::test]
async fn missing_or_wrong_key_is_401() {
    let h = Harness::start().await;
    let body = bytes::Bytes::from(serde_json::to_vec(&user("x")).unwrap_or_default());
    let r = h
        .request("POST", "/v1/chat/completions", None, Some(body.clone()))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(code(&r.json()), "invalid_api_key");
    let r = h
        .request(
            "POST",
            "/v1/chat/completions",
            Some("wrong"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 401);
    let req = http::Request::builder()
        .method("POST")
        .uri("/v1/chat/completions")
        .header("host", "localhost")
        .header("x-api-key", KEY)
        .body(http_body_util::Full::new(body))
        .expect("request");
    let resp = h.send(req).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn no_account_is_503() {
    let h = Harness::with(&[], |_| {}).await;
    let r = h.chat(&user("x")).await;
    assert_eq!(r.status, 503);
    let v = r.json();
    assert_eq!(code(&v), "no_available_accounts");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("accounts import")
    );
}

#[tokio::test]
async fn rate_limited_everywhere_is_429_with_retry_after() {
    let h = Harness::start().await;
    let r = h.chat(&user("[[fault:429]]")).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["type"], "rate_limit_error");
    assert!(r.headers.get("retry-after").is_some());
    // The account is now locked: the next request is refused without an upstream call.
    let before = h.mock.stats().requests;
    let r = h.chat(&user("again")).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(h.mock.stats().requests, before);
}

#[tokio::test]
async fn upstream_401_and_403_are_mapped() {
    let h = Harness::with(&["acct-1", "acct-2"], |_| {}).await;
    let r = h.chat(&user("[[fault:401]]")).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(code(&r.json()), "codex_api_error");
    let h = Harness::with(&["acct-1", "acct-2"], |_| {}).await;
    let r = h.chat(&user("[[fault:403-ban]]")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    // Both accounts were tried once.
    assert_eq!(h.mock.stats().by_route.get("responses").copied(), Some(2));
}

#[tokio::test]
async fn upstream_500_is_retried_once() {
    let h = Harness::start().await;
    let r = h.chat(&user("[[fault:500]]")).await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(h.mock.stats().by_route.get("responses").copied(), Some(2));
}

#[tokio::test]
async fn overloaded_stream_ends_with_error_chunk_and_done() {
    let h = Harness::start().await;
    let r = h.chat(&user_stream("[[fault:overloaded]]")).await;
    assert_eq!(r.status, 200);
    let data = sse_data(&r.text());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert!(data.iter().any(|d| d.contains("\"error\"")), "{data:?}");
    let r = h.chat(&user("[[fault:overloaded]]")).await;
    assert_eq!(r.status, 503, "{}", r.text());
}

#[tokio::test]
async fn cut_stream_ends_with_error_chunk_and_done() {
    let h = Harness::start().await;
    let r = h.chat(&user_stream("please [[fault:cut:3]]")).await;
    assert_eq!(r.status, 200);
    let data = sse_data(&r.text());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert!(data.iter().any(|d| d.contains("\"error\"")), "{data:?}");
    let r = h.chat(&user("please [[fault:cut:3]]")).await;
    assert_eq!(r.status, 504, "{}", r.text());
}

#[tokio::test]
async fn failover_from_rate_limited_account() {
    let h = Harness::with(&["acct-1", "acct-2"], |_| {}).await;
    h.mock.set_fault("acct-1", "429", None);
    for i in 0..3 {
        let r = h.chat(&user(&format!("hello {i}"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let stats = h.mock.stats();
    let a1 = stats.by_account.get("acct-1").cloned().unwrap_or_default();
    let a2 = stats.by_account.get("acct-2").cloned().unwrap_or_default();
    assert_eq!(a2.requests, 3);
    assert!(
        a1.requests <= 1,
        "a rate-limited account is skipped afterwards"
    );
}
