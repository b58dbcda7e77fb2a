//! The WebSocket responses transport against the testkit (prewarm, chained turns, 426
//! fallback) and its upgrade request against the captured header order.

use codex_proxy_testkit::{JwtClaims, MockConfig, MockServer, WsOptions, mint_jwt};
use codex_proxy_upstream::{Credentials, Upstream, WsCall, WsSession, WsTurn};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::support::{self, RawServer};

fn token() -> String {
    mint_jwt(&JwtClaims {
        chatgpt_account_id: support::ACCOUNT.to_owned(),
        plan_type: "pro".to_owned(),
        email: "fake.user@example.invalid".to_owned(),
        exp: 4_102_444_800,
        user_id: "user-FAKE".to_owned(),
    })
}

fn ws_call(token: &str) -> WsCall<'_> {
    WsCall {
        creds: Credentials {
            access_token: token,
            account_id: Some(support::ACCOUNT),
        },
        session_id: "01a20c79-4706-7a11-bffb-2e9caeaf983f",
        model: "gpt-6.1-sol",
        installation_id: Some("18cf63bc-fb1c-4e24-bf8c-d87a8c073517"),
    }
}

/// Reads events until a terminal one; returns all of them parsed.
async fn until_terminal(session: &mut WsSession) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(event) = session.next_event().await {
        let event: Value = serde_json::from_slice(&event.unwrap()).unwrap();
        let kind = event["type"].as_str().unwrap_or_default().to_owned();
        events.push(event);
        if kind == "response.completed" || kind == "error" {
            break;
        }
    }
    events
}

#[tokio::test]
async fn prewarm_then_turns_chain_on_the_owning_socket() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    mock.enable_websocket(true);
    let upstream = Upstream::new(support::config(&mock.base_url())).unwrap();
    let token = token();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    assert!(session.rate_limits().is_some(), "quota headers on the 101");

    let prewarm = br#"{"model":"gpt-6.1-sol","stream":true,"input":[],"store":false}"#;
    session.send(prewarm, WsTurn::Prewarm).await.unwrap();
    let events = until_terminal(&mut session).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let prewarm_id = session.last_response_id().unwrap().to_owned();
    assert!(session.owns(&prewarm_id));

    let turn = br#"{"model":"gpt-6.1-sol","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi there"}]}],"store":false}"#;
    session.send(turn, WsTurn::Turn).await.unwrap();
    let events = until_terminal(&mut session).await;
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.completed", "{events:?}");
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .filter_map(|e| e["delta"].as_str())
        .collect();
    assert_eq!(text, "echo: hi there", "{events:?}");
    let turn_id = session.last_response_id().unwrap().to_owned();
    assert_ne!(turn_id, prewarm_id);
    assert!(session.owns(&turn_id) && !session.owns(&prewarm_id));

    // The server saw the chain: the turn carried the prewarm's id.
    let recorded = mock.requests();
    let bodies: Vec<&Value> = recorded.iter().filter_map(|r| r.body.as_ref()).collect();
    assert_eq!(bodies[0]["type"], "response.create");
    assert_eq!(bodies[0]["generate"], false);
    assert_eq!(bodies[1]["previous_response_id"], prewarm_id.as_str());

    // A different socket does not own the chain: the backend refuses it.
    let mut other = upstream.websocket(ws_call(&token)).await.unwrap();
    assert!(!other.owns(&turn_id));
    session.close().await;
    other.send(turn, WsTurn::Turn).await.unwrap();
    let events = until_terminal(&mut other).await;
    assert_eq!(events.last().unwrap()["type"], "response.completed");
}

#[tokio::test]
async fn a_refused_upgrade_falls_back_to_http() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let upstream = Upstream::new(support::config(&mock.base_url())).unwrap();
    let token = token();
    let err = upstream.websocket(ws_call(&token)).await.unwrap_err();
    assert_eq!(err.status(), Some(426));
    assert!(err.is_websocket_refused());
    assert!(!err.is_account_fault());
}

#[tokio::test]
async fn upgrade_request_headers_follow_the_capture() {
    let path = format!(
        "{}/tests/fixtures/request-headers-ws-upgrade-exec.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let captured = std::fs::read_to_string(path).unwrap();
    let expected: Vec<String> = captured
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_owned()))
        .collect();
    assert_eq!(
        expected.last().map(String::as_str),
        Some("sec-websocket-extensions")
    );
    assert_eq!(expected.first().map(String::as_str), Some("Host"));

    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = RawServer::start(move |mut conn| {
        let tx = tx.clone();
        async move {
            if let Some(request) = conn.read_request().await {
                tx.send(request).unwrap();
                conn.respond(426, &[], b"").await;
            }
        }
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let token = token();
    assert!(upstream.websocket(ws_call(&token)).await.is_err());
    let request = rx.recv().await.unwrap();
    assert_eq!(
        request.request_line(),
        "GET /backend-api/codex/responses HTTP/1.1"
    );
    let names: Vec<String> = request
        .header_lines()
        .iter()
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_owned()))
        .collect();
    assert_eq!(names, expected);
    // The offer, name, value and position, exactly as captured.
    let offer = "sec-websocket-extensions: permessage-deflate; client_max_window_bits";
    assert!(captured.contains(&format!("\r\n{offer}\r\n\r\n")));
    assert_eq!(request.header_lines().last().copied(), Some(offer));
    assert!(
        request
            .head
            .starts_with("GET /backend-api/codex/responses HTTP/1.1\r\nHost: 127.0.0.1:")
    );
    let metadata = request
        .header_lines()
        .into_iter()
        .find_map(|l| l.strip_prefix("x-codex-turn-metadata: "))
        .unwrap()
        .to_owned();
    assert!(
        metadata.contains("\"request_kind\":\"prewarm\""),
        "{metadata}"
    );
}

