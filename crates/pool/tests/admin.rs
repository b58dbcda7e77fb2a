//! Client keys, cookies and batch operations, including persistence.

#[path = "support/mint.rs"]
mod mint;

use codex_proxy_pool::{AccountStatus, Cookie, KeyError, PoolError};
use mint::{NOW_SECS, add_accounts, at, never, now, open};

#[test]
fn client_keys_are_hashed_checked_budgeted_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let (info, key) = pool
        .create_client_key(
            "ci",
            Some(vec!["gpt-5".into()]),
            Some(at(NOW_SECS + 100)),
            Some(1000),
            now(),
        )
        .unwrap();
    assert!(key.starts_with("sk-proxy-"));
    assert!(!format!("{info:?}").contains(&key));
    assert_eq!(
        pool.check_client_key(&key, Some("gpt-5"), now())
            .unwrap()
            .id,
        info.id
    );
    assert_eq!(
        pool.check_client_key(&key, None, now()).unwrap().label,
        "ci"
    );
    assert_eq!(
        pool.check_client_key(&key, Some("gpt-4o"), now())
            .unwrap_err(),
        KeyError::ModelNotAllowed {
            model: "gpt-4o".into()
        }
    );
    assert_eq!(
        pool.check_client_key("sk-proxy-nope", None, now())
            .unwrap_err(),
        KeyError::Unknown
    );
    assert_eq!(
        pool.check_client_key("", None, now()).unwrap_err().status(),
        401
    );
    assert_eq!(
        pool.check_client_key(&key, None, at(NOW_SECS + 100))
            .unwrap_err(),
        KeyError::Expired
    );
    pool.record_key_usage(&info.id, 600, now()).unwrap();
    pool.record_key_usage(&info.id, 400, now()).unwrap();
    let err = pool.check_client_key(&key, None, now()).unwrap_err();
    assert_eq!(err, KeyError::BudgetExhausted);
    assert_eq!(err.status(), 429);

    // An unlimited key, persisted across a reopen; the plaintext is not on disk.
    let (open_info, open_key) = pool
        .create_client_key("open", Some(vec![]), None, None, now())
        .unwrap();
    assert_eq!(open_info.allowed_models, None);
    drop(pool);
    let pool = open(dir.path());
    let listed = pool.list_client_keys();
    assert_eq!(listed.len(), 2);
    let ci = listed.iter().find(|k| k.id == info.id).unwrap();
    assert_eq!(ci.used_tokens, 1000);
    assert_eq!(ci.request_count, 2);
    assert!(
        pool.check_client_key(&open_key, Some("anything"), now())
            .is_ok()
    );
    let db = std::fs::read(dir.path().join("codex-proxy.redb")).unwrap();
    assert!(!db.windows(open_key.len()).any(|w| w == open_key.as_bytes()));
    pool.revoke_client_key(&open_info.id).unwrap();
    assert_eq!(
        pool.check_client_key(&open_key, None, now()).unwrap_err(),
        KeyError::Revoked
    );
    pool.delete_client_key(&open_info.id).unwrap();
    assert_eq!(
        pool.check_client_key(&open_key, None, now()).unwrap_err(),
        KeyError::Unknown
    );
    assert!(matches!(
        pool.revoke_client_key(&open_info.id),
        Err(PoolError::NotFound)
    ));
}

#[test]
fn cookies_keep_only_cf_clearance_encrypted_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let ids = add_accounts(&pool, 1);
    let cookie = |name: &str, value: &str, exp: Option<u64>| Cookie {
        name: name.into(),
        value: value.into(),
        expires: exp.map(at),
    };
    pool.set_cookies(
        &ids[0],
        vec![
            cookie("cf_clearance", "CLEARANCE-SECRET-1", Some(NOW_SECS + 100)),
            cookie("__cf_bm", "other", None),
            cookie("cf_clearance", "stale", Some(NOW_SECS - 1)),
        ],
        now(),
    )
    .unwrap();
    let got = pool.cookies(&ids[0], now()).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value, "CLEARANCE-SECRET-1");
    assert!(!format!("{got:?}").contains("CLEARANCE-SECRET"));
    assert!(
        pool.cookies(&ids[0], at(NOW_SECS + 100))
            .unwrap()
            .is_empty(),
        "expired"
    );
    drop(pool);
    let db = std::fs::read(dir.path().join("codex-proxy.redb")).unwrap();
    assert!(
        !db.windows(18).any(|w| w == b"CLEARANCE-SECRET-1"),
        "encrypted at rest"
    );
    let pool = open(dir.path());
    assert_eq!(pool.cookies(&ids[0], now()).unwrap().len(), 1);
    assert!(matches!(
        pool.cookies(&codex_proxy_pool::AccountId::from_string("nope"), now()),
        Err(PoolError::NotFound)
    ));
}

#[tokio::test]
async fn batch_delete_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let ids = add_accounts(&pool, 4);
    let unknown = codex_proxy_pool::AccountId::from_string("acct_unknown");
    assert_eq!(
        pool.set_status_many(
            &[ids[0].clone(), ids[1].clone(), unknown.clone()],
            AccountStatus::Disabled
        )
        .unwrap(),
        2
    );
    assert!(matches!(
        pool.set_status_many(&ids, AccountStatus::Banned),
        Err(PoolError::InvalidStatus)
    ));
    assert_eq!(pool.remove_many(&[ids[2].clone(), unknown]).unwrap(), 1);
    let lease = pool.acquire("m", now(), &never()).await.unwrap();
    assert_eq!(lease.id(), &ids[3]);
    drop(pool);
    let pool = open(dir.path());
    let list = pool.list().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].status, AccountStatus::Disabled);
    assert_eq!(
        pool.set_status_many(&ids[..2], AccountStatus::Active)
            .unwrap(),
        2
    );
    assert!(
        pool.list()
            .unwrap()
            .iter()
            .all(|s| s.status == AccountStatus::Active)
    );
    assert!(matches!(pool.remove(&ids[2]), Err(PoolError::NotFound)));
}
