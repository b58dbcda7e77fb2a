//! The WebSocket responses transport against the testkit (prewarm, chained turns, 426
//! fallback) and its upgrade request against the captured header order.

use codex_proxy_testkit::{JwtClaims, MockConfig, MockServer, mint_jwt};
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
    assert!(events.iter().any(|e| e["delta"] == "echo: hi there"));
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
        // Not offered: we cannot inflate permessage-deflate frames (docs/transport.md).
        .filter(|n| n != "sec-websocket-extensions")
        .collect();
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
