//! Issue-6 wiring: cookie jar, workspace routing check and override, per-account proxies,
//! the fingerprint updater, the WebSocket responses transport and a TLS backend.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use codex_proxy_gateway::{Gateway, GatewayConfig, RawConfig};
use codex_proxy_testkit::proxy::{ProxyProtocol, TestProxy};
use codex_proxy_testkit::{MockConfig, MockServer, TestCa, mint_jwt};
use serde_json::{Value, json};

use crate::support::{Harness, KEY, claims, sse_data, user};

async fn harness(
    mock: MockServer,
    accounts: &[&str],
    tweak: impl FnOnce(&mut RawConfig),
) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut raw = GatewayConfig::embedded_raw().expect("embedded config parses");
    raw.server.host = Some("127.0.0.1".to_owned());
    raw.server.port = Some(0);
    raw.server.proxy_api_key = Some(KEY.to_owned());
    raw.server.shutdown_drain_seconds = Some(5.0);
    raw.api.base_url = Some(mock.base_url());
    raw.api.compress_requests = Some(false);
    raw.auth.oauth_token_endpoint = Some(format!("{}/token", mock.oauth_base()));
    raw.auth.oauth_auth_endpoint = Some(format!("{}/authorize", mock.oauth_base()));
    tweak(&mut raw);
    let config = GatewayConfig::from_raw(raw).expect("config valid");
    let gw = Gateway::start(config, dir.path())
        .await
        .expect("gateway starts");
    for account in accounts {
        let jwt = mint_jwt(&claims(account));
        gw.pool()
            .add_tokens(Some(&jwt), None, Some(account), SystemTime::now())
            .expect("account added");
    }
    Harness {
        mock,
        gw: Some(gw),
        _dir: dir,
    }
}

fn model_calls(h: &Harness) -> Vec<codex_proxy_testkit::RecordedRequest> {
    h.mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/codex/responses"))
        .collect()
}

