//! Shared server state: per-account counters and faults, stats, recent requests.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{LineWriter, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::MockConfig;
use crate::fault::Fault;
use crate::oauth::OAuthState;
use crate::record::RecordedRequest;
use crate::replay::Replay;

/// Primary window length (5 h) in seconds.
pub(crate) const PRIMARY_WINDOW_SECS: u64 = 18_000;
/// Secondary window length (7 days) in seconds.
pub(crate) const SECONDARY_WINDOW_SECS: u64 = 604_800;
/// Cap on remembered prompt cache keys per account.
const MAX_CACHE_KEYS: usize = 100_000;

/// Counters of a [`crate::MockServer`], also served by `GET /__mock/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockStats {
    /// Every HTTP request received.
    pub requests: u64,
    /// Requests per route (`responses`, `compact`, `models`, `usage`, `accounts_check`, `oauth_token`, ...).
    pub by_route: BTreeMap<String, u64>,
    /// Responses/compact calls per ChatGPT account id (after authentication).
    pub by_account: BTreeMap<String, AccountStats>,
    /// Faults served, by label (`429`, `cut`, ...).
    pub by_fault: BTreeMap<String, u64>,
    /// Requests refused by strict validation (400/401/415/426).
    pub rejected: u64,
}

/// Per-account counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStats {
    /// Authenticated responses/compact calls of this account.
    pub requests: u64,
    /// Faults served to this account, by label.
    pub faults: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Account {
    requests: u64,
    faults: BTreeMap<&'static str, u64>,
    cache_keys: HashSet<u64>,
    injected: Option<Injected>,
}

#[derive(Clone, Copy)]
struct Injected {
    fault: Fault,
    remaining: Option<u32>,
}

#[derive(Default)]
struct Inner {
    accounts: HashMap<String, Account>,
    by_fault: BTreeMap<&'static str, u64>,
}

/// The routes counted in stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Responses,
    Compact,
    Models,
    Usage,
    AccountsCheck,
    OauthAuthorize,
    OauthToken,
    Mock,
    Other,
}

impl Route {
    const ALL: [Route; 9] = [
        Route::Responses,
        Route::Compact,
        Route::Models,
        Route::Usage,
        Route::AccountsCheck,
        Route::OauthAuthorize,
        Route::OauthToken,
        Route::Mock,
        Route::Other,
    ];

    fn name(self) -> &'static str {
        match self {
            Route::Responses => "responses",
            Route::Compact => "compact",
            Route::Models => "models",
            Route::Usage => "usage",
            Route::AccountsCheck => "accounts_check",
            Route::OauthAuthorize => "oauth_authorize",
            Route::OauthToken => "oauth_token",
            Route::Mock => "mock",
            Route::Other => "other",
        }
    }
}

/// What the state decided for one model call.
pub(crate) struct Admission {
    /// The fault to serve (injected per-account fault wins over a marker).
    pub fault: Option<Fault>,
    /// This account's request count including this one.
    pub count: u64,
    /// The prompt cache key was seen before on this account.
    pub cache_hit: bool,
}

/// Rate-limit numbers for the `x-codex-*` headers and `/wham/usage`.
pub(crate) struct RateLimits {
    pub primary_used: u64,
    pub primary_reset_after: u64,
    pub secondary_used: u64,
    pub secondary_reset_after: u64,
    pub now: u64,
}

pub(crate) struct State {
    pub cfg: MockConfig,
    started: Instant,
    started_unix: u64,
    next_id: AtomicU64,
    requests: AtomicU64,
    rejected: AtomicU64,
    routes: [AtomicU64; 9],
    websocket: std::sync::atomic::AtomicBool,
    /// WebSocket framing options and counters (`crate::ws`).
    pub ws: crate::ws::WsState,
    inner: Mutex<Inner>,
    recent: Mutex<VecDeque<RecordedRequest>>,
    record_file: Option<Mutex<LineWriter<File>>>,
    pub oauth: Mutex<OAuthState>,
    pub replay: Option<Replay>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl State {
    pub fn new(cfg: MockConfig) -> std::io::Result<State> {
        let record_file = match &cfg.record {
            Some(path) => {
                let f = OpenOptions::new().create(true).append(true).open(path)?;
                Some(Mutex::new(LineWriter::new(f)))
            }
            None => None,
        };
        let replay = match &cfg.replay_dir {
            Some(dir) => Some(Replay::load(dir)?),
            None => None,
        };
        Ok(State {
            started: Instant::now(),
            started_unix: unix_now(),
            next_id: AtomicU64::new(1),
            requests: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            routes: Default::default(),
            websocket: std::sync::atomic::AtomicBool::new(false),
            ws: crate::ws::WsState::default(),
            inner: Mutex::new(Inner::default()),
            recent: Mutex::new(VecDeque::new()),
            record_file,
            oauth: Mutex::new(OAuthState::default()),
            replay,
            cfg,
        })
    }

    /// A fresh sequence number for ids (responses, items, codes, tokens).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn count_route(&self, route: Route) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let idx = Route::ALL
            .iter()
            .position(|r| *r == route)
            .unwrap_or(Route::ALL.len() - 1);
        self.routes[idx].fetch_add(1, Ordering::Relaxed);
    }

