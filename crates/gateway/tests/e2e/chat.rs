//! Happy paths: streamed and non-streamed chat, tool calls, reasoning, models, health.

use serde_json::{Value, json};

use crate::support::{Harness, deltas, sse_data, user, user_stream};

#[tokio::test]
async fn non_stream_chat_returns_a_completion() {
    let h = Harness::start().await;
    let r = h.chat(&user("hello there")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("")
            .contains("hello there")
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap_or(0) > 0);
    assert_eq!(
        h.mock.stats().by_account.get("acct-1").map(|a| a.requests),
        Some(1)
    );
}

#[tokio::test]
async fn stream_chat_yields_chunks_then_done() {
    let h = Harness::start().await;
    let r = h.chat(&user_stream("stream me")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let body = r.text();
    assert!(deltas(&body, "content").contains("stream me"), "{body}");
    let data = sse_data(&body);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let finish: Vec<Value> = data
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter(|v| v["choices"][0]["finish_reason"].is_string())
        .collect();
    assert_eq!(finish.len(), 1);
    assert_eq!(finish[0]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn stream_forwards_quota_headers() {
    let h = Harness::start().await;
    let r = h.chat(&user_stream("quota")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers.keys().any(|k| k.as_str().starts_with("x-codex-")),
        "{:?}",
        r.headers
    );
    assert!(r.headers.get("x-codex-turn-state").is_none());
}

#[tokio::test]
async fn tool_call_loop() {
    let h = Harness::start().await;
    let tools = json!([{ "type": "function", "function": {
        "name": "get_weather", "description": "weather",
        "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } } }]);
    let first = json!({
        "model": "gpt-5.4", "tools": tools,
        "messages": [{ "role": "user", "content": "weather? [[tool:get_weather {\"city\":\"Paris\"}]]" }],
    });
    let r = h.chat(&first).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or(""))
        .unwrap_or(Value::Null);
    assert_eq!(args["city"], "Paris");
    let call_id = call["id"].as_str().unwrap_or("").to_owned();
    assert!(!call_id.is_empty());

    let second = json!({
        "model": "gpt-5.4", "tools": tools,
        "messages": [
            { "role": "user", "content": "weather? [[tool:get_weather {\"city\":\"Paris\"}]]" },
            { "role": "assistant", "content": null, "tool_calls": [call] },
            { "role": "tool", "tool_call_id": call_id, "content": "sunny" },
        ],
    });
    let r = h.chat(&second).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("")
            .contains("tool result: sunny"),
        "{v}"
    );
}

#[tokio::test]
async fn streamed_tool_call_has_arguments() {
    let h = Harness::start().await;
    let body = json!({
        "model": "gpt-5.4", "stream": true,
        "tools": [{ "type": "function", "function": { "name": "lookup", "parameters": { "type": "object" } } }],
        "messages": [{ "role": "user", "content": "[[tool:lookup {\"q\":\"x\"}]]" }],
    });
    let r = h.chat(&body).await;
    assert_eq!(r.status, 200);
    let text = r.text();
    let args: String = sse_data(&text)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap_or(Value::Null),
        json!({"q": "x"}),
        "{text}"
    );
    assert!(text.contains("\"finish_reason\":\"tool_calls\""));
}

#[tokio::test]
async fn reasoning_is_streamed_as_reasoning_content() {
    let h = Harness::start().await;
    let mut body = user_stream("think first");
    body["reasoning_effort"] = json!("high");
    let r = h.chat(&body).await;
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(!deltas(&text, "reasoning_content").is_empty(), "{text}");
    assert!(deltas(&text, "content").contains("think first"));
}

#[tokio::test]
async fn models_list_catalog_and_one() {
    let h = Harness::start().await;
    let r = h.get("/v1/models").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        ids.contains(&"gpt-5.4") && ids.contains(&"gpt-5.5"),
        "{ids:?}"
    );
    assert_eq!(
        h.mock.stats().by_route.get("models").copied(),
        Some(1),
        "backend list fetched once"
    );

    let r = h.get("/v1/models/catalog").await;
    let v = r.json();
    let default: Vec<&Value> = v
        .as_array()
        .map(|a| a.iter().filter(|m| m["isDefault"] == true).collect())
        .unwrap_or_default();
    assert_eq!(default.len(), 1);
    assert_eq!(default[0]["id"], "gpt-5.4");

    let r = h.get("/v1/models/gpt-5.5").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], "gpt-5.5");
    let r = h.get("/v1/models/gpt-5.5/info").await;
    assert!(r.json()["displayName"].is_string());
    let r = h.get("/v1/models/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "model_not_found");
    assert_eq!(
        h.mock.stats().by_route.get("models").copied(),
        Some(1),
        "cached"
    );
}

#[tokio::test]
async fn health_reports_accounts() {
    let h = Harness::start().await;
    let r = h.request("GET", "/health", None, None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["pool"]["total"], 1);
}

#[tokio::test]
async fn accounts_admin_routes() {
    let h = Harness::with(&[], |_| {}).await;
    let jwt = codex_proxy_testkit::mint_jwt(&crate::support::claims("acct-9"));
    let body = bytes::Bytes::from(
        serde_json::to_vec(&json!({ "token": jwt, "label": "nine" })).unwrap_or_default(),
    );
    let r = h
        .request("POST", "/auth/accounts", None, Some(body.clone()))
        .await;
    assert_eq!(r.status, 401);
    let r = h
        .request(
            "POST",
            "/auth/accounts",
            Some(crate::support::KEY),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["success"], true);
    let r = h.get("/auth/accounts").await;
    let text = r.text();
    assert!(
        text.contains("acct-9") && !text.contains(&jwt),
        "no secrets in the list"
    );
    let r = h.chat(&user("after add")).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn refresh_only_account_is_refreshed_through_the_oauth_endpoint() {
    let h = Harness::with(&[], |_| {}).await;
    let refresh = h
        .mock
        .issue_refresh_token(&crate::support::claims("acct-r"));
    h.gw()
        .pool()
        .add_tokens(
            None,
            Some(&refresh),
            Some("refresh-only"),
            std::time::SystemTime::now(),
        )
        .expect("refresh-only account added");
    let r = h.chat(&user("after refresh")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let stats = h.mock.stats();
    assert_eq!(stats.by_route.get("oauth_token").copied(), Some(1));
    assert_eq!(stats.by_account.get("acct-r").map(|a| a.requests), Some(1));
}

#[tokio::test]
async fn session_is_stable_per_conversation() {
    let h = Harness::start().await;
    let mut first = user("same start");
    h.chat(&first).await;
    first["messages"] = json!([
        { "role": "user", "content": "same start" },
        { "role": "assistant", "content": "echo" },
        { "role": "user", "content": "next turn" },
    ]);
    h.chat(&first).await;
    h.chat(&user("another conversation")).await;
    let sessions: Vec<String> = h
        .mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .filter_map(|r| r.header("session-id").map(str::to_owned))
        .collect();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(sessions[0], sessions[1]);
    assert_ne!(sessions[0], sessions[2]);
}
