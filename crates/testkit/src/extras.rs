//! Test hooks configured in [`crate::MockConfig`]: a `set-cookie` on every backend answer
//! (cookie-jar tests) and `GET /__mock/appcast` (fingerprint updater tests).

use http::{HeaderValue, StatusCode, header};

use crate::body::{self, Resp};
use crate::state::State;

/// Adds `MockConfig::set_cookie` to answers of `/backend-api/…` paths.
pub(crate) fn set_cookie(state: &State, path: &str, resp: &mut Resp) {
    let Some(cookie) = state.cfg.set_cookie.as_deref() else {
        return;
    };
    if !path.starts_with("/backend-api/") {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `GET /__mock/appcast`: the configured feed as `application/xml`, else 404.
pub(crate) fn appcast(state: &State) -> Resp {
    match state.cfg.appcast.as_deref() {
        Some(feed) => body::full(StatusCode::OK, "application/xml", feed.to_owned()),
        None => body::detail(StatusCode::NOT_FOUND, "no appcast configured"),
    }
}
