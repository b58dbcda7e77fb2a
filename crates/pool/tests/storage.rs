//! Adding, deduplicating, importing, exporting and persisting accounts.

#[path = "support/mint.rs"]
mod mint;

use codex_proxy_pool::{AccountStatus, Pool, PoolConfig, PoolError, TokenError};
use mint::{NOW_SECS, at, fixture, jwt, now, open};

const FAR: u64 = NOW_SECS + 86_400;
const FIXTURE_ACCOUNT: &str = "00000000-0000-4000-8000-00000000fa6e";

#[test]
fn add_reads_claims_and_dedups_by_account_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let a = pool
        .add_tokens(
            Some(&jwt("acc-1", "user-1", FAR)),
            Some("rt_1"),
            Some("main"),
            now(),
        )
        .unwrap();
    assert_eq!(a.chatgpt_account_id.as_deref(), Some("acc-1"));
    assert_eq!(a.user_id.as_deref(), Some("user-1"));
    assert_eq!(a.plan.as_deref(), Some("plus"));
    assert_eq!(a.email.as_deref(), Some("user-1@example.invalid"));
    assert_eq!(a.expires_at, Some(FAR));
    assert_eq!(a.label.as_deref(), Some("main"));
    assert!(a.has_refresh_token);
    assert_eq!(a.status, AccountStatus::Active);

    // Same account and user again: updated in place, label kept, id stable.
    let again = pool
        .add_tokens(Some(&jwt("acc-1", "user-1", FAR + 10)), None, None, now())
        .unwrap();
    assert_eq!(again.id, a.id);
    assert_eq!(again.expires_at, Some(FAR + 10));
    assert_eq!(again.label.as_deref(), Some("main"));
    assert!(
        again.has_refresh_token,
        "a missing refresh token keeps the stored one"
    );

    // A team member shares the account id but not the user id: a separate account.
    let teammate = pool
        .add_tokens(Some(&jwt("acc-1", "user-2", FAR)), None, None, now())
        .unwrap();
    assert_ne!(teammate.id, a.id);
    assert_eq!(pool.list().unwrap().len(), 2);
}

#[test]
fn add_rejects_bad_tokens_with_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let kind = |r: Result<_, PoolError>| match r {
        Err(PoolError::InvalidToken(k)) => k,
        other => panic!("expected invalid token, got {other:?}"),
    };
    assert_eq!(
        kind(pool.add_tokens(None, None, None, now())),
        TokenError::Empty
    );
    assert_eq!(
        kind(pool.add_tokens(Some("nope"), None, None, now())),
        TokenError::Malformed
    );
    assert_eq!(
        kind(pool.add_tokens(Some(&jwt("a", "u", NOW_SECS - 1)), None, None, now())),
        TokenError::Expired
    );
    let no_account = format!(
        "e30.{}.sig",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            format!(r#"{{"exp":{FAR}}}"#)
        )
    );
    assert_eq!(
        kind(pool.add_tokens(Some(&no_account), None, None, now())),
        TokenError::MissingAccountId
    );
    // Expired access token with a refresh token is accepted (refreshed on first use).
    pool.add_tokens(
        Some(&jwt("a", "u", NOW_SECS - 1)),
        Some("rt_x"),
        None,
        now(),
    )
    .unwrap();
    assert!(
        pool.add_tokens(Some("nope"), None, None, now())
            .unwrap_err()
            .is_client_error()
    );
}

#[test]
fn refresh_only_accounts_dedup_by_refresh_token() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let a = pool.add_tokens(None, Some("rt_only"), None, now()).unwrap();
    assert_eq!(a.chatgpt_account_id, None);
    assert!(a.has_refresh_token);
    let b = pool
        .add_tokens(None, Some("Bearer rt_only"), Some("x"), now())
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(b.label.as_deref(), Some("x"));
    assert_eq!(pool.list().unwrap().len(), 1);
}

#[test]
fn imports_each_official_auth_json_fixture() {
    for name in [
        "auth-json-after-proactive-refresh.json",
        "auth-json-input-expired-access-token.json",
        "oauth-auth-json-after-browser-login.json",
        "oauth-auth-json-after-device-login.json",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path());
        let report = pool.import(&fixture(name), now()).unwrap();
        assert_eq!((report.added, report.updated), (1, 0), "{name}: {report:?}");
        assert!(report.skipped.is_empty(), "{name}");
        let list = pool.list().unwrap();
        let acc = &list[0];
        assert_eq!(
            acc.chatgpt_account_id.as_deref(),
            Some(FIXTURE_ACCOUNT),
            "{name}"
        );
        assert_eq!(
            acc.user_id.as_deref(),
            Some("user-FAKEFAKEFAKEFAKEFAKEFAKE")
        );
        assert_eq!(acc.plan.as_deref(), Some("pro"));
        assert_eq!(acc.email.as_deref(), Some("fake.user@example.invalid"));
        assert!(acc.has_refresh_token);
        // The same file again updates rather than duplicates.
        let again = pool.import(&fixture(name), now()).unwrap();
        assert_eq!((again.added, again.updated), (0, 1));
    }
}

