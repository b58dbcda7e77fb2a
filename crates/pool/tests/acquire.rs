//! Leasing accounts: refresh singleflight, failover, rate limits, and the two "no account" errors.

#[path = "support/mint.rs"]
mod mint;

use std::sync::Arc;
use std::time::Duration;

use codex_proxy_pool::{AccountStatus, Outcome, Pool, PoolConfig, PoolError, Strategy, UsageDelta};
use mint::{Answer, FakeRefresher, NOW_SECS, at, jwt, now, open};

const FAR: u64 = NOW_SECS + 86_400;

fn never() -> FakeRefresher {
    FakeRefresher::new(|_| panic!("refresh not expected"))
}

#[tokio::test]
async fn empty_pool_is_no_account() {
    let dir = tempfile::tempdir().unwrap();
    let err = open(dir.path())
        .acquire("gpt-5", now(), &never())
        .await
        .unwrap_err();
    assert!(err.is_no_account(), "{err:?}");
    assert!(err.to_string().contains("codex-proxy login"));
}

#[tokio::test]
async fn lease_carries_token_account_and_installation_id() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let access = jwt("acc-1", "u-1", FAR);
    pool.add_tokens(Some(&access), None, None, now()).unwrap();
    let lease = pool.acquire("gpt-5", now(), &never()).await.unwrap();
    assert_eq!(lease.access_token(), access);
    assert_eq!(lease.chatgpt_account_id(), Some("acc-1"));
    assert!(uuid_like(lease.installation_id()));
    assert!(!format!("{lease:?}").contains(&access));
    let again = pool.acquire("gpt-5", now(), &never()).await.unwrap();
    assert_eq!(
        again.installation_id(),
        lease.installation_id(),
        "stable per account"
    );
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn rotates_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    for i in 0..3 {
        pool.add_tokens(Some(&jwt(&format!("acc-{i}"), "u", FAR)), None, None, now())
            .unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..6 {
        let lease = pool.acquire("gpt-5", now(), &never()).await.unwrap();
        seen.push(lease.chatgpt_account_id().unwrap().to_owned());
    }
    assert_eq!(seen, ["acc-0", "acc-1", "acc-2", "acc-0", "acc-1", "acc-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_refreshed_once_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    pool.add_tokens(
        Some(&jwt("acc-1", "u-1", NOW_SECS - 10)),
        Some("rt_old"),
        None,
        now(),
    )
    .unwrap();
    let refresher = Arc::new(FakeRefresher::new(|_| Answer::Tokens {
        account: "acc-1".into(),
        user: "u-1".into(),
        exp: FAR,
    }));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (pool, refresher) = (pool.clone(), refresher.clone());
        // Each task drops its lease (and concurrency slot) before returning.
        tasks.push(tokio::spawn(async move {
            pool.acquire("gpt-5", now(), refresher.as_ref())
                .await
                .map(|lease| lease.access_token().to_owned())
        }));
    }
    let fresh = jwt("acc-1", "u-1", FAR);
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), fresh);
    }
    assert_eq!(refresher.calls(), 1);
    assert_eq!(*refresher.seen.lock().unwrap(), ["rt_old"]);
    assert_eq!(pool.list().unwrap()[0].expires_at, Some(FAR));

    // The rotated refresh token was persisted before the lease was handed out.
    drop(pool);
    let reopened = open(dir.path());
    let export: serde_json::Value =
        serde_json::from_slice(&reopened.export(false).to_json()).unwrap();
    assert_eq!(export["accounts"][0]["refreshToken"], "rt_new_0");
    assert_eq!(export["accounts"][0]["token"], fresh.as_str());
}

