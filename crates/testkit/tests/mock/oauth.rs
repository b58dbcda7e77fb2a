//! The fake OAuth server: PKCE code exchange and rotating refresh tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_proxy_testkit::{CLIENT_ID, JwtClaims};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::*;

const REDIRECT: &str = "http://127.0.0.1:1455/auth/callback";
const VERIFIER: &str =
    "c98CiDu2nO2hKCKirhBgJU2xq08ryJo6YJVkB139-eDQwOas_sX521YZz0tLXKqFLu2qv6OpMrbd56t4Y1CU0A";

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn authorize(server: &codex_proxy_testkit::MockServer, extra: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256&state=st4te&scope=openid+profile+email+offline_access&id_token_add_organizations=true&codex_cli_simplified_flow=true&originator=codex_cli_rs{extra}",
        enc(REDIRECT)
    );
    let r = send(server.addr(), "GET", &path, &[], "").await;
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=st4te"));
    location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

async fn exchange(server: &codex_proxy_testkit::MockServer, code: &str, verifier: &str) -> Reply {
    let form = format!(
        "grant_type=authorization_code&client_id={CLIENT_ID}&code={code}&redirect_uri={}&code_verifier={verifier}",
        enc(REDIRECT)
    );
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "*/*"),
    ];
    send(server.addr(), "POST", "/oauth/token", &headers, form).await
}

async fn refresh(server: &codex_proxy_testkit::MockServer, rt: &str) -> Reply {
    let b = json!({ "client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_reason": "proactive_expiry", "refresh_token": rt });
    send(
        server.addr(),
        "POST",
        "/oauth/token",
        &[("content-type", "application/json")],
        b.to_string(),
    )
    .await
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn code_exchange_verifies_pkce_and_tokens_work_upstream() {
    let server = server().await;
    let code = authorize(&server, "&mock_account_id=acct-oauth&mock_plan=team").await;
    let bad = exchange(&server, &code, "wrong-verifier").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"], "invalid_grant");
    // The code is single-use even after a failed attempt.
    assert_eq!(exchange(&server, &code, VERIFIER).await.status, 400);

    let code = authorize(&server, "&mock_account_id=acct-oauth&mock_plan=team").await;
    let r = exchange(&server, &code, VERIFIER).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tokens = r.json();
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("rt_"));
    let access = tokens["access_token"].as_str().unwrap();
    let claims = claims_of(access);
    assert_eq!(
        claims["https://api.openai.com/auth"]["chatgpt_account_id"],
        "acct-oauth"
    );
    assert_eq!(
        claims["https://api.openai.com/auth"]["chatgpt_plan_type"],
        "team"
    );
    assert!(claims_of(tokens["id_token"].as_str().unwrap())["email"].is_string());
    assert_eq!(
        exchange(&server, &code, VERIFIER).await.status,
        400,
        "codes are single-use"
    );

    let acct = Account {
        id: "acct-oauth".into(),
        token: access.to_owned(),
    };
    let r = responses(&server, &acct, &body("hi")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-codex-plan-type"), Some("team"));

    let rec = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth/token")
        .unwrap();
    let logged = rec.body.unwrap().to_string();
    assert!(
        !logged.contains(VERIFIER),
        "secrets are redacted in records"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_fails() {
    let server = server().await;
    let code = authorize(&server, "").await;
    let first = exchange(&server, &code, VERIFIER).await.json();
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();

    let second = refresh(&server, &rt1).await;
    assert_eq!(second.status, 200);
    let second = second.json();
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        claims_of(second["access_token"].as_str().unwrap())["https://api.openai.com/auth"]["chatgpt_account_id"],
        claims_of(first["access_token"].as_str().unwrap())["https://api.openai.com/auth"]["chatgpt_account_id"]
    );

    let reused = refresh(&server, &rt1).await;
    assert_eq!(reused.status, 401);
    assert_eq!(reused.json()["error"]["code"], "refresh_token_reused");
    assert!(String::from_utf8_lossy(&reused.body).contains("invalid_grant"));

    // The reference sends the refresh as a form; that works too.
    let form = format!("grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={rt2}");
    let r = send(
        server.addr(),
        "POST",
        "/oauth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    )
    .await;
    assert_eq!(r.status, 200);

    let invalid = refresh(&server, "rt_invalid_anything").await;
    assert_eq!(invalid.status, 401);
    assert_eq!(invalid.json()["error"]["code"], "refresh_token_invalidated");
}

#[tokio::test]
async fn issued_and_unknown_refresh_tokens() {
    let server = server().await;
    let claims = JwtClaims {
        chatgpt_account_id: "acct-issued".into(),
        plan_type: "pro".into(),
        email: "i@example.invalid".into(),
        exp: 0,
        user_id: "user-i".into(),
    };
    let rt = server.issue_refresh_token(&claims);
    let r = refresh(&server, &rt).await.json();
    assert_eq!(
        claims_of(r["access_token"].as_str().unwrap())["https://api.openai.com/auth"]["chatgpt_account_id"],
        "acct-issued"
    );

    // Unknown tokens are accepted once (deterministic identity), then count as used.
    let a = refresh(&server, "rt_from_a_test").await;
    assert_eq!(a.status, 200);
    assert_eq!(refresh(&server, "rt_from_a_test").await.status, 401);
    let r = send(
        server.addr(),
        "POST",
        "/oauth/token",
        &[("content-type", "text/plain")],
        "x",
    )
    .await;
    assert_eq!(r.status, 415);
}
