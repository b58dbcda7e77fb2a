//! An [`ErrorReply`] in Anthropic's shape: `{"type":"error","error":{"type","message"}}`.
//!
//! The error type follows the status and class: the client's own mistakes are
//! `invalid_request_error` (400), `authentication_error` (401), `permission_error` (403),
//! `not_found_error` (404), `request_too_large` (413); rate and usage limits are
//! `rate_limit_error`; an overloaded upstream (503, 529) is `overloaded_error`; every other
//! upstream failure — including the proxy account's own 401/403, which the client cannot fix —
//! is `api_error`.

use codex_proxy_schema::anthropic::ErrorResponse;

use crate::reply::{ErrorKind, ErrorReply};

/// Anthropic `error.type` for `reply` (see module docs).
pub fn error_type(reply: &ErrorReply) -> &'static str {
    match reply.kind {
        ErrorKind::RateLimited => "rate_limit_error",
        ErrorKind::ModelNotFound => "not_found_error",
        ErrorKind::InvalidRequest => match reply.status {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            500..=599 => "api_error",
            _ => "invalid_request_error",
        },
        ErrorKind::Upstream | ErrorKind::EmptyResponse | ErrorKind::PrematureClose => {
            if matches!(reply.status, 503 | 529)
                || reply.code.as_deref() == Some("server_is_overloaded")
            {
                "overloaded_error"
            } else {
                "api_error"
            }
        }
    }
}

/// The Anthropic error body for `reply`.
pub fn to_error_body(reply: &ErrorReply) -> Vec<u8> {
    let body = ErrorResponse::new(error_type(reply), reply.message.as_str());
    // Serializing two strings into a Vec cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}
