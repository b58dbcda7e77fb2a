//! Who is calling: the master key (`server.proxy_api_key`), a pool client key (label,
//! allowed models, expiry, token budget) or nobody. The router authenticates once per request
//! ([`authenticate`]) and runs the handler inside [`scope`], so handlers' [`check`] calls,
//! the model check at lease time ([`check_model`]) and usage accounting ([`current_key`]) all
//! see the same caller without passing it around. Keys are sent as `Authorization: Bearer
//! <key>` or `x-api-key: <key>` and compared in constant time.

use std::future::Future;
use std::time::SystemTime;

use codex_proxy_pool::{ClientKeyInfo, KeyError, KeyId};
use http::HeaderMap;

use crate::config::ProxyApiKey;
use crate::error::GatewayError;
use crate::state::AppState;

/// The authenticated caller of the current request.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No key presented or an unknown one (handlers decide; Gemini reads `?key=` itself).
    Anonymous,
    /// No master key is configured: everything is open.
    Open,
    /// The master key.
    Master,
    /// A pool client key.
    Client(Box<ClientKeyInfo>),
    /// A pool client key that was refused (expired, revoked, over budget).
    Refused(KeyError),
}

impl Caller {
    fn passes(&self) -> bool {
        matches!(self, Caller::Open | Caller::Master | Caller::Client(_))
    }
}

tokio::task_local! {
    static CALLER: Caller;
}

/// Works out the caller from the request headers.
pub(crate) fn authenticate(state: &AppState, headers: &HeaderMap) -> Caller {
    let live = state.live();
    let master = live.server.proxy_api_key.as_ref();
    let Some(presented) = presented(headers) else {
        return if master.is_none() {
            Caller::Open
        } else {
            Caller::Anonymous
        };
    };
    if master.is_some_and(|k| k.matches(presented)) {
        return Caller::Master;
    }
    let Ok(text) = std::str::from_utf8(presented) else {
        return Caller::Anonymous;
    };
    match state.pool.check_client_key(text, None, SystemTime::now()) {
        Ok(info) => Caller::Client(Box::new(info)),
        Err(KeyError::Unknown) if master.is_none() => Caller::Open,
        Err(KeyError::Unknown) => Caller::Anonymous,
        Err(e) => Caller::Refused(e),
    }
}

/// Runs `fut` with `caller` as the current request's caller.
pub(crate) async fn scope<F: Future>(caller: Caller, fut: F) -> F::Output {
    CALLER.scope(caller, fut).await
}

/// Admin and account routes: the master key only (or nothing configured).
pub(crate) fn require_master() -> Result<(), GatewayError> {
    match CALLER.try_with(Clone::clone) {
        Ok(Caller::Master | Caller::Open) => Ok(()),
        Ok(Caller::Client(_)) => Err(GatewayError::Forbidden),
        Ok(Caller::Refused(e)) => Err(GatewayError::ClientKey(e)),
        Ok(Caller::Anonymous) | Err(_) => Err(GatewayError::Unauthorized),
    }
}

/// Refuses a model the caller's client key does not allow.
pub(crate) fn check_model(_state: &AppState, model: &str) -> Result<(), GatewayError> {
    let allowed = CALLER.try_with(|c| match c {
        Caller::Client(info) => info
            .allowed_models
            .as_ref()
            .is_none_or(|m| m.iter().any(|m| m == model)),
        _ => true,
    });
    if allowed.unwrap_or(true) {
        Ok(())
    } else {
        Err(GatewayError::ClientKey(KeyError::ModelNotAllowed {
            model: model.to_owned(),
        }))
    }
}

/// The client key of the current request, for usage accounting.
pub(crate) fn current_key() -> Option<KeyId> {
    CALLER
        .try_with(|c| match c {
            Caller::Client(info) => Some(info.id.clone()),
            _ => None,
        })
        .ok()
        .flatten()
}

/// Passes when the router already authenticated the caller (master key, a valid client key,
/// or no key configured), or when the request presents `key`.
pub(crate) fn check(key: Option<&ProxyApiKey>, headers: &HeaderMap) -> Result<(), GatewayError> {
    match CALLER.try_with(Clone::clone) {
        Ok(c) if c.passes() => return Ok(()),
        Ok(Caller::Refused(e)) => return Err(GatewayError::ClientKey(e)),
        _ => {}
    }
    let Some(key) = key else { return Ok(()) };
    if let Some(v) = headers.get("x-api-key")
        && key.matches(v.as_bytes().trim_ascii())
    {
        return Ok(());
    }
    for v in headers.get_all(http::header::AUTHORIZATION) {
        let v = v.as_bytes().trim_ascii();
        if v.len() > 7
            && v[..7].eq_ignore_ascii_case(b"bearer ")
            && key.matches(v[7..].trim_ascii())
        {
            return Ok(());
        }
    }
    Err(GatewayError::Unauthorized)
}

/// The key a caller presented (bearer first, then `x-api-key`), for session derivation.
pub(crate) fn presented(headers: &HeaderMap) -> Option<&[u8]> {
    let bearer = headers.get(http::header::AUTHORIZATION).and_then(|v| {
        let v = v.as_bytes().trim_ascii();
        (v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer ")).then(|| v[7..].trim_ascii())
    });
    bearer.or_else(|| headers.get("x-api-key").map(|v| v.as_bytes().trim_ascii()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn accepts_bearer_and_x_api_key() {
        let key = ProxyApiKey::new("cpk-secret").ok();
        assert!(
            check(
                key.as_ref(),
                &headers(&[("authorization", "Bearer cpk-secret")])
            )
            .is_ok()
        );
        assert!(
            check(
                key.as_ref(),
                &headers(&[("authorization", "bearer cpk-secret")])
            )
            .is_ok()
        );
        assert!(check(key.as_ref(), &headers(&[("x-api-key", "cpk-secret")])).is_ok());
        assert!(check(key.as_ref(), &headers(&[("authorization", "Bearer nope")])).is_err());
        assert!(check(key.as_ref(), &headers(&[])).is_err());
        assert!(check(None, &headers(&[])).is_ok());
    }
}
