//! Failover outcomes, quota skipping and warnings, the all-unavailable error, and the
//! refresh singleflight under twenty concurrent acquires.

#[path = "support/mint.rs"]
mod mint;

use std::sync::Arc;
use std::time::Duration;

use codex_proxy_pool::{
    AccountStatus, Outcome, PoolConfig, QuotaSnapshot, QuotaWindow, QuotaWindowKind, WarningLevel,
};
use mint::{
    Answer, FakeRefresher, NOW_SECS, acct, add_accounts, at, jwt, never, now, open, open_with,
};

const FAR: u64 = NOW_SECS + 86_400;

#[tokio::test]
async fn each_outcome_sets_the_right_state_and_fails_over() {
    let cases: [(Outcome, Option<AccountStatus>, u64); 7] = [
        (
            Outcome::RateLimited {
                until: Some(at(NOW_SECS + 900)),
            },
            Some(AccountStatus::RateLimited),
            900,
        ),
        (
            Outcome::QuotaExhausted {
                until: Some(at(NOW_SECS + 3600)),
            },
            Some(AccountStatus::QuotaExhausted),
            3600,
        ),
        (Outcome::Banned, Some(AccountStatus::Banned), 0),
        (Outcome::Unauthorized, Some(AccountStatus::Expired), 0),
        (Outcome::Cloudflare, Some(AccountStatus::Active), 60),
        (Outcome::Overloaded, Some(AccountStatus::Active), 5),
        (Outcome::ServerError, Some(AccountStatus::Active), 2),
    ];
    for (outcome, status, blocked_secs) in cases {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path());
        add_accounts(&pool, 2);
        let first = pool.acquire("m", now(), &never()).await.unwrap();
        pool.report(&first, outcome, now());
        assert_eq!(
            pool.get(first.id()).unwrap().status,
            status.unwrap(),
            "{outcome:?}"
        );
        for _ in 0..3 {
            let next = pool.acquire("m", now(), &never()).await.unwrap();
            assert_ne!(next.id(), first.id(), "{outcome:?} fails over");
        }
        if blocked_secs > 0 {
            // Usable again once the lock or cooldown has passed.
            let after = at(NOW_SECS + blocked_secs);
            let mut ids = Vec::new();
            for _ in 0..2 {
                ids.push(
                    pool.acquire("m", after, &never())
                        .await
                        .unwrap()
                        .id()
                        .clone(),
                );
            }
            assert!(ids.contains(first.id()), "{outcome:?} recovers");
        }
    }
}

#[tokio::test]
async fn cloudflare_cooldown_climbs_a_ladder_and_success_resets_it() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    add_accounts(&pool, 1);
    let lease = pool.acquire("m", now(), &never()).await.unwrap();
    let mut t = NOW_SECS;
    for step in [60, 300, 900, 3600, 3600] {
        pool.report(&lease, Outcome::Cloudflare, at(t));
        let err = pool
            .acquire("m", at(t + step - 1), &never())
            .await
            .unwrap_err();
        assert_eq!(err.soonest_reset(), Some(at(t + step)), "step {step}");
        assert_eq!(
            pool.get(lease.id()).unwrap().status,
            AccountStatus::Active,
            "not a ban"
        );
        t += step;
        pool.acquire("m", at(t), &never()).await.unwrap();
    }
    pool.report(
        &lease,
        Outcome::Success {
            usage: Default::default(),
        },
        at(t),
    );
    pool.report(&lease, Outcome::Cloudflare, at(t));
    assert!(
        pool.acquire("m", at(t + 60), &never()).await.is_ok(),
        "ladder restarted"
    );
}

#[tokio::test]
async fn unauthorized_with_refresh_token_refreshes_once_then_expires() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    pool.add_tokens(Some(&jwt("acc-1", "u", FAR)), Some("rt_1"), None, now())
        .unwrap();
    let lease = pool.acquire("m", now(), &never()).await.unwrap();
    pool.report(&lease, Outcome::Unauthorized, now());
    let refresher = FakeRefresher::new(|_| Answer::Tokens {
        account: "acc-1".into(),
        user: "u".into(),
        exp: FAR + 5,
    });
    let fresh = pool.acquire("m", now(), &refresher).await.unwrap();
    assert_eq!(fresh.access_token(), jwt("acc-1", "u", FAR + 5));
    assert_eq!(refresher.calls(), 1);
    // The new token is rejected too and the refresh token is dead: expired, with reason.
    pool.report(&fresh, Outcome::Unauthorized, now());
    let dead = FakeRefresher::new(|_| Answer::InvalidGrant);
    let err = pool.acquire("m", now(), &dead).await.unwrap_err();
    assert!(err.is_all_unavailable());
    let s = pool.get(lease.id()).unwrap();
    assert_eq!(s.status, AccountStatus::Expired);
    assert!(s.status_reason.unwrap().contains("invalid_grant"));
}

