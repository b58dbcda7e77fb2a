//! Heartbeats, client disconnects and graceful shutdown.

use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;

use crate::support::{Harness, next_data, sse_data, user_stream};

#[tokio::test]
async fn heartbeat_while_upstream_is_idle() {
    let h = Harness::with(&["acct-1"], |raw| raw.server.heartbeat_seconds = Some(0.05)).await;
    let r = h.chat(&user_stream("slowly [[fault:slow:300]]")).await;
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(text.contains(": ping\n\n"), "{text}");
    assert_eq!(sse_data(&text).last().map(String::as_str), Some("[DONE]"));
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_stream() {
    let h = Harness::start().await;
    let resp = h
        .chat_stream(&user_stream("a long answer [[fault:slow:500]]"))
        .await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    assert!(next_data(&mut body).await.is_some());
    drop(body);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Nothing is left in flight: the upstream response was dropped with the client's body,
    // so shutdown drains at once instead of waiting for the slow upstream to finish.
    let started = Instant::now();
    let report = h.shutdown().await;
    assert!(report.drained);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn graceful_shutdown_drains_an_inflight_stream() {
    let h = Harness::start().await;
    let addr = h.gw().local_addr();
    let resp = h
        .chat_stream(&user_stream("drain me [[fault:slow:100]]"))
        .await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let first = next_data(&mut body).await.unwrap_or_default();
    let shutdown = tokio::spawn(h.shutdown());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections while draining"
    );
    let rest = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&rest)
    );
    assert_eq!(
        sse_data(&text).last().map(String::as_str),
        Some("[DONE]"),
        "{text}"
    );
    assert!(
        crate::support::deltas(&text, "content").contains("drain me"),
        "{text}"
    );
    let report = shutdown.await.map(|r| r.drained).unwrap_or(false);
    assert!(report);
}
