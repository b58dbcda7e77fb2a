//! Connect, first-byte and idle timeouts; connect failures.

use std::time::Duration;

use codex_proxy_upstream::{TimeoutKind, Upstream, UpstreamError};
use tokio::net::TcpListener;

use crate::support::{self, RawServer};

#[tokio::test]
async fn connect_timeout_covers_the_tls_handshake() {
    // Accepts TCP but never answers the ClientHello.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let mut cfg = support::config(&format!("https://127.0.0.1:{port}/backend-api"));
    cfg.connect_timeout = Duration::from_millis(200);
    let upstream = Upstream::new(cfg).unwrap();
    let err = upstream.responses(support::call("{}")).await.unwrap_err();
    assert!(
        matches!(err, UpstreamError::Timeout(TimeoutKind::Connect)),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(err.is_retryable());
    assert!(!err.is_account_fault());
    assert_eq!(err.label(), "timeout_connect");
}

#[tokio::test]
async fn refused_connection_is_a_retryable_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let upstream = Upstream::new(support::config(&format!(
        "http://127.0.0.1:{port}/backend-api"
    )))
    .unwrap();
    let err = upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.label(), "connect");
}

#[tokio::test]
async fn first_byte_timeout_when_the_head_never_comes() {
    let server = RawServer::start(|mut conn| async move {
        conn.read_request().await.unwrap();
        conn.closed_within(Duration::from_secs(10)).await;
    })
    .await;
    let mut cfg = support::config(&server.base());
    cfg.first_byte_timeout = Duration::from_millis(200);
    let upstream = Upstream::new(cfg).unwrap();
    let err = upstream.responses(support::call("{}")).await.unwrap_err();
    assert!(
        matches!(err, UpstreamError::Timeout(TimeoutKind::FirstByte)),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.label(), "timeout_first_byte");
}

#[tokio::test]
async fn idle_timeout_between_chunks_but_no_total_timeout() {
    let server = RawServer::start(|mut conn| async move {
        conn.read_request().await.unwrap();
        conn.start_chunked().await;
        // Steady chunks well inside the idle timeout, for longer than the idle timeout.
        for _ in 0..4 {
            conn.chunk(b"data: tick\n\n").await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        conn.closed_within(Duration::from_secs(10)).await;
    })
    .await;
    let mut cfg = support::config(&server.base());
    cfg.idle_timeout = Duration::from_millis(250);
    let upstream = Upstream::new(cfg).unwrap();
    let mut response = upstream.responses(support::call("{}")).await.unwrap();
    for _ in 0..4 {
        assert_eq!(
            &response.chunk().await.unwrap().unwrap()[..],
            b"data: tick\n\n"
        );
    }
    let err = response.chunk().await.unwrap().unwrap_err();
    assert!(
        matches!(err, UpstreamError::Timeout(TimeoutKind::Idle)),
        "{err:?}"
    );
    assert_eq!(err.label(), "timeout_idle");
    assert!(
        response.chunk().await.is_none(),
        "the stream ends after an error"
    );
}

#[tokio::test]
async fn idle_timeout_applies_to_buffered_bodies() {
    let server = RawServer::start(|mut conn| async move {
        conn.read_request().await.unwrap();
        conn.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345")
            .await;
        conn.closed_within(Duration::from_secs(10)).await;
    })
    .await;
    let mut cfg = support::config(&server.base());
    cfg.idle_timeout = Duration::from_millis(200);
    let upstream = Upstream::new(cfg).unwrap();
    let err = upstream
        .get("/codex/models", &support::creds())
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::Timeout(TimeoutKind::Idle)),
        "{err:?}"
    );
}
