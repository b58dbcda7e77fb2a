//! Sending a Responses request with failover (upstream-codex.md §14): lease an account for
//! the session (affinity keeps a conversation on one account), call upstream, and on a failure
//! before anything reached the client record the [`codex_proxy_pool::Outcome`] against the
//! account and try again: another account after a rate limit, exhausted quota, ban or
//! Cloudflare challenge; the same account once after a 401 (the pool refreshes it first);
//! with backoff after a 5xx or an in-stream `server_is_overloaded` that arrives before any
//! output (the stream's first events are peeked for that).
//!
//! Each attempt goes over the WebSocket transport first when `ws_pool.enabled` and the backend
//! has not refused upgrades lately (`ws_turn.rs`), else, or on a refused/failed upgrade, over
//! HTTP; both give the same byte-chunk body and the same failure classification.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use codex_proxy_pool::{AccountId, Lease, Outcome};
use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_upstream::{ResponsesCall, UpstreamError};
use http::HeaderMap;

use crate::error::GatewayError;
use crate::pool_glue;
use crate::state::AppState;

/// Most bytes of a stream's beginning held back while looking for an early failure.
const PEEK_LIMIT: usize = 64 * 1024;
/// First backoff after a transient failure (doubled per retry).
const BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Most account failovers per request, whatever the pool size.
const MAX_FAILOVERS: usize = 16;

/// An upstream response body whose first bytes may already have been read (peeked).
pub(crate) struct StreamingResponse {
    /// Response headers (of the `101` answer for a WebSocket turn).
    pub headers: HeaderMap,
    prefix: Option<Bytes>,
    inner: Inner,
}

/// Where the body's SSE bytes come from.
enum Inner {
    /// An HTTP `POST /codex/responses` body.
    Http(Box<codex_proxy_upstream::StreamingResponse>),
    /// A WebSocket turn re-expressed as SSE.
    Ws(Box<crate::ws_turn::WsBody>),
}

impl Inner {
    async fn chunk(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        match self {
            Inner::Http(r) => r.chunk().await,
            Inner::Ws(w) => w.chunk().await,
        }
    }
}

impl StreamingResponse {
    /// The next body chunk: the peeked prefix first, then the rest of the upstream body.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        if let Some(p) = self.prefix.take() {
            return Some(Ok(p));
        }
        self.inner.chunk().await
    }
}

/// A successful upstream call and the account it runs on.
pub(crate) struct Attempted {
    /// The account lease; dropping it releases the account.
    pub lease: Lease,
    /// The 2xx response whose body is still to be read.
    pub response: StreamingResponse,
}

/// What a request sends upstream.
struct Send<'a> {
    model: &'a str,
    body: Bytes,
    session_id: &'a str,
    request_id: &'a str,
    turn_state: Option<&'a str>,
    /// Add the lease's `prompt_cache_key` (the client gave none).
    cache_key: bool,
}

/// Sends `body` for `model`, failing over between accounts.
pub(crate) async fn send(
    state: &AppState,
    model: &str,
    body: Bytes,
    session_id: &str,
    request_id: &str,
) -> Result<Attempted, GatewayError> {
    send_with_turn_state(state, model, body, session_id, request_id, None).await
}

/// [`send`], echoing the client's `x-codex-turn-state` upstream (Responses routes).
pub(crate) async fn send_with_turn_state(
    state: &AppState,
    model: &str,
    body: Bytes,
    session_id: &str,
    request_id: &str,
    turn_state: Option<&str>,
) -> Result<Attempted, GatewayError> {
    let req = Send {
        model,
        body,
        session_id,
        request_id,
        turn_state,
        cache_key: false,
    };
    run(state, req).await
}

/// [`send`] for a body without `prompt_cache_key`: each attempt sends the leased account's
/// stable key for this session, so upstream prompt caching hits across turns.
pub(crate) async fn send_with_cache_key(
    state: &AppState,
    model: &str,
    body: Bytes,
    session_id: &str,
    request_id: &str,
) -> Result<Attempted, GatewayError> {
    let req = Send {
        model,
        body,
        session_id,
        request_id,
        turn_state: None,
        cache_key: true,
    };
    run(state, req).await
}

