//! The gateway's use of the issue-6 transport: every backend call for an account goes through
//! [`Transport::for_lease`], a view of the shared [`Upstream`] with the live client profile
//! (`transport/profile.rs`), the account's own proxy (else `tls.proxy_url`), its
//! `cf_clearance` cookie and its workspace region; the `/wham/accounts/check` the official
//! client makes before its first model call runs once per account ([`Transport::prepare`]);
//! `set-cookie` answers are observed and persisted ([`Transport::observe`]). Parked WebSocket
//! sessions live in `transport/ws_pool.rs`.

mod profile;
pub(crate) mod ws_pool;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use codex_proxy_pool::{AccountId, Cookie, Lease};
use codex_proxy_upstream::{
    CF_CLEARANCE, CookieJar, Proxy, ResponsesCall, StoredCookie, StreamingResponse, Upstream,
    UpstreamError,
};
use http::HeaderMap;

pub(crate) use profile::{ProfileSlot, run_updater};

use crate::config::GatewayConfig;
use crate::state::AppState;

/// Per-process transport state shared by all requests.
pub(crate) struct Transport {
    profile: ProfileSlot,
    /// `/wham/accounts/check` result per account: the region to pin (`None`: no pin).
    checks: Mutex<HashMap<AccountId, Option<String>>>,
    /// Parked WebSocket sessions by response id.
    pub ws: ws_pool::WsPool,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").finish_non_exhaustive()
    }
}

impl Transport {
    /// Builds the live profile (applying a persisted updater state from `data_dir`).
    pub fn new(config: &GatewayConfig, data_dir: &std::path::Path, upstream: &Upstream) -> Self {
        Transport {
            profile: ProfileSlot::new(&config.transport, data_dir, upstream),
            checks: Mutex::new(HashMap::new()),
            ws: ws_pool::WsPool::new(
                config.transport.ws_max_idle,
                config.transport.ws_max_per_account,
            ),
        }
    }

    /// The live profile slot (the updater task writes it).
    pub fn profile(&self) -> &ProfileSlot {
        &self.profile
    }

    /// The upstream view for `lease`'s account: live profile, the account's proxy, its
    /// `cf_clearance` and its cached routing region.
    pub fn for_lease(&self, state: &AppState, lease: &Lease) -> Upstream {
        self.for_account(state, lease.id())
    }

    /// [`Transport::for_lease`] by account id.
    pub fn for_account(&self, state: &AppState, id: &AccountId) -> Upstream {
        let mut up = state.upstream.with_profile(self.profile.upstream_profile());
        if let Some(url) = state.pool.account_proxy(id) {
            match Proxy::parse(&url) {
                Ok(proxy) => up = up.with_proxy(Some(proxy)),
                Err(e) => tracing::warn!(
                    account = %id.as_str(),
                    error = e.label(),
                    "account proxy does not parse; using the global proxy"
                ),
            }
        }
        let cookie = load_jar(state, id, SystemTime::now()).header(SystemTime::now());
        if cookie.is_some() {
            up = up.with_cookie(cookie.as_deref());
        }
        let region = lock(&self.checks).get(id).cloned().flatten();
        if region.is_some() {
            up = up.with_routing_override(region.as_deref());
        }
        up
    }

    /// Runs `/wham/accounts/check` for the account once (as the official client does before
    /// its first model call), caches its region, and returns the account's view. A failure
    /// the account is to blame for (401, 403, …) is returned for failover; other failures are
    /// logged and retried on the next call.
    pub async fn prepare(
        &self,
        state: &AppState,
        lease: &Lease,
    ) -> Result<Upstream, UpstreamError> {
        let id = lease.id();
        if lock(&self.checks).contains_key(id) {
            return Ok(self.for_account(state, id));
        }
        let up = self.for_account(state, id);
        let creds = crate::pool_glue::credentials(lease);
        match up.accounts_check(&creds).await {
            Ok(check) => {
                let region = lease
                    .chatgpt_account_id()
                    .and_then(|acct| check.account(acct))
                    .and_then(|a| a.region())
                    .map(str::to_owned);
                tracing::debug!(account = %id.as_str(), ?region, "workspace routing checked");
                lock(&self.checks).insert(id.clone(), region);
                Ok(self.for_account(state, id))
            }
            Err(e) => {
                if let Some(headers) = e.headers() {
                    self.observe(state, id, headers);
                }
                if e.is_account_fault() {
                    return Err(e);
                }
                tracing::info!(account = %id.as_str(), error = e.label(), "workspace routing check failed; continuing");
                Ok(up)
            }
        }
    }

    /// Takes `cf_clearance` from a backend answer's `set-cookie` headers and persists it.
    pub fn observe(&self, state: &AppState, id: &AccountId, headers: &HeaderMap) {
        if !headers.contains_key(http::header::SET_COOKIE) {
            return;
        }
        let now = SystemTime::now();
        // The pool is the jar's store (admin edits land there too), so read it fresh.
        let mut jar = load_jar(state, id, now);
        if !jar.observe(headers, now) {
            return;
        }
        let cookies = jar
            .stored()
            .cloned()
            .map(|c| Cookie {
                name: CF_CLEARANCE.to_owned(),
                value: c.value,
                expires: c.expires,
            })
            .into_iter()
            .collect();
        if let Err(e) = state.pool.set_cookies(id, cookies, now) {
            tracing::debug!(error = e.label(), "cookie not stored");
        }
    }
}

fn load_jar(state: &AppState, id: &AccountId, now: SystemTime) -> CookieJar {
    let stored = state
        .pool
        .cookies(id, now)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.name == CF_CLEARANCE)
        .map(|c| StoredCookie {
            value: c.value,
            expires: c.expires,
        });
    CookieJar::from_stored(stored)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `POST /codex/responses` for `lease`'s account through its view (accounts check first),
/// observing cookies on success and failure.
pub(crate) async fn responses(
    state: &AppState,
    lease: &Lease,
    call: ResponsesCall<'_>,
) -> Result<StreamingResponse, UpstreamError> {
    let up = state.transport.prepare(state, lease).await?;
    let result = up.responses(call).await;
    let headers = match &result {
        Ok(r) => Some(&r.headers),
        Err(e) => e.headers(),
    };
    if let Some(h) = headers {
        state.transport.observe(state, lease.id(), h);
    }
    result
}