#[tokio::test]
async fn token_within_margin_is_refreshed_and_refresh_only_accounts_get_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    // Expires in 2 minutes: inside the default 5-minute margin.
    pool.add_tokens(
        Some(&jwt("acc-1", "u-1", NOW_SECS + 120)),
        Some("rt_a"),
        None,
        now(),
    )
    .unwrap();
    let refresher = FakeRefresher::new(|rt| Answer::Tokens {
        account: if rt == "rt_a" {
            "acc-1".into()
        } else {
            "acc-2".into()
        },
        user: "u".into(),
        exp: FAR,
    });
    let lease = pool.acquire("gpt-5", now(), &refresher).await.unwrap();
    assert_eq!(lease.chatgpt_account_id(), Some("acc-1"));

    let dir2 = tempfile::tempdir().unwrap();
    let pool2 = open(dir2.path());
    pool2.add_tokens(None, Some("rt_b"), None, now()).unwrap();
    let lease = pool2.acquire("gpt-5", now(), &refresher).await.unwrap();
    assert_eq!(lease.chatgpt_account_id(), Some("acc-2"));
    let summary = &pool2.list().unwrap()[0];
    assert_eq!(summary.chatgpt_account_id.as_deref(), Some("acc-2"));
    assert_eq!(summary.email.as_deref(), Some("u@example.invalid"));
    assert_eq!(refresher.calls(), 2);
}

#[tokio::test]
async fn terminal_refresh_failure_marks_expired_and_fails_over() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let dead = pool
        .add_tokens(
            Some(&jwt("acc-dead", "u", NOW_SECS - 1)),
            Some("rt_dead"),
            None,
            now(),
        )
        .unwrap();
    pool.add_tokens(Some(&jwt("acc-ok", "u", FAR)), None, None, now())
        .unwrap();
    let refresher = FakeRefresher::new(|_| Answer::InvalidGrant);
    let lease = pool.acquire("gpt-5", now(), &refresher).await.unwrap();
    assert_eq!(lease.chatgpt_account_id(), Some("acc-ok"));
    assert_eq!(refresher.calls(), 1);
    let summary = pool.get(&dead.id).unwrap();
    assert_eq!(summary.status, AccountStatus::Expired);
    assert!(summary.status_reason.unwrap().contains("invalid_grant"));

    // Never retried afterwards.
    pool.acquire("gpt-5", now(), &refresher).await.unwrap();
    assert_eq!(refresher.calls(), 1);
}

#[tokio::test]
async fn transient_refresh_failure_keeps_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let a = pool
        .add_tokens(
            Some(&jwt("acc-1", "u", NOW_SECS - 1)),
            Some("rt_1"),
            None,
            now(),
        )
        .unwrap();
    let refresher = FakeRefresher::new(|_| Answer::Transport);
    let err = pool.acquire("gpt-5", now(), &refresher).await.unwrap_err();
    assert!(err.is_all_unavailable(), "{err:?}");
    assert_eq!(pool.get(&a.id).unwrap().status, AccountStatus::Active);

    // Within the margin but not yet expired: a failed refresh still yields the old token.
    let dir2 = tempfile::tempdir().unwrap();
    let pool2 = open(dir2.path());
    let access = jwt("acc-2", "u", NOW_SECS + 60);
    pool2
        .add_tokens(Some(&access), Some("rt_2"), None, now())
        .unwrap();
    let lease = pool2.acquire("gpt-5", now(), &refresher).await.unwrap();
    assert_eq!(lease.access_token(), access);
}

