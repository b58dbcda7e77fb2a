//! Accounts end to end: OAuth login through the routes, refresh singleflight, failover per
//! fault, session affinity, all accounts exhausted, client keys, settings routes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codex_proxy_testkit::mint_jwt;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::support::{Harness, KEY, claims, user};

/// GET `url` (absolute http://host:port/...) without following redirects; the `Location`.
async fn location_of(url: &str) -> (StatusCode, Option<String>) {
    let uri: http::Uri = url.parse().expect("url");
    let authority = uri.authority().expect("authority").to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let path = uri.path_and_query().expect("path").to_string();
    let req = Request::builder()
        .uri(path)
        .header("host", authority)
        .body(Full::new(Bytes::new()))
        .expect("request");
    let resp = sender.send_request(req).await.expect("sent");
    let loc = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = resp.status();
    let _ = resp.into_body().collect().await;
    (status, loc)
}

fn path_and_query(url: &str) -> String {
    let uri: http::Uri = url.parse().expect("url");
    uri.path_and_query().expect("path").to_string()
}

async fn account(h: &Harness, label: &str) -> Value {
    let list = h.get("/auth/accounts").await.json();
    list["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["label"] == label)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn login_round_trip_through_the_routes() {
    let h = Harness::with(&[], |_| {}).await;
    let start = h.get("/auth/login").await;
    assert_eq!(start.status, StatusCode::FOUND, "{}", start.text());
    let authorize = start.headers["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    assert!(authorize.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback"));
    let (status, redirect) = location_of(&authorize).await;
    assert_eq!(status, StatusCode::FOUND);
    let redirect = redirect.expect("mock redirects with a code");
    // The browser would land on the callback: no key needed, the state is the proof.
    let done = h
        .request("GET", &path_and_query(&redirect), None, None)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["success"], true);
    let accounts = h.gw().pool().list().expect("list");
    assert_eq!(accounts.len(), 1);
    assert!(accounts[0].has_refresh_token);
    // The same callback again: the login was consumed.
    let again = h
        .request("GET", &path_and_query(&redirect), None, None)
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json()["error"]
            .as_str()
            .map(|s| s.contains("no pending login")),
        Some(true)
    );
    // The login routes need the master key.
    let anon = h.request("GET", "/auth/login", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pasted_redirect_url_completes_a_login() {
    let h = Harness::with(&[], |_| {}).await;
    let started = h
        .request("POST", "/auth/login-start", Some(KEY), Some(Bytes::new()))
        .await
        .json();
    let authorize = started["authUrl"].as_str().expect("authUrl").to_owned();
    let (_, redirect) = location_of(&authorize).await;
    let body = json!({ "callbackUrl": redirect.expect("redirect") });
    let done = h
        .request(
            "POST",
            "/auth/login/paste",
            Some(KEY),
            Some(Bytes::from(body.to_string())),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let wrong = json!({ "callbackUrl": "http://127.0.0.1:1455/auth/callback?code=x&state=forged" });
    let refused = h
        .request(
            "POST",
            "/auth/code-relay",
            Some(KEY),
            Some(Bytes::from(wrong.to_string())),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn twenty_requests_on_an_expiring_account_refresh_once() {
    let h = Harness::with(&[], |_| {}).await;
    let mut c = claims("acct-r");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    c.exp = now + 60; // inside the 300 s refresh margin
    let rt = h.mock.issue_refresh_token(&c);
    h.gw()
        .pool()
        .add_tokens(Some(&mint_jwt(&c)), Some(&rt), Some("r"), SystemTime::now())
        .expect("added");
    let runs = (0..20).map(|i| {
        let h = &h;
        async move { h.chat(&user(&format!("hello {i}"))).await.status }
    });
    let statuses = futures_util::future::join_all(runs).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let stats = h.mock.stats();
    assert_eq!(
        stats.by_route.get("oauth_token").copied(),
        Some(1),
        "{stats:?}"
    );
    let a = account(&h, "r").await;
    assert!(a["expires_at"].as_u64().expect("exp") > now + 3600);
}

/// Account `acct-1` gets `fault` every time; requests are served by `acct-2` and `acct-1`
/// ends up in the expected state.
async fn fault_fails_over(fault: &str, label: &str) -> (Harness, Value) {
    let h = Harness::with(&["acct-1", "acct-2"], |_| {}).await;
    h.mock.set_fault("acct-1", fault, None);
    for i in 0..3 {
        let r = h.chat(&user(&format!("turn {i}"))).await;
        assert_eq!(r.status, StatusCode::OK, "{fault}: {}", r.text());
    }
    let stats = h.mock.stats();
    let hit = stats
        .by_account
        .get("acct-1")
        .and_then(|a| a.faults.get(label).copied())
        .unwrap_or(0);
    assert!(hit >= 1, "{fault} was served: {stats:?}");
    let a = account(&h, "acct-1").await;
    (h, a)
}

#[tokio::test]
async fn rate_limit_locks_the_account_until_its_reset() {
    let (_h, a) = fault_fails_over("429", "429").await;
    assert_eq!(a["status"], "rate_limited", "{a}");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(
        a["rate_limited_until"].as_u64().expect("until") > now + 60,
        "{a}"
    );
}

#[tokio::test]
async fn payment_required_marks_quota_exhausted() {
    let (_h, a) = fault_fails_over("402", "402").await;
    assert_eq!(a["status"], "quota_exhausted", "{a}");
}

#[tokio::test]
async fn unauthorized_without_refresh_token_expires_the_account() {
    let (_h, a) = fault_fails_over("401", "401").await;
    assert_eq!(a["status"], "expired", "{a}");
}

#[tokio::test]
async fn ban_marks_banned_and_cloudflare_only_cools_down() {
    let (_h, a) = fault_fails_over("403-ban", "403-ban").await;
    assert_eq!(a["status"], "banned", "{a}");
    let (h, a) = fault_fails_over("403-cf", "403-cf").await;
    assert_eq!(a["status"], "active", "a challenge is not a ban: {a}");
    // Cooling down: acct-1 got exactly one challenge, the rest went to acct-2.
    let stats = h.mock.stats();
    assert_eq!(stats.by_account["acct-1"].requests, 1, "{stats:?}");
}

#[tokio::test]
async fn server_errors_and_overload_retry_elsewhere() {
    let (h, a) = fault_fails_over("500", "500").await;
    assert_eq!(a["status"], "active", "{a}");
    drop(h);
    let (h, _) = fault_fails_over("overloaded", "overloaded").await;
    assert!(h.mock.stats().by_account["acct-2"].requests >= 3);
}

#[tokio::test]
async fn unauthorized_with_refresh_token_refreshes_and_retries_the_same_account() {
    let h = Harness::with(&[], |_| {}).await;
    let c = claims("acct-u");
    let rt = h.mock.issue_refresh_token(&c);
    h.gw()
        .pool()
        .add_tokens(Some(&mint_jwt(&c)), Some(&rt), Some("u"), SystemTime::now())
        .expect("added");
    h.mock.set_fault("acct-u", "401", Some(1));
    let r = h.chat(&user("hi")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(h.mock.stats().by_route.get("oauth_token").copied(), Some(1));
    assert_eq!(account(&h, "u").await["status"], "active");
}

#[tokio::test]
async fn affinity_keeps_a_conversation_on_one_account_with_a_stable_cache_key() {
    let h = Harness::with(&["acct-1", "acct-2", "acct-3"], |_| {}).await;
    for i in 0..6 {
        let mut body = user(&format!("turn {i}"));
        body["user"] = json!("conversation-7");
        let r = h.chat(&body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let stats = h.mock.stats();
    let used: Vec<_> = stats
        .by_account
        .iter()
        .filter(|(_, a)| a.requests > 0)
        .collect();
    assert_eq!(used.len(), 1, "{stats:?}");
    let keys: std::collections::BTreeSet<String> = h
        .mock
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/codex/responses"))
        .filter_map(|r| {
            r.body.as_ref()?["prompt_cache_key"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("cp_")));
}

#[tokio::test]
async fn all_accounts_exhausted_is_one_429_with_retry_after() {
    let h = Harness::with(&["acct-1", "acct-2"], |_| {}).await;
    h.mock.set_fault("acct-1", "429", None);
    h.mock.set_fault("acct-2", "429", None);
    let r = h.chat(&user("hi")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    let secs: u64 = r.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(secs > 60, "{secs}");
    assert!(r.text().contains("earliest resets"), "{}", r.text());
    // Later requests get the same answer without touching upstream.
    let before = h.mock.stats().by_fault.get("429").copied();
    let again = h.chat(&user("again")).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h.mock.stats().by_fault.get("429").copied(), before);
}

#[tokio::test]
async fn client_keys_check_models_budget_and_admin_access() {
    let h = Harness::start().await;
    let created = h
        .request(
            "POST",
            "/admin/keys",
            Some(KEY),
            Some(Bytes::from(
                json!({ "label": "ci", "models": ["gpt-5.4"], "budget": 1 }).to_string(),
            )),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let key = created.json()["key"].as_str().expect("key").to_owned();
    let chat = |model: &str| {
        let body = json!({ "model": model, "messages": [{ "role": "user", "content": "hi" }] });
        Bytes::from(body.to_string())
    };
    let other = h
        .request(
            "POST",
            "/v1/chat/completions",
            Some(&key),
            Some(chat("gpt-5.5")),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text());
    let admin = h.request("GET", "/admin/keys", Some(&key), None).await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    let ok = h
        .request(
            "POST",
            "/v1/chat/completions",
            Some(&key),
            Some(chat("gpt-5.4")),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let over = h
        .request(
            "POST",
            "/v1/chat/completions",
            Some(&key),
            Some(chat("gpt-5.4")),
        )
        .await;
    assert_eq!(
        over.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        over.text()
    );
    let listed = h.get("/admin/keys").await.json();
    assert_eq!(listed["total"], 1);
    assert!(listed["keys"][0]["used_tokens"].as_u64().expect("used") > 0);
    let bad = h
        .request(
            "POST",
            "/v1/chat/completions",
            Some("cpk-wrong"),
            Some(chat("gpt-5.4")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn settings_and_account_routes() {
    let h = Harness::with(&["acct-1", "acct-2"], |_| {}).await;
    let set = h
        .request(
            "POST",
            "/admin/rotation-settings",
            Some(KEY),
            Some(Bytes::from(r#"{"rotation_strategy":"round_robin"}"#)),
        )
        .await;
    assert_eq!(set.json()["rotation_strategy"], "round_robin");
    assert_eq!(
        h.get("/admin/rotation-settings").await.json()["rotation_strategy"],
        "round_robin"
    );
    let bad = h
        .request(
            "POST",
            "/admin/rotation-settings",
            Some(KEY),
            Some(Bytes::from(r#"{"rotation_strategy":"random"}"#)),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let quota = h
        .request(
            "POST",
            "/admin/quota-settings",
            Some(KEY),
            Some(Bytes::from(r#"{"refresh_interval_minutes":15}"#)),
        )
        .await;
    assert_eq!(
        quota.json()["refresh_interval_minutes"],
        15,
        "{}",
        quota.text()
    );
    assert!(h.get("/auth/quota/warnings").await.json()["warnings"].is_array());
    let export = h.get("/auth/accounts/export?format=minimal").await;
    assert_eq!(export.status, StatusCode::OK);
    let id = account(&h, "acct-2").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let q = h.get(&format!("/auth/accounts/{id}/quota")).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text());
    assert!(q.json()["quota"]["primary"].is_object(), "{}", q.text());
    let status = h
        .request(
            "POST",
            "/auth/accounts/batch-status",
            Some(KEY),
            Some(Bytes::from(
                json!({ "ids": [id], "status": "disabled" }).to_string(),
            )),
        )
        .await;
    assert_eq!(status.json()["updated"], 1);
    let del = h
        .request("DELETE", &format!("/auth/accounts/{id}"), Some(KEY), None)
        .await;
    assert_eq!(del.status, StatusCode::OK);
    assert_eq!(h.gw().pool().list().expect("list").len(), 1);
    tokio::time::sleep(Duration::from_millis(1)).await;
}