/// Why an attempt failed.
enum Failure {
    /// An upstream error (status or transport).
    Upstream(UpstreamError),
    /// The stream failed with `server_is_overloaded` before any output; the response (with
    /// the failure in its peeked prefix) is what the client gets when no retry is left.
    Overloaded(Box<StreamingResponse>),
}

async fn run(state: &AppState, req: Send<'_>) -> Result<Attempted, GatewayError> {
    // A transient failure is retried once (upstream-codex.md §14), within `api.max_attempts`.
    let transient_max = state.config.api.max_attempts.saturating_sub(1).min(1) as usize;
    let accounts = state.pool.list().map_or(1, |l| l.len());
    let failover_max = (accounts + 1).min(MAX_FAILOVERS);
    let (mut transient, mut failovers) = (0usize, 0usize);
    let mut last: Option<UpstreamError> = None;
    let mut last_account_fault = false;
    // An overloaded answer kept until a retry succeeds: when no account can take the retry
    // (a single account resting), the client gets this failure in its own dialect.
    let mut overloaded: Option<Attempted> = None;
    // Accounts that failed this request for their own reasons, and those that answered 401
    // once (they get one retry after the pool refreshed their token).
    let mut excluded: Vec<AccountId> = Vec::new();
    let mut unauthorized: Vec<AccountId> = Vec::new();
    loop {
        let acquired =
            pool_glue::acquire_excluding(state, req.model, Some(req.session_id), &excluded).await;
        let lease = match acquired {
            Ok(lease) => lease,
            Err(e) => {
                if let Some(attempted) = overloaded.take() {
                    return Ok(attempted);
                }
                // After an account-specific failure "all accounts blocked" is the better
                // answer; after a transient one the upstream error says more.
                if last_account_fault && matches!(e, GatewayError::AllRateLimited { .. }) {
                    return Err(e);
                }
                return Err(last.map_or(e, GatewayError::Upstream));
            }
        };
        let failure = match attempt(state, &req, &lease).await {
            Ok(response) => return Ok(Attempted { lease, response }),
            Err(f) => f,
        };
        if !matches!(failure, Failure::Overloaded(_)) {
            // A newer failure replaces the kept overloaded answer.
            overloaded = None;
        }
        let now = std::time::SystemTime::now();
        let (outcome, account_fault) = match &failure {
            Failure::Overloaded(_) => (Some(Outcome::Overloaded), false),
            Failure::Upstream(e) => (pool_glue::outcome_for(e, now), e.is_account_fault()),
        };
        let label = match &failure {
            Failure::Overloaded(_) => "server_is_overloaded",
            Failure::Upstream(e) => e.label(),
        };
        tracing::info!(account = %lease.id(), error = label, "upstream attempt failed");
        // Resting the only account would leave nothing for the retry.
        let rest = account_fault || accounts > 1;
        if let Some(outcome) = outcome.filter(|_| rest) {
            state.pool.report(&lease, outcome, now);
        }
        last_account_fault = account_fault;
        if account_fault {
            let auth_retry = matches!(&failure, Failure::Upstream(e) if e.is_auth())
                && !unauthorized.contains(lease.id());
            if auth_retry {
                unauthorized.push(lease.id().clone());
            } else {
                excluded.push(lease.id().clone());
            }
        }
        let retryable = match failure {
            Failure::Overloaded(response) if transient >= transient_max => {
                // No retry left: the client sees the failure in its own dialect.
                return Ok(Attempted {
                    lease,
                    response: *response,
                });
            }
            Failure::Overloaded(response) => {
                overloaded = Some(Attempted {
                    lease,
                    response: *response,
                });
                true
            }
            Failure::Upstream(e) => {
                let retryable = e.is_retryable();
                last = Some(e);
                drop(lease);
                retryable
            }
        };
        if account_fault {
            failovers += 1;
            if failovers > failover_max {
                break;
            }
        } else if retryable && transient < transient_max {
            transient += 1;
            let shift = u32::try_from(transient - 1).unwrap_or(0).min(5);
            tokio::time::sleep(BACKOFF_BASE * (1u32 << shift)).await;
        } else {
            break;
        }
    }
    match last {
        // Every account tried failed for its own reasons: say so instead of relaying one
        // account's 401/403 as if the client's credentials were wrong.
        Some(e) if last_account_fault => Err(GatewayError::NoUsableAccount {
            detail: format!(
                "every account tried failed ({}); the last said: {e}",
                e.label()
            ),
        }),
        Some(e) => Err(GatewayError::Upstream(e)),
        None => Err(GatewayError::Internal("no upstream attempt was made")),
    }
}

