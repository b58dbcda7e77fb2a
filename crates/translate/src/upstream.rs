//! Upstream failures as client-facing replies: HTTP errors before streaming (§9.2), error events
//! (§1.4 code → status table, §9.3) and transport failures mid-stream.

use codex_proxy_schema::responses::status_for_error_code;
use serde_json::Value;

use crate::reply::{ErrorKind, ErrorReply};

/// A failure of the upstream transport after the response started (idle timeout, reset, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamFailure {
    /// What happened, safe to show to the client (no secrets).
    pub message: String,
    /// Low-cardinality code (`upstream_timeout`, `upstream_transport_error`, ...).
    pub code: &'static str,
}

/// Map an upstream non-2xx HTTP response to a reply: status kept (non-error statuses → 502),
/// message `Codex API error (<status>): <detail>` where detail is the body's `detail`, else
/// `error.message`, else the raw body.
pub fn upstream_error_to_reply(status: u16, body: &[u8]) -> ErrorReply {
    let detail = http_error_detail(body);
    let status = if (400..=599).contains(&status) {
        status
    } else {
        502
    };
    let message = format!("Codex API error ({status}): {detail}");
    match status {
        429 => ErrorReply::new(
            429,
            ErrorKind::RateLimited,
            message,
            Some("rate_limit_exceeded"),
        ),
        // The proxy's account is at fault, not the client: report as a server error.
        401..=403 => ErrorReply::new(
            status,
            ErrorKind::Upstream,
            message,
            Some("codex_api_error"),
        ),
        // Deterministic client-side failures: do not invite retries.
        400..=499 => ErrorReply::new(
            status,
            ErrorKind::InvalidRequest,
            message,
            Some("codex_api_error"),
        ),
        _ => ErrorReply::new(
            status,
            ErrorKind::Upstream,
            message,
            Some("codex_api_error"),
        ),
    }
}

/// Map an upstream `error` / `response.failed` code and message to a reply (§1.4 table).
pub fn event_error_to_reply(code: &str, message: &str) -> ErrorReply {
    let status = status_for_error_code(code);
    let kind = match status {
        429 => ErrorKind::RateLimited,
        400 => ErrorKind::InvalidRequest,
        _ => ErrorKind::Upstream,
    };
    ErrorReply::new(
        status,
        kind,
        format!("Codex API error ({status}): {message}"),
        Some(code),
    )
}

/// The human part of an upstream error body.
fn http_error_detail(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Some(detail) = value.get("detail").and_then(Value::as_str) {
            return detail.to_owned();
        }
        if let Some(msg) = value.pointer("/error/message").and_then(Value::as_str) {
            return msg.to_owned();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    // Keep error messages bounded: Cloudflare pages are large HTML documents.
    match text.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_errors() {
        let r = upstream_error_to_reply(429, br#"{"detail":"usage limit reached"}"#);
        assert_eq!(
            (r.status, r.kind, r.code.as_deref()),
            (429, ErrorKind::RateLimited, Some("rate_limit_exceeded"))
        );
        assert_eq!(r.message, "Codex API error (429): usage limit reached");
        let r = upstream_error_to_reply(500, br#"{"error":{"message":"boom"}}"#);
        assert_eq!((r.status, r.kind), (500, ErrorKind::Upstream));
        assert!(r.is_retryable());
        let r = upstream_error_to_reply(400, b"Unsupported parameter: max_output_tokens");
        assert_eq!(r.kind, ErrorKind::InvalidRequest);
        assert_eq!(upstream_error_to_reply(0, b"").status, 502);
    }

    #[test]
    fn event_codes() {
        assert_eq!(status_for_error_code("server_is_overloaded"), 503);
        assert_eq!(status_for_error_code("rate_limit_exceeded"), 429);
        assert_eq!(status_for_error_code("insufficient_quota"), 402);
        assert_eq!(status_for_error_code("context_length_exceeded"), 502);
        assert_eq!(
            event_error_to_reply("Invalid_Request_error", "x").status,
            400
        );
    }
}
