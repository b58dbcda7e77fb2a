//! Parked WebSocket sessions: after a turn completes on a socket, the socket is kept under
//! the id of the response it completed, so a follow-up carrying that id as
//! `previous_response_id` continues on the socket that owns it (the backend scopes responses
//! to their socket). Bounded per account (oldest closed first), idle sessions expire after
//! `ws_pool.max_age_ms`; a backend that refused the upgrade (426) is not asked again for a
//! while.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use codex_proxy_pool::AccountId;
use codex_proxy_upstream::WsSession;
use tokio::time::Instant;

/// How long a refused upgrade keeps requests on HTTP before the socket is tried again.
const REFUSED_FOR: Duration = Duration::from_secs(600);

/// A socket waiting for its follow-up turn.
pub(crate) struct Parked {
    /// The account the socket is authenticated as.
    pub account: AccountId,
    /// The session key the account was leased with (affinity keeps the follow-up on it).
    pub session_key: String,
    /// The upstream session (thread) id.
    pub session_id: String,
    /// The open socket.
    pub session: WsSession,
    parked_at: Instant,
}

impl Parked {
    /// A parked socket, stamped now.
    pub fn new(
        account: AccountId,
        session_key: String,
        session_id: String,
        session: WsSession,
    ) -> Self {
        Parked {
            account,
            session_key,
            session_id,
            session,
            parked_at: Instant::now(),
        }
    }
}

/// Parked sockets by the response id they completed.
pub(crate) struct WsPool {
    parked: Mutex<HashMap<String, Parked>>,
    max_idle: Duration,
    max_per_account: usize,
    refused_until: Mutex<Option<Instant>>,
}

impl WsPool {
    pub fn new(max_idle: Duration, max_per_account: usize) -> WsPool {
        WsPool {
            parked: Mutex::new(HashMap::new()),
            max_idle,
            max_per_account: max_per_account.max(1),
            refused_until: Mutex::new(None),
        }
    }

    /// Parks `p` under `response_id`, closing expired sockets and, past the per-account bound,
    /// the account's oldest.
    pub fn park(&self, response_id: String, p: Parked) {
        let mut map = self.parked.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, v| now.duration_since(v.parked_at) < self.max_idle);
        loop {
            let mine: Vec<(&String, Instant)> = map
                .iter()
                .filter(|(_, v)| v.account == p.account)
                .map(|(k, v)| (k, v.parked_at))
                .collect();
            if mine.len() < self.max_per_account {
                break;
            }
            let Some(oldest) = mine
                .iter()
                .min_by_key(|(_, at)| *at)
                .map(|(k, _)| (*k).clone())
            else {
                break;
            };
            map.remove(&oldest);
        }
        map.insert(response_id, p);
    }

    /// Takes the socket that completed `response_id`, if it is parked and not expired.
    pub fn take(&self, response_id: &str) -> Option<Parked> {
        let mut map = self.parked.lock().unwrap_or_else(PoisonError::into_inner);
        let p = map.remove(response_id)?;
        (p.parked_at.elapsed() < self.max_idle).then_some(p)
    }

    /// True while a recent 426 keeps new turns on HTTP.
    pub fn refused(&self) -> bool {
        let until = self
            .refused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.is_some_and(|t| Instant::now() < t)
    }

    /// Records a refused upgrade.
    pub fn mark_refused(&self) {
        *self
            .refused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + REFUSED_FOR);
    }
}
