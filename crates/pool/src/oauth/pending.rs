//! [`PendingLogins`]: browser logins waiting for their callback, keyed by state.

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use super::pkce::{AuthCode, LoginState, callback_params};
use crate::error::LoginError;

/// At most this many logins wait at once (the oldest is dropped).
const CAPACITY: usize = 64;

/// Browser logins started by `/auth/login` or `codex-proxy login`, waiting for the callback
/// (or a pasted redirect URL). Expired entries are dropped on every call.
#[derive(Debug, Default)]
pub struct PendingLogins {
    logins: Mutex<Vec<LoginState>>,
}

impl PendingLogins {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a started login.
    pub fn insert(&self, login: LoginState, now: SystemTime) {
        let mut logins = self.lock();
        logins.retain(|l| !l.is_expired(now));
        if logins.len() >= CAPACITY {
            logins.remove(0);
        }
        logins.push(login);
    }

    /// Matches a callback (URL or query) to its login by `state` and checks it; the login
    /// is consumed on success or on a provider error. An unknown state (never started,
    /// already used, or swept after expiry) is [`LoginError::UnknownState`].
    pub fn take(
        &self,
        url_or_query: &str,
        now: SystemTime,
    ) -> Result<(LoginState, AuthCode), LoginError> {
        let params = callback_params(url_or_query);
        let state = params
            .iter()
            .find(|(k, v)| k == "state" && !v.is_empty())
            .map(|(_, v)| v.trim().to_owned());
        let mut logins = self.lock();
        let Some(state) = state else {
            // A denial without state still deserves its own message.
            if let Some((_, error)) = params.iter().find(|(k, _)| k == "error") {
                return Err(LoginError::Denied {
                    error: error.clone(),
                    description: None,
                });
            }
            return Err(LoginError::MissingState);
        };
        let Some(i) = logins.iter().position(|l| l.state() == state) else {
            return Err(LoginError::UnknownState);
        };
        match logins[i].check_callback(url_or_query, now) {
            Ok(code) => Ok((logins.remove(i), code)),
            Err(e) => {
                if matches!(e, LoginError::Expired | LoginError::Denied { .. }) {
                    logins.remove(i);
                }
                Err(e)
            }
        }
    }

    /// Logins still waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No login is waiting.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoginState>> {
        self.logins.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
