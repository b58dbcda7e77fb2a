//! Header set and order on the raw socket, compared with the official client's captures.

use bytes::Bytes;
use codex_proxy_upstream::{Credentials, Upstream, UpstreamError};
use tokio::sync::mpsc;

use crate::support::{self, ACCOUNT, RawRequest, RawServer, TOKEN};

/// A server that records each request and answers 200 with a small body.
async fn recording_server() -> (RawServer, mpsc::UnboundedReceiver<RawRequest>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = RawServer::start(move |mut conn| {
        let tx = tx.clone();
        async move {
            while let Some(request) = conn.read_request().await {
                tx.send(request).unwrap();
                conn.respond(200, &[("content-type", "application/json")], b"{}")
                    .await;
            }
        }
    })
    .await;
    (server, rx)
}

#[tokio::test]
async fn responses_call_sends_the_official_header_set_in_order() {
    let (server, mut rx) = recording_server().await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let body = r#"{"model":"gpt-6.1-sol","stream":true}"#;
    let mut call = support::call(body);
    call.turn_state = Some("FAKE-turn-state-2");
    let mut response = upstream.responses(call).await.unwrap();
    while response.chunk().await.is_some() {}

    let request = rx.recv().await.unwrap();
    assert_eq!(
        request.request_line(),
        "POST /backend-api/codex/responses HTTP/1.1"
    );
    let sid = "01a20c79-6689-7161-acf3-d6f0d03829d3";
    let metadata = format!(
        concat!(
            "{{\"installation_id\":\"18cf63bc-fb1c-4e24-bf8c-d87a8c073517\",",
            "\"session_id\":\"{sid}\",\"thread_id\":\"{sid}\",",
            "\"turn_id\":\"01a20c79-66e6-7b52-95d2-b4a9b5032e53\",\"window_id\":\"{sid}:0\",",
            "\"window_number\":0,\"request_kind\":\"turn\",\"model\":\"gpt-6.1-sol\"}}"
        ),
        sid = sid
    );
    let expected = vec![
        "version: 0.169.0".to_owned(),
        "x-codex-beta-features: remote_compaction_v2".to_owned(),
        "x-codex-turn-state: FAKE-turn-state-2".to_owned(),
        format!("x-codex-window-id: {sid}:0"),
        format!("x-codex-turn-metadata: {metadata}"),
        "x-openai-internal-codex-responses-lite: true".to_owned(),
        "x-codex-routing-hint: model=gpt-6.1-sol".to_owned(),
        format!("x-client-request-id: {sid}"),
        format!("session-id: {sid}"),
        format!("thread-id: {sid}"),
        "accept: text/event-stream".to_owned(),
        "content-encoding: zstd".to_owned(),
        "content-type: application/json".to_owned(),
        format!("authorization: Bearer {TOKEN}"),
        format!("chatgpt-account-id: {ACCOUNT}"),
        "originator: codex_exec".to_owned(),
        "user-agent: codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
            .to_owned(),
        format!("host: 127.0.0.1:{}", server.port),
        format!("content-length: {}", request.body.len()),
    ];
    assert_eq!(request.header_lines(), expected);
    assert_eq!(
        zstd::decode_all(&request.body[..]).unwrap(),
        body.as_bytes()
    );
}

#[tokio::test]
async fn uncompressed_bodies_when_compression_is_off() {
    let (server, mut rx) = recording_server().await;
    let mut cfg = support::config(&server.base());
    cfg.compress_requests = false;
    let upstream = Upstream::new(cfg).unwrap();
    let body = r#"{"model":"gpt-6.1-sol"}"#;
    drop(upstream.responses(support::call(body)).await.unwrap());
    let request = rx.recv().await.unwrap();
    assert!(
        !request
            .header_lines()
            .iter()
            .any(|l| l.starts_with("content-encoding"))
    );
    assert!(
        request
            .header_lines()
            .contains(&format!("content-length: {}", body.len()).as_str())
    );
    assert_eq!(request.body, body.as_bytes());
}

#[tokio::test]
async fn responses_call_without_turn_state_or_account_omits_those_headers() {
    let (server, mut rx) = recording_server().await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let mut call = support::call("{}");
    call.creds.account_id = None;
    call.installation_id = None;
    drop(upstream.responses(call).await.unwrap());

    let request = rx.recv().await.unwrap();
    let names: Vec<&str> = request
        .header_lines()
        .iter()
        .filter_map(|line| line.split_once(':'))
        .map(|(n, _)| n)
        .collect();
    assert!(!names.contains(&"x-codex-turn-state"));
    assert!(!names.contains(&"chatgpt-account-id"));
    let metadata = request
        .header_lines()
        .into_iter()
        .find_map(|line| line.strip_prefix("x-codex-turn-metadata: "))
        .unwrap()
        .to_owned();
    assert!(metadata.starts_with("{\"session_id\":"), "{metadata}");
}

