//! Fault markers, per-account faults, pacing and stats.

use std::time::{Duration, Instant};

use codex_proxy_testkit::{MockConfig, MockServer};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn http_fault_markers_answer_like_the_real_backend() {
    let server = server().await;
    let acct = account("acct-faults");
    let r = responses(&server, &acct, &body("[[fault:429]]")).await;
    assert_eq!(r.status, 429);
    let v = r.json();
    assert_eq!(v["error"]["type"], "usage_limit_reached");
    assert!(v["error"]["resets_in_seconds"].as_u64().unwrap() > 0);
    assert!(v["error"]["resets_at"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(v["error"]["plan_type"], "plus");
    assert_eq!(r.header("x-codex-primary-used-percent"), Some("100"));

    let r = responses(&server, &acct, &body("[[fault:401]]")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "token_expired");

    let r = responses(&server, &acct, &body("[[fault:402]]")).await;
    assert_eq!(r.status, 402);
    assert_eq!(r.json()["error"]["code"], "quota_exhausted");

    let r = responses(&server, &acct, &body("[[fault:403-ban]]")).await;
    assert_eq!(r.status, 403);
    assert!(r.header("cf-mitigated").is_none());
    assert_eq!(r.json()["error"]["code"], "account_banned");

    let r = responses(&server, &acct, &body("[[fault:403-cf]]")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("cf-mitigated"), Some("challenge"));
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("Just a moment"));

    let r = responses(&server, &acct, &body("[[fault:500]]")).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["code"], "server_error");

    let stats = server.stats();
    assert_eq!(stats.by_fault["429"], 1);
    assert_eq!(stats.by_account["acct-faults"].faults["403-cf"], 1);
    assert_eq!(stats.by_account["acct-faults"].requests, 6);
}

#[tokio::test]
async fn in_stream_fault_markers() {
    let server = server().await;
    let acct = account("acct-stream-faults");

    let r = responses(&server, &acct, &body("[[fault:overloaded]]")).await;
    assert_eq!(r.status, 200);
    let events = r.events();
    let (name, last) = events.last().unwrap();
    assert_eq!(name, "response.failed");
    assert_eq!(last["response"]["error"]["code"], "server_is_overloaded");
    assert_eq!(last["response"]["status"], "failed");

    let events = responses(&server, &acct, &body("[[fault:error-event]]"))
        .await
        .events();
    let n = names(&events);
    assert_eq!(
        n,
        [
            "response.created",
            "response.in_progress",
            "error",
            "response.failed"
        ]
    );
    assert_eq!(events[2].1["error"]["code"], "server_error");

    let events = responses(
        &server,
        &acct,
        &body("[[fault:incomplete]] a longer text to cut"),
    )
    .await
    .events();
    let (name, last) = events.last().unwrap();
    assert_eq!(name, "response.incomplete");
    assert_eq!(last["response"]["status"], "incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
    let text = deltas(&events, "response.output_text.delta");
    assert!("echo: [[fault:incomplete]] a longer text to cut".starts_with(&text));
    assert!(text.len() < 30);

    let r = responses(&server, &acct, &body("[[fault:cut:3]]")).await;
    assert_eq!(r.status, 200);
    assert!(r.body_error, "a cut stream must end with a transport error");
    let events = r.events();
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|(n, _)| !n.starts_with("response.completed") && n != "response.failed")
    );
}

#[tokio::test]
async fn slow_marker_and_config_pacing_delay_the_stream() {
    let server = server().await;
    let acct = account("acct-slow");
    let started = Instant::now();
    let r = responses(&server, &acct, &body("[[fault:slow:20]] hi")).await;
    let events = r.events();
    assert!(started.elapsed() >= Duration::from_millis(20 * (events.len() as u64 - 1)));

    let paced = MockServer::start(MockConfig {
        ttfb: Duration::from_millis(150),
        delay: Duration::from_millis(5),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let started = Instant::now();
    let r = responses(&paced, &acct, &body("hi")).await;
    let n = r.events().len() as u64;
    assert!(started.elapsed() >= Duration::from_millis(150 + 5 * (n - 1)));
    paced.shutdown().await;
}

#[tokio::test]
async fn per_account_faults_fail_one_account_while_others_are_served() {
    let server = server().await;
    let sick = account("acct-sick");
    let well = account("acct-well");
    let set = json!({ "account_id": "acct-sick", "fault": "429", "times": 2 });
    let r = send(
        server.addr(),
        "POST",
        "/__mock/faults",
        &[("content-type", "application/json")],
        set.to_string(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(responses(&server, &sick, &body("a")).await.status, 429);
    assert_eq!(responses(&server, &well, &body("a")).await.status, 200);
    assert_eq!(responses(&server, &sick, &body("a")).await.status, 429);
    assert_eq!(responses(&server, &sick, &body("a")).await.status, 200);

    // Until cleared.
    server.set_fault("acct-sick", "403-ban", None);
    for _ in 0..3 {
        assert_eq!(responses(&server, &sick, &body("a")).await.status, 403);
    }
    let r = send(server.addr(), "DELETE", "/__mock/faults", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(responses(&server, &sick, &body("a")).await.status, 200);

    server.set_fault("acct-sick", "cut:1", Some(1));
    assert!(responses(&server, &sick, &body("a")).await.body_error);
    server.set_fault("acct-sick", "overloaded", None);
    server.clear_faults();
    assert_eq!(
        responses(&server, &sick, &body("a"))
            .await
            .events()
            .last()
            .unwrap()
            .0,
        "response.completed"
    );

    let bad = json!({ "account_id": "x", "fault": "nonsense" });
    let r = send(
        server.addr(),
        "POST",
        "/__mock/faults",
        &[],
        bad.to_string(),
    )
    .await;
    assert_eq!(r.status, 400);

    let stats = send(server.addr(), "GET", "/__mock/stats", &[], "")
        .await
        .json();
    assert_eq!(stats["by_account"]["acct-sick"]["faults"]["429"], 2);
    assert_eq!(stats["by_account"]["acct-sick"]["faults"]["403-ban"], 3);
    assert_eq!(stats["by_account"]["acct-well"]["requests"], 1);
    assert!(
        stats["by_account"]["acct-well"]["faults"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    assert_eq!(stats["by_fault"]["cut"], 1);
    assert!(stats["by_route"]["responses"].as_u64().unwrap() >= 10);
    assert_eq!(server.stats().by_account["acct-sick"].requests, 9);
}
