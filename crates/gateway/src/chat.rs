//! `POST /v1/chat/completions`: auth → bounded body → translate → lease + upstream (with
//! failover, [`crate::attempt`]) → streamed chunks or one assembled `chat.completion`, through
//! the shared pipeline in [`crate::dialect`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use codex_proxy_translate::openai_chat::{self, ChatCollector, ChatStream};
use http::{Request, Response};
use hyper::body::Incoming;

use crate::body::Body;
use crate::dialect;
use crate::error::GatewayError;
use crate::state::AppState;

/// Handles one chat completions request.
pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())?;
    let seed_key = crate::auth::presented(req.headers())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    let opts = state.request_options();
    let mut translated = openai_chat::request_to_responses(&body, &opts)
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    drop(body);
    let attempted = dialect::send_translated(
        &state,
        &mut translated.request,
        translated.conversation_id.as_deref(),
        &seed_key,
        request_id,
    )
    .await?;
    let ctx = translated.stream_context(
        format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        unix_now(),
    );
    if translated.stream {
        Ok(dialect::stream(&state, attempted, ChatStream::new(ctx)))
    } else {
        dialect::collect(&state, attempted, ChatCollector::new(ctx)).await
    }
}

/// Seconds since the Unix epoch (response `created` fields).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
