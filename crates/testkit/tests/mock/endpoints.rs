//! Models, usage, accounts check, compact, request records and replay.

use codex_proxy_testkit::{MockConfig, MockServer, redact_authorization};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn models_catalog_lists_current_models() {
    let server = server().await;
    let acct = account("acct-models");
    let r = get(
        &server,
        &acct,
        "/backend-api/codex/models?client_version=0.169.0",
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let slugs: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap())
        .collect();
    for want in [
        "gpt-5.5",
        "gpt-5.4",
        "gpt-5.4-mini",
        "gpt-5.3-codex",
        "gpt-5.2",
    ] {
        assert!(slugs.contains(&want), "{want} missing from {slugs:?}");
    }
    let first = &v["models"][0];
    assert!(
        first["supported_reasoning_levels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["effort"] == "high")
    );
    assert!(first["context_window"].as_u64().unwrap() > 0);
    let r = send(server.addr(), "GET", "/backend-api/codex/models", &[], "").await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn usage_reports_windows_that_move_with_use() {
    let server = server().await;
    let acct = account("acct-usage");
    let before = get(&server, &acct, "/backend-api/wham/usage").await.json();
    assert_eq!(before["plan_type"], "plus");
    assert_eq!(before["rate_limit"]["allowed"], true);
    assert_eq!(
        before["rate_limit"]["primary_window"]["limit_window_seconds"],
        18000
    );
    assert_eq!(
        before["rate_limit"]["secondary_window"]["limit_window_seconds"],
        604800
    );
    assert!(
        before["rate_limit"]["primary_window"]["reset_at"]
            .as_u64()
            .unwrap()
            > 1_700_000_000
    );
    for _ in 0..10 {
        responses(&server, &acct, &body("x")).await;
    }
    let after = get(&server, &acct, "/backend-api/wham/usage").await.json();
    assert!(
        after["rate_limit"]["primary_window"]["used_percent"].as_u64()
            > before["rate_limit"]["primary_window"]["used_percent"].as_u64()
    );
    server.set_fault("acct-usage", "429", None);
    let limited = get(&server, &acct, "/backend-api/codex/usage").await.json();
    assert_eq!(limited["rate_limit"]["limit_reached"], true);
    assert_eq!(limited["rate_limit"]["primary_window"]["used_percent"], 100);
}

#[tokio::test]
async fn accounts_check_returns_the_routing_answer() {
    let server = server().await;
    let acct = account("acct-check");
    let v = get(&server, &acct, "/backend-api/wham/accounts/check")
        .await
        .json();
    assert_eq!(v["accounts"][0]["id"], "acct-check");
    assert_eq!(
        v["accounts"][0]["account_routing_override"],
        "NO_CONSTRAINT"
    );
    assert_eq!(
        v["accounts"][0]["workspace_backend_origin"],
        "https://chatgpt.com"
    );
    assert_eq!(v["account_ordering"], json!(["acct-check"]));
}

#[tokio::test]
async fn compact_returns_a_compaction_item() {
    let server = server().await;
    let acct = account("acct-compact");
    let b = json!({
        "model": "gpt-5.5",
        "instructions": "",
        "input": [
            { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "long history" }] },
            { "type": "message", "role": "assistant", "content": [{ "type": "output_text", "text": "ok" }] },
        ],
    });
    let r = post_json(&server, &acct, "/backend-api/codex/responses/compact", &b).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let output = v["output"].as_array().unwrap();
    let last = output.last().unwrap();
    assert_eq!(last["type"], "compaction");
    assert!(!last["encrypted_content"].as_str().unwrap().is_empty());
    assert!(output.iter().all(|i| i["role"] != "assistant"));

    let mut bad = b.clone();
    bad["max_output_tokens"] = json!(10);
    assert_eq!(
        post_json(&server, &acct, "/backend-api/codex/responses/compact", &bad)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn requests_are_recorded_with_the_bearer_redacted() {
    let dir = std::env::temp_dir().join(format!("codex-mock-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("requests.jsonl");
    let _ = std::fs::remove_file(&file);
    let server = MockServer::start(MockConfig {
        record: Some(file.clone()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let acct = account("acct-rec");
    responses(&server, &acct, &body("remember me")).await;
    let recs = server.requests();
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.path, "/backend-api/codex/responses");
    assert_eq!(rec.header("chatgpt-account-id"), Some("acct-rec"));
    let auth = rec.header("authorization").unwrap();
    assert!(!auth.contains(&acct.token));
    assert_eq!(
        auth,
        redact_authorization(&format!("Bearer {}", acct.token))
    );
    assert_eq!(
        rec.body.as_ref().unwrap()["input"][0]["content"][0]["text"],
        "remember me"
    );
    assert!(!format!("{rec:?}").contains(&acct.token));
    server.shutdown().await;

    let lines = std::fs::read_to_string(&file).unwrap();
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["path"], "/backend-api/codex/responses");
    assert!(!lines.contains(&acct.token));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn replay_serves_recorded_streams_verbatim() {
    let dir = std::env::temp_dir().join(format!("codex-mock-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_a\"}}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_a\"}}\n\n";
    let b = "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_b\"}}\n\n";
    std::fs::write(dir.join("alpha.sse"), a).unwrap();
    std::fs::write(dir.join("beta.sse"), b).unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let server = MockServer::start(MockConfig {
        replay_dir: Some(dir.clone()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let acct = account("acct-replay");
    let r = responses(&server, &acct, &body("[[replay:beta]]")).await;
    assert_eq!(r.body, b.as_bytes());
    assert!(r.header("x-codex-primary-used-percent").is_some());
    let first = responses(&server, &acct, &body("any")).await;
    let second = responses(&server, &acct, &body("any")).await;
    assert_eq!(first.body, a.as_bytes());
    assert_eq!(second.body, b.as_bytes());
    assert_eq!(
        responses(&server, &acct, &body("[[replay:gamma]]"))
            .await
            .status,
        400
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let server = server().await;
    let r = send(
        server.addr(),
        "GET",
        "/backend-api/ps/plugins/installed",
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        server.base_url(),
        format!("http://{}/backend-api", server.addr())
    );
    assert_eq!(
        server.oauth_base(),
        format!("http://{}/oauth", server.addr())
    );
}

#[tokio::test]
async fn binary_prints_its_address_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_codex-mock"))
        .args(["--port", "0", "--ttfb-ms", "1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("codex-mock listening on http://")
        .unwrap()
        .to_owned();
    let addr: std::net::SocketAddr = url.parse().unwrap();
    let r = send(addr, "GET", "/__mock/stats", &[], "").await;
    assert_eq!(r.status, 200);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