#[tokio::test]
async fn wss_over_the_fingerprinted_tls_stack() {
    let ca = codex_proxy_testkit::TestCa::generate().unwrap();
    let mock = MockServer::start_tls(MockConfig::default(), &ca)
        .await
        .unwrap();
    mock.enable_websocket(true);
    let mut cfg = support::config("https://chatgpt.com/backend-api");
    cfg.connect_to = Some(mock.addr());
    cfg.extra_ca_pem = Some(ca.ca_pem().as_bytes().to_vec());
    let upstream = Upstream::new(cfg).unwrap();
    let token = token();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    session
        .send(br#"{"model":"gpt-6.1-sol","input":[]}"#, WsTurn::Prewarm)
        .await
        .unwrap();
    let events = until_terminal(&mut session).await;
    assert_eq!(events.last().unwrap()["type"], "response.completed");
}

/// Prewarm plus `turns` chained turns; returns the echoed texts.
async fn converse(session: &mut WsSession, turns: &[&str]) -> Vec<String> {
    let prewarm = br#"{"model":"gpt-6.1-sol","stream":true,"input":[],"store":false}"#;
    session.send(prewarm, WsTurn::Prewarm).await.unwrap();
    assert_eq!(
        until_terminal(session).await.last().unwrap()["type"],
        "response.completed"
    );
    let mut echoed = Vec::new();
    for text in turns {
        let body = serde_json::json!({"model": "gpt-6.1-sol", "stream": true, "store": false,
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]});
        session
            .send(body.to_string().as_bytes(), WsTurn::Turn)
            .await
            .unwrap();
        let events = until_terminal(session).await;
        assert_eq!(
            events.last().unwrap()["type"],
            "response.completed",
            "{events:?}"
        );
        let done = events
            .iter()
            .find(|e| {
                e["type"] == "response.output_text.done" || e["type"] == "response.output_item.done"
            })
            .unwrap();
        echoed.push(done.to_string());
    }
    echoed
}

async fn mock_with(options: WsOptions) -> MockServer {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    mock.enable_websocket(true);
    mock.set_websocket_options(options);
    mock
}

#[tokio::test]
async fn deflate_is_negotiated_and_used_both_ways_with_context_takeover() {
    let mock = mock_with(WsOptions::default()).await;
    let upstream = Upstream::new(support::config(&mock.base_url())).unwrap();
    let token = token();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    assert!(session.is_compressed());
    assert_eq!(
        session.headers()["sec-websocket-extensions"],
        "permessage-deflate"
    );
    let long = "a long repeated sentence about websockets and deflate windows ".repeat(20);
    let echoed = converse(&mut session, &[&long, &long, "third", &long]).await;
    assert!(
        echoed.iter().filter(|e| e.contains(&long)).count() == 3,
        "{echoed:?}"
    );
    let stats = mock.websocket_stats();
    assert_eq!((stats.compressed_in, stats.plain_in), (5, 0), "{stats:?}");
    assert!(stats.compressed_out >= 10, "{stats:?}");
    session.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(mock.websocket_stats().closes, 1);
}

#[tokio::test]
async fn without_deflate_frames_are_plain() {
    let mock = mock_with(WsOptions {
        deflate: None,
        ..WsOptions::default()
    })
    .await;
    let upstream = Upstream::new(support::config(&mock.base_url())).unwrap();
    let token = token();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    assert!(!session.is_compressed());
    assert!(session.headers().get("sec-websocket-extensions").is_none());
    let echoed = converse(&mut session, &["one", "two"]).await;
    assert_eq!(echoed.len(), 2);
    let stats = mock.websocket_stats();
    assert_eq!(
        (stats.compressed_in, stats.plain_in, stats.compressed_out),
        (0, 3, 0)
    );
}

#[tokio::test]
async fn negotiated_parameters_are_honoured() {
    // The server inflates with a 9-bit window and a fresh context per message, so any
    // reference past 512 bytes or into an earlier message would fail on its side.
    let mock = mock_with(WsOptions {
        deflate: Some(
            "client_no_context_takeover; server_no_context_takeover; client_max_window_bits=9; server_max_window_bits=10"
                .to_owned(),
        ),
        ..WsOptions::default()
    })
    .await;
    let upstream = Upstream::new(support::config(&mock.base_url())).unwrap();
    let token = token();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    assert!(session.is_compressed());
    let long = "0123456789abcdef-".repeat(100);
    let echoed = converse(&mut session, &[&long, &long, &long]).await;
    assert!(echoed.iter().all(|e| e.contains(&long)));
    assert_eq!(mock.websocket_stats().compressed_in, 4);
}

#[tokio::test]
async fn fragmented_answers_and_pings_are_handled() {
    let mock = mock_with(WsOptions {
        fragment: Some(7),
        ping: true,
        ..WsOptions::default()
    })
    .await;
    let upstream = Upstream::new(support::config(&mock.base_url())).unwrap();
    let token = token();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    let echoed = converse(&mut session, &["fragmented hello"]).await;
    assert!(echoed[0].contains("fragmented hello"), "{echoed:?}");
    // Our pongs are read by the server while it waits for the next message.
    session.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(mock.websocket_stats().pongs, 2);

    let plain = mock_with(WsOptions {
        deflate: None,
        fragment: Some(5),
        ping: true,
    })
    .await;
    let upstream = Upstream::new(support::config(&plain.base_url())).unwrap();
    let mut session = upstream.websocket(ws_call(&token)).await.unwrap();
    let echoed = converse(&mut session, &["plain fragments"]).await;
    assert!(echoed[0].contains("plain fragments"));
}
