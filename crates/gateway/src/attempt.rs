//! Sending a Responses request with failover (upstream-codex.md §14): lease an account, call
//! upstream; on a failure before anything reached the client, record it against the account
//! and try the next one (rate limit, quota, auth, ban, Cloudflare) or retry once (5xx,
//! transport), up to `api.max_attempts`.

use bytes::Bytes;
use codex_proxy_pool::Lease;
use codex_proxy_upstream::{ResponsesCall, StreamingResponse, UpstreamError};

use crate::error::GatewayError;
use crate::pool_glue;
use crate::state::AppState;

/// A successful upstream call and the account it runs on.
pub(crate) struct Attempted {
    /// The account lease; dropping it releases the account.
    pub lease: Lease,
    /// The 2xx response whose body is still to be read.
    pub response: StreamingResponse,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The account is to blame: it was reported; try another.
    OtherAccount,
    /// Transient: try again (once).
    Retry,
    /// Give up with this error.
    Fail,
}

/// Sends `body` for `model`, failing over between accounts.
pub(crate) async fn send(
    state: &AppState,
    model: &str,
    body: Bytes,
    session_id: &str,
    request_id: &str,
) -> Result<Attempted, GatewayError> {
    let max = state.config.api.max_attempts;
    let mut last: Option<UpstreamError> = None;
    let mut retried_transient = false;
    for attempt in 1..=max {
        let lease = match pool_glue::acquire(state, model).await {
            Ok(lease) => lease,
            // After an upstream failure, its error says more than "no other account".
            Err(e) => return Err(last.map_or(e, GatewayError::Upstream)),
        };
        let call = ResponsesCall {
            creds: pool_glue::credentials(&lease),
            body: body.clone(),
            session_id,
            model,
            turn_state: None,
            request_id,
            installation_id: Some(lease.installation_id()),
        };
        match state.upstream.responses(call).await {
            Ok(response) => {
                pool_glue::report_rate_limits(state, &lease, &response);
                return Ok(Attempted { lease, response });
            }
            Err(e) => {
                let next = classify(&e, &mut retried_transient);
                tracing::info!(attempt, error = e.label(), ?next, "upstream attempt failed");
                pool_glue::report_failure(state, &lease, &e);
                drop(lease);
                match next {
                    Next::OtherAccount | Next::Retry => last = Some(e),
                    Next::Fail => return Err(GatewayError::Upstream(e)),
                }
            }
        }
    }
    Err(last.map_or(
        GatewayError::Internal("no upstream attempt was made"),
        GatewayError::Upstream,
    ))
}

fn classify(e: &UpstreamError, retried_transient: &mut bool) -> Next {
    if e.is_account_fault() {
        return Next::OtherAccount;
    }
    if e.is_retryable() && !*retried_transient {
        *retried_transient = true;
        return Next::Retry;
    }
    Next::Fail
}
