//! Proxy API key check: `Authorization: Bearer <key>` or `x-api-key: <key>`.

use http::HeaderMap;

use crate::config::ProxyApiKey;
use crate::error::GatewayError;

/// Passes when no key is configured, or when the request presents the configured key.
pub(crate) fn check(key: Option<&ProxyApiKey>, headers: &HeaderMap) -> Result<(), GatewayError> {
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
