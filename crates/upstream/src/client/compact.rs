//! `POST {base}/codex/responses/compact` (upstream spec §9): one JSON request, one JSON answer.

use http::{HeaderValue, Method};

use super::{Spec, Upstream};
use crate::call::ResponsesCall;
use crate::error::UpstreamError;
use crate::headers;
use crate::response::BufferedResponse;

impl Upstream {
    /// `POST {base}/codex/responses/compact` with `call.body` (the compact body, sent as is, never
    /// compressed): the buffered JSON answer. Non-2xx answers become `UpstreamError::Status`.
    pub async fn compact(
        &self,
        call: ResponsesCall<'_>,
    ) -> Result<BufferedResponse, UpstreamError> {
        let inner = &self.inner;
        let shape = headers::BodyShape {
            len: call.body.len(),
            zstd: false,
        };
        let mut headers = headers::responses(
            &call,
            self.profile(),
            &inner.base.authority,
            shape,
            self.cookie.as_ref(),
            self.routing_override.as_ref(),
        )?;
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let spec = Spec {
            method: Method::POST,
            path_and_query: format!("{}/codex/responses/compact", inner.base_path),
            headers,
            body: call.body.clone(),
        };
        self.buffered(&self.base(), &spec).await
    }
}
