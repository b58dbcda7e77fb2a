//! Connection reuse, expiry, and transparent replacement of dead idle connections.

use std::time::Duration;

use bytes::Bytes;
use codex_proxy_upstream::Upstream;

use crate::support::{self, RawServer};

#[tokio::test]
async fn sequential_requests_share_one_connection() {
    let server = support::fixed_server(200, &[], Bytes::from_static(b"data: x\n\n")).await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    for _ in 0..2 {
        let mut response = upstream.responses(support::call("{}")).await.unwrap();
        while let Some(chunk) = response.chunk().await {
            chunk.unwrap();
        }
    }
    for _ in 0..2 {
        upstream
            .get("/wham/usage", &support::creds())
            .await
            .unwrap();
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn clones_share_the_pool() {
    let server = support::fixed_server(200, &[], Bytes::from_static(b"{}")).await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let clone = upstream.clone();
    upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    clone.get("/wham/usage", &support::creds()).await.unwrap();
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn abandoned_body_is_not_reused() {
    let server = RawServer::start(|mut conn| async move {
        while conn.read_request().await.is_some() {
            conn.start_chunked().await;
            conn.chunk(b"data: 1\n\n").await;
            if conn.closed_within(Duration::from_millis(300)).await {
                return;
            }
            conn.end_chunked().await;
        }
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let mut first = upstream.responses(support::call("{}")).await.unwrap();
    first.chunk().await.unwrap().unwrap();
    drop(first);
    let mut second = upstream.responses(support::call("{}")).await.unwrap();
    second.chunk().await.unwrap().unwrap();
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn connection_closed_by_the_server_while_idle_is_replaced() {
    // Answers one request per connection, then closes it without saying so.
    let server = RawServer::start(|mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.respond(200, &[], b"{\"ok\":true}").await;
        }
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let first = upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    assert_eq!(&first.body[..], b"{\"ok\":true}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    assert_eq!(&second.body[..], b"{\"ok\":true}");
    let mut stream = upstream.responses(support::call("{}")).await.unwrap();
    assert_eq!(
        &stream.chunk().await.unwrap().unwrap()[..],
        b"{\"ok\":true}"
    );
    assert_eq!(server.accepted(), 3);
}

#[tokio::test]
async fn idle_connections_expire() {
    let server = support::fixed_server(200, &[], Bytes::from_static(b"{}")).await;
    let mut cfg = support::config(&server.base());
    cfg.pool_idle_timeout = Duration::from_millis(50);
    let upstream = Upstream::new(cfg).unwrap();
    upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn max_idle_per_host_zero_disables_reuse() {
    let server = support::fixed_server(200, &[], Bytes::from_static(b"{}")).await;
    let mut cfg = support::config(&server.base());
    cfg.max_idle_per_host = 0;
    let upstream = Upstream::new(cfg).unwrap();
    upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap();
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn error_bodies_read_to_the_end_keep_the_connection() {
    let server = support::fixed_server(404, &[], Bytes::from_static(b"{\"detail\":\"no\"}")).await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    for _ in 0..2 {
        let err = upstream
            .get("/wham/usage", &support::creds())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(404));
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn connection_closed_by_the_server_as_the_request_arrives_is_replaced() {
    // Answers the first request of each connection; closes it as soon as a second arrives,
    // like a server whose keep-alive timer fired while the client was writing.
    let server = RawServer::start(|mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.respond(200, &[], b"{\"ok\":true}").await;
            conn.read_request().await;
        }
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    for _ in 0..5 {
        let response = upstream
            .get("/wham/usage", &support::creds())
            .await
            .unwrap();
        assert_eq!(&response.body[..], b"{\"ok\":true}");
    }
    let mut stream = upstream.responses(support::call("{}")).await.unwrap();
    assert_eq!(
        &stream.chunk().await.unwrap().unwrap()[..],
        b"{\"ok\":true}"
    );
    assert_eq!(server.accepted(), 6);
}