    /// Whether WebSocket upgrades are accepted (off: 426, the default).
    pub fn websocket(&self) -> bool {
        self.websocket.load(Ordering::Relaxed)
    }

    pub fn set_websocket(&self, on: bool) {
        self.websocket.store(on, Ordering::Relaxed);
    }

    pub fn count_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a model call for `account` and decides its fault and cache hit.
    pub fn admit(&self, account: &str, cache_key: Option<u64>, marker: Option<Fault>) -> Admission {
        let mut inner = lock(&self.inner);
        let acct = match inner.accounts.get_mut(account) {
            Some(a) => a,
            None => inner.accounts.entry(account.to_owned()).or_default(),
        };
        acct.requests += 1;
        let mut fault = None;
        if let Some(inj) = acct.injected.as_mut() {
            fault = Some(inj.fault);
            if let Some(n) = inj.remaining.as_mut() {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    acct.injected = None;
                }
            }
        }
        let fault = fault.or(marker);
        let cache_hit = match cache_key {
            Some(k) if acct.cache_keys.contains(&k) => true,
            Some(k) => {
                if acct.cache_keys.len() < MAX_CACHE_KEYS {
                    acct.cache_keys.insert(k);
                }
                false
            }
            None => false,
        };
        let count = acct.requests;
        if let Some(f) = fault {
            *acct.faults.entry(f.label()).or_default() += 1;
            *inner.by_fault.entry(f.label()).or_default() += 1;
        }
        Admission {
            fault,
            count,
            cache_hit,
        }
    }

    /// The request count of an account (0 when unknown) and whether it has a 429 injected.
    pub fn account_snapshot(&self, account: &str) -> (u64, bool) {
        let inner = lock(&self.inner);
        inner.accounts.get(account).map_or((0, false), |a| {
            let limited = a.injected.is_some_and(|i| i.fault == Fault::RateLimit);
            (a.requests, limited)
        })
    }

    pub fn set_fault(&self, account: &str, fault: Fault, times: Option<u32>) {
        let mut inner = lock(&self.inner);
        let acct = inner.accounts.entry(account.to_owned()).or_default();
        acct.injected = match times {
            Some(0) => None,
            _ => Some(Injected {
                fault,
                remaining: times,
            }),
        };
    }

    pub fn clear_faults(&self, account: Option<&str>) {
        let mut inner = lock(&self.inner);
        for (id, acct) in inner.accounts.iter_mut() {
            if account.is_none_or(|a| a == id) {
                acct.injected = None;
            }
        }
    }

    /// Rate-limit numbers after `count` requests: they grow with use and never reach 100.
    pub fn rate_limits(&self, count: u64) -> RateLimits {
        let elapsed = self.started.elapsed().as_secs();
        RateLimits {
            primary_used: count * 100 / (count + 200),
            primary_reset_after: PRIMARY_WINDOW_SECS - elapsed % PRIMARY_WINDOW_SECS,
            secondary_used: count * 100 / (count + 2_000),
            secondary_reset_after: SECONDARY_WINDOW_SECS - elapsed % SECONDARY_WINDOW_SECS,
            now: self.started_unix + elapsed,
        }
    }

    pub fn stats(&self) -> MockStats {
        let inner = lock(&self.inner);
        let by_account = inner
            .accounts
            .iter()
            .filter(|(_, a)| a.requests > 0)
            .map(|(id, a)| {
                let faults = a
                    .faults
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), *v))
                    .collect();
                (
                    id.clone(),
                    AccountStats {
                        requests: a.requests,
                        faults,
                    },
                )
            })
            .collect();
        let by_fault = inner
            .by_fault
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect();
        drop(inner);
        let by_route = Route::ALL
            .iter()
            .zip(&self.routes)
            .map(|(r, n)| (r.name().to_owned(), n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        MockStats {
            requests: self.requests.load(Ordering::Relaxed),
            by_route,
            by_account,
            by_fault,
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// Whether requests must be captured at all (memory ring or record file).
    pub fn recording(&self) -> bool {
        self.cfg.keep_requests > 0 || self.record_file.is_some()
    }

    pub fn record(&self, req: RecordedRequest) {
        if let Some(file) = &self.record_file {
            let line = req.to_json_line(unix_now());
            let mut f = lock(file);
            // A failing record file must not break serving; the test reading it will notice.
            let _ = f.write_all(line.as_bytes());
        }
        let keep = self.cfg.keep_requests;
        if keep > 0 {
            let mut recent = lock(&self.recent);
            while recent.len() >= keep {
                recent.pop_front();
            }
            recent.push_back(req);
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.recent).iter().cloned().collect()
    }

    pub fn lock_oauth(&self) -> MutexGuard<'_, OAuthState> {
        lock(&self.oauth)
    }
}
