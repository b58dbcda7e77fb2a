//! The WebSocket responses transport under every dialect (prewarm + chained turn, frames
//! re-expressed as SSE, failover on early error frames, `codex.rate_limits` into the pool),
//! refreshes through the account's own proxy with the official `refresh_reason`, and quota
//! settings changed at runtime.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codex_proxy_testkit::proxy::{ProxyProtocol, TestProxy};
use codex_proxy_testkit::{RecordedRequest, mint_jwt};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use crate::support::{Harness, KEY, Reply, claims, deltas, user, user_stream};

/// A harness whose fake backend accepts WebSocket upgrades.
async fn ws_harness(accounts: &[&str]) -> Harness {
    let h = Harness::with(accounts, |_| {}).await;
    h.mock.enable_websocket(true);
    h
}

fn http_posts(h: &Harness) -> usize {
    h.mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/codex/responses"))
        .count()
}

/// `(upgrades, response.create frames)` the fake saw.
fn ws_traffic(h: &Harness) -> (usize, Vec<Value>) {
    let ws: Vec<RecordedRequest> = h
        .mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/codex/responses"))
        .collect();
    let upgrades = ws.iter().filter(|r| r.body.is_none()).count();
    (upgrades, ws.into_iter().filter_map(|r| r.body).collect())
}

