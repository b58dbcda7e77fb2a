//! Crash safety: a child process (this test binary, re-run with an env var) imports accounts
//! and refreshes tokens in a loop, printing what has been committed; the parent kills it
//! with SIGKILL mid-work and checks that the database opens, no committed account is lost
//! and no committed refresh token was rolled back.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

#[path = "support/mint.rs"]
mod mint;

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use codex_proxy_pool::{RefreshError, Refresher, TokenSet};
use mint::{NOW_SECS, jwt, now, open};

const CHILD_ENV: &str = "CODEX_PROXY_POOL_CRASH_CHILD_DIR";
const TEST_NAME: &str = "sigkill_mid_imports_and_refreshes_loses_no_committed_state";

/// Hands out `rt-<account>-<generation>` tokens; access tokens always inside the margin so
/// every round refreshes every account.
struct Rotating {
    generation: AtomicU64,
}

impl Refresher for Rotating {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>> {
        Box::pin(async move {
            let account = account_of(refresh_token);
            let g = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(TokenSet {
                access_token: jwt(account, "u", NOW_SECS + 100),
                refresh_token: Some(format!("rt-{account}-{g}")),
                id_token: None,
                expires_in: None,
            })
        })
    }
}

/// `rt-acc-7-12` → `acc-7`.
fn account_of(rt: &str) -> &str {
    let rest = rt.trim_start_matches("rt-");
    rest.rsplit_once('-').map_or(rest, |(a, _)| a)
}

fn generation_of(rt: &str) -> u64 {
    rt.rsplit_once('-')
        .and_then(|(_, g)| g.parse().ok())
        .unwrap_or(0)
}

fn child(dir: &Path) -> ! {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = open(dir);
    let refresher = Rotating {
        generation: AtomicU64::new(0),
    };
    let mut out = std::io::stdout();
    // Continue after the accounts of earlier rounds.
    let first = pool.list().unwrap().len();
    for i in first.. {
        let account = format!("acc-{i}");
        let item = serde_json::json!([{
            "token": jwt(&account, "u", NOW_SECS + 100),
            "refreshToken": format!("rt-{account}-0"),
        }]);
        let report = pool.import(item.to_string().as_bytes(), now()).unwrap();
        assert_eq!(report.added, 1);
        writeln!(out, "CRASH added {account}").unwrap();
        out.flush().unwrap();
        let report = rt.block_on(pool.refresh_due(now(), &refresher)).unwrap();
        assert!(report.retrying.is_empty() && report.expired.is_empty());
        // Every refreshed token is committed now: report the rotated ones.
        let export: serde_json::Value =
            serde_json::from_slice(&pool.export(true).to_json()).unwrap();
        for a in export["accounts"].as_array().unwrap() {
            writeln!(out, "CRASH rt {}", a["refreshToken"].as_str().unwrap()).unwrap();
        }
        out.flush().unwrap();
    }
    unreachable!("the loop only ends when the parent kills the process")
}

#[test]
fn sigkill_mid_imports_and_refreshes_loses_no_committed_state() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let mut proc = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = proc.stdout.take().unwrap();
        let mut added = Vec::new();
        let mut latest: HashMap<String, u64> = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let target = 12 + round * 7;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(account) = line.strip_prefix("CRASH added ") {
                added.push(account.to_owned());
            } else if let Some(rt) = line.strip_prefix("CRASH rt ") {
                let g = latest.entry(account_of(rt).to_owned()).or_default();
                *g = (*g).max(generation_of(rt));
            }
            // Kill mid-way through a refresh round, at a varying point.
            if added.len() >= 8 && latest.len() >= target.min(added.len()) / 2 + round {
                break;
            }
            assert!(Instant::now() < deadline, "child made no progress");
        }
        assert!(added.len() >= 8, "round {round}: the child stopped early");
        assert!(
            proc.try_wait().unwrap().is_none(),
            "child still running when killed"
        );
        proc.kill().unwrap(); // SIGKILL on unix
        proc.wait().unwrap();

        // The database opens and holds every committed account and refresh token (or a
        // newer one committed after the last line we read).
        let pool = open(dir.path());
        let export: serde_json::Value =
            serde_json::from_slice(&pool.export(true).to_json()).unwrap();
        let stored: HashMap<String, u64> = export["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let rt = a["refreshToken"].as_str().unwrap();
                (account_of(rt).to_owned(), generation_of(rt))
            })
            .collect();
        for account in &added {
            assert!(
                stored.contains_key(account),
                "round {round}: {account} lost"
            );
        }
        for (account, g) in &latest {
            assert!(
                stored[account] >= *g,
                "round {round}: {account} rolled back from {g}"
            );
        }
        // The next round's child continues on the same database; no duplicates.
        let ids: std::collections::HashSet<_> =
            pool.list().unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), stored.len());
    }
}
