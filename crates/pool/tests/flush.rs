//! Write-behind of hot-path bookkeeping: usage counters live in memory until `flush` (or the
//! last handle's drop), while status changes are written at once.

#[path = "support/mint.rs"]
mod mint;

use codex_proxy_pool::{Outcome, UsageDelta};
use mint::{NOW_SECS, jwt, never, now, open};

fn success(tokens: u64) -> Outcome {
    Outcome::Success {
        usage: UsageDelta {
            input_tokens: tokens,
            output_tokens: 1,
            cached_tokens: 0,
        },
    }
}

fn input_tokens(pool: &codex_proxy_pool::Pool) -> u64 {
    let list = pool.list().expect("list accounts");
    serde_json::to_value(&list[0]).expect("summary serializes")["usage"]["input_tokens"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn counters_reach_disk_on_flush_not_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let access = jwt("acc-1", "u-1", NOW_SECS + 86_400);
    pool.add_tokens(Some(&access), None, None, now()).unwrap();
    for _ in 0..3 {
        let lease = pool.acquire("gpt-5", now(), &never()).await.unwrap();
        pool.report(&lease, success(10), now());
    }
    assert_eq!(input_tokens(&pool), 30, "memory is current at once");
    assert_eq!(pool.flush().unwrap(), 1);
    assert_eq!(pool.flush().unwrap(), 0, "nothing left to write");

    // A second process opening the same files sees what was flushed. (The first keeps its
    // handle: redb allows one writer, so the reader opens after the flush and a drop.)
    drop(pool);
    let reopened = open(dir.path());
    assert_eq!(input_tokens(&reopened), 30);
}

#[tokio::test]
async fn last_handle_drop_flushes_pending_counters() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let access = jwt("acc-1", "u-1", NOW_SECS + 86_400);
    pool.add_tokens(Some(&access), None, None, now()).unwrap();
    let lease = pool.acquire("gpt-5", now(), &never()).await.unwrap();
    pool.report(&lease, success(7), now());
    drop(lease);
    drop(pool);
    assert_eq!(input_tokens(&open(dir.path())), 7);
}