#[tokio::test]
async fn chat_goes_over_the_socket_with_a_prewarm_first() {
    let h = ws_harness(&["acct-1"]).await;
    let r = h.chat(&user("hello socket")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["choices"][0]["message"]["content"], "echo: hello socket",
        "{v}"
    );
    assert!(v["usage"]["total_tokens"].as_u64().unwrap_or(0) > 0, "{v}");

    let r = h.chat(&user_stream("streamed socket")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(deltas(&r.text(), "content"), "echo: streamed socket");
    assert!(r.text().ends_with("data: [DONE]\n\n"), "{}", r.text());

    assert_eq!(
        http_posts(&h),
        0,
        "no HTTP POST: both turns went over sockets"
    );
    let (upgrades, frames) = ws_traffic(&h);
    assert_eq!(upgrades, 2, "one socket per turn");
    assert_eq!(frames.len(), 4, "{frames:?}");
    // As the official client: a prewarm with empty input, then the turn chained on it with
    // the full input.
    assert_eq!(frames[0]["generate"], json!(false));
    assert_eq!(frames[0]["input"], json!([]));
    assert_eq!(frames[1].get("generate"), None);
    assert!(
        frames[1]["previous_response_id"].is_string(),
        "{}",
        frames[1]
    );
    assert!(
        frames[1]["input"].to_string().contains("hello socket"),
        "{}",
        frames[1]
    );
    assert_eq!(frames[0]["model"], frames[1]["model"]);
}

#[tokio::test]
async fn chat_tool_loop_over_the_socket() {
    let h = ws_harness(&["acct-1"]).await;
    let tools = json!([{ "type": "function", "function": {
        "name": "get_weather", "description": "weather",
        "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } } }]);
    let ask =
        json!({ "role": "user", "content": "weather? [[tool:get_weather {\"city\":\"Paris\"}]]" });
    let r = h
        .chat(&json!({ "model": "gpt-5.4", "tools": tools, "messages": [ask] }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls", "{v}");
    let call = v["choices"][0]["message"]["tool_calls"][0].clone();
    assert_eq!(call["function"]["name"], "get_weather");
    let call_id = call["id"].as_str().unwrap_or("").to_owned();
    let second = json!({
        "model": "gpt-5.4", "tools": tools, "stream": true,
        "messages": [
            ask,
            { "role": "assistant", "content": null, "tool_calls": [call] },
            { "role": "tool", "tool_call_id": call_id, "content": "sunny" },
        ],
    });
    let r = h.chat(&second).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        deltas(&r.text(), "content").contains("tool result: sunny"),
        "{}",
        r.text()
    );
    assert_eq!(http_posts(&h), 0);
}

async fn anthropic(h: &Harness, body: &Value) -> Reply {
    let req = Request::builder()
        .method("POST")
        .uri("/v1/messages")
        .header("host", "localhost")
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
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

#[tokio::test]
async fn anthropic_messages_over_the_socket() {
    let h = ws_harness(&["acct-1"]).await;
    let body = json!({ "model": "claude-sonnet-4-5", "max_tokens": 100,
        "messages": [{ "role": "user", "content": "hi claude" }] });
    let r = anthropic(&h, &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["content"][0]["text"], "echo: hi claude", "{v}");
    assert_eq!(v["stop_reason"], "end_turn", "{v}");
    let mut body = body;
    body["stream"] = json!(true);
    let r = anthropic(&h, &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(text.contains("event: message_stop"), "{text}");
    let streamed: String = crate::support::sse_data(&text)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(streamed, "echo: hi claude", "{text}");
    assert_eq!(http_posts(&h), 0);
}

#[tokio::test]
async fn an_early_rate_limit_frame_fails_over_to_another_account() {
    let h = ws_harness(&["acct-1", "acct-2"]).await;
    h.mock.set_fault("acct-1", "429", None);
    for i in 0..3 {
        let r = h.chat(&user_stream(&format!("turn {i}"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(deltas(&r.text(), "content"), format!("echo: turn {i}"));
    }
    let list = h.gw().pool().list().expect("list");
    let limited = list
        .iter()
        .find(|a| a.label.as_deref() == Some("acct-1"))
        .expect("acct-1");
    assert_eq!(
        limited.status,
        codex_proxy_pool::AccountStatus::RateLimited,
        "the usage_limit_reached frame rested the account like an HTTP 429"
    );
    assert_eq!(http_posts(&h), 0, "failover stayed on the socket");
    assert!(h.mock.stats().by_account["acct-2"].requests >= 3);
}

#[tokio::test]
async fn an_unauthorized_frame_refreshes_and_retries_over_the_socket() {
    let h = Harness::with(&[], |_| {}).await;
    h.mock.enable_websocket(true);
    let c = claims("acct-u");
    let rt = h.mock.issue_refresh_token(&c);
    h.gw()
        .pool()
        .add_tokens(Some(&mint_jwt(&c)), Some(&rt), Some("u"), SystemTime::now())
        .expect("added");
    h.mock.set_fault("acct-u", "401", Some(1));
    let r = h.chat(&user("hi")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(h.mock.stats().by_route.get("oauth_token").copied(), Some(1));
    // The refresh a 401 triggered says so.
    assert_eq!(
        refresh_reasons(&h),
        vec!["unauthorized_recovery".to_owned()]
    );
    assert_eq!(http_posts(&h), 0);
}

#[tokio::test]
async fn rate_limit_frames_update_the_pool_quota() {
    let h = ws_harness(&["acct-1"]).await;
    // The fake's numbers grow with use: after the third turn its frame says 1 % while the
    // upgrade headers (counted before the turn) still say 0 %.
    for i in 0..3 {
        let r = h.chat(&user(&format!("q{i}"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let pool = h.gw().pool();
    let id = pool.list().expect("list")[0].id.clone();
    let quota = pool.quota(&id).expect("quota").expect("snapshot");
    let primary = quota.primary.expect("primary window");
    assert_eq!(primary.used_percent, 1.0, "{quota:?}");
    assert_eq!(primary.window_minutes, Some(300));
    let secondary = quota.secondary.expect("secondary window");
    assert_eq!(secondary.window_minutes, Some(10_080));
}

fn refresh_reasons(h: &Harness) -> Vec<String> {
    h.mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/token"))
        .filter_map(|r| r.body?["refresh_reason"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn refresh_goes_through_the_account_proxy_with_its_reason() {
    let h = Harness::with(&[], |_| {}).await;
    let mut c = claims("acct-p");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    c.exp = now + 3600;
    let rt = h.mock.issue_refresh_token(&c);
    let pool = h.gw().pool();
    let id = pool
        .add_tokens(Some(&mint_jwt(&c)), Some(&rt), Some("p"), SystemTime::now())
        .expect("added")
        .id;
    let proxy = TestProxy::start(ProxyProtocol::HttpConnect, None, None)
        .await
        .expect("proxy");
    pool.set_account_proxy(&id, Some(proxy.url()))
        .expect("proxy set");
    let r = h
        .request(
            "POST",
            &format!("/auth/accounts/{}/refresh", id.as_str()),
            Some(KEY),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.mock.stats().by_route.get("oauth_token").copied(), Some(1));
    assert!(
        !proxy.targets().is_empty(),
        "the refresh went through the account's proxy"
    );
    assert_eq!(refresh_reasons(&h), vec!["proactive_expiry".to_owned()]);
}

#[tokio::test]
async fn quota_settings_change_at_runtime() {
    let h = Harness::start().await;
    let post = |body: Value| {
        let h = &h;
        async move {
            h.request(
                "POST",
                "/admin/quota-settings",
                Some(KEY),
                Some(Bytes::from(body.to_string())),
            )
            .await
        }
    };
    let r = post(json!({ "skip_exhausted": false,
        "warning_thresholds": { "primary": [70, 50] }, "refresh_interval_minutes": 5 }))
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = h.get("/admin/quota-settings").await.json();
    assert_eq!(v["skip_exhausted"], false, "{v}");
    assert_eq!(v["warning_thresholds"]["primary"], json!([50, 70]), "{v}");
    assert_eq!(v["warning_thresholds"]["secondary"], json!([80, 90]), "{v}");
    assert_eq!(v["refresh_interval_minutes"], 5);
    let (skip, thresholds) = h.gw().pool().quota_settings();
    assert!(!skip);
    assert_eq!(thresholds.primary, vec![50, 70]);
    // One list sets both windows; a bad value changes nothing.
    let r = post(json!({ "warning_thresholds": [95] })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["warning_thresholds"]["secondary"], json!([95]));
    let r = post(json!({ "warning_thresholds": [0], "skip_exhausted": true })).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(!h.gw().pool().quota_settings().0);
}
