//! Configuration hot reload end to end: a reload source like the binary's (embedded defaults +
//! test settings + `<data-dir>/local.yaml`), file edits picked up by the polling task, the
//! settings routes that write `local.yaml`, invalid edits refused with the key named, and
//! settings that need a restart reported as such.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use codex_proxy_gateway::{
    ConfigError, Gateway, GatewayConfig, RawConfig, ReloadSource, local_yaml,
};
use codex_proxy_testkit::{MockConfig, MockServer, mint_jwt};
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::support::{Harness, KEY, claims, user};

/// A gateway whose reload source layers `local.yaml` over the test settings, polled every
/// 100 ms. Returns the harness and the `local.yaml` path.
async fn start() -> (Harness, PathBuf) {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut raw = GatewayConfig::embedded_raw().expect("embedded config parses");
    raw.server.host = Some("127.0.0.1".to_owned());
    raw.server.port = Some(0);
    raw.server.proxy_api_key = Some(KEY.to_owned());
    raw.server.shutdown_drain_seconds = Some(5.0);
    raw.server.config_poll_seconds = Some(0.1);
    raw.api.base_url = Some(mock.base_url());
    raw.api.compress_requests = Some(false);
    raw.ollama.port = Some(0);
    let local = dir.path().join("local.yaml");
    let config = load(&raw, &local).expect("config valid");
    let gw = Gateway::start(config, dir.path())
        .await
        .expect("gateway starts");
    gw.pool()
        .add_tokens(
            Some(&mint_jwt(&claims("acct-1"))),
            None,
            Some("acct-1"),
            SystemTime::now(),
        )
        .expect("account added");
    let path = local.clone();
    assert!(
        gw.watch_config(ReloadSource::new(vec![local.clone()], move || {
            load(&raw, &path)
        }))
    );
    let h = Harness {
        mock,
        gw: Some(gw),
        _dir: dir,
    };
    (h, local)
}

fn load(base: &RawConfig, local: &std::path::Path) -> Result<GatewayConfig, ConfigError> {
    let raw = match std::fs::read_to_string(local) {
        Ok(text) => local_yaml::merge_layer(base, &text, "local.yaml")?,
        Err(_) => base.clone(),
    };
    GatewayConfig::from_raw(raw)
}

/// Polls `f` for up to five seconds.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}

async fn post(h: &Harness, path: &str, body: &Value) -> crate::support::Reply {
    let bytes = Bytes::from(serde_json::to_vec(body).expect("json"));
    h.request("POST", path, Some(KEY), Some(bytes)).await
}

/// `GET /api/version` on the bridge; `None` when nothing answers.
async fn bridge_version(addr: SocketAddr) -> Option<Value> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    let req = http::Request::get("/api/version")
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .ok()?;
    let resp = sender.send_request(req).await.ok()?;
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    serde_json::from_slice(&body).ok()
}

#[tokio::test]
async fn editing_local_yaml_starts_and_stops_the_ollama_bridge() {
    let (h, local) = start().await;
    assert!(h.gw().ollama_addr().is_none());
    std::fs::write(&local, "ollama:\n  enabled: true\n").expect("write local.yaml");
    assert!(
        eventually(|| h.gw().ollama_addr().is_some()).await,
        "bridge started after the edit"
    );
    let addr = h.gw().ollama_addr().expect("bridge address");
    let version = bridge_version(addr).await.expect("bridge answers");
    assert_eq!(version["version"], "0.18.3");
    std::fs::write(&local, "ollama:\n  enabled: false\n").expect("write local.yaml");
    assert!(
        eventually(|| h.gw().ollama_addr().is_none()).await,
        "bridge stopped after the edit"
    );
    assert!(bridge_version(addr).await.is_none(), "port closed");
    h.shutdown().await;
}

