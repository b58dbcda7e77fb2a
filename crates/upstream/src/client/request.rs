//! Request helpers: stale-connection detection, absolute URLs, and building the hyper request
//! for HTTP/1 or HTTP/2.

use http::Request;
use http::header::HOST;
use http_body_util::Full;
use url::Url;

use super::Spec;
use crate::connector::{Origin, ReqBody};
use crate::error::UpstreamError;

/// True if a reused connection failed the way a connection the server had already closed
/// fails: closed or reset before any byte of the response head. The server never read the
/// request (it closed its idle connection as we wrote), so a fresh connection may carry it.
pub(super) fn is_stale(err: &hyper::Error) -> bool {
    if err.is_incomplete_message() || err.is_closed() {
        return true;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        source = cause.source();
    }
    false
}

/// Origin and path-and-query of an absolute URL.
pub(super) fn absolute(url: &str) -> Result<(Origin, String), UpstreamError> {
    let url = Url::parse(url).map_err(|_| UpstreamError::InvalidUrl {
        reason: "url does not parse",
    })?;
    let origin = Origin::from_url(&url)?;
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    Ok((origin, path_and_query))
}

/// HTTP/1: origin-form URI, headers as built (with `host`). HTTP/2: absolute URI (for
/// `:scheme` / `:authority`), headers without `host`, order otherwise kept.
pub(super) fn build_request(
    spec: &Spec,
    origin: &Origin,
    h2: bool,
) -> Result<Request<ReqBody>, UpstreamError> {
    let invalid = |_| UpstreamError::InvalidUrl {
        reason: "path is not a valid request target",
    };
    let mut request = Request::new(Full::new(spec.body.clone()));
    *request.method_mut() = spec.method.clone();
    if h2 {
        let scheme = if origin.https { "https" } else { "http" };
        let uri = format!("{scheme}://{}{}", origin.authority, spec.path_and_query);
        *request.uri_mut() = uri.parse().map_err(invalid)?;
        *request.version_mut() = http::Version::HTTP_2;
        let headers = request.headers_mut();
        headers.reserve(spec.headers.len());
        for (name, value) in spec.headers.iter().filter(|(name, _)| *name != HOST) {
            headers.append(name, value.clone());
        }
    } else {
        *request.uri_mut() = spec.path_and_query.parse().map_err(invalid)?;
        *request.headers_mut() = spec.headers.clone();
    }
    Ok(request)
}
