//! The whole path against the testkit's fake backend over HTTPS + HTTP/2: zstd body accepted,
//! SSE streamed; the total timeout; the accounts check helper.

use std::time::Duration;

use codex_proxy_testkit::{JwtClaims, MockConfig, MockServer, TestCa, mint_jwt};
use codex_proxy_upstream::{Credentials, TimeoutKind, Upstream, UpstreamError};

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

#[tokio::test]
async fn official_body_compressed_over_h2_streams_a_completed_response() {
    let ca = TestCa::generate().unwrap();
    let mock = MockServer::start_tls(MockConfig::default(), &ca)
        .await
        .unwrap();
    let mut cfg = support::config("https://chatgpt.com/backend-api");
    cfg.connect_to = Some(mock.addr());
    cfg.extra_ca_pem = Some(ca.ca_pem().as_bytes().to_vec());
    let upstream = Upstream::new(cfg).unwrap();
    let token = token();
    let creds = Credentials {
        access_token: &token,
        account_id: Some(support::ACCOUNT),
    };

    let check = upstream.accounts_check(&creds).await.unwrap();
    assert!(check.account(support::ACCOUNT).is_some(), "{check:?}");

    let path = format!(
        "{}/tests/fixtures/request-body-responses-post-h2-customca-turn.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut call = support::call("");
    call.creds = creds;
    call.body = std::fs::read(path).unwrap().into();
    let mut stream = upstream.responses(call).await.unwrap();
    let mut text = Vec::new();
    while let Some(chunk) = stream.chunk().await {
        text.extend_from_slice(&chunk.unwrap());
    }
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("event: response.completed"), "{text}");

    let requests = mock.requests();
    let recorded = requests.last().unwrap();
    assert_eq!(recorded.path, "/backend-api/codex/responses");
    assert!(
        recorded
            .headers
            .contains(&("content-encoding".to_owned(), "zstd".to_owned()))
    );
    let body = recorded
        .body
        .as_ref()
        .expect("the mock decoded the zstd body");
    assert_eq!(body["model"], "gpt-6.1-sol");
}

#[tokio::test]
async fn total_timeout_ends_a_stream_that_never_goes_idle() {
    let server = RawServer::start(|mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.start_chunked().await;
            loop {
                conn.chunk(b"event: ping\ndata: {}\n\n").await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    })
    .await;
    let mut cfg = support::config(&server.base());
    cfg.total_timeout = Some(Duration::from_millis(300));
    let upstream = Upstream::new(cfg).unwrap();
    let mut stream = upstream.responses(support::call("{}")).await.unwrap();
    let err = loop {
        match stream.chunk().await {
            Some(Ok(_)) => {}
            Some(Err(err)) => break err,
            None => panic!("stream ended cleanly"),
        }
    };
    assert!(
        matches!(err, UpstreamError::Timeout(TimeoutKind::Total)),
        "{err:?}"
    );
    assert_eq!(err.label(), "timeout_total");
}