#[test]
fn all_fixtures_are_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let expired = pool
        .import(&fixture("auth-json-input-expired-access-token.json"), now())
        .unwrap();
    assert_eq!(expired.added, 1);
    assert_eq!(pool.list().unwrap()[0].expires_at, Some(1_795_502_156));
    let fresh = pool
        .import(&fixture("auth-json-after-proactive-refresh.json"), now())
        .unwrap();
    assert_eq!((fresh.added, fresh.updated), (0, 1));
    let list = pool.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].expires_at, Some(2_110_865_757));
}

#[test]
fn imports_reference_formats() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let full = serde_json::json!({ "accounts": [
        { "id": "0123456789abcdef", "token": jwt("acc-a", "u-a", FAR), "refreshToken": "rt_a",
          "label": "alpha", "status": "active", "proxyApiKey": "codex-proxy-00", "usage": {} },
        { "token": format!("Bearer {}", jwt("acc-b", "u-b", FAR)) },
        { "label": "nothing here" },
        42,
    ]});
    let report = pool.import(full.to_string().as_bytes(), now()).unwrap();
    assert_eq!((report.added, report.updated), (2, 0));
    assert_eq!(
        report.skipped.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![2, 3]
    );

    // Minimal: refresh tokens only; a duplicate within the batch is skipped.
    let minimal = r#"{"accounts":[{"refreshToken":"rt_m","label":"m"},{"refreshToken":"rt_m"}]}"#;
    let report = pool.import(minimal.as_bytes(), now()).unwrap();
    assert_eq!((report.added, report.skipped.len()), (1, 1));

    // A bare array, snake_case fields, and a bare refresh token string.
    let array = serde_json::json!([
        { "access_token": jwt("acc-c", "u-c", FAR), "refresh_token": "rt_c" },
        "oaistb_rt_bare",
    ]);
    let report = pool.import(array.to_string().as_bytes(), now()).unwrap();
    assert_eq!(report.added, 2);

    // Sub2API: only openai oauth items count.
    let sub2api = serde_json::json!({ "type": "sub2api-data", "proxies": [], "accounts": [
        { "name": "s", "platform": "openai", "type": "oauth",
          "credentials": { "access_token": jwt("acc-d", "u-d", FAR) } },
        { "name": "other", "platform": "anthropic", "type": "oauth", "credentials": { "access_token": "x" } },
    ]});
    let report = pool.import(sub2api.to_string().as_bytes(), now()).unwrap();
    assert_eq!((report.added, report.skipped.len()), (1, 1));

    // Text: one token per line.
    let text = format!("{}\nrt_line\n", jwt("acc-e", "u-e", FAR));
    assert_eq!(pool.import(text.as_bytes(), now()).unwrap().added, 2);

    let labels: Vec<_> = pool
        .list()
        .unwrap()
        .into_iter()
        .filter_map(|a| a.label)
        .collect();
    assert!(labels.contains(&"alpha".to_owned()) && labels.contains(&"s".to_owned()));
    assert_eq!(pool.list().unwrap().len(), 8);

    assert!(matches!(
        pool.import(b"  ", now()),
        Err(PoolError::InvalidImport(_))
    ));
    assert!(matches!(
        pool.import(b"[]", now()),
        Err(PoolError::InvalidImport(_))
    ));
}

