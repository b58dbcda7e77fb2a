//! The refresh scheduler: jittered due times, bounded concurrency, backoff, terminal
//! failures, and the `refreshing` status.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

#[path = "support/mint.rs"]
mod mint;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codex_proxy_pool::{AccountStatus, PoolConfig, RefreshError, Refresher, TokenSet};
use mint::{Answer, FakeRefresher, NOW_SECS, at, jwt, never, now, open, open_with};

const HOUR: u64 = 3600;

#[tokio::test]
async fn due_times_are_jittered_within_fifteen_percent_and_refresh_persists() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let exp = NOW_SECS + HOUR;
    for i in 0..5 {
        pool.add_tokens(
            Some(&jwt(&format!("acc-{i}"), "u", exp)),
            Some(&format!("rt_{i}")),
            None,
            now(),
        )
        .unwrap();
    }
    // An account without refresh token is never scheduled.
    let plain = pool
        .add_tokens(Some(&jwt("acc-x", "u", exp)), None, None, now())
        .unwrap();
    let (first, due) = pool.next_refresh_due(now()).unwrap();
    assert_ne!(first, plain.id);
    // 300 s margin ± 15 %: due between exp-345 and exp-255.
    assert!(due >= at(exp - 345) && due <= at(exp - 255), "{due:?}");
    let report = pool.refresh_due(at(exp - 346), &never()).await.unwrap();
    assert!(report.refreshed.is_empty() && report.retrying.is_empty());

    let refresher = FakeRefresher::new(|rt| Answer::Tokens {
        account: format!("acc-{}", &rt[3..]),
        user: "u".into(),
        exp: NOW_SECS + 10 * HOUR,
    });
    let report = pool.refresh_due(due, &refresher).await.unwrap();
    assert!(report.refreshed.contains(&first));
    // Only the accounts due at `due` were refreshed: jitter spreads them.
    assert!(report.refreshed.len() < 5, "{report:?}");
    pool.refresh_due(at(exp - 255), &refresher).await.unwrap();
    assert_eq!(refresher.calls(), 5, "each account refreshed exactly once");
    let (_, next) = pool.next_refresh_due(now()).unwrap();
    assert!(next >= at(NOW_SECS + 10 * HOUR - 345));

    // Rotated refresh tokens were persisted.
    drop(pool);
    let pool = open(dir.path());
    let export: serde_json::Value = serde_json::from_slice(&pool.export(true).to_json()).unwrap();
    let rts: Vec<&str> = export["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["refreshToken"].as_str().unwrap())
        .collect();
    assert_eq!(rts.len(), 5);
    assert!(rts.iter().all(|rt| rt.starts_with("rt_new_")), "{rts:?}");
}

#[tokio::test]
async fn transient_failures_back_off_and_terminal_failures_expire() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let flaky = pool
        .add_tokens(
            Some(&jwt("acc-1", "u", NOW_SECS + 100)),
            Some("rt_flaky"),
            None,
            now(),
        )
        .unwrap();
    let transport = FakeRefresher::new(|_| Answer::Transport);
    let report = pool.refresh_due(now(), &transport).await.unwrap();
    assert_eq!(report.retrying.len(), 1);
    let (id, retry) = pool.next_refresh_due(now()).unwrap();
    assert_eq!(id, flaky.id);
    let wait = retry.duration_since(now()).unwrap();
    assert!(
        wait >= Duration::from_millis(4250) && wait <= Duration::from_millis(5750),
        "{wait:?}"
    );
    // Not retried before the backoff.
    pool.refresh_due(retry - Duration::from_secs(1), &transport)
        .await
        .unwrap();
    assert_eq!(transport.calls(), 1);
    pool.refresh_due(retry, &transport).await.unwrap();
    assert_eq!(transport.calls(), 2);
    let (_, retry2) = pool.next_refresh_due(retry).unwrap();
    let wait2 = retry2.duration_since(retry).unwrap();
    assert!(wait2 >= Duration::from_millis(12_750), "{wait2:?}");
    assert_eq!(pool.get(&flaky.id).unwrap().status, AccountStatus::Active);

    let dead = FakeRefresher::new(|_| Answer::InvalidGrant);
    let report = pool.refresh_due(retry2, &dead).await.unwrap();
    assert_eq!(report.expired.len(), 1);
    assert!(report.expired[0].1.contains("invalid_grant"));
    assert_eq!(pool.get(&flaky.id).unwrap().status, AccountStatus::Expired);
    assert_eq!(
        pool.next_refresh_due(now()),
        None,
        "expired accounts are not scheduled"
    );
}

/// A refresher that blocks until released and records the peak concurrency.
struct Gate {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    release: tokio::sync::Semaphore,
}

impl Refresher for Gate {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>> {
        Box::pin(async move {
            let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(n, Ordering::SeqCst);
            let permit = self.release.acquire().await.unwrap();
            permit.forget();
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let i = refresh_token.trim_start_matches("rt_");
            Ok(TokenSet {
                access_token: jwt(&format!("acc-{i}"), "u", NOW_SECS + 10 * HOUR),
                refresh_token: Some(format!("rt_{i}_2")),
                id_token: None,
                expires_in: None,
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn refreshes_are_bounded_and_show_refreshing_while_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PoolConfig {
        refresh_concurrency: 2,
        ..PoolConfig::default()
    };
    let pool = open_with(dir.path(), cfg);
    for i in 0..4 {
        pool.add_tokens(
            Some(&jwt(&format!("acc-{i}"), "u", NOW_SECS + 100)),
            Some(&format!("rt_{i}")),
            None,
            now(),
        )
        .unwrap();
    }
    let gate = Arc::new(Gate {
        in_flight: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
        release: tokio::sync::Semaphore::new(0),
    });
    let run = {
        let (pool, gate) = (pool.clone(), gate.clone());
        tokio::spawn(async move { pool.refresh_due(now(), gate.as_ref()).await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    let statuses: Vec<_> = pool.list().unwrap().iter().map(|s| s.status).collect();
    assert!(
        statuses.iter().all(|s| *s == AccountStatus::Refreshing),
        "{statuses:?}"
    );
    // A request meanwhile is served with the still-valid token, without waiting.
    let lease = pool.acquire("m", now(), &never()).await.unwrap();
    assert_eq!(
        lease.access_token(),
        jwt(lease.chatgpt_account_id().unwrap(), "u", NOW_SECS + 100)
    );
    drop(lease);
    assert_eq!(gate.in_flight.load(Ordering::SeqCst), 2);
    gate.release.add_permits(4);
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.refreshed.len(), 4);
    assert_eq!(gate.peak.load(Ordering::SeqCst), 2);
    let statuses: Vec<_> = pool.list().unwrap().iter().map(|s| s.status).collect();
    assert!(
        statuses.iter().all(|s| *s == AccountStatus::Active),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn refresh_only_accounts_are_due_at_once_and_login_tokens_wait_for_usage() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let s = pool.add_tokens(None, Some("rt_7"), None, now()).unwrap();
    assert_eq!(pool.next_refresh_due(now()), Some((s.id.clone(), now())));
    let refresher = FakeRefresher::new(|_| Answer::Tokens {
        account: "acc-7".into(),
        user: "u".into(),
        exp: NOW_SECS + HOUR,
    });
    let report = pool.refresh_due(now(), &refresher).await.unwrap();
    assert_eq!(report.refreshed, std::slice::from_ref(&s.id));
    // No usage call right after a token exchange.
    assert!(!pool.usage_fetch_allowed(&s.id, now()));
    assert!(pool.usage_fetch_allowed(&s.id, at(NOW_SECS + 600)));
}