#[tokio::test]
async fn ollama_settings_route_persists_and_toggles_the_bridge() {
    let (h, local) = start().await;
    let denied = h
        .request(
            "POST",
            "/admin/ollama-settings",
            None,
            Some(Bytes::from_static(b"{\"enabled\":true}")),
        )
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);

    let on = post(
        &h,
        "/admin/ollama-settings",
        &json!({ "enabled": true, "disable_vision": true }),
    )
    .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text());
    let v = on.json();
    assert_eq!(v["running"], true);
    assert_eq!(v["disable_vision"], true);
    assert!(
        v["reload"]["applied"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("ollama")))
    );
    let addr = h.gw().ollama_addr().expect("bridge running");
    assert!(bridge_version(addr).await.is_some());
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&local).expect("local.yaml written"))
            .expect("yaml");
    assert_eq!(doc["ollama"]["enabled"].as_bool(), Some(true));
    assert_eq!(doc["ollama"]["disable_vision"].as_bool(), Some(true));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&local)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let got = h.get("/admin/ollama-settings").await;
    assert_eq!(got.json()["enabled"], true);

    let off = post(&h, "/admin/ollama-settings", &json!({ "enabled": false })).await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(off.json()["running"], false);
    assert!(h.gw().ollama_addr().is_none());
    assert!(bridge_version(addr).await.is_none());
    let bad = post(&h, "/admin/ollama-settings", &json!({ "enabled": "yes" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    h.shutdown().await;
}

#[tokio::test]
async fn alias_change_is_live_for_the_next_request() {
    let (h, local) = start().await;
    let mut body = user("hi");
    body["model"] = json!("my-team-model");
    let before = h.chat(&body).await;
    assert_ne!(
        before.status,
        StatusCode::OK,
        "unknown name before the alias"
    );

    let set = post(
        &h,
        "/admin/model-settings",
        &json!({ "aliases": { "my-team-model": "gpt-5.5" }, "default_reasoning_effort": "high" }),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    assert_eq!(set.json()["aliases"]["my-team-model"], "gpt-5.5");
    assert_eq!(set.json()["default_reasoning_effort"], "high");
    let text = std::fs::read_to_string(&local).expect("local.yaml");
    assert!(text.contains("my-team-model"), "{text}");

    let after = h.chat(&body).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text());
    let sent = h
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/codex/responses"))
        .and_then(|r| r.body)
        .expect("upstream body");
    assert_eq!(sent["model"], "gpt-5.5");
    assert_eq!(sent["reasoning"]["effort"], "high");

    // A hand edit of the same file, reloaded on demand: the alias now points elsewhere.
    std::fs::write(&local, "model:\n  aliases:\n    my-team-model: gpt-5.4\n").expect("write");
    let report = post(&h, "/admin/reload", &json!({})).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    assert!(h.chat(&body).await.status == StatusCode::OK);
    let sent = h
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/codex/responses"))
        .and_then(|r| r.body)
        .expect("upstream body");
    assert_eq!(sent["model"], "gpt-5.4");
    h.shutdown().await;
}

#[tokio::test]
async fn invalid_edit_keeps_the_running_config_and_names_the_key() {
    let (h, local) = start().await;
    std::fs::write(&local, "model:\n  default_reasoning_effort: bogus\n").expect("write");
    let reply = post(&h, "/admin/reload", &json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("model.default_reasoning_effort"),
        "{}",
        reply.text()
    );
    // The poller sees the same invalid file and keeps the old config too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.gw().config().model.default_reasoning_effort, None);
    assert_eq!(h.chat(&user("still fine")).await.status, StatusCode::OK);

    // Through the settings route the file is restored.
    std::fs::write(&local, "model:\n  default: gpt-5.4\n").expect("write");
    let refused = post(
        &h,
        "/admin/model-settings",
        &json!({ "default_reasoning_effort": "bogus" }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text().contains("model.default_reasoning_effort"));
    let text = std::fs::read_to_string(&local).expect("local.yaml");
    assert!(!text.contains("bogus"), "file restored: {text}");
    h.shutdown().await;
}

#[tokio::test]
async fn host_and_port_changes_need_a_restart() {
    let (h, local) = start().await;
    let addr = h.gw().local_addr();
    std::fs::write(&local, "server:\n  port: 1\n  heartbeat_seconds: 3\n").expect("write");
    let reply = post(&h, "/admin/reload", &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["restart_required"], json!(["server.port"]));
    assert!(
        v["applied"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("server.heartbeat_seconds")))
    );
    assert_eq!(
        h.gw().local_addr(),
        addr,
        "still listening where it started"
    );
    assert_eq!(h.get("/health").await.status, StatusCode::OK);

    // The direct API reports the same, and a changed proxy key is live at once.
    let mut cfg = (*h.gw().config()).clone();
    cfg.server.host = "0.0.0.0".to_owned();
    cfg.server.proxy_api_key = Some(codex_proxy_gateway::ProxyApiKey::new("cpk-new").expect("key"));
    let report = h.gw().reload(cfg).await;
    assert!(report.restart_required.contains(&"server.host"));
    assert!(report.applied.contains(&"server.proxy_api_key"));
    let body = Bytes::from(serde_json::to_vec(&user("hi")).expect("json"));
    let old_key = h
        .request(
            "POST",
            "/v1/chat/completions",
            Some(KEY),
            Some(body.clone()),
        )
        .await;
    assert_eq!(old_key.status, StatusCode::UNAUTHORIZED);
    let new_key = h
        .request("POST", "/v1/chat/completions", Some("cpk-new"), Some(body))
        .await;
    assert_eq!(new_key.status, StatusCode::OK, "{}", new_key.text());
    h.shutdown().await;
}

#[tokio::test]
async fn rotation_settings_persist_to_local_yaml() {
    let (h, local) = start().await;
    let reply = post(
        &h,
        "/admin/rotation-settings",
        &json!({ "rotation_strategy": "round_robin" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = std::fs::read_to_string(&local).expect("local.yaml");
    assert!(text.contains("rotation_strategy: round_robin"), "{text}");
    assert_eq!(
        h.gw().config().accounts.strategy.as_str(),
        "round_robin",
        "the live config follows"
    );
    // A later unrelated edit keeps the persisted strategy.
    std::fs::write(&local, format!("{text}ollama:\n  disable_vision: true\n")).expect("write");
    assert!(eventually(|| h.gw().config().ollama.disable_vision).await);
    assert_eq!(h.gw().pool().strategy().as_str(), "round_robin");
    h.shutdown().await;
}