#[test]
fn export_then_import_round_trips() {
    let src = tempfile::tempdir().unwrap();
    let pool = open(src.path());
    pool.add_tokens(
        Some(&jwt("acc-1", "u-1", FAR)),
        Some("rt_1"),
        Some("one"),
        now(),
    )
    .unwrap();
    pool.add_tokens(Some(&jwt("acc-2", "u-2", FAR)), None, None, now())
        .unwrap();
    pool.add_tokens(None, Some("rt_3"), Some("three"), now())
        .unwrap();

    let full = pool.export(false).to_json();
    let dst = tempfile::tempdir().unwrap();
    let copy = open(dst.path());
    let report = copy.import(&full, now()).unwrap();
    assert_eq!(
        (report.added, report.updated, report.skipped.len()),
        (3, 0, 0)
    );
    let strip = |p: &Pool| {
        p.list()
            .unwrap()
            .into_iter()
            .map(|a| {
                (
                    a.chatgpt_account_id,
                    a.user_id,
                    a.label,
                    a.has_refresh_token,
                    a.expires_at,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&pool), strip(&copy));
    // Installation ids survive the round trip too.
    let exported: serde_json::Value = serde_json::from_slice(&full).unwrap();
    let reexported: serde_json::Value =
        serde_json::from_slice(&copy.export(false).to_json()).unwrap();
    assert_eq!(
        exported["accounts"][0]["installationId"],
        reexported["accounts"][0]["installationId"]
    );

    let minimal = pool.export(true);
    assert_eq!(
        minimal.accounts.len(),
        2,
        "only accounts with a refresh token"
    );
    let dst2 = tempfile::tempdir().unwrap();
    let report = open(dst2.path()).import(&minimal.to_json(), now()).unwrap();
    assert_eq!(report.added, 2);
    assert!(
        !format!("{minimal:?}").contains("rt_1"),
        "export Debug redacts"
    );
}

#[test]
fn tokens_are_encrypted_on_disk_and_key_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let access = jwt("acc-secret", "u-secret", FAR);
    {
        let pool = open(dir.path());
        pool.add_tokens(Some(&access), Some("rt_SECRET_refresh_value"), None, now())
            .unwrap();
    }
    let raw = std::fs::read(dir.path().join("codex-proxy.redb")).unwrap();
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(access.as_bytes()));
    assert!(!contains(&access.as_bytes()[40..80]));
    assert!(!contains(b"rt_SECRET_refresh_value"));
    assert!(
        contains(b"acc-secret"),
        "non-secret metadata is stored in clear"
    );

    let key = dir.path().join("codex-proxy.key");
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn reopen_keeps_accounts_key_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let (id, installation) = {
        let pool = open(dir.path());
        let a = pool
            .add_tokens(
                Some(&jwt("acc-1", "u-1", FAR)),
                Some("rt_1"),
                Some("l"),
                now(),
            )
            .unwrap();
        pool.add_tokens(None, Some("rt_2"), None, now()).unwrap();
        let export = pool.export(false).to_json();
        let v: serde_json::Value = serde_json::from_slice(&export).unwrap();
        (
            a.id,
            v["accounts"][0]["installationId"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    let key_before = std::fs::read(dir.path().join("codex-proxy.key")).unwrap();
    let pool = open(dir.path());
    assert_eq!(
        std::fs::read(dir.path().join("codex-proxy.key")).unwrap(),
        key_before
    );
    let list = pool.list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, id, "insertion order is kept");
    assert_eq!(list[0].label.as_deref(), Some("l"));
    assert!(list[1].has_refresh_token);
    let v: serde_json::Value = serde_json::from_slice(&pool.export(false).to_json()).unwrap();
    assert_eq!(
        v["accounts"][0]["installationId"].as_str(),
        Some(installation.as_str())
    );
    assert_eq!(v["accounts"][0]["refreshToken"].as_str(), Some("rt_1"));
}

#[test]
fn wrong_or_missing_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let pool = open(dir.path());
        pool.add_tokens(None, Some("rt_1"), None, now()).unwrap();
    }
    let key = dir.path().join("codex-proxy.key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    let err = Pool::open(dir.path(), PoolConfig::default()).unwrap_err();
    assert!(err.is_wrong_key(), "{err:?}");

    std::fs::write(&key, [7u8; 5]).unwrap();
    let err = Pool::open(dir.path(), PoolConfig::default()).unwrap_err();
    assert!(matches!(err, PoolError::InvalidKeyFile { .. }), "{err:?}");

    std::fs::remove_file(&key).unwrap();
    let err = Pool::open(dir.path(), PoolConfig::default()).unwrap_err();
    assert!(matches!(err, PoolError::KeyMissing { .. }), "{err:?}");
    assert!(!key.exists(), "a missing key is not silently recreated");
}

#[test]
fn summaries_and_debug_output_hold_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(dir.path());
    let access = jwt("acc-1", "u-1", FAR);
    let summary = pool
        .add_tokens(Some(&access), Some("rt_hidden"), None, at(NOW_SECS))
        .unwrap();
    let json = serde_json::to_string(&summary).unwrap();
    assert!(!json.contains(&access) && !json.contains("rt_hidden"));
    assert!(
        json.contains("\"chatgpt_account_id\""),
        "snake_case fields: {json}"
    );
    let debug = format!("{pool:?}");
    assert!(!debug.contains(&access) && !debug.contains("rt_hidden"));
}

#[test]
fn remove_and_label_persist() {
    let dir = tempfile::tempdir().unwrap();
    let (keep, gone) = {
        let pool = open(dir.path());
        let keep = pool.add_tokens(None, Some("rt_keep"), None, now()).unwrap();
        let gone = pool.add_tokens(None, Some("rt_gone"), None, now()).unwrap();
        pool.set_label(&keep.id, Some(&"x".repeat(100))).unwrap();
        pool.remove(&gone.id).unwrap();
        assert!(matches!(pool.remove(&gone.id), Err(PoolError::NotFound)));
        (keep.id, gone.id)
    };
    let pool = open(dir.path());
    let list = pool.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, keep);
    assert_eq!(list[0].label.as_deref().map(str::len), Some(64));
    assert!(pool.get(&gone).is_none());
}