/// One upstream call on `lease`, peeking the stream's start for an early overload.
async fn attempt(
    state: &AppState,
    req: &Send<'_>,
    lease: &Lease,
) -> Result<StreamingResponse, Failure> {
    let body = match (req.cache_key, lease.prompt_cache_key()) {
        (true, Some(key)) => with_cache_key(&req.body, key),
        _ => req.body.clone(),
    };
    // WebSocket first (it cannot carry a client's turn state: those turns stay on HTTP).
    let ws = match req.turn_state {
        None => websocket(state, req, lease, &body)
            .await
            .map_err(Failure::Upstream)?,
        Some(_) => None,
    };
    let (headers, mut inner) = match ws {
        // Its upgrade headers were reported before its `codex.rate_limits` frames.
        Some(ws) => (ws.headers(), Inner::Ws(Box::new(ws))),
        None => {
            let call = ResponsesCall {
                creds: pool_glue::credentials(lease),
                body,
                session_id: req.session_id,
                model: req.model,
                turn_state: req.turn_state,
                request_id: req.request_id,
                installation_id: Some(lease.installation_id()),
            };
            // Through the account's transport view (profile, proxy, cookie, accounts check).
            let mut http = crate::transport::responses(state, lease, call)
                .await
                .map_err(Failure::Upstream)?;
            let headers = std::mem::take(&mut http.headers);
            pool_glue::report_rate_limits(state, lease, &headers);
            (headers, Inner::Http(Box::new(http)))
        }
    };
    let (prefix, overloaded) = peek(&mut inner).await.map_err(Failure::Upstream)?;
    let response = StreamingResponse {
        headers,
        prefix,
        inner,
    };
    if overloaded {
        return Err(Failure::Overloaded(Box::new(response)));
    }
    Ok(response)
}

/// The turn over a fresh WebSocket on `lease`'s account, or `Ok(None)` to use HTTP: the
/// socket is off or refused lately, or the upgrade was refused (426: HTTP for a while) or
/// broke. An account's own failure (401, 429 on the upgrade or in an early error frame) is
/// returned as the HTTP error it stands for, never downgraded to HTTP.
async fn websocket(
    state: &AppState,
    req: &Send<'_>,
    lease: &Lease,
    body: &Bytes,
) -> Result<Option<crate::ws_turn::WsBody>, UpstreamError> {
    if !state.config.transport.ws_enabled || state.transport.ws.refused() {
        return Ok(None);
    }
    let up = state.transport.prepare(state, lease).await?;
    let call = codex_proxy_upstream::WsCall {
        creds: pool_glue::credentials(lease),
        session_id: req.session_id,
        model: req.model,
        installation_id: Some(lease.installation_id()),
    };
    let session = match up.websocket(call).await {
        Ok(session) => session,
        Err(e) => {
            if let Some(h) = e.headers() {
                state.transport.observe(state, lease.id(), h);
            }
            if e.status() == Some(426) {
                tracing::info!("backend refused the websocket upgrade; using HTTP for a while");
                state.transport.ws.mark_refused();
                return Ok(None);
            }
            if e.is_account_fault() || e.status().is_some_and(|s| s >= 500) {
                return Err(e);
            }
            tracing::info!(error = e.label(), "websocket upgrade failed; using HTTP");
            return Ok(None);
        }
    };
    state
        .transport
        .observe(state, lease.id(), session.headers());
    pool_glue::report_rate_limits(state, lease, session.headers());
    crate::ws_turn::start(session, body, lease.id().clone(), state.pool.clone())
        .await
        .map(Some)
}

