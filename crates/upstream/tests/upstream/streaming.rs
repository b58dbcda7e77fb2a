//! Streaming bodies: chunks arrive as the server writes them; dropping mid-body cancels.

use std::sync::Arc;
use std::time::Duration;

use codex_proxy_upstream::Upstream;
use tokio::sync::{Notify, oneshot};

use crate::support::{self, RawServer};

#[tokio::test]
async fn chunks_arrive_incrementally() {
    let release = Arc::new(Notify::new());
    let gate = Arc::clone(&release);
    let server = RawServer::start(move |mut conn| {
        let gate = Arc::clone(&gate);
        async move {
            conn.read_request().await.unwrap();
            conn.start_chunked().await;
            conn.chunk(b"event: response.created\ndata: {}\n\n").await;
            // The second chunk is only written once the client has seen the first.
            gate.notified().await;
            conn.chunk(b"event: response.completed\ndata: {}\n\n").await;
            conn.end_chunked().await;
        }
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let mut response = upstream.responses(support::call("{}")).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.headers["content-type"], "text/event-stream");

    let first = response.chunk().await.unwrap().unwrap();
    assert_eq!(&first[..], b"event: response.created\ndata: {}\n\n");
    release.notify_one();
    let second = response.chunk().await.unwrap().unwrap();
    assert_eq!(&second[..], b"event: response.completed\ndata: {}\n\n");
    assert!(response.chunk().await.is_none());
    assert!(response.chunk().await.is_none(), "end of body is sticky");
}

#[tokio::test]
async fn dropping_mid_body_closes_the_connection() {
    let (closed_tx, closed_rx) = oneshot::channel();
    let closed_tx = Arc::new(std::sync::Mutex::new(Some(closed_tx)));
    let server = RawServer::start(move |mut conn| {
        let closed_tx = Arc::clone(&closed_tx);
        async move {
            conn.read_request().await.unwrap();
            conn.start_chunked().await;
            conn.chunk(b"data: 1\n\n").await;
            let closed = conn.closed_within(Duration::from_secs(5)).await;
            if let Some(tx) = closed_tx.lock().unwrap().take() {
                tx.send(closed).unwrap();
            }
        }
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let mut response = upstream.responses(support::call("{}")).await.unwrap();
    assert_eq!(
        &response.chunk().await.unwrap().unwrap()[..],
        b"data: 1\n\n"
    );
    drop(response);
    assert!(
        closed_rx.await.unwrap(),
        "server saw the client close the socket"
    );
}

#[tokio::test]
async fn rate_limit_and_turn_state_headers_are_exposed() {
    let server = support::fixed_server(
        200,
        &[
            ("x-codex-primary-used-percent", "42.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-turn-state", "FAKE-turn-state-1"),
        ],
        bytes::Bytes::from_static(b"data: [DONE]\n\n"),
    )
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let response = upstream.responses(support::call("{}")).await.unwrap();
    assert_eq!(response.turn_state(), Some("FAKE-turn-state-1"));
    let limits = response.rate_limits().unwrap();
    let primary = limits.codex.primary.unwrap();
    assert_eq!(primary.used_percent, 42.5);
    assert_eq!(primary.window_minutes, Some(300));
}