#[tokio::test]
async fn models_get_matches_the_captured_models_fetch() {
    let (server, mut rx) = recording_server().await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let response = upstream
        .get("/codex/models?client_version=0.169.0", &support::creds())
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], b"{}");

    let request = rx.recv().await.unwrap();
    assert_eq!(
        request.request_line(),
        "GET /backend-api/codex/models?client_version=0.169.0 HTTP/1.1"
    );
    let expected = vec![
        "version: 0.169.0".to_owned(),
        format!("authorization: Bearer {TOKEN}"),
        format!("chatgpt-account-id: {ACCOUNT}"),
        "originator: codex_exec".to_owned(),
        "user-agent: codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
            .to_owned(),
        "accept: */*".to_owned(),
        format!("host: 127.0.0.1:{}", server.port),
    ];
    assert_eq!(request.header_lines(), expected);
}

#[tokio::test]
async fn wham_get_matches_the_captured_accounts_check() {
    let (server, mut rx) = recording_server().await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    upstream
        .get("/wham/accounts/check", &support::creds())
        .await
        .unwrap();

    let request = rx.recv().await.unwrap();
    assert_eq!(
        request.request_line(),
        "GET /backend-api/wham/accounts/check HTTP/1.1"
    );
    let expected = vec![
        "user-agent: codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
            .to_owned(),
        format!("authorization: Bearer {TOKEN}"),
        format!("chatgpt-account-id: {ACCOUNT}"),
        "accept: */*".to_owned(),
        format!("host: 127.0.0.1:{}", server.port),
    ];
    assert_eq!(request.header_lines(), expected);
}

#[tokio::test]
async fn oauth_posts_match_the_captured_code_exchange_and_refresh() {
    let (server, mut rx) = recording_server().await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let url = format!("http://127.0.0.1:{}/oauth/token", server.port);

    upstream
        .post_form(
            &url,
            &[
                ("grant_type", "authorization_code"),
                ("redirect_uri", "http://a/b c"),
            ],
        )
        .await
        .unwrap();
    let form = rx.recv().await.unwrap();
    assert_eq!(form.request_line(), "POST /oauth/token HTTP/1.1");
    let body = b"grant_type=authorization_code&redirect_uri=http%3A%2F%2Fa%2Fb+c";
    let expected = vec![
        "content-type: application/x-www-form-urlencoded".to_owned(),
        "accept: */*".to_owned(),
        format!("host: 127.0.0.1:{}", server.port),
        format!("content-length: {}", body.len()),
    ];
    assert_eq!(form.header_lines(), expected);
    assert_eq!(form.body, body);

    let json = br#"{"client_id":"app_X","grant_type":"refresh_token","refresh_token":"rt"}"#;
    upstream
        .post_json(&url, Bytes::from_static(json))
        .await
        .unwrap();
    let refresh = rx.recv().await.unwrap();
    let expected = vec![
        "content-type: application/json".to_owned(),
        "originator: codex_exec".to_owned(),
        "user-agent: codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
            .to_owned(),
        "accept: */*".to_owned(),
        format!("host: 127.0.0.1:{}", server.port),
        format!("content-length: {}", json.len()),
    ];
    assert_eq!(refresh.header_lines(), expected);
    assert_eq!(refresh.body, json);
}

#[tokio::test]
async fn header_values_from_input_are_validated() {
    let upstream = Upstream::new(support::config("http://127.0.0.1:9/backend-api")).unwrap();
    let mut call = support::call("{}");
    call.session_id = "bad\r\ninjected: 1";
    let err = upstream.responses(call).await.unwrap_err();
    assert!(
        matches!(
            err,
            UpstreamError::InvalidHeader {
                name: "x-codex-window-id"
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let err = upstream
        .get("no-slash", &support::creds())
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::InvalidUrl { .. }));
    let err = upstream
        .post_form("ftp://example.invalid/x", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::InvalidUrl { .. }));
}

#[test]
fn debug_output_never_contains_the_access_token() {
    let creds = Credentials {
        access_token: TOKEN,
        account_id: Some(ACCOUNT),
    };
    let creds_debug = format!("{creds:?}");
    assert!(!creds_debug.contains(TOKEN), "{creds_debug}");
    assert!(creds_debug.contains(ACCOUNT));
    let call_debug = format!("{:?}", support::call("{\"secret\":1}"));
    assert!(!call_debug.contains(TOKEN), "{call_debug}");
    assert!(call_debug.contains("<redacted>"));
}