/// Reads the stream until its first output event (lifecycle events only so far), returning
/// what was read and whether the response failed with `server_is_overloaded` in that window.
/// A transport failure there is returned (nothing reached the client: retryable); end of
/// stream stops peeking and the consumer sees it after the prefix.
async fn peek(inner: &mut Inner) -> Result<(Option<Bytes>, bool), UpstreamError> {
    let mut buf = BytesMut::new();
    let mut decoder = SseDecoder::new();
    loop {
        let chunk = match inner.chunk().await {
            Some(Ok(chunk)) => chunk,
            // Cut before any output: nothing reached the client, so try again.
            Some(Err(e)) => return Err(e),
            None => break,
        };
        buf.extend_from_slice(&chunk);
        decoder.push(&chunk);
        match scan(&mut decoder) {
            Scan::More if buf.len() < PEEK_LIMIT => {}
            Scan::More | Scan::Output => break,
            Scan::Overloaded => return Ok((Some(buf.freeze()), true)),
        }
    }
    Ok(((!buf.is_empty()).then(|| buf.freeze()), false))
}

enum Scan {
    /// Only lifecycle events so far.
    More,
    /// Output (or anything else) started: hand the stream over.
    Output,
    /// The response failed as overloaded before any output.
    Overloaded,
}

fn scan(decoder: &mut SseDecoder) -> Scan {
    while let Ok(Some(frame)) = decoder.next_frame() {
        let kind = match frame.event {
            Some(e) => e.to_owned(),
            None => event_type(frame.data),
        };
        match kind.as_str() {
            "response.created" | "response.in_progress" | "response.queued" | "" => {}
            "response.failed" | "error" if frame.data.contains("server_is_overloaded") => {
                return Scan::Overloaded;
            }
            _ => return Scan::Output,
        }
    }
    Scan::More
}

fn event_type(data: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(default, rename = "type")]
        kind: String,
    }
    serde_json::from_str::<Typed>(data).map_or_else(|_| String::new(), |t| t.kind)
}

/// `body` (a JSON object without `prompt_cache_key`) with `"prompt_cache_key": key` added
/// first.
fn with_cache_key(body: &Bytes, key: &str) -> Bytes {
    let Some(rest) = body.strip_prefix(b"{") else {
        return body.clone();
    };
    let key = serde_json::to_string(key).unwrap_or_default();
    let mut out = Vec::with_capacity(body.len() + key.len() + 24);
    out.extend_from_slice(b"{\"prompt_cache_key\":");
    out.extend_from_slice(key.as_bytes());
    if !rest.trim_ascii_start().starts_with(b"}") {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_is_spliced_into_the_object() {
        let body = Bytes::from_static(br#"{"model":"m"}"#);
        let out = with_cache_key(&body, "cp_1");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["prompt_cache_key"], "cp_1");
        assert_eq!(v["model"], "m");
        let empty = with_cache_key(&Bytes::from_static(b"{}"), "k");
        assert_eq!(&empty[..], br#"{"prompt_cache_key":"k"}"#);
    }

    #[test]
    fn scan_finds_an_early_overload_and_stops_at_output() {
        let mut d = SseDecoder::new();
        d.push(b"event: response.created\ndata: {\"type\":\"response.created\"}\n\n");
        assert!(matches!(scan(&mut d), Scan::More));
        d.push(b"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"server_is_overloaded\"}}}\n\n");
        assert!(matches!(scan(&mut d), Scan::Overloaded));
        let mut d = SseDecoder::new();
        d.push(b"data: {\"type\":\"response.output_item.added\"}\n\n");
        assert!(matches!(scan(&mut d), Scan::Output));
    }
}
