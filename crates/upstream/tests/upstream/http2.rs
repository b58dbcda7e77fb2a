//! HTTP/2 (h2c prior knowledge on `http://`): requests multiplex over one shared connection.

use std::time::Duration;

use codex_proxy_upstream::Upstream;

use crate::hyper_server::HyperServer;
use crate::support;

#[tokio::test]
async fn concurrent_requests_share_one_h2_connection() {
    let server = HyperServer::plain(true, Duration::from_millis(100)).await;
    let mut cfg = support::config(&format!("http://127.0.0.1:{}/backend-api", server.port));
    cfg.http2_prior_knowledge = true;
    let upstream = Upstream::new(cfg).unwrap();

    // The first request establishes the connection; the next ones overlap on it.
    let first = upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    let authority = format!("127.0.0.1:{}", server.port);
    assert_eq!(
        std::str::from_utf8(&first.body).unwrap(),
        format!("HTTP/2.0 GET /backend-api/wham/usage {authority}")
    );
    let creds = support::creds();
    let (a, b, c) = tokio::join!(
        upstream.get("/wham/usage", &creds),
        upstream.get("/codex/models", &creds),
        upstream.responses(support::call("{}")),
    );
    a.unwrap();
    b.unwrap();
    let mut stream = c.unwrap();
    let body = stream.chunk().await.unwrap().unwrap();
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        format!("HTTP/2.0 POST /backend-api/codex/responses {authority}")
    );
    assert!(stream.chunk().await.is_none());
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn plain_http1_against_a_hyper_server() {
    let server = HyperServer::plain(false, Duration::ZERO).await;
    let upstream = Upstream::new(support::config(&format!(
        "http://127.0.0.1:{}/backend-api",
        server.port
    )))
    .unwrap();
    for _ in 0..3 {
        let response = upstream
            .get("/wham/usage", &support::creds())
            .await
            .unwrap();
        assert!(
            response
                .body
                .starts_with(b"HTTP/1.1 GET /backend-api/wham/usage")
        );
    }
    assert_eq!(server.accepted(), 1);
}
