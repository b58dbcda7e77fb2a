//! A tiny hyper HTTP/1 client and SSE helpers for the tests.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use codex_proxy_testkit::{JwtClaims, MockConfig, MockServer, mint_jwt};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body ended with a transport error (connection cut) instead of a clean end.
    pub body_error: bool,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not json ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `(event name, data JSON)` per SSE frame.
    pub fn events(&self) -> Vec<(String, Value)> {
        let text = std::str::from_utf8(&self.body).unwrap();
        text.split("\n\n")
            .filter(|f| !f.trim().is_empty())
            .map(|frame| {
                let mut name = String::new();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                let data: Value = serde_json::from_str(&data).unwrap();
                (name, data)
            })
            .collect()
    }
}

pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body.into())).unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = resp.into_body();
    let mut buf = BytesMut::new();
    let mut body_error = false;
    loop {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(_)) => {
                body_error = true;
                break;
            }
            None => break,
        }
    }
    driver.abort();
    Reply {
        status,
        headers,
        body: buf.freeze(),
        body_error,
    }
}

pub struct Account {
    pub id: String,
    pub token: String,
}

pub fn account(id: &str) -> Account {
    account_with_exp(id, 4_000_000_000)
}

pub fn account_with_exp(id: &str, exp: u64) -> Account {
    let claims = JwtClaims {
        chatgpt_account_id: id.to_owned(),
        plan_type: "plus".to_owned(),
        email: format!("{id}@example.invalid"),
        exp,
        user_id: format!("user-{id}"),
    };
    Account {
        id: id.to_owned(),
        token: mint_jwt(&claims),
    }
}

pub async fn server() -> MockServer {
    MockServer::start(MockConfig::default()).await.unwrap()
}

/// A minimal valid request body whose last user message is `text`.
pub fn body(text: &str) -> Value {
    json!({
        "model": "gpt-5.4",
        "instructions": "",
        "input": [{ "type": "message", "role": "user", "content": [{ "type": "input_text", "text": text }] }],
        "tools": [],
        "stream": true,
        "store": false,
    })
}

pub async fn post_json(server: &MockServer, acct: &Account, path: &str, body: &Value) -> Reply {
    let bearer = format!("Bearer {}", acct.token);
    let headers = [
        ("authorization", bearer.as_str()),
        ("chatgpt-account-id", acct.id.as_str()),
        ("content-type", "application/json"),
        ("accept", "text/event-stream"),
    ];
    send(server.addr(), "POST", path, &headers, body.to_string()).await
}

pub async fn responses(server: &MockServer, acct: &Account, body: &Value) -> Reply {
    post_json(server, acct, "/backend-api/codex/responses", body).await
}

pub async fn get(server: &MockServer, acct: &Account, path: &str) -> Reply {
    let bearer = format!("Bearer {}", acct.token);
    let headers = [
        ("authorization", bearer.as_str()),
        ("chatgpt-account-id", acct.id.as_str()),
    ];
    send(server.addr(), "GET", path, &headers, Bytes::new()).await
}

/// Names of the events, in order.
pub fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

/// Concatenated `delta`s of events named `name`.
pub fn deltas(events: &[(String, Value)], name: &str) -> String {
    events
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect()
}
