//! `POST /backend-api/codex/responses`: validate, admit, then stream (or fail on purpose).

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, request::Parts};
use serde_json::{Value, json};

use crate::auth;
use crate::body::{self, MockBody, Resp};
use crate::echo::Turn;
use crate::fault::Fault;
use crate::jwt::TokenInfo;
use crate::plan::Ending;
use crate::sse::{EventGen, Source, SseBody};
use crate::state::{RateLimits, State};
use crate::validate;

/// Handles one model call. Stores the parsed body in `json` for the request record.
pub(crate) async fn handle(
    state: &State,
    parts: &Parts,
    body: &Bytes,
    json: &mut Option<Value>,
) -> Resp {
    let info = match auth::authenticate(&parts.headers, true) {
        Ok(info) => info,
        Err(resp) => return reject(state, *resp),
    };
    let value = match parse_body(&parts.headers, body) {
        Ok(v) => v,
        Err(resp) => return reject(state, *resp),
    };
    let value = json.insert(value);
    if let Err(resp) = validate::responses(value, &state.cfg.models) {
        return reject(state, *resp);
    }
    let turn = Turn::read(value);
    let adm = state.admit(&info.account_id, turn.cache_key_hash(), turn.marker_fault());
    if !state.cfg.ttfb.is_zero() {
        tokio::time::sleep(state.cfg.ttfb).await;
    }
    if let Some(fault) = adm.fault.filter(Fault::is_http_error) {
        return fault_response(fault, &info, &state.rate_limits(adm.count));
    }
    let n = state.next_id();
    let mut delay = state.cfg.delay;
    let mut cut_after = None;
    let mut ending = Ending::Completed;
    match adm.fault {
        Some(Fault::Overloaded) => ending = Ending::Overloaded,
        Some(Fault::ErrorEvent) => ending = Ending::ErrorEvent,
        Some(Fault::Incomplete) => ending = Ending::Incomplete,
        Some(Fault::Cut(k)) => cut_after = Some(k),
        Some(Fault::Slow(d)) => delay = d,
        _ => {}
    }
    let source = match &state.replay {
        Some(replay) => match replay.pick(turn.replay_name()) {
            Some(data) => Source::Replay { data, pos: 0 },
            None => {
                let msg = format!(
                    "Unknown replay fixture: {}",
                    turn.replay_name().unwrap_or("")
                );
                return body::detail(StatusCode::BAD_REQUEST, &msg);
            }
        },
        None => {
            let plan = turn.plan(
                n,
                body.len(),
                adm.cache_hit,
                ending,
                crate::state::unix_now(),
            );
            Source::Echo(EventGen::new(plan))
        }
    };
    let mut resp = http::Response::new(MockBody::Sse(Box::new(SseBody::new(
        source, delay, cut_after,
    ))));
    let headers = resp.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    rate_limit_headers(
        headers,
        &state.rate_limits(adm.count),
        &info.plan_type,
        false,
    );
    if let Ok(v) = HeaderValue::from_str(&format!("ts_mock{n:016x}")) {
        headers.insert(HeaderName::from_static("x-codex-turn-state"), v);
    }
    resp
}

/// Counts a validation/auth rejection and passes the response through.
pub(crate) fn reject(state: &State, resp: Resp) -> Resp {
    state.count_rejected();
    resp
}

/// Largest decoded body of a zstd request (the official client's bodies are ~70 KB).
const MAX_DECODED_BODY: u64 = 64 << 20;

/// Parses a JSON body. `content-encoding: zstd` (what the official client sends) is decoded
/// (an undecodable frame is a 400); any other encoding except identity is refused with 415.
pub(crate) fn parse_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, Box<Resp>> {
    let mut decoded = None;
    if let Some(enc) = headers.get(http::header::CONTENT_ENCODING)
        && !enc.as_bytes().eq_ignore_ascii_case(b"identity")
    {
        if !enc.as_bytes().eq_ignore_ascii_case(b"zstd") {
            let enc = String::from_utf8_lossy(enc.as_bytes());
            let msg = format!(
                "Unsupported content-encoding: {enc} (the mock accepts plain JSON or zstd)"
            );
            return Err(Box::new(body::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &msg,
            )));
        }
        decoded = Some(decode_zstd(body).ok_or_else(|| {
            Box::new(body::detail(
                StatusCode::BAD_REQUEST,
                "Invalid zstd request body",
            ))
        })?);
    }
    serde_json::from_slice(decoded.as_deref().unwrap_or(body)).map_err(|e| {
        Box::new(body::detail(
            StatusCode::BAD_REQUEST,
            &format!("Invalid JSON body: {e}"),
        ))
    })
}

