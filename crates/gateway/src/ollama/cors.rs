//! CORS for the unauthenticated bridge: only loopback origins (`localhost`, `127.x.x.x`, `[::1]`,
//! http or https, any port) are echoed back; a browser page from anywhere else cannot read
//! replies or pass a preflight.

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use crate::body::{Body, full};

/// What to do about a request's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// No `Origin` header (not a browser cross-origin request).
    Absent,
    /// A loopback origin: echo it.
    Allowed(HeaderValue),
    /// Anything else.
    Denied,
}

/// Classify the request's origin.
pub(crate) fn origin(headers: &HeaderMap) -> Origin {
    let Some(value) = headers.get(header::ORIGIN) else {
        return Origin::Absent;
    };
    match value.to_str() {
        Ok(o) if is_loopback_origin(o) => Origin::Allowed(value.clone()),
        _ => Origin::Denied,
    }
}

/// `http(s)://localhost|127.x.x.x|[::1][:port]`.
pub(crate) fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, port)) if port.is_empty() || valid_port(port) => h,
            _ => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((h, port)) if valid_port(&format!(":{port}")) => h,
            Some(_) => return false,
            None => rest,
        }
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn valid_port(s: &str) -> bool {
    s.strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_ok())
}

/// Add `Access-Control-Allow-Origin` + `Vary: Origin` for an allowed origin.
pub(crate) fn decorate(resp: &mut Response<Body>, origin: &Origin) {
    if let Origin::Allowed(o) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// The reply to `OPTIONS`: 204 with the allowed methods and headers, 403 for a foreign origin.
pub(crate) fn preflight(origin: &Origin) -> Response<Body> {
    let mut resp = Response::new(full(Vec::new()));
    if *origin == Origin::Denied {
        *resp.status_mut() = StatusCode::FORBIDDEN;
        return resp;
    }
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET,POST,OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Authorization"),
    );
    decorate(&mut resp, origin);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        for ok in [
            "http://localhost",
            "http://localhost:3000",
            "https://127.0.0.1:8443",
            "http://127.1.2.3",
            "http://[::1]:5173",
            "http://LOCALHOST:1",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "null",
            "http://example.com",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "file://localhost",
            "http://localhost:abc",
            "http://192.168.1.2",
            "ws://localhost",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }
}
