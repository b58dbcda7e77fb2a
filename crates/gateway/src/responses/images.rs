//! `POST /v1/images/generations` (alias `/images/generations`) and `POST /v1/images/edits` (JSON
//! or `multipart/form-data`): the prompt (and input images) go upstream with the
//! `image_generation` tool on the configured host model; the generated image comes back as
//! `b64_json`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::responses::{
    ImageCollector, ImageMode, images_multipart_to_json, images_request,
};
use http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;

use crate::attempt::{self, Attempted};
use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::events::{self, Tap};
use crate::state::AppState;

/// Handles one images request.
pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
    mode: ImageMode,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim_start().starts_with("multipart/"))
        .map(str::to_owned);
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    // OpenAI SDKs upload edit images as a form.
    let body = match multipart {
        Some(content_type) => images_multipart_to_json(&content_type, &body)
            .map_err(GatewayError::Translate)?
            .into(),
        None => body,
    };
    let opts = state.request_options();
    let live = state.live();
    let host = live.model.image_host_model.as_str();
    let translated = images_request(&body, &opts, host, mode).map_err(GatewayError::Translate)?;
    let session_id = super::hash_session(&[b"images\0", request_id.as_bytes()]);
    drop(body);
    let upstream_body: Bytes = serde_json::to_vec(&translated.request)
        .map_err(|_| GatewayError::Internal("cannot encode the upstream request"))?
        .into();
    let model = translated.request.model.clone();
    let Attempted {
        lease,
        mut response,
    } = attempt::send(&state, &model, upstream_body, &session_id, request_id).await?;
    let quota_headers = events::quota_headers(&response.headers);
    let mut collector = ImageCollector::new();
    let mut decoder = SseDecoder::new();
    let mut tap = Tap::default();
    let mut eof = false;
    while !eof {
        match response.chunk().await {
            Some(Ok(bytes)) => decoder.push(&bytes),
            Some(Err(e)) => {
                tracing::info!(
                    error = e.label(),
                    "upstream failed while collecting an image"
                );
                eof = true;
            }
            None => eof = true,
        }
        super::feed(&mut decoder, eof, &mut tap, |f| collector.push_frame(f))?;
    }
    drop(response);
    tap.report(&state, &lease);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let bytes = collector.finish(created).map_err(GatewayError::Translate)?;
    let mut resp = Response::new(full(bytes));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.extend(quota_headers);
    Ok(resp)
}