#[tokio::test]
async fn rate_limited_account_is_skipped_until_reset() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    pool.add_tokens(Some(&jwt("acc-1", "u", FAR)), None, None, now())
        .unwrap();
    pool.add_tokens(Some(&jwt("acc-2", "u", FAR)), None, None, now())
        .unwrap();
    let first = pool.acquire("gpt-5", now(), &never()).await.unwrap();
    assert_eq!(first.chatgpt_account_id(), Some("acc-1"));
    let reset = at(NOW_SECS + 600);
    pool.report(&first, Outcome::RateLimited { until: Some(reset) }, now());

    for _ in 0..3 {
        let lease = pool
            .acquire("gpt-5", at(NOW_SECS + 10), &never())
            .await
            .unwrap();
        assert_eq!(lease.chatgpt_account_id(), Some("acc-2"));
    }
    // Both limited → all unavailable, with the soonest reset.
    let second = pool
        .acquire("gpt-5", at(NOW_SECS + 10), &never())
        .await
        .unwrap();
    pool.report(
        &second,
        Outcome::RateLimited { until: None },
        at(NOW_SECS + 10),
    );
    let err = pool
        .acquire("gpt-5", at(NOW_SECS + 20), &never())
        .await
        .unwrap_err();
    assert!(err.is_all_unavailable(), "{err:?}");
    assert_eq!(
        err.soonest_reset(),
        Some(at(NOW_SECS + 70)),
        "default 60 s backoff"
    );

    // After acc-2's backoff only acc-2 is back; after the reset, acc-1 too.
    let lease = pool
        .acquire("gpt-5", at(NOW_SECS + 70), &never())
        .await
        .unwrap();
    assert_eq!(lease.chatgpt_account_id(), Some("acc-2"));
    let lease = pool
        .acquire("gpt-5", at(NOW_SECS + 600), &never())
        .await
        .unwrap();
    assert_eq!(lease.chatgpt_account_id(), Some("acc-1"));
    pool.report(
        &lease,
        Outcome::Success {
            usage: UsageDelta::default(),
        },
        at(NOW_SECS + 600),
    );
    let summary = &pool.list().unwrap()[0];
    assert_eq!(summary.status, AccountStatus::Active);
    assert_eq!(summary.rate_limited_until, None);
}

#[tokio::test]
async fn report_updates_counters_and_statuses_persistently() {
    let dir = tempfile::tempdir().unwrap();
    {
        // This test walks accounts in lease order: pin the least-recently-used strategy.
        let cfg = PoolConfig {
            strategy: Strategy::LeastRecentlyUsed,
            ..PoolConfig::default()
        };
        let pool = Pool::open(dir.path(), cfg).unwrap();
        pool.add_tokens(Some(&jwt("acc-1", "u", FAR)), None, None, now())
            .unwrap();
        pool.add_tokens(Some(&jwt("acc-2", "u", FAR)), None, None, now())
            .unwrap();
        pool.add_tokens(Some(&jwt("acc-3", "u", FAR)), Some("rt_3"), None, now())
            .unwrap();
        let a = pool.acquire("gpt-5", now(), &never()).await.unwrap();
        let usage = UsageDelta {
            input_tokens: 10,
            output_tokens: 5,
            cached_tokens: 2,
        };
        pool.report(&a, Outcome::Success { usage }, at(NOW_SECS + 1));
        pool.report(&a, Outcome::Success { usage }, at(NOW_SECS + 2));
        let b = pool.acquire("gpt-5", now(), &never()).await.unwrap();
        pool.report(&b, Outcome::Banned, now());
        let c = pool.acquire("gpt-5", now(), &never()).await.unwrap();
        assert_eq!(c.chatgpt_account_id(), Some("acc-3"));
        // 401 with a refresh token: refreshed before the next use, not expired.
        pool.report(&c, Outcome::Unauthorized, now());
        let refresher = FakeRefresher::new(|_| Answer::Tokens {
            account: "acc-3".into(),
            user: "u".into(),
            exp: FAR + 1,
        });
        let lease = pool.acquire("gpt-5", now(), &refresher).await.unwrap();
        assert_eq!(lease.chatgpt_account_id(), Some("acc-1"));
        let lease = pool.acquire("gpt-5", now(), &refresher).await.unwrap();
        assert_eq!(lease.chatgpt_account_id(), Some("acc-3"));
        assert_eq!(refresher.calls(), 1);
        // 401 without a refresh token: expired.
        let first = pool.list().unwrap()[0].id.clone();
        let a1 = pool.acquire("gpt-5", now(), &refresher).await.unwrap();
        assert_eq!(a1.id(), &first);
        pool.report(&a1, Outcome::Unauthorized, now());
    }
    let pool = open(dir.path());
    let list = pool.list().unwrap();
    assert_eq!(list[0].usage.request_count, 2);
    assert_eq!(list[0].usage.input_tokens, 20);
    assert_eq!(list[0].usage.cached_tokens, 4);
    assert_eq!(list[0].usage.last_used, Some(NOW_SECS + 2));
    assert_eq!(list[0].status, AccountStatus::Expired);
    assert_eq!(list[1].status, AccountStatus::Banned);
    assert_eq!(list[2].status, AccountStatus::Active);
    assert_eq!(list[2].expires_at, Some(FAR + 1));
}

