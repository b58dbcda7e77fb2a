//! Test harness: a fake Codex backend, a gateway in front of it, and a tiny HTTP/1 client.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codex_proxy_gateway::{Gateway, GatewayConfig, RawConfig, RunningGateway};
use codex_proxy_testkit::{JwtClaims, MockConfig, MockServer, mint_jwt};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub const KEY: &str = "cpk-test-key";

pub struct Harness {
    pub mock: MockServer,
    pub gw: Option<RunningGateway>,
    pub _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn claims(account: &str) -> JwtClaims {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    JwtClaims {
        chatgpt_account_id: account.to_owned(),
        plan_type: "plus".to_owned(),
        email: format!("{account}@example.com"),
        exp: now + 864_000,
        user_id: format!("user-{account}"),
    }
}

impl Harness {
    /// Mock + gateway with one account `acct-1`.
    pub async fn start() -> Harness {
        Harness::with(&["acct-1"], |_| {}).await
    }

    pub async fn with(accounts: &[&str], tweak: impl FnOnce(&mut RawConfig)) -> Harness {
        let mock = MockServer::start(MockConfig::default())
            .await
            .expect("mock starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut raw = GatewayConfig::embedded_raw().expect("embedded config parses");
        raw.server.host = Some("127.0.0.1".to_owned());
        raw.server.port = Some(0);
        raw.server.proxy_api_key = Some(KEY.to_owned());
        raw.server.shutdown_drain_seconds = Some(5.0);
        raw.api.base_url = Some(mock.base_url());
        // Plain JSON bodies keep mock-side failures readable (zstd is the default otherwise).
        raw.api.compress_requests = Some(false);
        raw.auth.oauth_token_endpoint = Some(format!("{}/token", mock.oauth_base()));
        raw.auth.oauth_auth_endpoint = Some(format!("{}/authorize", mock.oauth_base()));
        tweak(&mut raw);
        let config = GatewayConfig::from_raw(raw).expect("config valid");
        let gw = Gateway::start(config, dir.path())
            .await
            .expect("gateway starts");
        for account in accounts {
            let jwt = mint_jwt(&claims(account));
            gw.pool()
                .add_tokens(Some(&jwt), None, Some(account), SystemTime::now())
                .expect("account added");
        }
        Harness {
            mock,
            gw: Some(gw),
            _dir: dir,
        }
    }

    pub fn gw(&self) -> &RunningGateway {
        self.gw.as_ref().expect("gateway running")
    }

    pub async fn send(&self, req: Request<Full<Bytes>>) -> http::Response<Incoming> {
        let stream = tokio::net::TcpStream::connect(self.gw().local_addr())
            .await
            .expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        sender.send_request(req).await.expect("request sent")
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Bytes>,
    ) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost");
        if let Some(key) = key {
            b = b.header("authorization", format!("Bearer {key}"));
        }
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let req = b
            .body(Full::new(body.unwrap_or_default()))
            .expect("request");
        let resp = self.send(req).await;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, Some(KEY), None).await
    }

    pub async fn chat(&self, body: &Value) -> Reply {
        let bytes = Bytes::from(serde_json::to_vec(body).expect("json"));
        self.request("POST", "/v1/chat/completions", Some(KEY), Some(bytes))
            .await
    }

    pub async fn chat_raw(&self, body: &[u8]) -> Reply {
        self.request(
            "POST",
            "/v1/chat/completions",
            Some(KEY),
            Some(Bytes::copy_from_slice(body)),
        )
        .await
    }

    /// A streaming request; the caller reads the body incrementally.
    pub async fn chat_stream(&self, body: &Value) -> http::Response<Incoming> {
        let req = Request::builder()
            .method("POST")
            .uri("/v1/chat/completions")
            .header("host", "localhost")
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                serde_json::to_vec(body).expect("json"),
            )))
            .expect("request");
        self.send(req).await
    }

    pub async fn shutdown(mut self) -> codex_proxy_gateway::ShutdownReport {
        let gw = self.gw.take().expect("gateway running");
        gw.shutdown().await
    }
}

pub fn user(text: &str) -> Value {
    serde_json::json!({ "model": "gpt-5.4", "messages": [{ "role": "user", "content": text }] })
}

pub fn user_stream(text: &str) -> Value {
    let mut v = user(text);
    v["stream"] = Value::Bool(true);
    v
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|block| {
            block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(str::to_owned)
        })
        .collect()
}

/// Concatenated `choices[0].delta.<field>` strings of a chat stream.
pub fn deltas(body: &str, field: &str) -> String {
    sse_data(body)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["choices"][0]["delta"][field].as_str().map(str::to_owned))
        .collect()
}

pub async fn next_data(body: &mut Incoming) -> Option<Bytes> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    return Some(data);
                }
            }
            _ => return None,
        }
    }
}