#[tokio::test]
async fn cf_clearance_is_kept_persisted_and_replayed() {
    let mock = MockServer::start(MockConfig {
        set_cookie: Some("cf_clearance=clear-1; Max-Age=3600; Path=/; Secure".to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let h = harness(mock, &["acct-1"], |_| {}).await;
    let r = h.chat(&user("one")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = h.gw().pool().list().expect("list")[0].id.clone();
    let cookies = h
        .gw()
        .pool()
        .cookies(&id, SystemTime::now())
        .expect("cookies");
    assert_eq!(cookies.len(), 1);
    assert_eq!(
        (cookies[0].name.as_str(), cookies[0].value.as_str()),
        ("cf_clearance", "clear-1")
    );
    let r = h.chat(&user("two")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let calls = model_calls(&h);
    assert_eq!(calls.len(), 2);
    // The first model call came right after the accounts check had set the cookie.
    assert_eq!(calls[1].header("cookie"), Some("cf_clearance=clear-1"));
    // The accounts check runs once per account, before its first model call.
    assert_eq!(
        h.mock.stats().by_route.get("accounts_check").copied(),
        Some(1)
    );
    let order: Vec<String> = h.mock.requests().iter().map(|r| r.path.clone()).collect();
    let check = order
        .iter()
        .position(|p| p.ends_with("/wham/accounts/check"));
    let first_call = order.iter().position(|p| p.ends_with("/codex/responses"));
    assert!(check < first_call, "{order:?}");
}

#[tokio::test]
async fn workspace_region_is_sent_as_the_routing_override() {
    let mock = MockServer::start(MockConfig {
        routing_override: Some("us".to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let h = harness(mock, &["acct-1"], |_| {}).await;
    let r = h.chat(&user("hi")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let calls = model_calls(&h);
    assert_eq!(
        calls[0].header("x-openai-account-routing-override"),
        Some("us")
    );
    // NO_CONSTRAINT (the default answer) sends nothing.
    let h = harness(
        MockServer::start(MockConfig::default())
            .await
            .expect("mock"),
        &["acct-1"],
        |_| {},
    )
    .await;
    h.chat(&user("hi")).await;
    assert_eq!(
        model_calls(&h)[0].header("x-openai-account-routing-override"),
        None
    );
}

async fn set_proxy(h: &Harness, id: &str, proxy: Value) -> crate::support::Reply {
    let body = Bytes::from(serde_json::to_vec(&json!({ "proxy": proxy })).expect("json"));
    h.request(
        "POST",
        &format!("/auth/accounts/{id}/proxy"),
        Some(KEY),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn account_proxies_tunnel_connect_and_socks5() {
    let h = harness(
        MockServer::start(MockConfig::default())
            .await
            .expect("mock"),
        &["acct-1"],
        |_| {},
    )
    .await;
    let id = h.gw().pool().list().expect("list")[0]
        .id
        .as_str()
        .to_owned();
    let connect = TestProxy::start(ProxyProtocol::HttpConnect, Some(("u", "pw")), None)
        .await
        .expect("proxy");
    let r = set_proxy(&h, &id, json!(connect.url())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let shown = r.json()["proxy"].as_str().unwrap_or_default().to_owned();
    assert!(shown.contains("u:***@") && !shown.contains("pw"), "{shown}");
    let r = h.chat(&user("via connect")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let target = h.mock.addr().to_string();
    let tunnels = connect.targets();
    assert!(
        !tunnels.is_empty() && tunnels.iter().all(|t| *t == target),
        "{tunnels:?}"
    );

    let socks = TestProxy::start(ProxyProtocol::Socks5, Some(("s", "pw2")), None)
        .await
        .expect("proxy");
    assert_eq!(set_proxy(&h, &id, json!(socks.url())).await.status, 200);
    let r = h.chat(&user("via socks")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(socks.targets(), vec![target.clone()]);
    let before = connect.targets().len();

    let r = h.get(&format!("/auth/accounts/{id}/proxy")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["proxy"],
        json!(format!("socks5://s:***@{}", socks.addr()))
    );
    assert_eq!(set_proxy(&h, &id, json!("ftp://nope")).await.status, 400);
    assert_eq!(set_proxy(&h, &id, Value::Null).await.status, 200);
    let r = h.chat(&user("direct")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(connect.targets().len(), before);
    assert_eq!(socks.targets().len(), 1, "cleared proxy is no longer used");
    assert_eq!(set_proxy(&h, "missing", Value::Null).await.status, 404);
}

const FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle">
<channel><title>Codex</title>
<item><title>26.305.1</title>
<enclosure url="https://example.invalid/Codex.zip" sparkle:version="2345" sparkle:shortVersionString="26.305.1" length="1" type="application/octet-stream"/>
</item></channel></rss>"#;

#[tokio::test]
async fn updater_applies_the_appcast_at_runtime_and_persists_it() {
    let mock = MockServer::start(MockConfig {
        appcast: Some(FEED.to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let feed = format!("http://{}/__mock/appcast", mock.addr());
    let h = harness(mock, &["acct-1"], |raw| {
        raw.update.auto_update = Some(true);
        raw.update.sparkle_feed_url = Some(feed);
    })
    .await;
    let state_file = h._dir.path().join("fingerprint-state.json");
    let mut waited = Duration::ZERO;
    while !state_file.exists() && waited < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&state_file).expect("state persisted"))
            .expect("json");
    assert_eq!(saved["app_version"], "26.305.1");
    assert_eq!(saved["build_number"], "2345");
    let r = h.chat(&user("after update")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let call = &model_calls(&h)[0];
    assert_eq!(call.header("version"), Some("26.305.1"));
    assert!(
        call.header("user-agent")
            .unwrap_or_default()
            .starts_with("codex_exec/26.305.1 "),
        "{:?}",
        call.header("user-agent")
    );
}

#[tokio::test]
async fn client_overrides_shape_the_profile() {
    let h = harness(
        MockServer::start(MockConfig::default())
            .await
            .expect("mock"),
        &["acct-1"],
        |raw| {
            raw.client.app_version = Some("0.170.0".to_owned());
            raw.client.originator = Some("codex_cli_rs".to_owned());
        },
    )
    .await;
    h.chat(&user("hi")).await;
    let call = &model_calls(&h)[0];
    assert_eq!(call.header("version"), Some("0.170.0"));
    assert_eq!(call.header("originator"), Some("codex_cli_rs"));
    assert!(
        call.header("user-agent")
            .unwrap_or_default()
            .starts_with("codex_cli_rs/0.170.0 (")
    );
}

async fn responses(h: &Harness, body: &Value) -> crate::support::Reply {
    let bytes = Bytes::from(serde_json::to_vec(body).expect("json"));
    h.request("POST", "/v1/responses", Some(KEY), Some(bytes))
        .await
}

fn completed_id(sse: &str) -> String {
    sse_data(sse)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .find(|v| v["type"] == "response.completed")
        .and_then(|v| v["response"]["id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn previous_response_id_continues_on_the_owning_socket() {
    let h = harness(
        MockServer::start(MockConfig::default())
            .await
            .expect("mock"),
        &["acct-1"],
        |_| {},
    )
    .await;
    h.mock.enable_websocket(true);
    let r = responses(
        &h,
        &json!({"model": "gpt-5.4", "input": "first", "stream": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("echo: first"), "{}", r.text());
    let first = completed_id(&r.text());
    assert!(!first.is_empty(), "{}", r.text());
    let r = responses(
        &h,
        &json!({"model": "gpt-5.4", "input": "second", "previous_response_id": first}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "completed", "{v}");
    assert!(v.to_string().contains("echo: second"), "{v}");
    let second = v["id"].as_str().unwrap_or_default().to_owned();
    let r = responses(
        &h,
        &json!({"model": "gpt-5.4", "input": "third", "stream": true, "previous_response_id": second}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("echo: third"), "{}", r.text());
    assert!(
        model_calls(&h).is_empty(),
        "no HTTP POST: every turn went over the socket"
    );
    // The mock records the upgrade (no body) and each response.create frame (its body).
    let ws: Vec<_> = h
        .mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/codex/responses"))
        .collect();
    assert_eq!(
        ws.iter().filter(|r| r.body.is_none()).count(),
        1,
        "one socket"
    );
    let frames: Vec<Value> = ws.into_iter().filter_map(|r| r.body).collect();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0]["type"], "response.create");
    assert_eq!(frames[0].get("previous_response_id"), None);
    assert_eq!(frames[1]["previous_response_id"], json!(first));
    assert_eq!(frames[2]["previous_response_id"], json!(second));
    // An id no socket owns still gets the HTTP transport's 400.
    let r = responses(
        &h,
        &json!({"model": "gpt-5.4", "input": "x", "previous_response_id": "resp_nope"}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test]
async fn refused_upgrade_falls_back_to_http() {
    let h = harness(
        MockServer::start(MockConfig::default())
            .await
            .expect("mock"),
        &["acct-1"],
        |_| {},
    )
    .await;
    for text in ["a", "b"] {
        let r = responses(
            &h,
            &json!({"model": "gpt-5.4", "input": text, "stream": true}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains(&format!("echo: {text}")), "{}", r.text());
    }
    assert_eq!(model_calls(&h).len(), 2);
    let upgrades = h
        .mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/codex/responses"))
        .count();
    assert_eq!(upgrades, 1, "a 426 keeps later turns on HTTP");
}

#[tokio::test]
async fn tls_backend_trusted_through_extra_ca_file() {
    let ca = TestCa::generate().expect("ca");
    let mock = MockServer::start_tls(MockConfig::default(), &ca)
        .await
        .expect("mock");
    let ca_dir = tempfile::tempdir().expect("tempdir");
    let ca_file = ca_dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.ca_pem()).expect("write ca");
    let h = harness(mock, &["acct-1"], |raw| {
        raw.tls.extra_ca_file = Some(ca_file.display().to_string());
        raw.tls.max_idle_per_host = Some(0);
    })
    .await;
    for text in ["tls one", "tls two"] {
        let r = h.chat(&user(text)).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(model_calls(&h).len(), 2);
}
