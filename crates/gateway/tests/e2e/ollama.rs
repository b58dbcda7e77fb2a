//! The Ollama bridge end to end: a second listener enabled by `ollama.enabled`, the captured
//! ollama-python and litellm requests, NDJSON streaming, tools, `/api/tags` and `/api/show`,
//! `/v1/*` forwarding with the key injected, loopback-only CORS, errors as `{"error"}`, and
//! toggling the listener at runtime.

use std::net::SocketAddr;

use bytes::Bytes;
use codex_proxy_gateway::OllamaConfig;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::support::Harness;

async fn bridge() -> (Harness, SocketAddr) {
    let h = Harness::with(&["acct-1"], |raw| {
        raw.ollama.enabled = Some(true);
        raw.ollama.host = Some("127.0.0.1".into());
        raw.ollama.port = Some(0);
    })
    .await;
    let addr = h.gw().ollama_addr().expect("bridge listening");
    (h, addr)
}

struct Out {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.body)
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line is JSON"))
            .collect()
    }
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Out {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("request");
    let resp = sender.send_request(req).await.expect("sent");
    let (parts, body) = resp.into_parts();
    Out {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
    }
}

async fn post(addr: SocketAddr, path: &str, body: &Value) -> Out {
    let bytes = serde_json::to_vec(body).expect("json");
    call(
        addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        Some(bytes),
    )
    .await
}

fn captured(file: &str) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/clients/");
    let text = std::fs::read_to_string(format!("{path}{file}")).expect("fixture");
    serde_json::from_str::<Vec<Value>>(&text).expect("json list")
}

#[tokio::test]
async fn disabled_by_default() {
    let h = Harness::start().await;
    assert_eq!(h.gw().ollama_addr(), None);
}

#[tokio::test]
async fn captured_client_requests_are_served() {
    let (h, addr) = bridge().await;
    let mut chats = 0;
    for file in ["ollama-py_all.json", "litellm_ollama_chat.json"] {
        for r in captured(file) {
            let method = r["method"].as_str().expect("method");
            let path = r["path"].as_str().expect("path");
            let body = (method == "POST").then(|| serde_json::to_vec(&r["json"]).expect("json"));
            let out = call(
                addr,
                method,
                path,
                &[("content-type", "application/json")],
                body,
            )
            .await;
            assert_eq!(
                out.status,
                200,
                "{file} {path}: {}",
                String::from_utf8_lossy(&out.body)
            );
            match path {
                "/api/chat" if r["json"]["stream"] == true => {
                    let lines = out.lines();
                    let last = lines.last().expect("lines");
                    assert_eq!(last["done"], true);
                    assert_eq!(last["done_reason"], "stop");
                    let text: String = lines
                        .iter()
                        .filter_map(|l| l["message"]["content"].as_str())
                        .collect();
                    assert_eq!(text, "echo: hi");
                    chats += 1;
                }
                "/api/chat" => {
                    let v = out.json();
                    assert_eq!(v["done"], true);
                    assert!(
                        v["message"]["content"]
                            .as_str()
                            .is_some_and(|c| c.starts_with("echo: ")),
                        "{v}"
                    );
                    assert!(v["eval_count"].as_u64() > Some(0));
                    chats += 1;
                }
                "/api/tags" => {
                    assert!(!out.json()["models"].as_array().expect("models").is_empty())
                }
                "/api/show" => {
                    let v = out.json();
                    assert!(v["model_info"].is_object(), "{v}");
                    assert!(
                        v["capabilities"]
                            .as_array()
                            .is_some_and(|c| c.contains(&json!("tools")))
                    );
                }
                other => panic!("unexpected captured path {other}"),
            }
        }
    }
    assert_eq!(chats, 4);
    // The strict fake accepted every translated request.
    assert_eq!(h.mock.stats().rejected, 0);
    assert_eq!(
        h.mock.stats().by_account.get("acct-1").map(|a| a.requests),
        Some(4)
    );
}

