//! The OAuth flows end to end over a fake transport (no network): browser login through the
//! pending set and code exchange into the pool, the device flow as the official client
//! runs it, and the transport-backed refresher.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

#[path = "support/mint.rs"]
mod mint;

use std::sync::Mutex;
use std::time::Duration;

use codex_proxy_pool::oauth::{
    self, BoxFuture, DeviceCode, HttpReply, OAuthConfig, OAuthRefresher, OAuthTransport,
    PendingLogins, PkceLogin,
};
use codex_proxy_pool::{LoginError, Refresher, TransportError};
use mint::{NOW_SECS, jwt, now, open};

/// Records requests and answers from a script of (status, body) per URL suffix.
struct FakeAuth {
    log: Mutex<Vec<(String, String)>>,
    answers: Mutex<Vec<(&'static str, u16, String)>>,
}

impl FakeAuth {
    fn new(answers: Vec<(&'static str, u16, String)>) -> Self {
        FakeAuth {
            log: Mutex::new(Vec::new()),
            answers: Mutex::new(answers),
        }
    }

    fn answer(&self, url: &str, body: String) -> Result<HttpReply, TransportError> {
        self.log.lock().unwrap().push((url.to_owned(), body));
        let mut answers = self.answers.lock().unwrap();
        let i = answers
            .iter()
            .position(|(suffix, _, _)| url.ends_with(suffix))
            .ok_or_else(|| TransportError("no scripted answer".into()))?;
        let (_, status, body) = answers.remove(i);
        Ok(HttpReply {
            status,
            body: body.into_bytes(),
        })
    }
}

impl OAuthTransport for FakeAuth {
    fn post_form<'a>(
        &'a self,
        url: &'a str,
        form: &'a [(&'a str, String)],
    ) -> BoxFuture<'a, Result<HttpReply, TransportError>> {
        Box::pin(async move { self.answer(url, oauth::form::encode(form)) })
    }

    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<HttpReply, TransportError>> {
        Box::pin(async move { self.answer(url, String::from_utf8_lossy(body).into_owned()) })
    }
}

fn token_body(account: &str, user: &str, rt: &str) -> String {
    serde_json::json!({
        "access_token": jwt(account, user, NOW_SECS + 3600),
        "refresh_token": rt,
        "id_token": "eyJ.id.token",
        "token_type": "Bearer",
        "expires_in": 3600,
    })
    .to_string()
}

#[tokio::test]
async fn browser_login_round_trip_stores_and_dedups_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let cfg = OAuthConfig {
        issuer: "http://127.0.0.1:9/".into(),
        ..OAuthConfig::default()
    };
    let pending = PendingLogins::new();
    let auth = FakeAuth::new(vec![
        ("/oauth/token", 200, token_body("acc-1", "u-1", "rt_a")),
        ("/oauth/token", 200, token_body("acc-1", "u-1", "rt_b")),
        ("/oauth/token", 200, token_body("acc-1", "u-2", "rt_c")),
        ("/oauth/token", 400, r#"{"error":"invalid_grant"}"#.into()),
    ]);
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (url, login) = PkceLogin::start_random(&cfg, now());
        assert!(url.starts_with("http://127.0.0.1:9/oauth/authorize?"));
        let state = login.state().to_owned();
        pending.insert(login, now());
        let callback = format!("http://127.0.0.1:1455/auth/callback?code=C&state={state}");
        let (login, code) = pending.take(&callback, now()).unwrap();
        match login.exchange(&auth, &code).await {
            Ok(tokens) => ids.push(pool.complete_login(tokens, Some("mine"), now()).unwrap().id),
            Err(e) => {
                assert_eq!(
                    e,
                    LoginError::Exchange {
                        status: 400,
                        code: Some("invalid_grant".into())
                    }
                );
            }
        }
    }
    // Same account and user → same entry; a team member (other user) is separate.
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
    assert_eq!(pool.list().unwrap().len(), 2);
    let log = auth.log.lock().unwrap();
    assert_eq!(log[0].0, "http://127.0.0.1:9/oauth/token");
    assert!(log[0].1.starts_with(
        "grant_type=authorization_code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&code=C&redirect_uri="
    ));
    // The newest refresh token was kept; no usage call is advised right after login.
    let export: serde_json::Value = serde_json::from_slice(&pool.export(false).to_json()).unwrap();
    assert_eq!(export["accounts"][0]["refreshToken"], "rt_b");
    assert!(!pool.usage_fetch_allowed(&ids[0], now()));
}