#[tokio::test]
async fn all_exhausted_reports_the_earliest_reset() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let ids = add_accounts(&pool, 4);
    let l0 = pool.acquire("m", now(), &never()).await.unwrap();
    pool.report(
        &l0,
        Outcome::RateLimited {
            until: Some(at(NOW_SECS + 500)),
        },
        now(),
    );
    let l1 = pool.acquire("m", now(), &never()).await.unwrap();
    pool.report(
        &l1,
        Outcome::QuotaExhausted {
            until: Some(at(NOW_SECS + 200)),
        },
        now(),
    );
    let l2 = pool.acquire("m", now(), &never()).await.unwrap();
    pool.report(&l2, Outcome::Banned, now());
    // The fourth is exhausted by its quota headers (primary 100 % until +300).
    let snapshot = QuotaSnapshot {
        primary: Some(QuotaWindow {
            used_percent: 100.0,
            window_minutes: Some(300),
            reset_at: Some(at(NOW_SECS + 300)),
        }),
        ..Default::default()
    };
    pool.record_rate_limits(&ids[3], snapshot, now()).unwrap();
    let err = pool.acquire("m", now(), &never()).await.unwrap_err();
    assert!(err.is_all_unavailable(), "{err:?}");
    assert_eq!(err.soonest_reset(), Some(at(NOW_SECS + 200)));
    assert_eq!(err.retry_after(now()), Some(Duration::from_secs(200)));
    assert!(!err.is_no_account());
    let next = pool
        .acquire("m", at(NOW_SECS + 200), &never())
        .await
        .unwrap();
    assert_eq!(next.id(), l1.id());
}

#[tokio::test]
async fn quota_skip_usage_parsing_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let ids = add_accounts(&pool, 2);
    let window = |used: f64, reset: u64| QuotaWindow {
        used_percent: used,
        window_minutes: Some(300),
        reset_at: Some(at(reset)),
    };
    pool.record_rate_limits(
        &ids[0],
        QuotaSnapshot {
            primary: Some(window(85.0, NOW_SECS + 100)),
            secondary: Some(window(95.0, NOW_SECS + 9000)),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    let body = format!(
        r#"{{"plan_type":"plus","rate_limit":{{"allowed":false,"limit_reached":true,
            "primary_window":{{"used_percent":100,"limit_window_seconds":18000,"reset_at":{}}},
            "secondary_window":null}}}}"#,
        NOW_SECS + 50
    );
    let q = pool
        .record_usage_json(&ids[1], body.as_bytes(), now())
        .unwrap();
    assert_eq!(q.plan_type.as_deref(), Some("plus"));
    assert!(
        pool.record_usage_json(&ids[1], b"{}", now())
            .unwrap_err()
            .label()
            == "invalid_usage"
    );

    // The exhausted account is skipped until its reset.
    for _ in 0..3 {
        assert_eq!(
            pool.acquire("m", now(), &never()).await.unwrap().id(),
            &ids[0]
        );
    }
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(
            pool.acquire("m", at(NOW_SECS + 50), &never())
                .await
                .unwrap()
                .id()
                .clone(),
        );
    }
    assert!(seen.contains(&ids[1]));

    let mut warnings = pool.quota_warnings(now());
    warnings.sort_by_key(|w| (w.account.clone(), w.window == QuotaWindowKind::Secondary));
    let shape: Vec<_> = warnings
        .iter()
        .map(|w| (w.account.clone(), w.window, w.level, w.threshold))
        .collect();
    let mut expected = vec![
        (
            ids[0].clone(),
            QuotaWindowKind::Primary,
            WarningLevel::Warning,
            80,
        ),
        (
            ids[0].clone(),
            QuotaWindowKind::Secondary,
            WarningLevel::Critical,
            90,
        ),
        (
            ids[1].clone(),
            QuotaWindowKind::Primary,
            WarningLevel::Critical,
            90,
        ),
    ];
    expected.sort_by_key(|w| (w.0.clone(), w.1 == QuotaWindowKind::Secondary));
    assert_eq!(shape, expected);
    // After the primary windows reset only the secondary warning remains.
    let later = pool.quota_warnings(at(NOW_SECS + 100));
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].window, QuotaWindowKind::Secondary);
    // Persisted (usage is durable).
    drop(pool);
    let pool = open(dir.path());
    assert_eq!(
        pool.quota(&ids[1]).unwrap().unwrap().plan_type.as_deref(),
        Some("plus")
    );
}

#[tokio::test]
async fn skip_exhausted_off_keeps_exhausted_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PoolConfig {
        skip_exhausted: false,
        ..PoolConfig::default()
    };
    let pool = open_with(dir.path(), cfg);
    let ids = add_accounts(&pool, 1);
    let body = format!(
        r#"{{"rate_limit":{{"limit_reached":true,"primary_window":{{"used_percent":100,"reset_at":{}}}}}}}"#,
        NOW_SECS + 50
    );
    pool.record_usage_json(&ids[0], body.as_bytes(), now())
        .unwrap();
    assert!(pool.acquire("m", now(), &never()).await.is_ok());
}