#[tokio::test]
async fn tool_call_with_object_arguments_then_result() {
    let (_h, addr) = bridge().await;
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "description": "w",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
    let user =
        json!({"role": "user", "content": "weather [[tool:get_weather {\"city\":\"Paris\"}]]"});
    for stream in [false, true] {
        let out = post(
            addr,
            "/api/chat",
            &json!({"model": "gpt-5.4", "stream": stream, "messages": [user], "tools": tools}),
        )
        .await;
        assert_eq!(out.status, 200);
        let (calls, last) = if stream {
            let lines = out.lines();
            let calls: Vec<Value> = lines
                .iter()
                .filter_map(|l| l["message"]["tool_calls"].as_array())
                .flatten()
                .cloned()
                .collect();
            (calls, lines.last().cloned().expect("last"))
        } else {
            let v = out.json();
            (
                v["message"]["tool_calls"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                v,
            )
        };
        assert_eq!(calls.len(), 1, "{last}");
        assert_eq!(calls[0]["function"]["arguments"], json!({"city": "Paris"}));
        assert_eq!(last["done_reason"], "tool_calls");
    }
    let assistant = json!({"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]});
    let tool = json!({"role": "tool", "tool_name": "get_weather", "content": "sunny"});
    let out = post(addr, "/api/chat", &json!({"model": "gpt-5.4", "stream": false, "messages": [user, assistant, tool], "tools": tools})).await;
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(out.json()["message"]["content"], "tool result: sunny");
}

#[tokio::test]
async fn generate_and_thinking() {
    let (_h, addr) = bridge().await;
    let out = post(
        addr,
        "/api/generate",
        &json!({"model": "gpt-5.4", "prompt": "why", "stream": false}),
    )
    .await;
    assert_eq!(out.status, 200);
    assert_eq!(out.json()["response"], "echo: why");
    let out = post(addr, "/api/chat", &json!({"model": "gpt-5.4", "think": true, "messages": [{"role": "user", "content": "hm"}]})).await;
    let lines = out.lines();
    assert!(
        lines.iter().any(|l| l["message"]["thinking"].is_string()),
        "{lines:?}"
    );
    assert_eq!(
        out.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-ndjson")
    );
}

#[tokio::test]
async fn errors_in_ollama_shape() {
    let (h, addr) = bridge().await;
    let out = call(addr, "POST", "/api/chat", &[], Some(b"{nope".to_vec())).await;
    assert_eq!(out.status, 400);
    assert!(out.json()["error"].is_string());
    let out = post(addr, "/api/chat", &json!({"model": "gpt-5.4"})).await;
    assert_eq!(out.status, 400);
    assert!(
        out.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("model, messages"))
    );
    let out = post(addr, "/api/show", &json!({})).await;
    assert_eq!(
        (out.status, out.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Missing model"))
    );
    let out = call(addr, "GET", "/api/ps", &[], None).await;
    assert_eq!(out.status, 404);
    assert_eq!(out.json()["error"], "Unsupported path: /api/ps");
    let out = post(addr, "/api/chat", &json!({"model": "gpt-5.4", "stream": false, "messages": [{"role": "user", "content": "[[fault:429]]"}]})).await;
    assert_eq!(out.status, 429);
    assert!(out.json()["error"].is_string());
    assert_eq!(
        h.mock.stats().by_account.get("acct-1").map(|a| a.requests),
        Some(1)
    );
}

#[tokio::test]
async fn version_root_and_v1_forwarding_injects_the_key() {
    let (_h, addr) = bridge().await;
    let out = call(addr, "GET", "/api/version", &[], None).await;
    assert_eq!(out.json(), json!({"version": "0.18.3"}));
    let out = call(addr, "GET", "/", &[], None).await;
    assert_eq!(&out.body[..], b"codex-proxy ollama bridge");
    // No key from the caller: the bridge injects the configured one.
    let out = call(addr, "GET", "/v1/models", &[], None).await;
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(out.json()["object"], "list");
    let chat = json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "via bridge"}]});
    let out = post(addr, "/v1/chat/completions", &chat).await;
    assert_eq!(out.status, 200);
    assert_eq!(
        out.json()["choices"][0]["message"]["content"],
        "echo: via bridge"
    );
}

#[tokio::test]
async fn cors_is_loopback_only() {
    let (h, addr) = bridge().await;
    let out = call(
        addr,
        "GET",
        "/api/version",
        &[("origin", "http://localhost:3000")],
        None,
    )
    .await;
    assert_eq!(out.status, 200);
    assert_eq!(
        out.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("http://localhost:3000")
    );
    assert_eq!(
        out.headers.get("vary").and_then(|v| v.to_str().ok()),
        Some("Origin")
    );
    let out = call(addr, "GET", "/api/version", &[], None).await;
    assert!(out.headers.get("access-control-allow-origin").is_none());
    let out = call(
        addr,
        "OPTIONS",
        "/api/chat",
        &[("origin", "http://127.0.0.1:8080")],
        None,
    )
    .await;
    assert_eq!(out.status, 204);
    assert_eq!(
        out.headers
            .get("access-control-allow-methods")
            .and_then(|v| v.to_str().ok()),
        Some("GET,POST,OPTIONS")
    );
    let out = call(
        addr,
        "OPTIONS",
        "/api/chat",
        &[("origin", "https://evil.example")],
        None,
    )
    .await;
    assert_eq!(out.status, 403);
    // A foreign page cannot spend the accounts even with a "simple" request.
    let body = serde_json::to_vec(
        &json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "x"}]}),
    )
    .expect("json");
    let out = call(
        addr,
        "POST",
        "/api/chat",
        &[
            ("origin", "https://evil.example"),
            ("content-type", "text/plain"),
        ],
        Some(body),
    )
    .await;
    assert_eq!(out.status, 403);
    assert!(out.headers.get("access-control-allow-origin").is_none());
    let out = call(addr, "GET", "/api/tags", &[("origin", "null")], None).await;
    assert_eq!(out.status, 403);
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
async fn toggling_starts_and_stops_the_listener() {
    let (h, addr) = bridge().await;
    let off = OllamaConfig {
        enabled: false,
        port: 0,
        ..OllamaConfig::default()
    };
    assert_eq!(h.gw().set_ollama(&off).await.expect("stopped"), None);
    assert_eq!(h.gw().ollama_addr(), None);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "old listener closed"
    );
    let on = OllamaConfig {
        enabled: true,
        port: 0,
        version: "9.9.9".into(),
        ..OllamaConfig::default()
    };
    let addr = h
        .gw()
        .set_ollama(&on)
        .await
        .expect("started")
        .expect("address");
    assert!(addr.ip().is_loopback());
    let out = call(addr, "GET", "/api/version", &[], None).await;
    assert_eq!(out.json(), json!({"version": "9.9.9"}));
    // Restart on the same port works at once (the old listener is gone before the new bind).
    let same = OllamaConfig {
        port: addr.port(),
        ..on
    };
    assert_eq!(
        h.gw().set_ollama(&same).await.expect("restarted"),
        Some(addr)
    );
    // A port in use is reported, not fatal.
    let busy = OllamaConfig {
        port: h.gw().local_addr().port(),
        ..OllamaConfig::default()
    };
    let busy = OllamaConfig {
        enabled: true,
        ..busy
    };
    assert!(h.gw().set_ollama(&busy).await.is_err());
    assert_eq!(h.gw().ollama_addr(), None);
    assert!(h.shutdown().await.drained);
}
