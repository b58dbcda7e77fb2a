//! Rotation strategies, plan routing, session affinity and concurrency limits.

#[path = "support/mint.rs"]
mod mint;

use std::time::Duration;

use codex_proxy_pool::{AcquireRequest, Outcome, PoolConfig, Strategy, UsageDelta};
use mint::{NOW_SECS, acct, add_accounts, at, never, now, open, open_with};

fn success() -> Outcome {
    Outcome::Success {
        usage: UsageDelta::default(),
    }
}

#[tokio::test]
async fn strategies_choose_as_documented_and_change_at_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    add_accounts(&pool, 3);
    assert_eq!(pool.strategy(), Strategy::LeastUsed);

    // least_used: acc-0 served two requests, acc-1 one: acc-2 first, then acc-1.
    let a0 = pool.acquire("m", now(), &never()).await.unwrap();
    pool.report(&a0, success(), now());
    pool.report(&a0, success(), now());
    let a1 = pool.acquire("m", now(), &never()).await.unwrap();
    assert_eq!(acct(&a1), "acc-1");
    pool.report(&a1, success(), now());
    let next = pool.acquire("m", now(), &never()).await.unwrap();
    assert_eq!(acct(&next), "acc-2");
    pool.report(&next, success(), now());
    let next = pool.acquire("m", now(), &never()).await.unwrap();
    assert_eq!(
        acct(&next),
        "acc-1",
        "fewest requests, then least recently leased"
    );

    // round_robin cycles in insertion order.
    pool.set_strategy(Strategy::RoundRobin);
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(acct(&pool.acquire("m", now(), &never()).await.unwrap()));
    }
    let cycle: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(&cycle[..3], &cycle[3..], "{cycle:?}");
    let mut sorted = cycle[..3].to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, ["acc-0", "acc-1", "acc-2"]);

    // sticky keeps the most recent account while it is usable, then falls back.
    pool.set_strategy(Strategy::Sticky);
    let first = pool.acquire("m", now(), &never()).await.unwrap();
    for _ in 0..3 {
        let again = pool.acquire("m", now(), &never()).await.unwrap();
        assert_eq!(again.id(), first.id());
    }
    pool.report(&first, Outcome::RateLimited { until: None }, now());
    let moved = pool.acquire("m", now(), &never()).await.unwrap();
    assert_ne!(moved.id(), first.id());
    assert_eq!(Strategy::from_name("sticky"), Some(Strategy::Sticky));
    assert_eq!(Strategy::from_name("bogus"), None);
}

#[tokio::test]
async fn plan_routing_sends_models_only_where_served() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let ids = add_accounts(&pool, 3);
    pool.set_account_models(&ids[0], vec!["gpt-5".into()])
        .unwrap();
    pool.set_account_models(&ids[1], vec!["gpt-5".into(), "gpt-5-pro".into()])
        .unwrap();
    // acc-2 has no model list of its own; its plan ("plus") is known to serve gpt-5-pro
    // (through acc-1), so it is eligible. acc-0's own list lacks the model.
    let mut seen = Vec::new();
    for _ in 0..4 {
        let lease = pool.acquire("gpt-5-pro", now(), &never()).await.unwrap();
        assert_ne!(lease.id(), &ids[0]);
        seen.push(lease.id().clone());
    }
    assert!(seen.contains(&ids[1]) && seen.contains(&ids[2]));
    pool.set_account_models(&ids[2], vec!["gpt-5".into()])
        .unwrap();
    let err = pool
        .acquire("o-unknown", now(), &never())
        .await
        .unwrap_err();
    assert!(err.is_model_unsupported(), "{err:?}");
    // Persisted.
    drop(pool);
    let pool = open(dir.path());
    let lease = pool.acquire("gpt-5-pro", now(), &never()).await.unwrap();
    assert_eq!(lease.id(), &ids[1]);
}

#[tokio::test]
async fn affinity_holds_across_turns_and_moves_when_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    add_accounts(&pool, 3);
    let req = |secs| AcquireRequest {
        model: "gpt-5",
        exclude: &[],
        session_key: Some("conv-42"),
        now: at(secs),
    };
    let first = pool.acquire_for(req(NOW_SECS), &never()).await.unwrap();
    let key = first.prompt_cache_key().unwrap().to_owned();
    assert!(key.starts_with("cp_") && key.len() == 35);
    for turn in 1..5 {
        // Other traffic in between must not move the session.
        pool.acquire("gpt-5", now(), &never()).await.unwrap();
        let lease = pool
            .acquire_for(req(NOW_SECS + turn), &never())
            .await
            .unwrap();
        assert_eq!(lease.id(), first.id(), "turn {turn}");
        assert_eq!(lease.prompt_cache_key(), Some(key.as_str()));
    }
    pool.report(
        &first,
        Outcome::RateLimited {
            until: Some(at(NOW_SECS + 600)),
        },
        now(),
    );
    let moved = pool
        .acquire_for(req(NOW_SECS + 10), &never())
        .await
        .unwrap();
    assert_ne!(moved.id(), first.id());
    assert_ne!(
        moved.prompt_cache_key(),
        Some(key.as_str()),
        "scoped per account"
    );
    // The session now sticks to the new account, even after the old one recovers.
    let later = pool
        .acquire_for(req(NOW_SECS + 700), &never())
        .await
        .unwrap();
    assert_eq!(later.id(), moved.id());
    // No session key: no cache key.
    assert!(
        pool.acquire("gpt-5", now(), &never())
            .await
            .unwrap()
            .prompt_cache_key()
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_limit_waits_for_a_free_slot_then_proceeds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PoolConfig {
        max_concurrent_per_account: 2,
        acquire_wait: Duration::from_secs(10),
        ..PoolConfig::default()
    };
    let pool = open_with(dir.path(), cfg);
    add_accounts(&pool, 1);
    let a = pool.acquire("m", now(), &never()).await.unwrap();
    let b = pool.acquire("m", now(), &never()).await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let lease = pool.acquire("m", now(), &never()).await;
            (lease.map(|l| l.id().clone()), start.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !waiter.is_finished(),
        "third acquire waits while both slots are held"
    );
    let clone = a.clone();
    drop(a);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!waiter.is_finished(), "a clone still holds the slot");
    drop(clone);
    let (lease, waited) = waiter.await.unwrap();
    assert_eq!(lease.unwrap(), *b.id());
    assert!(waited >= Duration::from_secs(4) && waited < Duration::from_secs(5));

    // Nobody frees a slot: bounded wait, then a busy error.
    let _c = pool.acquire("m", now(), &never()).await.unwrap();
    let err = pool.acquire("m", now(), &never()).await.unwrap_err();
    assert!(err.is_busy(), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn busy_account_is_passed_over_for_a_free_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PoolConfig {
        max_concurrent_per_account: 1,
        ..PoolConfig::default()
    };
    let pool = open_with(dir.path(), cfg);
    add_accounts(&pool, 2);
    let a = pool.acquire("m", now(), &never()).await.unwrap();
    let b = pool.acquire("m", now(), &never()).await.unwrap();
    assert_ne!(a.id(), b.id());
}
