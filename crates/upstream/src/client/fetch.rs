//! `GET url` for an absolute URL without credentials (the Codex Desktop update feed), over the
//! same TLS stack, pool and proxy as backend calls.

use bytes::Bytes;
use http::Method;
use http::header::{ACCEPT, HOST, HeaderMap, HeaderValue, USER_AGENT};

use super::request::absolute;
use super::{Spec, Upstream};
use crate::error::UpstreamError;
use crate::headers;
use crate::response::BufferedResponse;

impl Upstream {
    /// `GET url` (absolute, `http://` or `https://`) with the anonymous header set: the model
    /// user agent, `accept: */*`, `host`; body capped at 8 MiB. Non-2xx answers become
    /// `UpstreamError::Status`. No cookie or credentials are sent.
    pub async fn get_url(&self, url: &str) -> Result<BufferedResponse, UpstreamError> {
        let (origin, path_and_query) = absolute(url)?;
        let origin = origin.via(self.proxy.clone());
        let mut h = HeaderMap::with_capacity(3);
        h.insert(
            USER_AGENT,
            headers::value("user-agent", &self.profile().user_agent)?,
        );
        h.insert(ACCEPT, HeaderValue::from_static("*/*"));
        h.insert(HOST, headers::value("host", &origin.authority)?);
        let spec = Spec {
            method: Method::GET,
            path_and_query,
            headers: h,
            body: Bytes::new(),
        };
        self.buffered(&origin, &spec).await
    }
}