/// Decodes a complete zstd body, capped at [`MAX_DECODED_BODY`]; `None` if it is truncated,
/// corrupt or too large.
fn decode_zstd(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let decoder = zstd::stream::Decoder::new(body).ok()?;
    let mut out = Vec::with_capacity(body.len() * 3);
    decoder
        .take(MAX_DECODED_BODY + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() as u64 <= MAX_DECODED_BODY).then_some(out)
}

/// Writes the `x-codex-*` quota headers (spec §13.1).
pub(crate) fn rate_limit_headers(
    h: &mut HeaderMap,
    rl: &RateLimits,
    plan: &str,
    limit_reached: bool,
) {
    let primary = if limit_reached { 100 } else { rl.primary_used };
    let pairs: [(&'static str, u64); 9] = [
        ("x-codex-primary-used-percent", primary),
        (
            "x-codex-primary-window-minutes",
            crate::state::PRIMARY_WINDOW_SECS / 60,
        ),
        (
            "x-codex-primary-reset-after-seconds",
            rl.primary_reset_after,
        ),
        ("x-codex-primary-reset-at", rl.now + rl.primary_reset_after),
        ("x-codex-secondary-used-percent", rl.secondary_used),
        (
            "x-codex-secondary-window-minutes",
            crate::state::SECONDARY_WINDOW_SECS / 60,
        ),
        (
            "x-codex-secondary-reset-after-seconds",
            rl.secondary_reset_after,
        ),
        (
            "x-codex-secondary-reset-at",
            rl.now + rl.secondary_reset_after,
        ),
        ("x-codex-primary-over-secondary-limit-percent", 0),
    ];
    for (name, value) in pairs {
        h.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
    if let Ok(v) = HeaderValue::from_str(plan) {
        h.insert(HeaderName::from_static("x-codex-plan-type"), v);
    }
    h.insert(
        HeaderName::from_static("x-codex-credits-has-credits"),
        HeaderValue::from_static("False"),
    );
    h.insert(
        HeaderName::from_static("x-codex-credits-unlimited"),
        HeaderValue::from_static("False"),
    );
    if limit_reached {
        h.insert(
            HeaderName::from_static("x-codex-rate-limit-reached-type"),
            HeaderValue::from_static("primary"),
        );
    }
}

const CF_PAGE: &str = "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\"></head><body>\
<div class=\"main-wrapper\" role=\"main\"><div class=\"main-content\"><h1>chatgpt.com</h1>\
<p>Verify you are human by completing the action below.</p>\
<noscript>Enable JavaScript and cookies to continue</noscript></div></div>\
<script>window._cf_chl_opt={cType:'managed'};</script></body></html>";

/// The non-2xx answer of an HTTP-level fault.
pub(crate) fn fault_response(fault: Fault, info: &TokenInfo, rl: &RateLimits) -> Resp {
    let err = |status: StatusCode, message: &str, kind: &str, code: &str| {
        body::error(status, message, kind, None, Some(code))
    };
    match fault {
        Fault::RateLimit => {
            let secs = rl.primary_reset_after;
            let value = json!({ "error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": info.plan_type,
                "resets_at": rl.now + secs,
                "resets_in_seconds": secs,
            }});
            let mut resp = body::json(StatusCode::TOO_MANY_REQUESTS, &value);
            rate_limit_headers(resp.headers_mut(), rl, &info.plan_type, true);
            resp
        }
        Fault::Unauthorized => err(
            StatusCode::UNAUTHORIZED,
            "Provided authentication token is expired. Please try signing in again.",
            "invalid_request_error",
            "token_expired",
        ),
        Fault::PaymentRequired => err(
            StatusCode::PAYMENT_REQUIRED,
            "You have exhausted the usage included in your plan.",
            "quota_exhausted",
            "quota_exhausted",
        ),
        Fault::Banned => err(
            StatusCode::FORBIDDEN,
            "This account has been deactivated for violating our usage policies.",
            "invalid_request_error",
            "account_banned",
        ),
        Fault::Cloudflare => {
            let mut resp = body::full(StatusCode::FORBIDDEN, "text/html; charset=UTF-8", CF_PAGE);
            let h = resp.headers_mut();
            h.insert(
                HeaderName::from_static("cf-mitigated"),
                HeaderValue::from_static("challenge"),
            );
            h.insert(http::header::SERVER, HeaderValue::from_static("cloudflare"));
            h.insert(
                HeaderName::from_static("cf-ray"),
                HeaderValue::from_static("0000mock0000-MRS"),
            );
            resp
        }
        _ => err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.",
            "server_error",
            "server_error",
        ),
    }
}