#[tokio::test]
async fn quota_settings_change_at_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let ids = add_accounts(&pool, 1);
    let body = format!(
        r#"{{"rate_limit":{{"limit_reached":true,"primary_window":{{"used_percent":85,"reset_at":{}}}}}}}"#,
        NOW_SECS + 50
    );
    pool.record_usage_json(&ids[0], body.as_bytes(), now())
        .unwrap();
    assert_eq!(pool.quota_warnings(now())[0].threshold, 80);
    pool.set_quota_settings(
        None,
        Some(codex_proxy_pool::WarningThresholds {
            primary: vec![50, 70],
            secondary: vec![95],
        }),
    );
    let w = pool.quota_warnings(now());
    assert_eq!((w[0].threshold, w[0].level), (70, WarningLevel::Critical));
    let full = format!(
        r#"{{"rate_limit":{{"limit_reached":true,"primary_window":{{"used_percent":100,"reset_at":{}}}}}}}"#,
        NOW_SECS + 50
    );
    pool.record_usage_json(&ids[0], full.as_bytes(), now())
        .unwrap();
    assert!(pool.acquire("m", now(), &never()).await.is_err());
    pool.set_quota_settings(Some(false), None);
    assert!(pool.acquire("m", now(), &never()).await.is_ok());
    let (skip, thresholds) = pool.quota_settings();
    assert!(!skip);
    assert_eq!(thresholds.primary, vec![50, 70]);
}

/// Records the account and reason of each refresh.
struct Reasons(std::sync::Mutex<Vec<(String, codex_proxy_pool::RefreshReason)>>);

impl codex_proxy_pool::Refresher for Reasons {
    fn refresh<'a>(
        &'a self,
        _refresh_token: &'a str,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<codex_proxy_pool::TokenSet, codex_proxy_pool::RefreshError>,
                > + Send
                + 'a,
        >,
    > {
        Box::pin(async { Err(codex_proxy_pool::RefreshError::Transport("unused".into())) })
    }

    fn refresh_for<'a>(
        &'a self,
        account: &'a codex_proxy_pool::AccountId,
        _refresh_token: &'a str,
        reason: codex_proxy_pool::RefreshReason,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<codex_proxy_pool::TokenSet, codex_proxy_pool::RefreshError>,
                > + Send
                + 'a,
        >,
    > {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.push((account.to_string(), reason));
        let n = seen.len() as u64;
        drop(seen);
        Box::pin(async move {
            Ok(codex_proxy_pool::TokenSet {
                access_token: jwt("acc-1", "u", FAR + n),
                refresh_token: Some(format!("rt_{n}")),
                id_token: None,
                expires_in: None,
            })
        })
    }
}

#[tokio::test]
async fn refresh_reason_follows_the_trigger() {
    use codex_proxy_pool::RefreshReason;
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    // Expiring within the margin: a proactive refresh on acquire.
    let id = pool
        .add_tokens(
            Some(&jwt("acc-1", "u", NOW_SECS + 60)),
            Some("rt_0"),
            None,
            now(),
        )
        .unwrap()
        .id;
    let refresher = Reasons(std::sync::Mutex::new(Vec::new()));
    let lease = pool.acquire("m", now(), &refresher).await.unwrap();
    // A 401: the next refresh is an unauthorized recovery, and only that one.
    pool.report(&lease, Outcome::Unauthorized, now());
    drop(lease);
    let lease = pool.acquire("m", now(), &refresher).await.unwrap();
    drop(lease);
    assert!(
        pool.refresh_now(&id, now(), &refresher)
            .await
            .unwrap()
            .is_ok()
    );
    let seen = refresher.0.lock().unwrap().clone();
    let reasons: Vec<RefreshReason> = seen.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        reasons,
        vec![
            RefreshReason::ProactiveExpiry,
            RefreshReason::UnauthorizedRecovery,
            RefreshReason::ProactiveExpiry
        ]
    );
    assert!(seen.iter().all(|(a, _)| a == &id.to_string()));
}

#[tokio::test(start_paused = true)]
async fn twenty_concurrent_acquires_on_an_expiring_account_refresh_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PoolConfig {
        max_concurrent_per_account: 0,
        ..PoolConfig::default()
    };
    let pool = open_with(dir.path(), cfg);
    // Expires in a minute: inside the 5-minute margin.
    pool.add_tokens(
        Some(&jwt("acc-1", "u", NOW_SECS + 60)),
        Some("rt_old"),
        None,
        now(),
    )
    .unwrap();
    let refresher = Arc::new(FakeRefresher::new(|_| Answer::Tokens {
        account: "acc-1".into(),
        user: "u".into(),
        exp: FAR,
    }));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (pool, refresher) = (pool.clone(), refresher.clone());
            tokio::spawn(async move {
                pool.acquire("m", now(), refresher.as_ref())
                    .await
                    .map(|l| acct(&l))
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "acc-1");
    }
    assert_eq!(refresher.calls(), 1);
    assert_eq!(*refresher.seen.lock().unwrap(), ["rt_old"]);
    assert_eq!(pool.list().unwrap()[0].expires_at, Some(FAR));
}