#[tokio::test(start_paused = true)]
async fn device_flow_matches_the_official_client() {
    let cfg = OAuthConfig::default();
    let auth = FakeAuth::new(vec![
        (
            "/deviceauth/usercode",
            200,
            r#"{"device_auth_id":"deviceauth_FAKE_0001","user_code":"FAKE-0000","interval":"5"}"#.into(),
        ),
        ("/deviceauth/token", 403, "{}".into()),
        ("/deviceauth/token", 404, "{}".into()),
        (
            "/deviceauth/token",
            200,
            r#"{"authorization_code":"FAKE_DEVICE_AUTH_CODE","code_challenge":"x","code_verifier":"FAKE_VERIFIER_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"}"#.into(),
        ),
        ("/oauth/token", 200, token_body("acc-9", "u", "rt_dev")),
    ]);
    let device = DeviceCode::start(&cfg, &auth, now()).await.unwrap();
    assert_eq!(device.user_code(), "FAKE-0000");
    assert_eq!(
        device.verification_url(),
        "https://auth.openai.com/codex/device"
    );
    assert_eq!(device.interval(), Duration::from_secs(5));
    assert_eq!(device.expires_at(), now() + Duration::from_secs(900));
    let started = tokio::time::Instant::now();
    let tokens = device.wait(&auth, now()).await.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(10),
        "two pending polls"
    );
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt_dev"));
    let log = auth.log.lock().unwrap();
    let bodies: Vec<(&str, &str)> = log.iter().map(|(u, b)| (u.as_str(), b.as_str())).collect();
    assert_eq!(
        bodies[0],
        (
            "https://auth.openai.com/api/accounts/deviceauth/usercode",
            r#"{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann"}"#
        )
    );
    assert_eq!(
        bodies[1],
        (
            "https://auth.openai.com/api/accounts/deviceauth/token",
            r#"{"device_auth_id":"deviceauth_FAKE_0001","user_code":"FAKE-0000"}"#
        )
    );
    // Byte-for-byte the captured device code exchange.
    assert_eq!(
        bodies[4],
        (
            "https://auth.openai.com/oauth/token",
            "grant_type=authorization_code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&code=FAKE_DEVICE_AUTH_CODE&redirect_uri=https%3A%2F%2Fauth.openai.com%2Fdeviceauth%2Fcallback&code_verifier=FAKE_VERIFIER_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn device_code_expiry_and_rejection_are_errors() {
    let cfg = OAuthConfig::default();
    let auth = FakeAuth::new(vec![
        (
            "/deviceauth/usercode",
            200,
            r#"{"device_auth_id":"d","user_code":"U","interval":1,"expires_in":3}"#.into(),
        ),
        ("/deviceauth/token", 403, "{}".into()),
        ("/deviceauth/token", 403, "{}".into()),
        ("/deviceauth/token", 403, "{}".into()),
    ]);
    let device = DeviceCode::start(&cfg, &auth, now()).await.unwrap();
    assert_eq!(
        device.wait(&auth, now()).await.unwrap_err(),
        LoginError::Expired
    );
    let refused = FakeAuth::new(vec![("/deviceauth/usercode", 429, "{}".into())]);
    assert_eq!(
        DeviceCode::start(&cfg, &refused, now()).await.unwrap_err(),
        LoginError::DeviceRejected { status: 429 }
    );
    let offline = FakeAuth::new(vec![]);
    assert!(
        DeviceCode::start(&cfg, &offline, now())
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[tokio::test]
async fn oauth_refresher_posts_the_official_json_body() {
    let auth = FakeAuth::new(vec![
        ("/oauth/token", 200, token_body("acc-1", "u", "rt_next")),
        (
            "/oauth/token",
            401,
            r#"{"error":{"code":"refresh_token_reused"}}"#.into(),
        ),
    ]);
    let refresher = OAuthRefresher::new(&OAuthConfig::default(), auth);
    let tokens = refresher
        .refresh("rt_FAKE_REFRESH_TOKEN_1_not_real")
        .await
        .unwrap();
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt_next"));
    let err = refresher.refresh("rt_next").await.unwrap_err();
    assert!(err.is_terminal());
    assert!(!format!("{refresher:?}").contains("rt_"));
}
