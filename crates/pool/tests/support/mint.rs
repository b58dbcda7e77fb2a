//! Helpers shared by the pool's black-box tests: fake JWTs, fixed clocks, a fake refresher.

#![allow(dead_code, clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_proxy_pool::{Pool, PoolConfig, RefreshError, Refresher, TokenSet};

/// 2026-11-24T07:36:40Z, just after the fixtures were recorded.
pub const NOW_SECS: u64 = 1_795_505_800;

pub fn now() -> SystemTime {
    at(NOW_SECS)
}

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// An unsigned JWT carrying the claims the pool reads.
pub fn jwt(account: &str, user: &str, exp: u64) -> String {
    let payload = serde_json::json!({
        "exp": exp,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account,
            "chatgpt_user_id": user,
            "chatgpt_plan_type": "plus",
        },
        "https://api.openai.com/profile": { "email": format!("{user}@example.invalid") },
    });
    format!(
        "eyJhbGciOiJub25lIn0.{}.sig",
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

pub fn open(dir: &Path) -> Pool {
    Pool::open(dir, PoolConfig::default()).unwrap()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

/// What the fake refresher answers.
pub enum Answer {
    /// New tokens for the account/user, valid until `exp`, with a new refresh token.
    Tokens {
        account: String,
        user: String,
        exp: u64,
    },
    /// `{"error":"invalid_grant"}` with status 400.
    InvalidGrant,
    /// A network failure.
    Transport,
}

/// A refresher that records calls and answers per refresh token.
pub struct FakeRefresher {
    pub calls: AtomicUsize,
    pub seen: Mutex<Vec<String>>,
    answer: Box<dyn Fn(&str) -> Answer + Send + Sync>,
    delay: Duration,
}

impl FakeRefresher {
    pub fn new(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Self {
        FakeRefresher {
            calls: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            answer: Box::new(answer),
            delay: Duration::from_millis(20),
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Refresher for FakeRefresher {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            self.seen.lock().unwrap().push(refresh_token.to_owned());
            // Give concurrent acquirers time to pile up on the refresh lock.
            tokio::time::sleep(self.delay).await;
            match (self.answer)(refresh_token) {
                Answer::Tokens { account, user, exp } => Ok(TokenSet {
                    access_token: jwt(&account, &user, exp),
                    refresh_token: Some(format!("rt_new_{n}")),
                    id_token: None,
                    expires_in: Some(3600),
                }),
                Answer::InvalidGrant => Err(RefreshError::rejected(
                    400,
                    br#"{"error":"invalid_grant","error_description":"bad"}"#,
                )),
                Answer::Transport => Err(RefreshError::Transport("connection refused".into())),
            }
        })
    }
}

/// Opens a pool with `cfg`.
pub fn open_with(dir: &Path, cfg: PoolConfig) -> Pool {
    Pool::open(dir, cfg).unwrap()
}

/// Adds `n` accounts `acc-0..n` (user `u`, token valid for a day) and returns their ids.
pub fn add_accounts(pool: &Pool, n: usize) -> Vec<codex_proxy_pool::AccountId> {
    (0..n)
        .map(|i| {
            pool.add_tokens(
                Some(&jwt(&format!("acc-{i}"), "u", NOW_SECS + 86_400)),
                None,
                None,
                now(),
            )
            .unwrap()
            .id
        })
        .collect()
}

/// A refresher that must not be called.
pub fn never() -> FakeRefresher {
    FakeRefresher::new(|_| panic!("refresh not expected"))
}

/// The ChatGPT account id a lease is for.
pub fn acct(lease: &codex_proxy_pool::Lease) -> String {
    lease.chatgpt_account_id().unwrap().to_owned()
}