#[tokio::test]
async fn unusable_accounts_give_all_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let a = pool
        .add_tokens(Some(&jwt("acc-1", "u", NOW_SECS + 30)), None, None, now())
        .unwrap();
    let b = pool
        .add_tokens(Some(&jwt("acc-2", "u", FAR)), None, None, now())
        .unwrap();
    pool.set_enabled(&b.id, false).unwrap();
    // acc-1 is within the margin but has no refresh token: still served until it expires.
    let lease = pool.acquire("gpt-5", now(), &never()).await.unwrap();
    assert_eq!(lease.id(), &a.id);
    let later = at(NOW_SECS + 31);
    let err = pool.acquire("gpt-5", later, &never()).await.unwrap_err();
    assert!(
        matches!(
            err,
            PoolError::AllUnavailable {
                total: 2,
                soonest_reset: None
            }
        ),
        "{err:?}"
    );
    assert_eq!(pool.get(&a.id).unwrap().status, AccountStatus::Expired);
    pool.set_enabled(&b.id, true).unwrap();
    pool.acquire("gpt-5", later + Duration::from_secs(1), &never())
        .await
        .unwrap();
}

#[tokio::test]
async fn counters_written_without_fsync_survive_a_clean_close() {
    let dir = tempfile::tempdir().unwrap();
    {
        let pool = open(dir.path());
        pool.add_tokens(Some(&jwt("acc-1", "u", FAR)), None, None, now())
            .unwrap();
        let lease = pool.acquire("gpt-5", now(), &never()).await.unwrap();
        let usage = UsageDelta {
            input_tokens: 3,
            output_tokens: 4,
            cached_tokens: 0,
        };
        pool.report(&lease, Outcome::Success { usage }, now());
    }
    let list = open(dir.path()).list().unwrap();
    assert_eq!(list[0].usage.request_count, 1);
    assert_eq!(list[0].usage.output_tokens, 4);
}

#[test]
fn refresh_errors_classify_terminal_and_deactivated() {
    use codex_proxy_pool::RefreshError;
    assert!(RefreshError::rejected(400, br#"{"error":"invalid_grant"}"#).is_terminal());
    let reused = RefreshError::rejected(
        401,
        br#"{"error":{"code":"refresh_token_reused","message":"already used"}}"#,
    );
    assert!(reused.is_terminal() && !reused.is_deactivated());
    let banned = RefreshError::rejected(
        403,
        br#"{"error":{"message":"Account has been deactivated"}}"#,
    );
    assert!(banned.is_terminal() && banned.is_deactivated());
    assert!(!RefreshError::rejected(500, b"<html>oops</html>").is_terminal());
    assert!(!RefreshError::Transport("timeout".into()).is_terminal());
}

#[tokio::test]
async fn deactivated_refresh_marks_banned() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let a = pool.add_tokens(None, Some("rt_1"), None, now()).unwrap();
    struct Deactivated;
    impl codex_proxy_pool::Refresher for Deactivated {
        fn refresh<'a>(
            &'a self,
            _: &'a str,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<
                        Output = Result<codex_proxy_pool::TokenSet, codex_proxy_pool::RefreshError>,
                    > + Send
                    + 'a,
            >,
        > {
            Box::pin(async {
                Err(codex_proxy_pool::RefreshError::rejected(
                    401,
                    br#"{"error":"access_denied","error_description":"account deactivated"}"#,
                ))
            })
        }
    }
    let err = pool
        .acquire("gpt-5", now(), &Deactivated)
        .await
        .unwrap_err();
    assert!(err.is_all_unavailable());
    assert_eq!(pool.get(&a.id).unwrap().status, AccountStatus::Banned);
}
